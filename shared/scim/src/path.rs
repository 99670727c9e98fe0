//! Attribute paths (RFC 7644 §3.10, §3.5.2): `attr`, `attr.sub`, `attr[sub eq v]`,
//! `attr[sub eq v].sub`, each optionally behind a schema URN, resolved against the User
//! attributes this crate keeps. Attribute names are case-insensitive (RFC 7643 §2.1).

use crate::error::echo;
use crate::lexer::{Cursor, Token, tokenize};
use crate::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

/// What a path designates in a [`crate::ScimUser`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    UserName,
    ExternalId,
    DisplayName,
    Active,
    Password,
    /// `name`, the complex attribute.
    Name,
    GivenName,
    FamilyName,
    /// `emails`, the whole multi-valued attribute.
    Emails,
    /// The address itself: `emails.value`, `emails[type eq "work"].value`,
    /// `emails[primary eq true].value`.
    EmailValue,
    /// The address's record: `emails[type eq "work"]`, `emails[primary eq true]`.
    EmailEntry,
    Roles,
    /// `roles.value`, `roles[primary eq true].value`.
    RoleValue,
    /// `roles[primary eq true]`.
    RoleEntry,
    /// Something the User schema has but tenantry does not keep: core attributes such as
    /// `title` or `phoneNumbers`, sub-attributes such as `name.formatted`, email addresses
    /// of other types, and the enterprise extension. Writes to it are accepted and dropped.
    Unsupported,
    /// `id`, `meta`, `groups`, `schemas`: the service provider's, never the client's.
    ReadOnly(&'static str),
}

/// The comparison inside `[...]`: one `sub eq value`.
struct ValueFilter {
    attr: String,
    value: Literal,
}

enum Literal {
    Str(String),
    Bool(bool),
}

/// A path as written, split but not yet resolved.
pub(crate) struct RawPath {
    /// The path's first word as written, for error details.
    pub(crate) written: String,
    /// The schema URN in front of the attribute, if any.
    schema: Option<String>,
    /// Empty when the path is a bare schema URN.
    attr: String,
    filter: Option<ValueFilter>,
    sub: Option<String>,
}

/// Core User attributes (RFC 7643 §4.1) that tenantry does not keep.
const UNSUPPORTED_CORE: [&str; 13] = [
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "x509certificates",
];

const READ_ONLY: [&str; 4] = ["id", "meta", "groups", "schemas"];

/// Parses a whole PATCH `path`; the error is a sentence for an `invalidPath` detail.
pub(crate) fn parse_path(text: &str) -> Result<Target, String> {
    let tokens = tokenize(text)?;
    let mut cursor = Cursor::new(&tokens);
    let raw = read_path(&mut cursor)?;
    if let Some(extra) = cursor.peek() {
        return Err(format!("unexpected {} after the path", extra.describe()));
    }
    resolve(&raw)
}

/// Reads one attribute path at the cursor.
pub(crate) fn read_path(cursor: &mut Cursor<'_>) -> Result<RawPath, String> {
    let word = match cursor.next() {
        Some(Token::Word(word)) if !word.starts_with('.') => word,
        Some(other) => {
            return Err(format!(
                "expected an attribute name, found {}",
                other.describe()
            ));
        }
        None => return Err("expected an attribute name".into()),
    };
    let (schema, name) = split_schema(word);
    let (attr, mut sub) = match name.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub_attribute(sub, word)?)),
        None => (name, None),
    };
    let mut filter = None;
    if cursor.peek() == Some(&Token::LBracket) {
        if sub.is_some() {
            return Err(format!("{} cannot be followed by \"[\"", echo(word)));
        }
        cursor.next();
        filter = Some(read_value_filter(cursor)?);
        if let Some(Token::Word(next)) = cursor.peek()
            && let Some(rest) = next.strip_prefix('.')
        {
            cursor.next();
            sub = Some(sub_attribute(rest, next)?);
        }
    }
    Ok(RawPath {
        written: word.clone(),
        schema: schema.map(str::to_owned),
        attr: attr.to_owned(),
        filter,
        sub,
    })
}

/// Splits `urn:...:User:userName` into the URN and the name. A known schema URN on its own is
/// all schema: its last segment (`User`) is not an attribute.
fn split_schema(word: &str) -> (Option<&str>, &str) {
    if !word.to_ascii_lowercase().starts_with("urn:") {
        return (None, word);
    }
    if word.eq_ignore_ascii_case(USER_SCHEMA) || word.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
        return (Some(word), "");
    }
    // Schema URNs contain dots ("2.0") but attribute names never contain colons.
    match word.rfind(':') {
        Some(at) => (Some(&word[..at]), &word[at + 1..]),
        None => (None, word),
    }
}

