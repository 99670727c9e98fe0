//! Rendering, ETags and partial representations.

mod common;

use common::stored_user;
use serde_json::{Value, json};
use tenantry_scim::{
    ScimRole, ScimType, ScimUser, UserResource, parse_if_match, parse_user, project, render_user,
    weak_etag,
};

fn render(user: &ScimUser) -> Value {
    render_user(&UserResource {
        id: "2819c223-7f76-453a-919d-413861904646",
        user,
        created: "2010-01-23T04:56:22Z",
        last_modified: "2011-05-13T04:42:34Z",
        version: 7,
        location: "https://x.test/scim/v2/Users/2819c223-7f76-453a-919d-413861904646",
    })
}

#[test]
fn a_full_user_renders_every_kept_attribute() {
    let mut user = stored_user();
    user.role = ScimRole::Agent;
    assert_eq!(
        render(&user),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "6c75de36-30fa-4d2d-a196-6bdcdb6b6539",
            "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
            "name": {"givenName": "givenName", "familyName": "familyName"},
            "displayName": "Display Name",
            "emails": [{"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}],
            "active": true,
            "roles": [{"value": "agent"}],
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z",
                "location": "https://x.test/scim/v2/Users/2819c223-7f76-453a-919d-413861904646",
                "version": "W/\"7\"",
            },
        })
    );
}

#[test]
fn absent_optional_attributes_are_left_out() {
    let user = ScimUser {
        user_name: "ann".into(),
        external_id: None,
        given_name: None,
        family_name: Some("Lee".into()),
        display_name: None,
        email: None,
        active: false,
        role: ScimRole::User,
        password: None,
    };
    let rendered = render(&user);
    for absent in ["externalId", "displayName", "emails"] {
        assert!(rendered.get(absent).is_none(), "{absent}");
    }
    assert_eq!(rendered["name"], json!({"familyName": "Lee"}));
    assert_eq!(rendered["active"], false);
    let no_name = ScimUser {
        family_name: None,
        ..user
    };
    assert!(render(&no_name).get("name").is_none());
}

#[test]
fn the_password_is_never_rendered() {
    let mut user = stored_user();
    user.password = Some("s3cret-s3cret".into());
    let text = render(&user).to_string();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.to_lowercase().contains("password"), "{text}");
}

#[test]
fn a_rendered_user_parses_back_to_itself() {
    let user = stored_user();
    assert_eq!(parse_user(&render(&user)), Ok(user));
}

#[test]
fn versions_are_weak_etags_and_if_match_reads_them_back() {
    assert_eq!(weak_etag(42), "W/\"42\"");
    assert_eq!(parse_if_match(&weak_etag(42)), Ok(Some(42)));
    assert_eq!(parse_if_match("\"42\""), Ok(Some(42)));
    assert_eq!(parse_if_match("  W/\"0\" "), Ok(Some(0)));
    assert_eq!(parse_if_match("*"), Ok(None));
}

#[test]
fn an_entity_tag_that_is_not_ours_fails_the_precondition() {
    for header in [
        "\"abc\"",
        "W/\"3694e05e9dff591\"",
        "\"\"",
        "W/\"-1\"",
        "\"99999999999999999999999\"",
    ] {
        assert_eq!(parse_if_match(header).unwrap_err().status, 412, "{header}");
    }
}

#[test]
fn a_malformed_if_match_or_a_list_is_invalid_syntax() {
    for header in [
        "",
        "7",
        "W/7",
        "\"7",
        "W/\"1\", W/\"2\"",
        "w/\"7\"",
        "\"7\"\"",
    ] {
        let error = parse_if_match(header).unwrap_err();
        assert_eq!(error.status, 400, "{header}");
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax), "{header}");
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn attributes_keeps_only_what_was_named_plus_id_and_schemas() {
    let projected = project(render(&stored_user()), Some("userName, ACTIVE"), None).unwrap();
    let mut names = keys(&projected);
    names.sort_unstable();
    assert_eq!(names, ["active", "id", "schemas", "userName"]);
}

#[test]
fn attributes_may_name_sub_attributes_and_carry_the_urn() {
    let projected = project(
        render(&stored_user()),
        Some("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName,emails.value,meta.lastModified"),
        None,
    )
    .unwrap();
    assert_eq!(projected["name"], json!({"givenName": "givenName"}));
    assert_eq!(
        projected["emails"],
        json!([{"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}])
    );
    assert_eq!(
        projected["meta"],
        json!({"lastModified": "2011-05-13T04:42:34Z"})
    );
    assert!(projected.get("userName").is_none());
}

#[test]
fn unknown_attribute_names_are_ignored() {
    let projected = project(render(&stored_user()), Some("shoeSize,name.nickname"), None).unwrap();
    let mut names = keys(&projected);
    names.sort_unstable();
    assert_eq!(names, ["id", "schemas"]);
    let full = render(&stored_user());
    assert_eq!(project(full.clone(), None, Some("shoeSize")), Ok(full));
}

#[test]
fn excluded_attributes_removes_what_was_named_but_never_id_or_schemas() {
    let projected = project(
        render(&stored_user()),
        None,
        Some("emails,name.familyName,ID,schemas,meta.version,userName.x"),
    )
    .unwrap();
    assert!(projected.get("emails").is_none());
    assert_eq!(projected["name"], json!({"givenName": "givenName"}));
    assert!(projected["meta"].get("version").is_none());
    assert!(projected["meta"].get("created").is_some());
    assert!(projected.get("id").is_some());
    assert!(projected.get("schemas").is_some());
    assert!(projected.get("userName").is_some());
}

#[test]
fn excluding_every_sub_attribute_removes_the_attribute() {
    let projected = project(
        render(&stored_user()),
        None,
        Some("name.givenName,name.familyName"),
    )
    .unwrap();
    assert!(projected.get("name").is_none());
}

#[test]
fn no_or_empty_parameters_return_the_resource_unchanged() {
    let full = render(&stored_user());
    assert_eq!(project(full.clone(), None, None), Ok(full.clone()));
    assert_eq!(project(full.clone(), Some(" "), Some("")), Ok(full));
}

#[test]
fn attributes_and_excluded_attributes_together_are_refused() {
    let error = project(render(&stored_user()), Some("userName"), Some("emails")).unwrap_err();
    assert_eq!(error.status, 400);
    assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
}
