//! PATCH /Users/{id} (RFC 7644 §3.5.2): operations applied in order to a copy of the user.

use serde_json::{Map, Value};

use crate::PATCH_OP;
use crate::error::{ScimError, ScimType, echo, invalid_syntax, invalid_value};
use crate::json::{get, get_present};
use crate::path::{Target, parse_path};
use crate::user::{
    ScimRole, ScimUser, active, email_entry, email_from_list, name_parts, role_entry,
    role_from_list, role_value, string_value, user_name,
};

/// More operations than a directory sends for one user; past this the request is refused
/// with 400 `invalidValue`. (`tooMany` is for filters, and 413 is what RFC 7644 §3.7.4 gives
/// bulk requests, which this is not.)
pub const MAX_OPERATIONS: usize = 100;

/// Applies a PATCH body to `current` and returns the state it asks for; the caller compares
/// it with the stored one and writes the difference. One failing operation fails the request,
/// and then nothing is applied.
///
/// - `op` is `add`, `replace` or `remove` in any letter case (Entra sends `Replace`).
/// - With a `path`: see [`crate::schema_user`] for the attributes; value filters
///   `emails[type eq "work"]`, `emails[primary eq true]` and `roles[primary eq true]` (or
///   `"True"`, as Entra writes it) select the one address or role tenantry keeps.
/// - Without a `path` (`add`/`replace`): `value` is an object whose keys are attribute names
///   or paths (Okta's `{"active": false}`, Entra's `{"name.givenName": "Kim"}`). Its `id`,
///   `meta`, `groups` and `schemas` keys are ignored, as in a PUT body; two keys naming one
///   attribute (`active` and `ACTIVE`) are 400 `invalidSyntax`.
/// - `add` and `replace` mean the same here: every attribute kept is single-valued, and a new
///   `emails` or `roles` list replaces the old one.
/// - A `null` value clears, like `remove` (RFC 7643 §2.5).
/// - Core attributes tenantry does not keep, and the enterprise extension, are accepted and
///   ignored, as in [`crate::parse_user`].
/// - `remove` without a `path` is 400 `noTarget`; removing `userName`, `active` or `password`
///   is 400 `invalidValue` (there is no "no value" for them); writing `id`, `meta`, `groups`
///   or `schemas` by path is 400 `mutability`; an unknown path is 400 `invalidPath`.
/// - A filtered email path matches the one address even when the user has none yet, so that
///   `replace` of `emails[type eq "work"].value` sets it instead of failing with `noTarget`.
pub fn apply_patch(body: &Value, current: &ScimUser) -> Result<ScimUser, ScimError> {
    let body = body
        .as_object()
        .ok_or_else(|| invalid_syntax("the body must be a JSON object"))?;
    let lists_patch_op = get_present(body, "schemas")?
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP)))
        });
    if !lists_patch_op {
        return Err(invalid_syntax(format!("schemas must be [\"{PATCH_OP}\"]")));
    }
    let operations = get_present(body, "Operations")?
        .and_then(Value::as_array)
        .filter(|operations| !operations.is_empty())
        .ok_or_else(|| invalid_syntax("Operations must be a non-empty array"))?;
    if operations.len() > MAX_OPERATIONS {
        return Err(invalid_value(format!(
            "Operations has {} operations; at most {MAX_OPERATIONS} are accepted",
            operations.len()
        )));
    }
    let mut user = current.clone();
    for (index, operation) in operations.iter().enumerate() {
        apply_operation(&mut user, operation).map_err(|mut error| {
            error.detail = format!("Operations[{index}]: {}", error.detail);
            error
        })?;
    }
    Ok(user)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    AddOrReplace,
    Remove,
}