fn sub_attribute(sub: &str, whole: &str) -> Result<String, String> {
    if sub.is_empty() || sub.contains('.') {
        return Err(format!(
            "{} is not an attribute or sub-attribute",
            echo(whole)
        ));
    }
    Ok(sub.to_owned())
}

fn read_value_filter(cursor: &mut Cursor<'_>) -> Result<ValueFilter, String> {
    const SHAPE: &str = "inside \"[ ]\" only one comparison `sub-attribute eq value` is supported";
    let attr = match cursor.next() {
        Some(Token::Word(word)) => word.clone(),
        _ => return Err(SHAPE.into()),
    };
    match cursor.next() {
        Some(token) if token.is_word("eq") => {}
        Some(Token::Word(op)) => {
            return Err(format!("operator {} is not supported; {SHAPE}", echo(op)));
        }
        _ => return Err(SHAPE.into()),
    }
    let value = match cursor.next() {
        Some(Token::Str(text)) => Literal::Str(text.clone()),
        Some(token) if token.is_word("true") => Literal::Bool(true),
        Some(token) if token.is_word("false") => Literal::Bool(false),
        _ => return Err(SHAPE.into()),
    };
    match cursor.next() {
        Some(Token::RBracket) => Ok(ValueFilter { attr, value }),
        _ => Err(SHAPE.into()),
    }
}

/// Which of a user's values a `[...]` filter selects.
enum Selects {
    /// The one address (or role) tenantry keeps: it is the primary one, of type "work".
    Ours,
    /// Values of another type, which tenantry does not keep.
    Others,
}

fn email_filter(filter: &ValueFilter) -> Result<Selects, String> {
    match (filter.attr.to_ascii_lowercase().as_str(), &filter.value) {
        ("type", Literal::Str(kind)) if kind.eq_ignore_ascii_case("work") => Ok(Selects::Ours),
        ("type", Literal::Str(_)) => Ok(Selects::Others),
        ("primary", value) if is_true(value) => Ok(Selects::Ours),
        _ => Err("emails can be selected only with [type eq \"work\"] or [primary eq true]".into()),
    }
}

fn role_filter(filter: &ValueFilter) -> Result<Selects, String> {
    match (filter.attr.to_ascii_lowercase().as_str(), &filter.value) {
        ("primary", value) if is_true(value) => Ok(Selects::Ours),
        _ => Err("roles can be selected only with [primary eq true]".into()),
    }
}

/// Entra writes `[primary eq "True"]`: a string where RFC 7644 has the literal `true`.
fn is_true(value: &Literal) -> bool {
    match value {
        Literal::Bool(b) => *b,
        Literal::Str(text) => text.eq_ignore_ascii_case("true"),
    }
}

/// Resolves a path against the attributes tenantry keeps.
pub(crate) fn resolve(raw: &RawPath) -> Result<Target, String> {
    if let Some(schema) = &raw.schema {
        if schema.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
            return Ok(Target::Unsupported);
        }
        if !schema.eq_ignore_ascii_case(USER_SCHEMA) {
            return Err(format!("schema {} is not supported", echo(schema)));
        }
    }
    let attr = raw.attr.to_ascii_lowercase();
    let sub = raw.sub.as_deref().map(str::to_ascii_lowercase);
    let simple = |target: Target| match (&raw.filter, &sub) {
        (None, None) => Ok(target),
        _ => Err(format!("{} has no sub-attributes", echo(&raw.attr))),
    };
    match attr.as_str() {
        "" => Err("a path must name an attribute".into()),
        "username" => simple(Target::UserName),
        "externalid" => simple(Target::ExternalId),
        "displayname" => simple(Target::DisplayName),
        "active" => simple(Target::Active),
        "password" => simple(Target::Password),
        "name" if raw.filter.is_some() => Err("name is not multi-valued".into()),
        "name" => match sub.as_deref() {
            None => Ok(Target::Name),
            Some("givenname") => Ok(Target::GivenName),
            Some("familyname") => Ok(Target::FamilyName),
            Some("formatted" | "middlename" | "honorificprefix" | "honorificsuffix") => {
                Ok(Target::Unsupported)
            }
            Some(_) => Err(unknown_sub(raw)),
        },
        "emails" => {
            let selects = match &raw.filter {
                Some(filter) => Some(email_filter(filter)?),
                None => None,
            };
            match (selects, sub.as_deref()) {
                (Some(Selects::Others), _) => Ok(Target::Unsupported),
                (None, None) => Ok(Target::Emails),
                (Some(Selects::Ours), None) => Ok(Target::EmailEntry),
                (_, Some("value")) => Ok(Target::EmailValue),
                (_, Some("type" | "primary" | "display")) => Ok(Target::Unsupported),
                (_, Some(_)) => Err(unknown_sub(raw)),
            }
        }
        "roles" => {
            let selects = match &raw.filter {
                Some(filter) => Some(role_filter(filter)?),
                None => None,
            };
            match (selects, sub.as_deref()) {
                (Some(Selects::Others), _) => Ok(Target::Unsupported),
                (None, None) => Ok(Target::Roles),
                (Some(Selects::Ours), None) => Ok(Target::RoleEntry),
                (_, Some("value")) => Ok(Target::RoleValue),
                (_, Some("type" | "primary" | "display")) => Ok(Target::Unsupported),
                (_, Some(_)) => Err(unknown_sub(raw)),
            }
        }
        other => {
            if let Some(name) = READ_ONLY.iter().find(|name| **name == other) {
                Ok(Target::ReadOnly(name))
            } else if UNSUPPORTED_CORE.contains(&other) {
                Ok(Target::Unsupported)
            } else {
                Err(format!("{} is not an attribute of User", echo(&raw.attr)))
            }
        }
    }
}

