//! The DynamoDB single table of tenantry: keys, items, reads and conditional transactions.
//! It knows no permission rules; callers decide, the store commits only if the snapshot holds.

mod error;
pub mod items;
pub mod keys;
mod schema;
mod sessions;
mod table;

pub use error::{Cancel, Item, Part, Reason, StoreError};
pub use items::{AuditItem, ClaimItem, LoginGuardItem, SessionItem, TenantItem, UserItem};
pub use schema::{IndexSpec, TableSpec};
pub use table::{
    Deletion, DueCursor, DuePage, Guard, Page, Snapshot, Store, StoreConfig, UserChange,
    UserFilter, UserKey, from_item, https_client,
};