fn apply_operation(user: &mut ScimUser, operation: &Value) -> Result<(), ScimError> {
    let operation = operation
        .as_object()
        .ok_or_else(|| invalid_syntax("each operation must be an object"))?;
    let op = match get_present(operation, "op")?.and_then(Value::as_str) {
        Some(op) if op.eq_ignore_ascii_case("add") || op.eq_ignore_ascii_case("replace") => {
            Op::AddOrReplace
        }
        Some(op) if op.eq_ignore_ascii_case("remove") => Op::Remove,
        Some(op) => {
            return Err(invalid_syntax(format!(
                "op {} is not one of add, replace, remove",
                echo(op)
            )));
        }
        None => return Err(invalid_syntax("op is required: add, replace or remove")),
    };
    let path = match get_present(operation, "path")? {
        Some(Value::String(path)) => Some(path.as_str()),
        Some(_) => return Err(invalid_path("path must be a string")),
        None => None,
    };
    let value = get(operation, "value")?;
    match (op, path) {
        (Op::Remove, None) => Err(ScimError::bad_request(
            ScimType::NoTarget,
            "remove needs a path",
        )),
        (Op::Remove, Some(path)) => remove(user, target(path)?),
        (Op::AddOrReplace, Some(path)) => {
            let value = value.ok_or_else(|| invalid_value("value is required"))?;
            set(user, target(path)?, value)
        }
        (Op::AddOrReplace, None) => match value {
            Some(Value::Object(attributes)) => set_each(user, attributes),
            _ => Err(invalid_value(
                "without a path, value must be an object of attributes",
            )),
        },
    }
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidPath, detail)
}

fn target(path: &str) -> Result<Target, ScimError> {
    parse_path(path).map_err(|why| invalid_path(format!("path {}: {why}", echo(path))))
}

/// A path-less add/replace: each key is an attribute name or a path.
fn set_each(user: &mut ScimUser, attributes: &Map<String, Value>) -> Result<(), ScimError> {
    let mut seen: Vec<(Target, &str)> = Vec::new();
    for (key, value) in attributes {
        match target(key)? {
            // Clients echo whole resources back; a PUT ignores these, so this does too.
            Target::ReadOnly(_) | Target::Unsupported => {}
            target => {
                // Two keys for one attribute ("active", "ACTIVE") would leave the outcome to
                // the JSON map's key order.
                if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == target) {
                    return Err(invalid_syntax(format!(
                        "{} and {} name the same attribute",
                        echo(first),
                        echo(key)
                    )));
                }
                seen.push((target, key));
                set(user, target, value)?;
            }
        }
    }
    Ok(())
}

fn set(user: &mut ScimUser, target: Target, value: &Value) -> Result<(), ScimError> {
    if value.is_null() {
        return remove(user, target);
    }
    match target {
        Target::UserName => user.user_name = user_name(Some(value))?,
        Target::ExternalId => user.external_id = Some(string_value(value, "externalId")?),
        Target::DisplayName => user.display_name = Some(string_value(value, "displayName")?),
        Target::Active => user.active = active(value)?,
        Target::Password => user.password = Some(string_value(value, "password")?),
        Target::Name => {
            // RFC 7644 §3.5.2.3: sub-attributes not in the value are left unchanged.
            let parts = name_parts(value)?;
            if let Some(given) = parts.given {
                user.given_name = given;
            }
            if let Some(family) = parts.family {
                user.family_name = family;
            }
        }
        Target::GivenName => user.given_name = Some(string_value(value, "name.givenName")?),
        Target::FamilyName => user.family_name = Some(string_value(value, "name.familyName")?),
        Target::Emails => user.email = emails(value)?,
        Target::EmailValue => user.email = Some(string_value(value, "emails.value")?),
        Target::EmailEntry => {
            if let Some(candidate) = email_entry(value)? {
                user.email = Some(candidate.value);
            }
        }
        Target::Roles => user.role = roles(value)?,
        Target::RoleValue => user.role = role_value(value)?,
        Target::RoleEntry => {
            if let Some((role, _)) = role_entry(value)? {
                user.role = role;
            }
        }
        Target::Unsupported => {}
        Target::ReadOnly(name) => return Err(read_only(name)),
    }
    Ok(())
}

/// A list of records, or (as some clients send) a single record.
fn emails(value: &Value) -> Result<Option<String>, ScimError> {
    match value {
        Value::Object(_) => Ok(email_entry(value)?.map(|candidate| candidate.value)),
        _ => email_from_list(value),
    }
}

fn roles(value: &Value) -> Result<ScimRole, ScimError> {
    match value {
        Value::Object(_) => Ok(role_entry(value)?.map(|(role, _)| role).unwrap_or_default()),
        _ => role_from_list(value),
    }
}