fn unknown_sub(raw: &RawPath) -> String {
    format!(
        "{} has no sub-attribute {}",
        echo(&raw.attr),
        echo(raw.sub.as_deref().unwrap_or_default())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_whatever_their_letter_case() {
        assert_eq!(parse_path("USERNAME"), Ok(Target::UserName));
        assert_eq!(parse_path("Name.GivenName"), Ok(Target::GivenName));
        assert_eq!(parse_path("externalid"), Ok(Target::ExternalId));
    }

    #[test]
    fn the_core_schema_urn_may_prefix_a_path() {
        let path = "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName";
        assert_eq!(parse_path(path), Ok(Target::FamilyName));
        let path = "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:emails[type eq \"work\"].value";
        assert_eq!(parse_path(path), Ok(Target::EmailValue));
    }

    #[test]
    fn enterprise_extension_paths_are_unsupported_not_invalid() {
        let department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
        assert_eq!(parse_path(department), Ok(Target::Unsupported));
        assert_eq!(parse_path(ENTERPRISE_USER_SCHEMA), Ok(Target::Unsupported));
    }

    #[test]
    fn a_path_in_an_unknown_schema_is_refused_by_name() {
        let error = parse_path("urn:example:params:Custom:2.0:User:tag").unwrap_err();
        assert!(
            error.contains("urn:example:params:Custom:2.0:User"),
            "{error}"
        );
    }

    #[test]
    fn email_filters_select_the_work_or_primary_address() {
        assert_eq!(
            parse_path(r#"emails[type eq "work"].value"#),
            Ok(Target::EmailValue)
        );
        assert_eq!(
            parse_path(r#"emails[TYPE EQ "Work"]"#),
            Ok(Target::EmailEntry)
        );
        assert_eq!(
            parse_path("emails[primary eq true].value"),
            Ok(Target::EmailValue)
        );
        assert_eq!(
            parse_path(r#"emails[type eq "other"].Value"#),
            Ok(Target::Unsupported)
        );
        assert!(parse_path(r#"emails[value eq "a@b.c"]"#).is_err());
        assert!(parse_path(r#"emails[type ne "work"].value"#).is_err());
    }

    #[test]
    fn role_filters_accept_entras_quoted_true() {
        assert_eq!(
            parse_path(r#"roles[primary eq "True"].value"#),
            Ok(Target::RoleValue)
        );
        assert_eq!(
            parse_path("roles[primary eq true].value"),
            Ok(Target::RoleValue)
        );
        assert!(parse_path(r#"roles[type eq "x"].value"#).is_err());
    }

    #[test]
    fn read_only_and_unsupported_attributes_are_told_apart() {
        assert_eq!(parse_path("meta"), Ok(Target::ReadOnly("meta")));
        assert_eq!(parse_path("Groups"), Ok(Target::ReadOnly("groups")));
        assert_eq!(parse_path("nickName"), Ok(Target::Unsupported));
        assert_eq!(
            parse_path(r#"phoneNumbers[type eq "mobile"].value"#),
            Ok(Target::Unsupported)
        );
        assert_eq!(parse_path("name.formatted"), Ok(Target::Unsupported));
    }

    #[test]
    fn malformed_or_unknown_paths_are_refused() {
        for path in [
            "",
            "shoeSize",
            "userName.first",
            "name.givenName.more",
            "name.nickname",
            "emails[type eq \"work\"",
            "emails[type eq \"work\" and primary eq true].value",
            "userName extra",
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "[type eq \"work\"]",
        ] {
            assert!(parse_path(path).is_err(), "{path} should be refused");
        }
    }
}
