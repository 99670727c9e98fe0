//! POST/PUT bodies: what is read, what is ignored, what is refused.

mod common;

use common::json;
use serde_json::{Value, json};
use tenantry_scim::{ScimError, ScimRole, ScimType, parse_user};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn body(extra: Value) -> Value {
    let mut body = json!({"schemas": [CORE], "userName": "ann"});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

fn refused(body: &Value) -> ScimError {
    match parse_user(body) {
        Ok(user) => panic!("accepted: {user:?}"),
        Err(error) => error,
    }
}

#[test]
fn attribute_names_are_case_insensitive() {
    let user = parse_user(&json!({
        "SCHEMAS": [CORE],
        "USERNAME": "ann",
        "ExternalID": "e",
        "NAME": {"GIVENNAME": "Ann", "familyname": "Lee"},
        "DisplayName": "A",
        "EMAILS": [{"VALUE": "a@b.c", "TYPE": "WORK", "PRIMARY": true}],
        "Active": "FALSE",
        "Roles": [{"Value": "AGENT"}],
        "PassWord": "secret",
    }))
    .unwrap();
    assert_eq!(user.user_name, "ann");
    assert_eq!(user.external_id.as_deref(), Some("e"));
    assert_eq!(user.given_name.as_deref(), Some("Ann"));
    assert_eq!(user.family_name.as_deref(), Some("Lee"));
    assert_eq!(user.display_name.as_deref(), Some("A"));
    assert_eq!(user.email.as_deref(), Some("a@b.c"));
    assert!(!user.active);
    assert_eq!(user.role, ScimRole::Agent);
    assert_eq!(user.password.as_deref(), Some("secret"));
}

#[test]
fn a_minimal_body_gets_the_defaults() {
    let user = parse_user(&body(json!({}))).unwrap();
    assert!(user.active);
    assert_eq!(user.role, ScimRole::User);
    assert_eq!(
        (user.email, user.external_id, user.given_name),
        (None, None, None)
    );
}

#[test]
fn schemas_must_be_present_and_list_the_core_user_schema() {
    for bad in [
        json!({"userName": "ann"}),
        json!({"schemas": CORE, "userName": "ann"}),
        json!({"schemas": [], "userName": "ann"}),
        json!({"schemas": [5], "userName": "ann"}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "ann"}),
    ] {
        assert_eq!(
            refused(&bad).scim_type,
            Some(ScimType::InvalidSyntax),
            "{bad}"
        );
    }
}

#[test]
fn another_schema_is_refused_and_named() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let error = refused(&json!({"schemas": [CORE, custom], "userName": "ann"}));
    assert_eq!(error.status, 400);
    assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
    assert!(error.detail.contains(custom), "{}", error.detail);
}

#[test]
fn enterprise_extension_attributes_are_accepted_and_ignored() {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let user = parse_user(&json!({
        "schemas": [CORE, enterprise],
        "userName": "ann",
        enterprise: {"department": "Sales", "manager": {"value": "x"}},
    }))
    .unwrap();
    assert_eq!(user, parse_user(&body(json!({}))).unwrap());
}

#[test]
fn read_only_and_unsupported_core_attributes_are_ignored() {
    let with_extras = body(json!({
        "id": 5, "meta": "x", "groups": [{"value": "g"}],
        "nickName": "Babs", "title": "Tour Guide", "userType": "Employee",
        "phoneNumbers": [{"value": "555"}], "addresses": [{"country": "ML"}],
        "locale": "en-US", "timezone": "Europe/Paris", "preferredLanguage": "en",
        "profileUrl": "https://x", "x509Certificates": [{"value": "MII"}],
    }));
    assert_eq!(parse_user(&with_extras), parse_user(&body(json!({}))));
}

#[test]
fn user_name_is_required_non_empty_and_a_string() {
    for bad in [
        json!({"schemas": [CORE]}),
        json!({"schemas": [CORE], "userName": null}),
        json!({"schemas": [CORE], "userName": ""}),
        json!({"schemas": [CORE], "userName": "   "}),
        json!({"schemas": [CORE], "userName": 5}),
    ] {
        let error = refused(&bad);
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{bad}");
        assert!(error.detail.contains("userName"), "{}", error.detail);
    }
}

#[test]
fn strings_are_passed_through_untrimmed() {
    let user = parse_user(&body(json!({"userName": " Ann ", "displayName": " A "}))).unwrap();
    assert_eq!(user.user_name, " Ann ");
    assert_eq!(user.display_name.as_deref(), Some(" A "));
}

