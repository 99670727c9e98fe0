//! The DynamoDB single table of tenantry: keys, items, reads, and conditional transactions
//! built as values and run by one `commit`. It knows no permission rules; callers decide, the
//! store commits only if the snapshot the decision was made on still holds.

mod attrs;
mod client;
mod commit;
mod directory;
mod error;
pub mod items;
pub mod keys;
mod parts;
mod reads;
mod rehash;
mod schema;
mod sessions;
mod writes;

pub use attrs::Item;
pub use client::{Store, StoreConfig, https_client, operator_sdk_config, sdk_config};
pub use commit::Transaction;
pub use error::{Cancel, Part, Reason, StoreError};
pub use items::{
    AuditItem, ClaimItem, DirectoryTokenItem, FailedLoginsItem, Profile, ROTATIONS_KEPT,
    SessionItem, TenantItem, UserItem, from_item,
};
pub use keys::{ActorKey, DirectoryTokenKey, UserKey};
pub use parts::ActorCheck;
pub use reads::{DueCursor, DuePage, DueUser, Page, Snapshot, USERS_READ_PER_PAGE, UserFilter};
pub use rehash::{GaveBack, GiveBack};
pub use schema::{IndexSpec, TableSpec};
pub use writes::{Deletion, UserChange};