fn remove(user: &mut ScimUser, target: Target) -> Result<(), ScimError> {
    match target {
        Target::UserName => {
            return Err(invalid_value("userName is required; it cannot be removed"));
        }
        Target::Active => {
            // Guessing either way would be wrong: true could re-admit a leaver.
            return Err(invalid_value(
                "active cannot be removed; replace it with true or false",
            ));
        }
        Target::Password => {
            return Err(invalid_value(
                "password cannot be removed; replace it with a new one",
            ));
        }
        Target::ExternalId => user.external_id = None,
        Target::DisplayName => user.display_name = None,
        Target::Name => {
            user.given_name = None;
            user.family_name = None;
        }
        Target::GivenName => user.given_name = None,
        Target::FamilyName => user.family_name = None,
        Target::Emails | Target::EmailValue | Target::EmailEntry => user.email = None,
        Target::Roles | Target::RoleValue | Target::RoleEntry => user.role = ScimRole::User,
        Target::Unsupported => {}
        Target::ReadOnly(name) => return Err(read_only(name)),
    }
    Ok(())
}

fn read_only(name: &str) -> ScimError {
    ScimError::bad_request(
        ScimType::Mutability,
        format!("{name} is read-only; the service provider sets it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn someone() -> ScimUser {
        ScimUser {
            user_name: "ann".into(),
            external_id: Some("ext-1".into()),
            given_name: Some("Ann".into()),
            family_name: Some("Lee".into()),
            display_name: Some("Ann Lee".into()),
            email: Some("ann@example.com".into()),
            active: true,
            role: ScimRole::User,
            password: None,
        }
    }

    fn patch(operations: Value) -> Result<ScimUser, ScimError> {
        apply_patch(
            &json!({"schemas": [PATCH_OP], "Operations": operations}),
            &someone(),
        )
    }

    #[test]
    fn a_failing_operation_leaves_nothing_half_applied() {
        let error = patch(json!([
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "replace", "path": "shoeSize", "value": 42}
        ]))
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidPath));
        assert!(
            error.detail.starts_with("Operations[1]: "),
            "{}",
            error.detail
        );
        assert!(error.detail.contains("shoeSize"), "{}", error.detail);
    }

    #[test]
    fn replacing_name_leaves_unmentioned_sub_attributes_alone() {
        let user = patch(json!([{"op": "replace", "path": "name", "value": {"givenName": "Jo"}}]))
            .unwrap();
        assert_eq!(user.given_name.as_deref(), Some("Jo"));
        assert_eq!(user.family_name.as_deref(), Some("Lee"));
    }

    #[test]
    fn a_null_value_clears_like_remove() {
        let user = patch(json!([{"op": "replace", "path": "displayName", "value": null}])).unwrap();
        assert_eq!(user.display_name, None);
        let error =
            patch(json!([{"op": "replace", "path": "userName", "value": null}])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn a_missing_value_on_a_pathed_replace_is_refused() {
        let error = patch(json!([{"op": "replace", "path": "displayName"}])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn writing_a_read_only_attribute_by_path_is_a_mutability_error() {
        let error = patch(json!([{"op": "replace", "path": "id", "value": "x"}])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::Mutability));
        let error = patch(json!([{"op": "remove", "path": "meta"}])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::Mutability));
    }

    #[test]
    fn read_only_keys_in_a_pathless_value_are_ignored() {
        let user = patch(json!([{"op": "replace", "value": {"id": "other", "displayName": "D"}}]))
            .unwrap();
        assert_eq!(user.display_name.as_deref(), Some("D"));
        assert_eq!(user.user_name, "ann");
    }

    #[test]
    fn two_keys_for_one_attribute_in_a_pathless_value_are_refused() {
        let error = patch(json!([{"op": "replace", "value": {"active": false, "ACTIVE": true}}]))
            .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
        let error = patch(json!([{"op": "replace", "value": {
            "emails.value": "a@x.y",
            "emails[type eq \"work\"].value": "b@x.y",
        }}]))
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
    }

    #[test]
    fn an_unknown_op_is_invalid_syntax() {
        let error =
            patch(json!([{"op": "move", "path": "displayName", "value": "x"}])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
        assert!(error.detail.contains("move"));
    }
}
