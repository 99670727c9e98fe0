//! The HTTP side shared by every function: configuration, signing keys and bearer tokens,
//! strict request parsing and RFC 9457 problem responses. Handlers in `functions/` are built
//! from these.

mod app;
mod jwt_crypto;
pub mod log;
pub mod origin;
mod problem;
pub mod request;
pub mod runtime;
pub mod scim;
mod signing_keys;
mod token;

pub use app::{App, Config, Reply, call, json, run, run_checking_passwords, session_reply};
pub use jwt_crypto::install as install_jwt_crypto;
pub use log::init_tracing;
pub use problem::Problem;
pub use signing_keys::{KeySetError, SigningKeys};
pub use tenantry_accounts::AuditAction;
pub use token::{IssueError, Tokens};

/// What handlers need, in one import.
pub mod prelude {
    pub use std::sync::Arc;

    pub use lambda_http::http::StatusCode;
    pub use lambda_http::{Request, RequestExt};
    pub use serde::Deserialize;

    pub use crate::request::{
        field, json_body, limit_param, path_param, public_base_url, query_params,
    };
    pub use crate::{App, AuditAction, Problem, Reply, json};
}
