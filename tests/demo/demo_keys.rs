//! The demo's keys: it runs with asymmetric keys, and refuses a public key that is not its private key's.

use crate::common;

use crate::fixtures::{call, login, start_demo};
use common::demo::{self};
use http::StatusCode;

#[tokio::test]
async fn the_demo_runs_with_asymmetric_keys() {
    let keys = format!("{}/tests/keys", env!("CARGO_MANIFEST_DIR"));
    let private = format!("{keys}/ec256_private.pem");
    let public = format!("{keys}/ec256_public.pem");
    let demo = start_demo(&[
        ("JWT_ALG", "ES256"),
        ("JWT_PRIVATE_KEY", &private),
        ("JWT_PUBLIC_KEY", &public),
    ]);
    let access = login(&demo, "bob", "bob-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let header = access.split('.').next().unwrap();
    assert!(header.starts_with("eyJhbGciOiJFUzI1NiI"), "an ES256 token");
    assert_eq!(
        call(&demo, http::Method::GET, "/me", Some(&access), None)
            .await
            .status,
        StatusCode::OK
    );
}

/// `JWT_PUBLIC_KEY`, when set, must be the public half of `JWT_PRIVATE_KEY`: with another key the demo refuses
/// to start and says why (the layer itself trusts the issuer's key ring, never a second copy of the key).
#[test]
fn the_demo_refuses_a_public_key_that_is_not_its_private_keys() {
    let keys = format!("{}/tests/keys", env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new(demo::example_binary("demo"))
        .env("BIND", "127.0.0.1:0")
        .env("JWT_ALG", "ES256")
        .env("JWT_PRIVATE_KEY", format!("{keys}/ec256_private.pem"))
        .env("JWT_PUBLIC_KEY", format!("{keys}/ec256_other_public.pem"))
        .env_remove("REDIS_URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY"),
        "{stderr}"
    );
}
