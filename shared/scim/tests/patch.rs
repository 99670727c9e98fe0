//! PATCH: the envelope, each operation, and what is refused.

mod common;

use common::stored_user;
use serde_json::{Value, json};
use tenantry_scim::{MAX_OPERATIONS, ScimError, ScimRole, ScimType, ScimUser, apply_patch};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn patch(operations: Value) -> Result<ScimUser, ScimError> {
    apply_patch(
        &json!({"schemas": [PATCH_OP], "Operations": operations}),
        &stored_user(),
    )
}

fn one(op: &str, path: &str, value: Value) -> Result<ScimUser, ScimError> {
    patch(json!([{"op": op, "path": path, "value": value}]))
}

fn scim_type(result: Result<ScimUser, ScimError>) -> Option<ScimType> {
    result.err().and_then(|error| error.scim_type)
}

#[test]
fn the_envelope_needs_the_patch_op_schema_and_some_operations() {
    let user = stored_user();
    for bad in [
        json!({"Operations": [{"op": "remove", "path": "displayName"}]}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [{"op": "remove", "path": "displayName"}]}),
        json!({"schemas": [PATCH_OP]}),
        json!({"schemas": [PATCH_OP], "Operations": []}),
        json!({"schemas": [PATCH_OP], "Operations": {"op": "remove"}}),
        json!([{"op": "remove", "path": "displayName"}]),
    ] {
        let error = apply_patch(&bad, &user).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax), "{bad}");
    }
}

#[test]
fn the_operations_key_and_op_names_ignore_case() {
    let body = json!({
        "schemas": [PATCH_OP],
        "operations": [
            {"OP": "REPLACE", "PATH": "displayName", "VALUE": "One"},
            {"op": "Add", "path": "name.givenName", "value": "Two"},
            {"op": "ReMoVe", "path": "externalId"},
        ],
    });
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert_eq!(user.display_name.as_deref(), Some("One"));
    assert_eq!(user.given_name.as_deref(), Some("Two"));
    assert_eq!(user.external_id, None);
}

#[test]
fn operations_apply_in_order() {
    let user = patch(json!([
        {"op": "replace", "path": "displayName", "value": "first"},
        {"op": "replace", "path": "displayName", "value": "second"},
    ]))
    .unwrap();
    assert_eq!(user.display_name.as_deref(), Some("second"));
}

#[test]
fn too_many_operations_are_refused_as_an_invalid_value() {
    let ops = vec![json!({"op": "replace", "path": "active", "value": true}); MAX_OPERATIONS + 1];
    assert_eq!(
        scim_type(patch(Value::Array(ops))),
        Some(ScimType::InvalidValue)
    );
    let ops = vec![json!({"op": "replace", "path": "active", "value": true}); MAX_OPERATIONS];
    assert!(patch(Value::Array(ops)).is_ok());
}

#[test]
fn remove_without_a_path_has_no_target() {
    let result = patch(json!([{"op": "remove"}]));
    assert_eq!(scim_type(result), Some(ScimType::NoTarget));
}

#[test]
fn removing_what_a_user_must_have_is_refused() {
    for path in ["userName", "active", "password", "USERNAME"] {
        let error = patch(json!([{"op": "remove", "path": path}])).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{path}");
        assert!(
            error.detail.to_lowercase().contains(&path.to_lowercase()),
            "{}",
            error.detail
        );
    }
}

#[test]
fn removing_optional_attributes_clears_them() {
    let user = patch(json!([
        {"op": "remove", "path": "externalId"},
        {"op": "remove", "path": "displayName"},
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "emails[type eq \"work\"].value"},
    ]))
    .unwrap();
    assert_eq!(user.external_id, None);
    assert_eq!(user.display_name, None);
    assert_eq!(user.given_name, None);
    assert_eq!(user.family_name.as_deref(), Some("familyName"));
    assert_eq!(user.email, None);
    let user = patch(json!([{"op": "remove", "path": "name"}, {"op": "remove", "path": "emails"}]))
        .unwrap();
    assert_eq!(
        (user.given_name, user.family_name, user.email),
        (None, None, None)
    );
}

#[test]
fn removing_roles_falls_back_to_the_user_role() {
    let mut agent = stored_user();
    agent.role = ScimRole::Agent;
    let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "roles"}]});
    assert_eq!(apply_patch(&body, &agent).unwrap().role, ScimRole::User);
}

