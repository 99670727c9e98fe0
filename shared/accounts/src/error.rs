//! Everything a use case can answer besides success. Mapped to HTTP in one place (`tenantry-http`).

use tenantry_policy::Denial;
use tenantry_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request value is invalid; `field` names it as the client sent it.
    #[error("{field} {message}")]
    Invalid { field: String, message: String },
    /// A request changes a value that is set once (a directory's `userName`).
    #[error("{field} cannot change: {message}")]
    Immutable { field: String, message: String },
    /// No valid session: unknown, deleted or revoked caller, or a token from before an epoch
    /// bump or of an ended session.
    #[error("authentication failed")]
    Unauthenticated,
    /// A login with an unknown tenant or username, a deleted account or a wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed logins in a row for this tenant and username.
    #[error("login locked for {retry_after} s")]
    LoginLocked { retry_after: u64 },
    /// A refresh token that is unknown, expired, already exchanged, revoked, or whose user's
    /// sessions ended.
    #[error("the session has ended")]
    SessionEnded,
    /// The current password given to change your own is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
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
    #[error("no such directory token")]
    DirectoryTokenNotFound,
    #[error("the restore window closed at {purge_after}")]
    RestoreWindowClosed { purge_after: String },
    /// A conditional request (SCIM `If-Match`) named a version that is not the current one.
    #[error("version {asked} is not the current version {current}")]
    VersionMismatch { asked: u64, current: u64 },
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

    /// One error of every kind, every denial included, with values shaped like real ones: what
    /// the mapping to HTTP must cover (the API spec's drift test converts each). The match
    /// below stops compiling when a kind is added, until it is listed here too.
    pub fn every_kind() -> Vec<Error> {
        let user_id = || "0199a000-0000-7000-8000-000000000000".to_owned();
        let date = || "2026-12-23T10:00:00.000Z".to_owned();
        let mut all = vec![
            Error::invalid("email", "must be an email address like name@example.com"),
            Error::Immutable {
                field: "userName".into(),
                message: "it is \"ben\"".into(),
            },
            Error::Unauthenticated,
            Error::InvalidCredentials,
            Error::LoginLocked { retry_after: 900 },
            Error::SessionEnded,
            Error::WrongPassword,
            Error::UserNotFound,
            Error::TenantNotFound,
            Error::TenantExists,
            Error::UsernameTaken,
            Error::EmailTaken,
            Error::UsernameHeldByDeletedUser {
                user_id: user_id(),
                frees_at: date(),
            },
            Error::EmailHeldByDeletedUser {
                user_id: user_id(),
                frees_at: date(),
            },
            Error::NotDeleted,
            Error::DirectoryTokenNotFound,
            Error::RestoreWindowClosed {
                purge_after: date(),
            },
            Error::VersionMismatch {
                asked: 1,
                current: 2,
            },
            Error::Conflict,
            Error::Unavailable("example".into()),
            Error::Internal("example".into()),
        ];
        all.extend(Denial::ALL.map(Error::Denied));
        for error in &all {
            match error {
                Error::Invalid { .. }
                | Error::Immutable { .. }
                | Error::Unauthenticated
                | Error::InvalidCredentials
                | Error::LoginLocked { .. }
                | Error::SessionEnded
                | Error::WrongPassword
                | Error::Denied(_)
                | Error::UserNotFound
                | Error::TenantNotFound
                | Error::TenantExists
                | Error::UsernameTaken
                | Error::EmailTaken
                | Error::UsernameHeldByDeletedUser { .. }
                | Error::EmailHeldByDeletedUser { .. }
                | Error::NotDeleted
                | Error::DirectoryTokenNotFound
                | Error::RestoreWindowClosed { .. }
                | Error::VersionMismatch { .. }
                | Error::Conflict
                | Error::Unavailable(_)
                | Error::Internal(_) => {}
            }
        }
        all
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
