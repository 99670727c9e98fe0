//! A User as a SCIM resource (RFC 7643 §4.1, §3.1), its version as an ETag (RFC 7644 §3.14),
//! and partial representations (`attributes`, `excludedAttributes`, RFC 7644 §3.9).

use serde_json::{Map, Value, json};

use crate::USER_SCHEMA;
use crate::error::{ScimError, echo, invalid_syntax, invalid_value};
use crate::user::ScimUser;

/// What rendering a user needs besides the user: the service provider's own attributes.
#[derive(Clone, Copy, Debug)]
pub struct UserResource<'a> {
    pub id: &'a str,
    /// `password` is never rendered.
    pub user: &'a ScimUser,
    /// RFC 3339 timestamps, as stored.
    pub created: &'a str,
    pub last_modified: &'a str,
    /// Rendered as the weak ETag `meta.version`.
    pub version: u64,
    /// The resource's absolute URL.
    pub location: &'a str,
}

/// The full resource. The one address is rendered as the only email and the role as the only
/// role, each with its `value` alone (what a request sets is what comes back). Absent optional attributes are left out rather than rendered as null.
pub fn render_user(resource: &UserResource<'_>) -> Value {
    let user = resource.user;
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER_SCHEMA]));
    out.insert("id".into(), json!(resource.id));
    if let Some(external_id) = &user.external_id {
        out.insert("externalId".into(), json!(external_id));
    }
    out.insert("userName".into(), json!(user.user_name));
    let mut name = Map::new();
    if let Some(given) = &user.given_name {
        name.insert("givenName".into(), json!(given));
    }
    if let Some(family) = &user.family_name {
        name.insert("familyName".into(), json!(family));
    }
    if !name.is_empty() {
        out.insert("name".into(), Value::Object(name));
    }
    if let Some(display_name) = &user.display_name {
        out.insert("displayName".into(), json!(display_name));
    }
    if let Some(email) = &user.email {
        out.insert("emails".into(), json!([{"value": email}]));
    }
    out.insert("active".into(), json!(user.active));
    out.insert("roles".into(), json!([{"value": user.role.as_str()}]));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": resource.created,
            "lastModified": resource.last_modified,
            "location": resource.location,
            "version": weak_etag(resource.version),
        }),
    );
    Value::Object(out)
}

/// `W/"<version>"`: weak, because the same version may be rendered differently
/// (with `attributes`, say), as RFC 7644 §3.14's own examples are.
pub fn weak_etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// Reads an `If-Match` header: `Ok(None)` for `*` (any version), `Ok(Some(v))` for `W/"v"`
/// or `"v"` (compared weakly, since [`weak_etag`] is what clients were given).
///
/// - A well-formed entity tag that is not one of ours (`"abc"`) can match no version: 412,
///   as a mismatch is (RFC 7232 §3.1).
/// - A malformed header, or a list of several tags, is 400 `invalidSyntax`: a client mistake,
///   not a version mismatch. (`invalidVers` is about the SCIM protocol version, not ETags.)
pub fn parse_if_match(header: &str) -> Result<Option<u64>, ScimError> {
    let header = header.trim();
    if header == "*" {
        return Ok(None);
    }
    if header.contains(',') {
        return Err(invalid_syntax(
            "If-Match must carry a single entity tag or *; lists are not supported",
        ));
    }
    let tag = header.strip_prefix("W/").unwrap_or(header);
    let opaque = tag
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|opaque| !opaque.contains('"'))
        .ok_or_else(|| {
            invalid_syntax(format!(
                "If-Match {} is not an entity tag such as W/\"3\"",
                echo(header)
            ))
        })?;
    let is_ours = !opaque.is_empty() && opaque.bytes().all(|b| b.is_ascii_digit());
    match opaque.parse::<u64>() {
        Ok(version) if is_ours => Ok(Some(version)),
        _ => Err(ScimError::precondition_failed(format!(
            "If-Match {} matches no version of this resource",
            echo(header)
        ))),
    }
}

