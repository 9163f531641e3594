//! The server `benches/http/run.sh` measures: `GET /` answers "ok", behind the layer or not.
//!
//! Environment: `BIND` (127.0.0.1:4000), `MODE` (`layer`; `none`; `noop`, a layer that does nothing; `floor`, a
//! layer that only inserts two shared values into the extensions, as any layer handing claims over must),
//! `JWT_ALG` (HS256, RS256, ES256, EdDSA),
//! `JWT_SECRET` (HS256, 32+ bytes), `KEYS` (folder of the PEM test keys), `TOKEN_CACHE` (`0` turns the
//! verified-token cache off), `SOURCE` (how the layer takes tokens: `bearer`, the default; `cookie`, the
//! `access` cookie; `mtls`, certificate-bound tokens with the client certificate in Envoy's XFCC header;
//! `dpop`, DPoP-bound tokens; `introspection`, opaque tokens a provider on `BIND`'s port + 2 vouches for).
//! `WIRING` (`route`, the default: `Router::layer`; `router`: the layer wraps the whole router).
//!
//! It prints, one per line on stdout, `<name> <value>`: `token` (a token its layer, and the peer, accepts),
//! `expired` and `badsig` (refused: `exp` passed; the signature altered), and per source `certificate` (the
//! XFCC header value), `proof`, `stale` (a proof issued an hour ago), `token_rsa` and `proof_rsa` (a token
//! bound to the RSA-4096 test key, the largest the layer takes, and its proof). Runs on one thread, so the
//! script can pin it to one core.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::ServiceExt;
use axum::{routing::get, routing::post, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::crypto::{aws_lc::DEFAULT_PROVIDER, CryptoProvider};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::util::MapRequestLayer;
use tower::Layer as _;
use tower_jwt_auth::certificate::{CertificateHeader, ClientCertificates};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::introspection::Introspection;
use tower_jwt_auth::token::CookieSource;
use tower_jwt_auth::{JwtAuthBuilder, JwtAuthLayer, VerificationKey};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PROVIDER: &CryptoProvider = &DEFAULT_PROVIDER;

fn read_key(name: &str) -> Result<Vec<u8>, BoxError> {
    let folder = std::env::var("KEYS").unwrap_or_else(|_| "tests/keys".into());
    Ok(std::fs::read(format!("{folder}/{name}"))?)
}

/// The algorithm's signing key and the layer's verification key.
fn keys(alg: &str) -> Result<(Algorithm, EncodingKey, VerificationKey), BoxError> {
    let (alg, private, public) = match alg {
        "HS256" => {
            let secret = std::env::var("JWT_SECRET")?.into_bytes();
            return Ok((
                Algorithm::HS256,
                EncodingKey::from_secret(&secret)?,
                VerificationKey::hmac(Algorithm::HS256, &secret)?,
            ));
        }
        "RS256" => (Algorithm::RS256, "rsa_private.pem", "rsa_public.pem"),
        "ES256" => (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
        "EdDSA" => (
            Algorithm::EdDSA,
            "ed25519_private.pem",
            "ed25519_public.pem",
        ),
        other => return Err(format!("unsupported JWT_ALG {other}").into()),
    };
    let pem = read_key(private)?;
    let signing = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem)?,
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem)?,
        _ => EncodingKey::from_ed_pem(&pem)?,
    };
    Ok((
        alg,
        signing,
        VerificationKey::from_pem(alg, &read_key(public)?)?,
    ))
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A compact JWS of `header` and `claims`, signed with jsonwebtoken's signer.
fn sign(
    header: &Value,
    claims: &Value,
    alg: Algorithm,
    key: &EncodingKey,
) -> Result<String, BoxError> {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature = (PROVIDER.signer_factory)(&alg, key)?.try_sign(input.as_bytes())?;
    Ok(format!("{input}.{}", b64(signature)))
}

/// An access token for the bench's issuer and audience, with `exp` at `exp` and the extra `claims`.
fn token(alg: Algorithm, key: &EncodingKey, exp: i64, claims: Value) -> Result<String, BoxError> {
    let mut body = json!({ "iss": "bench", "aud": "bench-api", "sub": "alice", "iat": exp - 3600,
                           "exp": exp, "scope": "read" });
    body.as_object_mut()
        .into_iter()
        .for_each(|o| o.extend(claims.as_object().cloned().unwrap_or_default()));
    let alg_name = format!("{alg:?}");
    sign(&json!({ "alg": alg_name, "typ": "JWT" }), &body, alg, key)
}

