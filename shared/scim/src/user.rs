//! A tenantry user as SCIM sees it, and the POST/PUT bodies that describe one (RFC 7643 §4.1).

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{ScimError, echo, invalid_syntax, invalid_value};
use crate::json::{boolish, get_present};
use crate::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

/// The longest string this crate accepts for any attribute, in characters. The accounts layer
/// applies the real rules (usernames, emails, passwords); this bound only stops absurd input.
pub const MAX_STRING_CHARS: usize = 256;

/// The attributes of a User that tenantry keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct ScimUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    /// The one address tenantry keeps, rendered as the primary "work" email.
    pub email: Option<String>,
    pub active: bool,
    pub role: ScimRole,
    /// Write-only (RFC 7643 §4.1.1): set by a request, never rendered. `None` means the request
    /// did not set one.
    pub password: Option<String>,
}

// By hand, so that logging a user never logs its password.
impl fmt::Debug for ScimUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimUser")
            .field("user_name", &self.user_name)
            .field("external_id", &self.external_id)
            .field("given_name", &self.given_name)
            .field("family_name", &self.family_name)
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("active", &self.active)
            .field("role", &self.role)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A tenantry role as SCIM carries it in `roles[primary].value`. A directory gives `user`
/// (the default) or `agent`; admins are made inside tenantry, and shown as they are. Asking
/// for an admin role parses, so that the policy, not the parser, refuses it (403).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ScimRole {
    #[default]
    User,
    Agent,
    Admin,
    SuperAdmin,
}

impl ScimRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimRole::User => "user",
            ScimRole::Agent => "agent",
            ScimRole::Admin => "admin",
            ScimRole::SuperAdmin => "super_admin",
        }
    }

    /// Case-insensitive: Entra app roles are often capitalised ("Agent").
    pub fn parse(text: &str) -> Option<ScimRole> {
        [
            ScimRole::User,
            ScimRole::Agent,
            ScimRole::Admin,
            ScimRole::SuperAdmin,
        ]
        .into_iter()
        .find(|role| role.as_str().eq_ignore_ascii_case(text))
    }
}

/// Parses the body of a POST /Users or PUT /Users/{id}.
///
/// `schemas` must list the core User schema, and may also list the enterprise extension
/// (Entra lists it on every create); any other schema is refused with 400 `invalidSyntax`
/// naming it. The enterprise extension's attributes are accepted and ignored: tenantry keeps
/// none of them. So are core attributes tenantry does not keep (`nickName`, `title`,
/// `phoneNumbers`, `addresses`, ...; see [`crate::schema_user`]) and read-only ones (`id`,
/// `meta`, `groups`), which RFC 7644 §3.3 and §3.5.1 say a server ignores. Attribute names
/// are case-insensitive and `null` is the same as absent (RFC 7643 §2.1, §2.5).
///
/// For PUT, the result is the whole new state: an absent optional attribute means "none".
pub fn parse_user(body: &Value) -> Result<ScimUser, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid_syntax("the body must be a JSON object"))?;
    check_schemas(object)?;
    let name = match get_present(object, "name")? {
        Some(name) => name_parts(name)?,
        None => NameParts::default(),
    };
    Ok(ScimUser {
        user_name: user_name(get_present(object, "userName")?)?,
        external_id: optional_string(get_present(object, "externalId")?, "externalId")?,
        given_name: name.given.flatten(),
        family_name: name.family.flatten(),
        display_name: optional_string(get_present(object, "displayName")?, "displayName")?,
        email: match get_present(object, "emails")? {
            Some(emails) => email_from_list(emails)?,
            None => None,
        },
        active: match get_present(object, "active")? {
            Some(value) => active(value)?,
            None => true,
        },
        role: match get_present(object, "roles")? {
            Some(roles) => role_from_list(roles)?,
            None => ScimRole::User,
        },
        password: optional_string(get_present(object, "password")?, "password")?,
    })
}

/// Whether a POST/PUT body gives the user's `roles`. A PUT without them keeps the user's
/// role (directories that do not map roles send none), where [`parse_user`] would read the
/// default, `user`.
pub fn gives_roles(body: &Value) -> bool {
    body.as_object()
        .and_then(|object| get_present(object, "roles").ok().flatten())
        .is_some()
}

fn check_schemas(object: &Map<String, Value>) -> Result<(), ScimError> {
    let schemas = get_present(object, "schemas")?
        .ok_or_else(|| invalid_syntax(format!("schemas is required and must list {USER_SCHEMA}")))?
        .as_array()
        .ok_or_else(|| invalid_syntax("schemas must be an array of schema URIs"))?;
    let mut has_core = false;
    for schema in schemas {
        let schema = schema
            .as_str()
            .ok_or_else(|| invalid_syntax("schemas must be an array of schema URIs"))?;
        if schema.eq_ignore_ascii_case(USER_SCHEMA) {
            has_core = true;
        } else if !schema.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
            return Err(invalid_syntax(format!(
                "schema {} is not supported; supported: {USER_SCHEMA} (required) and \
                 {ENTERPRISE_USER_SCHEMA} (accepted, its attributes ignored)",
                echo(schema)
            )));
        }
    }
    if !has_core {
        return Err(invalid_syntax(format!("schemas must list {USER_SCHEMA}")));
    }
    Ok(())
}

