//! Everything a use case can answer besides success. Mapped to HTTP in one place (`tenantry-http`).

use tenantry_policy::Denial;
use tenantry_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request value is invalid; `field` names it as the client sent it.
    #[error("{field} {message}")]
    Invalid { field: String, message: String },
    /// No valid session: unknown, deleted or revoked caller, or wrong credentials.
    #[error("authentication failed")]
    Unauthenticated,
    #[error("{0}")]
    Denied(Denial),
    #[error("no such user")]
    UserNotFound,
    #[error("no such tenant")]
    TenantNotFound,
    #[error("a tenant with this id already exists")]
    TenantExists,
    #[error("the username is taken")]
    UsernameTaken,
    #[error("the email is taken")]
    EmailTaken,
    #[error("the username belongs to deleted user {user_id} until {frees_at}")]
    UsernameHeldByDeletedUser { user_id: String, frees_at: String },
    #[error("the email belongs to deleted user {user_id} until {frees_at}")]
    EmailHeldByDeletedUser { user_id: String, frees_at: String },
    #[error("the user is not deleted")]
    NotDeleted,
    #[error("the restore window closed at {purge_after}")]
    RestoreWindowClosed { purge_after: String },
    /// Concurrent changes kept invalidating the snapshot.
    #[error("the account changed while the request ran; retry")]
    Conflict,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Error {
        match err {
            StoreError::Unavailable(msg) => Error::Unavailable(msg),
            StoreError::Cancelled(_) => Error::Conflict,
            StoreError::Other(msg) => Error::Internal(msg),
        }
    }
}

impl From<Denial> for Error {
    fn from(denial: Denial) -> Error {
        Error::Denied(denial)
    }
}