/// A DPoP proof key: the private half and the public JWK.
struct ProofKey {
    alg: Algorithm,
    key: EncodingKey,
    jwk: Value,
}

impl ProofKey {
    fn es256() -> Result<Self, BoxError> {
        let key = EncodingKey::from_ec_pem(&read_key("ec256_private.pem")?)?;
        let (crv, x, y) = (PROVIDER.key_utils.ec_pub_components_from_private_key)(
            key.as_bytes(),
            Algorithm::ES256,
        )?;
        let jwk = json!({ "kty": "EC", "crv": crv, "x": b64(x), "y": b64(y) });
        Ok(Self {
            alg: Algorithm::ES256,
            key,
            jwk,
        })
    }

    fn rsa4096() -> Result<Self, BoxError> {
        let key = EncodingKey::from_rsa_pem(&read_key("rsa4096_private.pem")?)?;
        let (n, e) = (PROVIDER.key_utils.rsa_pub_components_from_private_key)(key.as_bytes())?;
        let jwk = json!({ "kty": "RSA", "n": b64(n), "e": b64(e) });
        Ok(Self {
            alg: Algorithm::RS256,
            key,
            jwk,
        })
    }

    /// RFC 7638: the required members in lexicographic order.
    fn thumbprint(&self) -> String {
        let names: &[&str] = if self.jwk["kty"] == "EC" {
            &["crv", "kty", "x", "y"]
        } else {
            &["e", "kty", "n"]
        };
        let members: Vec<String> = names
            .iter()
            .map(|m| format!("\"{m}\":{}", self.jwk[*m]))
            .collect();
        b64(Sha256::digest(format!("{{{}}}", members.join(","))))
    }

    fn proof(&self, htu: &str, token: &str, iat: i64) -> Result<String, BoxError> {
        let header =
            json!({ "typ": "dpop+jwt", "alg": format!("{:?}", self.alg), "jwk": self.jwk });
        let claims = json!({ "htm": "GET", "htu": htu, "iat": iat, "jti": b64(Sha256::digest(format!("{iat}{token}"))),
                             "ath": b64(Sha256::digest(token)) });
        sign(&header, &claims, self.alg, &self.key)
    }
}

/// Prints the source's tokens and returns the layer's builder for it.
async fn source(
    mut auth: JwtAuthBuilder,
    kind: &str,
    bind: &str,
    (alg, key): (Algorithm, &EncodingKey),
) -> Result<JwtAuthBuilder, BoxError> {
    let exp = now() + 3600;
    let say = |name: &str, value: &str| println!("{name} {value}");
    match kind {
        "bearer" => say("token", &token(alg, key, exp, json!({}))?),
        "cookie" => {
            say("token", &token(alg, key, exp, json!({}))?);
            auth = auth
                .token_source(CookieSource::new("access")?)
                .allow_cookies_without_csrf();
        }
        "mtls" => {
            let der_hash = Sha256::digest(b"the bench client's certificate (DER)");
            let hex: String = der_hash.iter().map(|b| format!("{b:02x}")).collect();
            say("certificate", &format!("Hash={hex};Subject=\"CN=bench\""));
            say(
                "token",
                &token(
                    alg,
                    key,
                    exp,
                    json!({ "cnf": { "x5t#S256": b64(der_hash) } }),
                )?,
            );
            auth = auth.client_certificates(ClientCertificates::trusted_header(
                CertificateHeader::envoy(),
            ));
        }
        "dpop" => {
            let htu = format!("http://{bind}/");
            let (es, rsa) = (ProofKey::es256()?, ProofKey::rsa4096()?);
            let bound = token(alg, key, exp, json!({ "cnf": { "jkt": es.thumbprint() } }))?;
            say("proof", &es.proof(&htu, &bound, now())?);
            say("stale", &es.proof(&htu, &bound, now() - 3600)?);
            say("token", &bound);
            let bound_rsa = token(alg, key, exp, json!({ "cnf": { "jkt": rsa.thumbprint() } }))?;
            say("proof_rsa", &rsa.proof(&htu, &bound_rsa, now())?);
            say("token_rsa", &bound_rsa);
            let dpop = Dpop::builder()
                .public_url(format!("http://{bind}"))
                .algorithms([Algorithm::ES256, Algorithm::RS256])
                .build()?;
            auth = auth.dpop(&dpop, DpopPolicy::Allowed);
        }
        "introspection" => {
            let provider = provider(bind).await?;
            say("token", "opaque-bench-token-0123456789abcdef");
            let introspection = Introspection::new(&provider, "rs", "rs-secret")?
                .allow_http()
                .issuer("bench");
            auth = auth.introspection(introspection);
        }
        other => return Err(format!("unsupported SOURCE {other}").into()),
    }
    say("expired", &token(alg, key, now() - 600, json!({}))?);
    let valid = token(alg, key, exp, json!({}))?;
    // Another signature of the right length and encoding: its first character changed.
    let (rest, signature) = valid.rsplit_once('.').ok_or("a JWS has three parts")?;
    let other = if signature.starts_with('A') { "B" } else { "A" };
    say("badsig", &format!("{rest}.{other}{}", &signature[1..]));
    Ok(auth)
}