/// Attributes always returned (RFC 7643 §7 `returned: always`), whatever was asked.
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// Cuts a rendered resource down to what was asked (RFC 7644 §3.9, §3.4.2.5). Names are
/// comma-separated, case-insensitive, may carry the core User URN, and may name
/// sub-attributes (`name.givenName`, `emails.value`, `meta.lastModified`). Unknown names are
/// ignored. `id` and `schemas` always stay.
///
/// The two parameters are alternatives: `attributes` replaces the default set,
/// `excludedAttributes` subtracts from it, and RFC 7644 defines no mix of the two. Both at
/// once is 400 `invalidValue`; an empty parameter counts as absent.
pub fn project(
    resource: Value,
    attributes: Option<&str>,
    excluded_attributes: Option<&str>,
) -> Result<Value, ScimError> {
    let attributes = attributes.filter(|text| !text.trim().is_empty());
    let excluded = excluded_attributes.filter(|text| !text.trim().is_empty());
    let Value::Object(object) = resource else {
        return Ok(resource);
    };
    let projected = match (attributes, excluded) {
        (Some(_), Some(_)) => {
            return Err(invalid_value(
                "use either attributes or excludedAttributes, not both",
            ));
        }
        (Some(attributes), None) => keep(object, &names(attributes)),
        (None, Some(excluded)) => drop(object, &names(excluded)),
        (None, None) => object,
    };
    Ok(Value::Object(projected))
}

/// `attr` or `attr.sub`, lowercased. `None` attr stands for the whole core schema.
struct Name {
    attr: Option<String>,
    sub: Option<String>,
}

fn names(list: &str) -> Vec<Name> {
    let core_prefix = format!("{}:", USER_SCHEMA.to_ascii_lowercase());
    list.split(',')
        .map(|name| name.trim().to_ascii_lowercase())
        .filter_map(|name| {
            if name == USER_SCHEMA.to_ascii_lowercase() {
                return Some(Name {
                    attr: None,
                    sub: None,
                });
            }
            let name = name.strip_prefix(&core_prefix).unwrap_or(&name).to_owned();
            // Other schemas' attributes (the enterprise extension's) are never rendered.
            if name.is_empty() || name.starts_with("urn:") {
                return None;
            }
            Some(match name.split_once('.') {
                Some((attr, sub)) => Name {
                    attr: Some(attr.to_owned()),
                    sub: Some(sub.to_owned()),
                },
                None => Name {
                    attr: Some(name),
                    sub: None,
                },
            })
        })
        .collect()
}

fn is_always(key: &str) -> bool {
    ALWAYS.iter().any(|always| always.eq_ignore_ascii_case(key))
}

/// `attributes=`: the always-returned ones plus what was named.
fn keep(object: Map<String, Value>, names: &[Name]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in object {
        let lower = key.to_ascii_lowercase();
        let matching: Vec<&Name> = names
            .iter()
            .filter(|name| name.attr.is_none() || name.attr.as_deref() == Some(lower.as_str()))
            .collect();
        if is_always(&key) || matching.iter().any(|name| name.sub.is_none()) {
            out.insert(key, value);
        } else if !matching.is_empty() {
            let subs: Vec<&str> = matching.iter().filter_map(|n| n.sub.as_deref()).collect();
            if let Some(value) = retain_subs(value, |sub| subs.contains(&sub)) {
                out.insert(key, value);
            }
        }
    }
    out
}

/// `excludedAttributes=`: everything but what was named, never the always-returned ones.
fn drop(object: Map<String, Value>, names: &[Name]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in object {
        if is_always(&key) {
            out.insert(key, value);
            continue;
        }
        let lower = key.to_ascii_lowercase();
        let matching: Vec<&Name> = names
            .iter()
            .filter(|name| name.attr.as_deref() == Some(lower.as_str()))
            .collect();
        if matching.iter().any(|name| name.sub.is_none()) {
            continue;
        }
        // Excluding a sub-attribute a simple value does not have leaves the value alone.
        if matching.is_empty() || !(value.is_object() || value.is_array()) {
            out.insert(key, value);
            continue;
        }
        let subs: Vec<&str> = matching.iter().filter_map(|n| n.sub.as_deref()).collect();
        if let Some(value) = retain_subs(value, |sub| !subs.contains(&sub)) {
            out.insert(key, value);
        }
    }
    out
}

/// Keeps the sub-attributes `wanted` accepts (lowercased), in an object or in each object of
/// an array. `None` when nothing is left: an empty complex value is an unassigned one.
fn retain_subs(value: Value, wanted: impl Fn(&str) -> bool + Copy) -> Option<Value> {
    let retain = |object: Map<String, Value>| -> Option<Value> {
        let kept: Map<String, Value> = object
            .into_iter()
            .filter(|(key, _)| wanted(&key.to_ascii_lowercase()))
            .collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    };
    match value {
        Value::Object(object) => retain(object),
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Object(object) => retain(object),
                    _ => None,
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        // A simple attribute has no sub-attributes to keep.
        _ => None,
    }
}