#[test]
fn emails_and_roles_lists_replace_the_kept_value() {
    let user = one(
        "replace",
        "emails",
        json!([{"value": "home@x.y", "type": "home"}, {"value": "new@x.y", "primary": true}]),
    )
    .unwrap();
    assert_eq!(user.email.as_deref(), Some("new@x.y"));
    let user = one("add", "roles", json!([{"value": "agent", "primary": true}])).unwrap();
    assert_eq!(user.role, ScimRole::Agent);
    let user = one("replace", "emails", json!([])).unwrap();
    assert_eq!(user.email, None);
}

#[test]
fn every_way_of_naming_the_email_sets_it() {
    for (path, value) in [
        ("emails[type eq \"work\"].value", json!("a@x.y")),
        ("emails[primary eq true].value", json!("a@x.y")),
        ("emails.value", json!("a@x.y")),
        ("emails[type eq \"work\"]", json!({"value": "a@x.y"})),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value",
            json!("a@x.y"),
        ),
    ] {
        assert_eq!(
            one("replace", path, value).unwrap().email.as_deref(),
            Some("a@x.y"),
            "{path}"
        );
    }
}

#[test]
fn a_filtered_email_path_sets_the_address_of_a_user_without_one() {
    let mut current = stored_user();
    current.email = None;
    let body = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "first@x.y"}
    ]});
    assert_eq!(
        apply_patch(&body, &current).unwrap().email.as_deref(),
        Some("first@x.y")
    );
}

#[test]
fn an_email_of_another_type_is_ignored() {
    let user = one("add", "emails[type eq \"other\"].Value", json!("proxy@x.y")).unwrap();
    assert_eq!(user, stored_user());
}

#[test]
fn role_values_are_checked() {
    for path in [
        "roles[primary eq \"True\"].value",
        "roles[primary eq true].value",
    ] {
        assert_eq!(
            one("Replace", path, json!("agent")).unwrap().role,
            ScimRole::Agent
        );
        let error = one("Replace", path, json!("owner")).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
        assert!(
            error.detail.contains("\"user\" or \"agent\""),
            "{}",
            error.detail
        );
    }
}

#[test]
fn active_accepts_booleans_and_their_strings() {
    assert!(!one("replace", "active", json!("false")).unwrap().active);
    assert!(!one("replace", "active", json!("FALSE")).unwrap().active);
    assert!(one("replace", "active", json!("True")).unwrap().active);
    assert_eq!(
        scim_type(one("replace", "active", json!("nope"))),
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn an_unknown_path_is_an_invalid_path_naming_it() {
    for path in [
        "shoeSize",
        "name.nickname",
        "emails[value eq \"x\"]",
        "userName.x",
        "[",
        "",
    ] {
        let error = one("replace", path, json!("x")).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidPath), "{path}");
        assert!(
            error.detail.contains(&format!("{path:?}")),
            "{}",
            error.detail
        );
    }
}

#[test]
fn a_path_in_an_undeclared_extension_is_an_invalid_path() {
    let path = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag";
    assert_eq!(
        scim_type(one("add", path, json!("701984"))),
        Some(ScimType::InvalidPath)
    );
}

#[test]
fn bad_value_types_are_invalid_values() {
    for (path, value) in [
        ("userName", json!(5)),
        ("displayName", json!({"a": 1})),
        ("name", json!("Ann")),
        ("name.givenName", json!(true)),
        ("emails", json!("a@x.y")),
        ("emails[type eq \"work\"].value", json!(["a@x.y"])),
        ("roles", json!("agent")),
        ("password", json!(12)),
        ("userName", json!("")),
    ] {
        assert_eq!(
            scim_type(one("replace", path, value.clone())),
            Some(ScimType::InvalidValue),
            "{path} {value}"
        );
    }
}

#[test]
fn a_pathless_operation_needs_an_object_value() {
    for value in [json!("x"), json!([]), Value::Null] {
        let result = patch(json!([{"op": "replace", "value": value}]));
        assert_eq!(scim_type(result), Some(ScimType::InvalidValue));
    }
    let result = patch(json!([{"op": "add", "value": {"shoeSize": 42}}]));
    assert_eq!(scim_type(result), Some(ScimType::InvalidPath));
}

#[test]
fn a_pathless_value_may_carry_the_whole_enterprise_extension() {
    let result = patch(json!([{"op": "add", "value": {
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
        "title": "Tour Guide",
        "displayName": "D",
    }}]));
    assert_eq!(result.unwrap().display_name.as_deref(), Some("D"));
}

#[test]
fn a_password_replace_sets_the_write_only_password() {
    let user = one("replace", "password", json!("correct horse battery")).unwrap();
    assert_eq!(user.password.as_deref(), Some("correct horse battery"));
}