#[test]
fn wrong_json_types_are_invalid_values_naming_the_attribute() {
    for (extra, attribute) in [
        (json!({"emails": "x"}), "emails"),
        (json!({"emails": ["x"]}), "emails"),
        (json!({"emails": [{"value": 5}]}), "emails.value"),
        (
            json!({"emails": [{"value": "a@b.c", "primary": "maybe"}]}),
            "emails.primary",
        ),
        (json!({"name": "Ann Lee"}), "name"),
        (json!({"name": {"givenName": 1}}), "name.givenName"),
        (json!({"displayName": ["A"]}), "displayName"),
        (json!({"externalId": 7}), "externalId"),
        (json!({"active": "yes"}), "active"),
        (json!({"active": 1}), "active"),
        (json!({"roles": "agent"}), "roles"),
        (json!({"password": 1234}), "password"),
    ] {
        let error = refused(&body(extra.clone()));
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{extra}");
        assert!(
            error.detail.contains(attribute),
            "{extra}: {}",
            error.detail
        );
    }
}

#[test]
fn the_primary_email_wins_then_the_work_one_then_the_first() {
    let email = |emails: Value| parse_user(&body(json!({"emails": emails}))).unwrap().email;
    let primary = json!([
        {"value": "home@x.y", "type": "home"},
        {"value": "work@x.y", "type": "work"},
        {"value": "main@x.y", "type": "other", "primary": true},
    ]);
    assert_eq!(email(primary).as_deref(), Some("main@x.y"));
    let work =
        json!([{"value": "home@x.y", "type": "home"}, {"value": "work@x.y", "type": "Work"}]);
    assert_eq!(email(work).as_deref(), Some("work@x.y"));
    let first = json!([{"value": "one@x.y"}, {"value": "two@x.y"}]);
    assert_eq!(email(first).as_deref(), Some("one@x.y"));
    assert_eq!(email(json!([])), None);
    assert_eq!(email(json!([{"type": "work"}])), None);
}

#[test]
fn active_accepts_booleans_and_their_strings() {
    let active = |value: Value| parse_user(&body(json!({"active": value}))).unwrap().active;
    assert!(!active(json!(false)));
    assert!(!active(json!("False")));
    assert!(!active(json!("false")));
    assert!(active(json!("TRUE")));
    assert!(active(Value::Null));
}

#[test]
fn the_role_is_the_primary_one_else_the_first() {
    let role = |roles: Value| parse_user(&body(json!({"roles": roles}))).map(|u| u.role);
    let primary = json!([{"value": "user"}, {"value": "Agent", "primary": "True"}]);
    assert_eq!(role(primary), Ok(ScimRole::Agent));
    assert_eq!(
        role(json!([{"value": "agent"}, {"value": "user"}])),
        Ok(ScimRole::Agent)
    );
    assert_eq!(role(json!([])), Ok(ScimRole::User));
}

#[test]
fn an_unknown_role_is_refused_naming_the_allowed_ones() {
    let error = refused(&body(
        json!({"roles": [{"value": "manager", "primary": true}]}),
    ));
    assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    assert!(error.detail.contains("\"manager\""), "{}", error.detail);
    assert!(
        error.detail.contains("\"user\" or \"agent\""),
        "{}",
        error.detail
    );
}

#[test]
fn over_long_strings_are_refused() {
    let long = "x".repeat(257);
    for attribute in ["displayName", "externalId", "userName"] {
        let error = refused(&body(json!({attribute: long})));
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
        assert!(error.detail.contains(attribute), "{}", error.detail);
    }
    let error = refused(&body(json!({"name": {"familyName": long}})));
    assert!(error.detail.contains("name.familyName"));
    let just_fits = "é".repeat(256);
    assert!(parse_user(&body(json!({"displayName": just_fits}))).is_ok());
}

#[test]
fn a_body_that_is_not_an_object_is_invalid_syntax() {
    for bad in [json!([]), json!("user"), Value::Null] {
        assert_eq!(refused(&bad).scim_type, Some(ScimType::InvalidSyntax));
    }
}

#[test]
fn one_attribute_spelt_twice_is_refused() {
    let error = refused(&json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","USERNAME":"b"}"#,
    ));
    assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
}

#[test]
fn debug_output_never_shows_the_password() {
    let user = parse_user(&body(json!({"password": "hunter2hunter2"}))).unwrap();
    let debug = format!("{user:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[test]
fn an_admin_role_parses_so_that_the_policy_refuses_it() {
    let user = parse_user(&body(
        json!({"roles": [{"value": "Admin", "primary": true}]}),
    ))
    .expect("parsed");
    assert_eq!(user.role, tenantry_scim::ScimRole::Admin);
}
