//! Requests Microsoft Entra ID sends, as its documentation shows them: "Tutorial: Develop and
//! plan provisioning for a SCIM endpoint" and "Known issues and resolutions with SCIM 2.0
//! protocol compliance" (Microsoft Learn).

mod common;

use common::{json, stored_user};
use tenantry_scim::{
    FilterAttribute, ScimError, ScimRole, ScimType, apply_patch, parse_filter, parse_user,
};

#[test]
fn an_entra_create_user_request_is_parsed() {
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea13b-3e4b-4b63-b8b3-a5a9b3a8a9a6@testuser.com"}],"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}"#,
    );
    let user = parse_user(&body).unwrap();
    assert_eq!(
        user.user_name,
        "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com"
    );
    assert_eq!(
        user.external_id.as_deref(),
        Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    );
    assert_eq!(
        user.email.as_deref(),
        Some("Test_User_fd0ea13b-3e4b-4b63-b8b3-a5a9b3a8a9a6@testuser.com")
    );
    assert_eq!(user.given_name.as_deref(), Some("givenName"));
    assert_eq!(user.family_name.as_deref(), Some("familyName"));
    assert!(user.active);
    assert_eq!(user.role, ScimRole::User);
    assert_eq!(user.display_name, None);
    assert_eq!(user.password, None);
}

/// The sample-code section of the tutorial spells the extension `...:2.0User`. We refuse
/// schemas we do not know, and the detail names it so an admin can see why.
const JYOUNG: &str = r#"{
   "schemas":
   [
     "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
   "externalId":"jyoung",
   "userName":"jyoung@testuser.com",
   "active":true,
   "addresses":null,
   "displayName":"Joy Young",
   "emails": [
     {
       "type":"work",
       "value":"jyoung@Contoso.com",
       "primary":true}],
   "meta": {
     "resourceType":"User"},
    "name":{
     "familyName":"Young",
     "givenName":"Joy"},
   "phoneNumbers":null,
   "preferredLanguage":null,
   "title":null,
   "department":null,
   "manager":null}"#;

#[test]
fn a_misspelt_enterprise_schema_is_refused_by_name() {
    let error = parse_user(&json(JYOUNG)).unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax));
    assert!(
        error
            .detail
            .contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0User"),
        "{}",
        error.detail
    );
}

#[test]
fn nulls_in_an_entra_create_read_as_unassigned() {
    let corrected = JYOUNG.replace(":2.0User\"", ":2.0:User\"");
    let user = parse_user(&json(&corrected)).unwrap();
    assert_eq!(user.user_name, "jyoung@testuser.com");
    assert_eq!(user.display_name.as_deref(), Some("Joy Young"));
    assert_eq!(user.email.as_deref(), Some("jyoung@Contoso.com"));
    assert_eq!(user.external_id.as_deref(), Some("jyoung"));
}

#[test]
fn a_capitalised_replace_of_active_with_the_string_false_deactivates() {
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert!(!user.active);
    assert_eq!(user.user_name, stored_user().user_name);
}

#[test]
fn the_documented_disable_user_request_deactivates() {
    let body = json(
        r#"{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}"#,
    );
    assert!(!apply_patch(&body, &stored_user()).unwrap().active);
}

#[test]
fn a_multi_valued_update_changes_the_work_email_and_family_name() {
    let body = json(
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert_eq!(user.email.as_deref(), Some("updatedEmail@microsoft.com"));
    assert_eq!(user.family_name.as_deref(), Some("updatedFamilyName"));
    assert_eq!(user.given_name.as_deref(), Some("givenName"));
}

#[test]
fn a_single_valued_update_renames_the_user() {
    let body = json(
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert_eq!(
        user.user_name,
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
}

#[test]
fn an_add_of_external_id_sets_it() {
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"externalId","value":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"}]}"#,
    );
    let mut current = stored_user();
    current.external_id = None;
    let user = apply_patch(&body, &current).unwrap();
    assert_eq!(
        user.external_id.as_deref(),
        Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    );
}

#[test]
fn a_replace_of_many_attributes_ignores_the_enterprise_one() {
    let body = json(
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert_eq!(user.display_name.as_deref(), Some("Pvlo"));
    assert_eq!(user.email.as_deref(), Some("TestBcwqnm@test.microsoft.com"));
    assert_eq!(user.given_name.as_deref(), Some("Gtfd"));
    assert_eq!(user.family_name.as_deref(), Some("Pkqf"));
    assert_eq!(user.external_id.as_deref(), Some("Eqpj"));
}

#[test]
fn a_pathless_replace_with_path_keys_applies_each_key() {
    let body = json(
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
}"#,
    );
    let user = apply_patch(&body, &stored_user()).unwrap();
    assert_eq!(user.email.as_deref(), Some("TestMhvaes@test.microsoft.com"));
    assert_eq!(user.display_name.as_deref(), Some("Bjfe"));
    assert_eq!(user.given_name.as_deref(), Some("Kkom"));
    assert_eq!(user.family_name.as_deref(), Some("Unua"));
}

#[test]
fn an_add_of_an_unsupported_core_attribute_changes_nothing() {
    for op in ["Add", "add"] {
        let body = json(&format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"{op}","path":"nickName","value":"Babs"}}]}}"#
        ));
        assert_eq!(apply_patch(&body, &stored_user()), Ok(stored_user()));
    }
}

#[test]
fn an_app_role_written_the_entra_way_sets_the_role() {
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Agent"}]}"#,
    );
    assert_eq!(
        apply_patch(&body, &stored_user()).unwrap().role,
        ScimRole::Agent
    );
}

#[test]
fn entra_user_lookups_parse() {
    let filter =
        parse_filter(r#"userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081""#).unwrap();
    assert_eq!(filter.conditions[0].attribute, FilterAttribute::UserName);
    assert_eq!(
        filter.conditions[0].value,
        "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"
    );
    let filter = parse_filter(r#"emails[type eq "work"].value eq "user@contoso.com""#).unwrap();
    assert_eq!(filter.conditions[0].attribute, FilterAttribute::Email);
    assert_eq!(filter.conditions[0].value, "user@contoso.com");
    let filter = parse_filter(r#"externalId eq "58342554-38d6-4ec8-948c-50044d0a33fd""#).unwrap();
    assert_eq!(filter.conditions[0].attribute, FilterAttribute::ExternalId);
}

/// The tutorial's sample-code narrative shows `externalId eq jyoung`; RFC 7644 §3.4.2.2 wants
/// a JSON string, and the provisioning service quotes its values.
#[test]
fn an_unquoted_filter_value_is_refused() {
    let error = parse_filter("externalId eq jyoung").unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
    assert!(
        error.detail.contains("not a quoted string"),
        "{}",
        error.detail
    );
}

#[test]
fn a_not_found_error_has_the_shape_entra_expects() {
    let body = ScimError::not_found(
        "Resource 23B51B0E5D7AE9110A49411D@7cca31655d49f3640a494224 not found",
    )
    .body();
    assert_eq!(
        body,
        json(
            r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:Error"
    ],
    "status": "404",
    "detail": "Resource 23B51B0E5D7AE9110A49411D@7cca31655d49f3640a494224 not found"
}"#
        )
    );
}
