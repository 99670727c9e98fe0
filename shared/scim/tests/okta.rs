//! Requests Okta sends, as its "SCIM 2.0 Protocol Reference" shows them.

mod common;

use common::{json, stored_user};
use tenantry_scim::{
    FilterAttribute, MAX_COUNT, ScimRole, apply_patch, list_response, parse_list_query, parse_user,
};

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn an_okta_create_user_request_is_parsed_with_its_password() {
    let body = json(
        r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Test",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work"
    }],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": true
}"#,
    );
    let user = parse_user(&body).unwrap();
    assert_eq!(user.user_name, "test.user@okta.local");
    assert_eq!(user.given_name.as_deref(), Some("Test"));
    assert_eq!(user.family_name.as_deref(), Some("User"));
    assert_eq!(user.email.as_deref(), Some("test.user@okta.local"));
    assert_eq!(user.display_name.as_deref(), Some("Test User"));
    assert_eq!(user.external_id.as_deref(), Some("00ujl29u0le5T6Aj10h7"));
    assert_eq!(user.password.as_deref(), Some("1mz050nq"));
    assert_eq!(user.role, ScimRole::User);
    assert!(user.active);
}

#[test]
fn an_okta_put_with_read_only_and_unknown_sub_attributes_is_parsed() {
    let body = json(
        r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Another",
        "middleName": "Excited",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work",
        "display": "test.user@okta.local"
    }],
    "active": true,
    "groups": [],
    "meta": {
        "resourceType": "User"
    }
}"#,
    );
    let user = parse_user(&body).unwrap();
    assert_eq!(user.given_name.as_deref(), Some("Another"));
    assert_eq!(user.email.as_deref(), Some("test.user@okta.local"));
    assert_eq!(user.external_id, None);
}

#[test]
fn an_okta_deactivation_without_a_path_deactivates() {
    let body = json(
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "active": false
        }
    }]
}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert!(!user.active);
    assert_eq!(
        user,
        tenantry_scim::ScimUser {
            active: false,
            ..stored_user()
        }
    );
}

#[test]
fn an_okta_reactivation_reactivates() {
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}"#,
    );
    let mut current = stored_user();
    current.active = false;
    assert!(apply_patch(&body, &current).unwrap().active);
}

#[test]
fn an_okta_password_sync_sets_the_password() {
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"t1meMa$heen"}}]}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert_eq!(user.password.as_deref(), Some("t1meMa$heen"));
}

#[test]
fn an_okta_existence_check_is_a_user_name_filter_on_a_full_page() {
    let query = parse_list_query(&params(&[
        ("filter", r#"userName eq "test.user@okta.local""#),
        ("startIndex", "1"),
        ("count", "100"),
    ]))
    .unwrap();
    let filter = query.filter.unwrap();
    assert_eq!(filter.conditions.len(), 1);
    assert_eq!(filter.conditions[0].attribute, FilterAttribute::UserName);
    assert_eq!(filter.conditions[0].value, "test.user@okta.local");
    assert_eq!((query.start_index, query.count), (1, MAX_COUNT));
}

#[test]
fn an_okta_connection_test_asks_for_two_users() {
    let query = parse_list_query(&params(&[("startIndex", "1"), ("count", "2")])).unwrap();
    assert_eq!(query.filter, None);
    assert_eq!((query.start_index, query.count), (1, 2));
}

#[test]
fn an_empty_result_is_the_list_response_okta_expects() {
    assert_eq!(
        list_response(0, 1, Vec::new()),
        json(
            r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    "totalResults": 0,
    "startIndex": 1,
    "itemsPerPage": 0,
    "Resources": []
}"#
        )
    );
}
