//! Discovery (RFC 7644 §4, RFC 7643 §5-§7): what this service provider supports. Users only:
//! there is no Group resource type, and no schema extension is declared.

use serde_json::{Value, json};

use crate::list::{MAX_COUNT, list_response};
use crate::{RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA, USER_SCHEMA};

fn url(base_url: &str, path: &str) -> String {
    format!("{}/{path}", base_url.trim_end_matches('/'))
}

/// GET /ServiceProviderConfig. `base_url` is the SCIM root (`https://.../scim/v2`). No
/// `documentationUri` (optional in RFC 7643 §5): a deployment serves no documentation of its own.
pub fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": true},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A tenant's directory token, created by its owner or a super admin, sent as \
                            an OAuth 2.0 bearer token: Authorization: Bearer <token>.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": url(base_url, "ServiceProviderConfig"),
        },
    })
}

/// GET /ResourceTypes: User alone.
pub fn resource_types(base_url: &str) -> Value {
    list_response(1, 1, vec![resource_type_user(base_url)])
}

/// GET /ResourceTypes/User.
pub fn resource_type_user(base_url: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_SCHEMA,
        "meta": {
            "resourceType": "ResourceType",
            "location": url(base_url, "ResourceTypes/User"),
        },
    })
}

/// GET /Schemas: the core User schema alone.
pub fn schemas(base_url: &str) -> Value {
    list_response(1, 1, vec![schema_user(base_url)])
}

/// GET /Schemas/urn:ietf:params:scim:schemas:core:2.0:User, restricted to the attributes
/// tenantry keeps. The others of RFC 7643 §4.1 (`nickName`, `title`, `phoneNumbers`, ...) and
/// the enterprise extension are accepted on writes and dropped; they are never returned.
pub fn schema_user(base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "User Account. Only the attributes listed here are kept; the other \
                        attributes of the core User schema (nickName, profileUrl, title, \
                        userType, preferredLanguage, locale, timezone, phoneNumbers, ims, \
                        photos, addresses, entitlements, x509Certificates) and the enterprise \
                        User extension are accepted and ignored. Groups are not supported.",
        "attributes": [
            immutable(string("userName", Required::Yes, CaseExact::No, Uniqueness::Server,
                "Unique identifier for the User, used to sign in. REQUIRED, non-empty. Set \
                 once: it may change in letter case only.")),
            complex("name", false, Required::No, "The components of the user's name.", vec![
                string("givenName", Required::No, CaseExact::No, Uniqueness::None,
                    "The given (first) name of the User."),
                string("familyName", Required::No, CaseExact::No, Uniqueness::None,
                    "The family (last) name of the User."),
            ]),
            string("displayName", Required::No, CaseExact::No, Uniqueness::None,
                "The name of the User, suitable for display to end-users."),
            complex("emails", true, Required::Yes, "The User's email address: tenantry \
                needs one. One is kept: the primary one, else the work one, else the first; \
                it is returned as the only one, without type or primary.", vec![
                string("value", Required::Yes, CaseExact::No, Uniqueness::Server,
                    "The email address, unique in the tenant (case-insensitively)."),
            ]),
            boolean("active", Required::Yes, "Whether the User may sign in: false is \
                tenantry's soft delete (restorable until the purge). Defaults to true."),
            string("externalId", Required::No, CaseExact::Yes, Uniqueness::None,
                "The User's identifier in the provisioning client's directory."),
            complex("roles", true, Required::Yes, "The User's role in the tenant: every \
                user has one. One is kept: the primary one, else the first; none given means \
                user.", vec![
                with_canonical(
                    string("value", Required::No, CaseExact::No, Uniqueness::None,
                        "The role: user or agent."),
                    &["user", "agent"],
                ),
            ]),
            password(),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": url(base_url, &format!("Schemas/{USER_SCHEMA}")),
        },
    })
}

enum Required {
    Yes,
    No,
}

enum CaseExact {
    Yes,
    No,
}

enum Uniqueness {
    None,
    Server,
}

/// A readWrite, returned-by-default, single-valued string (RFC 7643 §7).
fn string(
    name: &str,
    required: Required,
    case_exact: CaseExact,
    uniqueness: Uniqueness,
    description: &str,
) -> Value {
    json!({
        "name": name,
        "type": "string",
        "multiValued": false,
        "description": description,
        "required": matches!(required, Required::Yes),
        "caseExact": matches!(case_exact, CaseExact::Yes),
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": match uniqueness {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
        },
    })
}