/// An introspection endpoint on the port two above `bind` calling every token active; its URL.
async fn provider(bind: &str) -> Result<String, BoxError> {
    let (host, port) = bind.rsplit_once(':').ok_or("BIND is host:port")?;
    let address = format!("{host}:{}", port.parse::<u16>()? + 2);
    let answer = || async {
        Json(
            json!({ "active": true, "sub": "alice", "scope": "read", "aud": "bench-api", "exp": now() + 3600,
                     "iat": now() - 60, "token_type": "Bearer" }),
        )
    };
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/introspect", post(answer))).await
    });
    Ok(format!("http://{address}/introspect"))
}

/// What the floor layer inserts in place of `TokenInfo`: a value of its own type behind an `Arc`.
#[derive(Debug, Default)]
struct Floor {
    _subject: String,
}

fn main() -> Result<(), BoxError> {
    let _ = PROVIDER.install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), BoxError> {
    let alg = std::env::var("JWT_ALG").unwrap_or_else(|_| "HS256".into());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:4000".into());
    let kind = std::env::var("SOURCE").unwrap_or_else(|_| "bearer".into());
    let (alg, signing, verification) = keys(&alg)?;
    let mut auth = JwtAuthLayer::builder()
        .key(verification)
        .issuer("bench")
        .audience("bench-api");
    if std::env::var("TOKEN_CACHE").as_deref() == Ok("0") {
        auth = auth.disable_token_cache();
    }
    let auth = source(auth, &kind, &bind, (alg, &signing)).await?;
    let app = Router::new().route("/", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!("bench server listening on {bind}");
    let mode = std::env::var("MODE").unwrap_or_default();
    // `WIRING=router` wraps the whole router in the layer (`layer.layer(router)`) instead of `Router::layer`,
    // which wraps each route's service and, per request, clones and boxes it again.
    if std::env::var("WIRING").as_deref() == Ok("router") {
        // Each arm serves its own type: a boxed service would box every response future too.
        match mode.as_str() {
            "none" => axum::serve(listener, app).await?,
            "noop" => {
                axum::serve(
                    listener,
                    ServiceExt::<Request>::into_make_service(noop().layer(app)),
                )
                .await?
            }
            "floor" => {
                axum::serve(
                    listener,
                    ServiceExt::<Request>::into_make_service(floor().layer(app)),
                )
                .await?
            }
            _ => {
                axum::serve(
                    listener,
                    ServiceExt::<Request>::into_make_service(auth.build()?.layer(app)),
                )
                .await?
            }
        }
        return Ok(());
    }
    let app = match mode.as_str() {
        "none" => app,
        // The floor under any middleware in axum: a layer that does nothing still wraps (and, per request,
        // clones and boxes) the route's service.
        "noop" => app.layer(noop()),
        "floor" => app.layer(floor()),
        _ => app.layer(auth.build()?),
    };
    axum::serve(listener, app).await?;
    Ok(())
}

/// A layer that does nothing.
fn noop() -> MapRequestLayer<fn(Request) -> Request> {
    MapRequestLayer::new(|request| request)
}

/// The floor under any layer that hands claims to handlers the way this crate does: it reads the Authorization
/// header and inserts two shared values (standing in for `TokenInfo` and `Claims<C>`, each an `Arc`) into the
/// request's extensions, checking nothing.
fn floor() -> MapRequestLayer<impl Fn(Request) -> Request + Clone> {
    let (info, claims) = (
        Arc::new(Floor::default()),
        Arc::new(json!({ "sub": "alice" })),
    );
    MapRequestLayer::new(move |mut request: Request| {
        if request.headers().contains_key(AUTHORIZATION) {
            request.extensions_mut().insert(Arc::clone(&info));
            request.extensions_mut().insert(Arc::clone(&claims));
        }
        request
    })
}