/// A string attribute's value, within [`MAX_STRING_CHARS`]. Not trimmed: values are stored
/// as sent, and the accounts layer decides what it accepts.
pub(crate) fn string_value(value: &Value, attribute: &str) -> Result<String, ScimError> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid_value(format!("{attribute} must be a string")))?;
    if text.chars().nth(MAX_STRING_CHARS).is_some() {
        return Err(invalid_value(format!(
            "{attribute} is longer than {MAX_STRING_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

pub(crate) fn optional_string(
    value: Option<&Value>,
    attribute: &str,
) -> Result<Option<String>, ScimError> {
    value
        .map(|value| string_value(value, attribute))
        .transpose()
}

/// `userName` is REQUIRED and non-empty (RFC 7643 §4.1.1); blank counts as empty.
pub(crate) fn user_name(value: Option<&Value>) -> Result<String, ScimError> {
    let value = value.ok_or_else(|| invalid_value("userName is required"))?;
    let text = string_value(value, "userName")?;
    if text.trim().is_empty() {
        return Err(invalid_value("userName must not be empty"));
    }
    Ok(text)
}

pub(crate) fn active(value: &Value) -> Result<bool, ScimError> {
    boolish(value).ok_or_else(|| invalid_value("active must be true or false"))
}

/// `name`'s sub-attributes: `None` when absent, `Some(None)` when null, to tell a PATCH that
/// leaves one alone from one that clears it.
#[derive(Default)]
pub(crate) struct NameParts {
    pub(crate) given: Option<Option<String>>,
    pub(crate) family: Option<Option<String>>,
}

pub(crate) fn name_parts(value: &Value) -> Result<NameParts, ScimError> {
    let name = value
        .as_object()
        .ok_or_else(|| invalid_value("name must be an object"))?;
    let part = |key: &str, attribute: &str| -> Result<Option<Option<String>>, ScimError> {
        match crate::json::get(name, key)? {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(value) => Ok(Some(Some(string_value(value, attribute)?))),
        }
    };
    Ok(NameParts {
        given: part("givenName", "name.givenName")?,
        family: part("familyName", "name.familyName")?,
    })
}

/// The address tenantry keeps out of an `emails` array: the primary one, else the "work" one,
/// else the first. Records without a value are skipped. An empty array means no address.
pub(crate) fn email_from_list(value: &Value) -> Result<Option<String>, ScimError> {
    let entries = value
        .as_array()
        .ok_or_else(|| invalid_value("emails must be an array"))?;
    let mut candidates = Vec::new();
    for entry in entries {
        if let Some(candidate) = email_entry(entry)? {
            candidates.push(candidate);
        }
    }
    let chosen = candidates
        .iter()
        .position(|c| c.primary)
        .or_else(|| candidates.iter().position(|c| c.work))
        .or((!candidates.is_empty()).then_some(0));
    Ok(chosen.map(|at| candidates.swap_remove(at).value))
}

pub(crate) struct EmailCandidate {
    pub(crate) value: String,
    primary: bool,
    work: bool,
}

/// One `emails` record, `{value, type, primary}`; `None` when it has no value.
pub(crate) fn email_entry(entry: &Value) -> Result<Option<EmailCandidate>, ScimError> {
    let entry = match entry {
        Value::Null => return Ok(None),
        Value::Object(entry) => entry,
        _ => return Err(invalid_value("each of emails must be an object")),
    };
    let Some(value) = get_present(entry, "value")? else {
        return Ok(None);
    };
    let value = string_value(value, "emails.value")?;
    let work = match get_present(entry, "type")? {
        Some(kind) => string_value(kind, "emails.type")?.eq_ignore_ascii_case("work"),
        None => false,
    };
    let primary = match get_present(entry, "primary")? {
        Some(primary) => {
            boolish(primary).ok_or_else(|| invalid_value("emails.primary must be true or false"))?
        }
        None => false,
    };
    Ok(Some(EmailCandidate {
        value,
        primary,
        work,
    }))
}

/// The role out of a `roles` array: the primary record's value, else the first's. An empty
/// array means the default role.
pub(crate) fn role_from_list(value: &Value) -> Result<ScimRole, ScimError> {
    let entries = value
        .as_array()
        .ok_or_else(|| invalid_value("roles must be an array"))?;
    let mut first = None;
    for entry in entries {
        let Some((role, primary)) = role_entry(entry)? else {
            continue;
        };
        if primary {
            return Ok(role);
        }
        first.get_or_insert(role);
    }
    Ok(first.unwrap_or_default())
}

/// One `roles` record, `{value, primary}`; `None` when it has no value.
pub(crate) fn role_entry(entry: &Value) -> Result<Option<(ScimRole, bool)>, ScimError> {
    let entry = match entry {
        Value::Null => return Ok(None),
        Value::Object(entry) => entry,
        _ => return Err(invalid_value("each of roles must be an object")),
    };
    let Some(value) = get_present(entry, "value")? else {
        return Ok(None);
    };
    let primary = match get_present(entry, "primary")? {
        Some(primary) => {
            boolish(primary).ok_or_else(|| invalid_value("roles.primary must be true or false"))?
        }
        None => false,
    };
    Ok(Some((role_value(value)?, primary)))
}

pub(crate) fn role_value(value: &Value) -> Result<ScimRole, ScimError> {
    let text = string_value(value, "roles.value")?;
    ScimRole::parse(&text).ok_or_else(|| {
        invalid_value(format!(
            "role {} is not supported; roles.value must be \"user\" or \"agent\"",
            echo(&text)
        ))
    })
}
