//! Attribute values: the few helpers every request builder uses.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// An item (or an item's key) as DynamoDB sends and takes it.
pub type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Whether `item` has the primary key `key`.
pub(crate) fn same_key(item: &Item, key: &Item) -> bool {
    item.get("PK") == key.get("PK") && item.get("SK") == key.get("SK")
}
