//! The gRPC example's generated code (examples/grpc/demo.v1.rs) is committed, so building the example needs no
//! protoc. This test regenerates it from examples/grpc/profile.proto with tonic-prost-build and the protoc of
//! protoc-bin-vendored, and fails if the committed file differs. `UPDATE_GENERATED=1` rewrites it instead.

use std::path::Path;

#[test]
fn committed_grpc_code_is_what_the_proto_generates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/grpc");
    let out = std::env::temp_dir().join(format!("tower-jwt-auth-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path().unwrap());
    tonic_prost_build::configure()
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .compile_with_config(
            config,
            &[root.join("profile.proto")],
            std::slice::from_ref(&root),
        )
        .unwrap();
    let generated = std::fs::read_to_string(out.join("demo.v1.rs")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    let committed_path = root.join("demo.v1.rs");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&committed_path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "examples/grpc/demo.v1.rs is not what examples/grpc/profile.proto generates: run \
         UPDATE_GENERATED=1 cargo test --all-features --test grpc -- grpc_codegen"
    );
}
