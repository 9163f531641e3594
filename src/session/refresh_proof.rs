//! The DPoP proof of a refresh request at [`RefreshEndpoint`](super::RefreshEndpoint): verified, recorded
//! against its session's quota once the refresh token is known to be genuine, and a replay reported.

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use http_body_util::Full;

use crate::audit::AuditEventKind;
use crate::dpop::{Dpop, DpopPolicy, DpopProof};
use crate::error::AuthError;
use crate::session::options::user_agent_of;
use crate::session::Sessions;
use crate::well_known::document::oauth_error;

/// The request's verified and recorded proof (`None` without one, where the policy allows), or the answer
/// that refuses the request.
pub(super) async fn refresh_proof(
    sessions: &Sessions,
    dpop: Option<&(Dpop, DpopPolicy)>,
    token: &str,
    (method, uri, headers): (&Method, &Uri, &HeaderMap),
) -> Result<Option<DpopProof>, Response<Full<Bytes>>> {
    let Some((dpop, policy)) = dpop else {
        return Ok(None);
    };
    match dpop.verify(method, uri, headers, None) {
        Ok(None) if *policy == DpopPolicy::Required => {
            Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"))
        }
        Ok(None) => Ok(None),
        Ok(Some(proof)) => {
            // Recorded only for a genuine refresh token, against its session's quota.
            let session = sessions
                .genuine_refresh_session(token, proof.thumbprint())
                .map_err(|error| error.endpoint_response())?;
            dpop.record_for(proof, Some(&session))
                .await
                .map(Some)
                .map_err(|error| refused(sessions, dpop, &error, token, headers))
        }
        Err(error) => Err(refused(sessions, dpop, &error, token, headers)),
    }
}

/// The answer to a refresh whose proof was refused; a replay is reported first (audit event `dpop_replay`,
/// naming the refresh token's session when the token is genuine).
fn refused(
    sessions: &Sessions,
    dpop: &Dpop,
    error: &AuthError,
    token: &str,
    headers: &HeaderMap,
) -> Response<Full<Bytes>> {
    if error.is_dpop_replay() {
        let session = sessions.refresh_session_of(token);
        sessions.auditor().emit(
            sessions
                .audit_event(AuditEventKind::DpopReplay)
                .session_id(session.as_deref())
                .user_agent(user_agent_of(headers)),
        );
    }
    dpop.token_endpoint_refusal(error)
}
