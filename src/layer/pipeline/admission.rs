//! Step 5: what a verified request carries into the inner service — its claims and facts in the extensions —
//! and the decisions that are not known yet.

use std::future::Future;
use std::pin::Pin;

use http::Extensions;

use crate::error::AuthError;
use crate::session::sliding::PendingReissue;
use crate::token::cache::CachedToken;

/// A verified request: what goes into its extensions, and the reissue its response will carry if it is a
/// sliding action.
pub(crate) struct Admission<C> {
    pub(crate) token: CachedToken<C>,
    pub(crate) reissue: Option<Box<PendingReissue>>,
}

impl<C: Send + Sync + 'static> Admission<C> {
    /// Inserts the claims and facts into the request; returns the reissue plan.
    pub(crate) fn apply(self, extensions: &mut Extensions) -> Option<Box<PendingReissue>> {
        extensions.insert(self.token.info);
        extensions.insert(self.token.claims);
        self.reissue
    }

    /// The admission with its claims type erased, for the asynchronous path.
    pub(crate) fn erase(self) -> ErasedAdmission {
        let reissue = self.reissue;
        let token = self.token;
        ErasedAdmission {
            extend: Box::new(move |extensions: &mut Extensions| {
                extensions.insert(token.info);
                extensions.insert(token.claims);
            }),
            reissue,
        }
    }
}

/// An admission decided asynchronously, with the claims type erased so the response future doesn't carry it.
pub(crate) struct ErasedAdmission {
    pub(crate) extend: Box<dyn FnOnce(&mut Extensions) + Send>,
    pub(crate) reissue: Option<Box<PendingReissue>>,
}

/// The asynchronous part of a decision: a remote key-set fetch, a store lookup, or both.
pub(crate) type PendingAdmission =
    Pin<Box<dyn Future<Output = Result<ErasedAdmission, AuthError>> + Send>>;

/// What happens to a request.
pub(crate) enum Outcome<C> {
    /// No token, and the layer is optional: pass it through untouched.
    Anonymous,
    /// Verified and, when a store is configured, known not to be revoked.
    Admitted(Admission<C>),
    /// The decision waits for a key-set fetch or a store lookup.
    Pending(PendingAdmission),
}
