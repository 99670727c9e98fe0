//! Fixtures shared by the integration tests.

#![allow(dead_code)]

use serde_json::Value;
use tenantry_scim::{ScimRole, ScimUser};

/// A stored user, as the accounts layer would hand it over.
pub fn stored_user() -> ScimUser {
    ScimUser {
        user_name: "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee".into(),
        external_id: Some("6c75de36-30fa-4d2d-a196-6bdcdb6b6539".into()),
        given_name: Some("givenName".into()),
        family_name: Some("familyName".into()),
        display_name: Some("Display Name".into()),
        email: Some("Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com".into()),
        active: true,
        role: ScimRole::User,
        password: None,
    }
}

pub fn json(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => panic!("test fixture is not JSON: {error}"),
    }
}
