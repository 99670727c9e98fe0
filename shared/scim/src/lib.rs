//! SCIM 2.0 (RFC 7643, RFC 7644) for the User resource, as pure functions: request bodies,
//! PATCH and filters in; resources, list responses, errors and discovery documents out. No
//! I/O, clock or storage: the HTTP and accounts layers own those, and validate the values.
//!
//! - [`error`]: [`ScimError`] and its RFC 7644 §3.12 body.
//! - [`filter`]: the `eq`/`and` filters Microsoft Entra ID and Okta send.
//! - [`user`]: [`ScimUser`] and POST/PUT bodies.
//! - [`patch`]: PATCH operations applied to a [`ScimUser`].
//! - [`resource`]: rendering, ETags, `attributes`/`excludedAttributes`.
//! - [`list`]: GET /Users query parameters and the ListResponse.
//! - [`discovery`]: ServiceProviderConfig, ResourceTypes, Schemas.

pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod resource;
pub mod user;

mod json;
mod lexer;
mod path;

pub use discovery::{
    resource_type_user, resource_types, schema_user, schemas, service_provider_config,
};
pub use error::{ScimError, ScimType};
pub use filter::{Condition, Filter, FilterAttribute, MAX_CONDITIONS, parse_filter};
pub use list::{ListQuery, MAX_COUNT, list_response, parse_list_query};
pub use patch::{MAX_OPERATIONS, apply_patch};
pub use resource::{UserResource, parse_if_match, project, render_user, weak_etag};
pub use user::{MAX_STRING_CHARS, ScimRole, ScimUser, gives_roles, parse_user};

/// The media type of every SCIM request and response body (RFC 7644 §8.1).
pub const MEDIA_TYPE: &str = "application/scim+json";

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
