//! Reading SCIM JSON: attribute names ignore case (RFC 7643 §2.1), and a few directories send
//! booleans as strings.

use serde_json::{Map, Value};

use crate::error::{ScimError, echo, invalid_syntax};

/// The value of attribute `name` in `object`, whatever the letter case of its key. Two keys
/// that differ only in case would be two values for one attribute: refused, not guessed.
pub(crate) fn get<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Value>, ScimError> {
    let mut found: Option<(&String, &Value)> = None;
    for (key, value) in object {
        if key.eq_ignore_ascii_case(name) {
            if let Some((first, _)) = found {
                return Err(invalid_syntax(format!(
                    "{} and {} are the same attribute (names are case-insensitive)",
                    echo(first),
                    echo(key)
                )));
            }
            found = Some((key, value));
        }
    }
    Ok(found.map(|(_, value)| value))
}

/// Like [`get`], with `null` read as absent: RFC 7643 §2.5 makes them the same.
pub(crate) fn get_present<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Value>, ScimError> {
    Ok(get(object, name)?.filter(|value| !value.is_null()))
}

/// A JSON boolean, or the strings "true"/"false" in any case: Entra has long sent
/// `"active": "False"`.
pub(crate) fn boolish(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn lookups_ignore_the_case_of_keys() {
        let map = object(json!({"UserName": "a"}));
        assert_eq!(get(&map, "userName").unwrap(), Some(&json!("a")));
        assert_eq!(get(&map, "USERNAME").unwrap(), Some(&json!("a")));
        assert_eq!(get(&map, "displayName").unwrap(), None);
    }

    #[test]
    fn two_spellings_of_one_attribute_are_refused() {
        let map = object(json!({"userName": "a", "USERNAME": "b"}));
        let error = get(&map, "username").unwrap_err();
        assert_eq!(error.scim_type, Some(crate::ScimType::InvalidSyntax));
    }

    #[test]
    fn null_reads_as_absent() {
        let map = object(json!({"displayName": null}));
        assert_eq!(get_present(&map, "displayName").unwrap(), None);
        assert_eq!(get(&map, "displayName").unwrap(), Some(&Value::Null));
    }

    #[test]
    fn booleans_may_be_strings_in_any_case() {
        assert_eq!(boolish(&json!(false)), Some(false));
        assert_eq!(boolish(&json!("False")), Some(false));
        assert_eq!(boolish(&json!("TRUE")), Some(true));
        assert_eq!(boolish(&json!("yes")), None);
        assert_eq!(boolish(&json!(0)), None);
    }
}
