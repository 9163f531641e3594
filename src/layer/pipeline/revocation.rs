//! Step 4: the revocation store, consulted for every verified token when one is configured.

use std::sync::Arc;

use crate::error::{AuthError, AuthErrorKind};
use crate::layer::pipeline::admission::{Admission, Outcome};
use crate::store::{Lookup, RevocationCheck, StoreError};

/// Consults the revocation store, if any: now when it answers now, otherwise as a future.
#[inline]
pub(crate) fn check_revocation<C: Send + Sync + 'static>(
    store: Option<&Arc<dyn RevocationCheck>>,
    admission: Admission<C>,
) -> Result<Outcome<C>, AuthError> {
    let Some(store) = store else {
        return Ok(Outcome::Admitted(admission));
    };
    match store.is_revoked(&admission.token.info) {
        Lookup::Ready(answer) => verdict(answer).map(|()| Outcome::Admitted(admission)),
        Lookup::Pending(lookup) => Ok(Outcome::Pending(Box::pin(async move {
            verdict(lookup.await).map(|()| admission.erase())
        }))),
    }
}

/// A revoked token is 401 `invalid_token`; an unreachable store 503, never an accepted token.
fn verdict(answer: Result<bool, StoreError>) -> Result<(), AuthError> {
    match answer {
        Ok(false) => Ok(()),
        Ok(true) => Err(AuthErrorKind::Revoked.into()),
        Err(_) => Err(AuthErrorKind::Unavailable.into()),
    }
}