/// Set when the User is created, never changed after (RFC 7643 §7).
fn immutable(mut attribute: Value) -> Value {
    if let Some(object) = attribute.as_object_mut() {
        object.insert("mutability".into(), json!("immutable"));
    }
    attribute
}

fn with_canonical(mut attribute: Value, values: &[&str]) -> Value {
    if let Some(object) = attribute.as_object_mut() {
        object.insert("canonicalValues".into(), json!(values));
    }
    attribute
}

fn boolean(name: &str, required: Required, description: &str) -> Value {
    json!({
        "name": name,
        "type": "boolean",
        "multiValued": false,
        "description": description,
        "required": matches!(required, Required::Yes),
        "mutability": "readWrite",
        "returned": "default",
    })
}

fn complex(
    name: &str,
    multi_valued: bool,
    required: Required,
    description: &str,
    subs: Vec<Value>,
) -> Value {
    json!({
        "name": name,
        "type": "complex",
        "multiValued": multi_valued,
        "description": description,
        "required": matches!(required, Required::Yes),
        "subAttributes": subs,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn password() -> Value {
    json!({
        "name": "password",
        "type": "string",
        "multiValued": false,
        "description": "The User's password. Write-only: never returned.",
        "required": false,
        "caseExact": false,
        "mutability": "writeOnly",
        "returned": "never",
        "uniqueness": "none",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
        let attributes = schema["attributes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        attributes
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or(&Value::Null)
    }

    #[test]
    fn the_service_provider_config_declares_what_is_supported() {
        let config = service_provider_config("https://x.test/scim/v2/");
        assert!(config.get("documentationUri").is_none());
        assert_eq!(config["patch"]["supported"], true);
        assert_eq!(
            config["bulk"],
            json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
        );
        assert_eq!(
            config["filter"],
            json!({"supported": true, "maxResults": 100})
        );
        assert_eq!(config["sort"]["supported"], false);
        assert_eq!(config["etag"]["supported"], true);
        assert_eq!(config["changePassword"]["supported"], true);
        let scheme = &config["authenticationSchemes"][0];
        assert_eq!(scheme["type"], "oauthbearertoken");
        assert_eq!(scheme["primary"], true);
        assert_eq!(
            config["meta"]["location"],
            "https://x.test/scim/v2/ServiceProviderConfig"
        );
    }

    #[test]
    fn resource_types_list_users_only() {
        let types = resource_types("https://x.test/scim/v2");
        assert_eq!(types["totalResults"], 1);
        assert_eq!(types["Resources"][0]["endpoint"], "/Users");
        assert_eq!(types["Resources"][0]["schema"], USER_SCHEMA);
        assert!(types["Resources"][0].get("schemaExtensions").is_none());
    }

    #[test]
    fn the_user_schema_lists_exactly_the_kept_attributes() {
        let schema = schema_user("https://x.test/scim/v2");
        let names: Vec<&str> = schema["attributes"]
            .as_array()
            .map(|a| a.iter().filter_map(|a| a["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            names,
            [
                "userName",
                "name",
                "displayName",
                "emails",
                "active",
                "externalId",
                "roles",
                "password"
            ]
        );
        assert_eq!(
            schema["meta"]["location"],
            "https://x.test/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
        );
    }

    #[test]
    fn attribute_characteristics_follow_rfc_7643() {
        let schema = schema_user("https://x.test");
        let user_name = attribute(&schema, "userName");
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["caseExact"], false);
        assert_eq!(attribute(&schema, "externalId")["caseExact"], true);
        let password = attribute(&schema, "password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
        assert_eq!(attribute(&schema, "emails")["multiValued"], true);
        assert_eq!(attribute(&schema, "active")["type"], "boolean");
        let role_value = &attribute(&schema, "roles")["subAttributes"][0];
        assert_eq!(role_value["canonicalValues"], json!(["user", "agent"]));
        for attribute in schema["attributes"].as_array().into_iter().flatten() {
            for key in [
                "type",
                "multiValued",
                "required",
                "mutability",
                "returned",
                "description",
            ] {
                assert!(
                    attribute.get(key).is_some(),
                    "{} lacks {key}",
                    attribute["name"]
                );
            }
        }
    }

    #[test]
    fn the_schemas_endpoint_is_a_list_of_one() {
        let list = schemas("https://x.test");
        assert_eq!(list["itemsPerPage"], 1);
        assert_eq!(list["Resources"][0]["id"], USER_SCHEMA);
    }
}
