//! The stream filter. `template.yaml` gives the publisher's event source mapping a
//! `FilterCriteria` pattern so that Lambda invokes it for new audit items only. The local
//! publisher applies the same pattern, read from the template, with this matcher.
//!
//! It implements the part of Lambda's filter syntax the pattern uses: objects match field by
//! field, and a leaf is a list of alternatives, each an exact value or `{"prefix": "..."}`.
//! Anything else in a pattern is refused when the pattern is read, not ignored.

use serde_json::Value;

/// A parsed `FilterCriteria` pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern(Value);

impl Pattern {
    /// Reads a pattern (the `Pattern` string of a filter), refusing what this matcher cannot
    /// evaluate.
    pub fn parse(pattern: &str) -> Result<Pattern, String> {
        let value: Value = serde_json::from_str(pattern)
            .map_err(|e| format!("the filter pattern is not JSON: {e}"))?;
        if !value.is_object() {
            return Err(format!("a filter pattern is an object, not {value}"));
        }
        check(&value, "")?;
        Ok(Pattern(value))
    }

    /// Whether a stream record (in Lambda's JSON form) matches.
    pub fn matches(&self, record: &Value) -> bool {
        matches(&self.0, record)
    }
}

fn check(pattern: &Value, at: &str) -> Result<(), String> {
    match pattern {
        Value::Object(fields) if !fields.is_empty() => fields
            .iter()
            .try_for_each(|(key, value)| check(value, &format!("{at}/{key}"))),
        Value::Array(alternatives) if !alternatives.is_empty() => {
            alternatives.iter().try_for_each(|alt| match alt {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(()),
                Value::Object(rule)
                    if rule.len() == 1 && rule.get("prefix").is_some_and(Value::is_string) =>
                {
                    Ok(())
                }
                other => Err(format!("{at}: unsupported filter rule {other}")),
            })
        }
        other => Err(format!("{at}: unsupported filter pattern {other}")),
    }
}

fn matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(key, sub)| record.get(key).is_some_and(|field| matches(sub, field))),
        Value::Array(alternatives) => alternatives.iter().any(|alt| match alt {
            Value::Object(rule) => match (rule.get("prefix"), record) {
                (Some(Value::String(prefix)), Value::String(s)) => s.starts_with(prefix.as_str()),
                _ => false,
            },
            exact => exact == record,
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pattern_matches_field_by_field_with_prefixes() {
        let pattern = Pattern::parse(
            r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "AUDIT#"}]}}}}"#,
        )
        .unwrap();
        let record = |name: &str, pk: &str| json!({"eventName": name, "dynamodb": {"Keys": {"PK": {"S": pk}, "SK": {"S": "x"}}}});
        assert!(pattern.matches(&record("INSERT", "AUDIT#acme")));
        assert!(!pattern.matches(&record("MODIFY", "AUDIT#acme")));
        assert!(!pattern.matches(&record("REMOVE", "AUDIT#acme")));
        assert!(!pattern.matches(&record("INSERT", "TENANT#acme")));
        assert!(!pattern.matches(&record("INSERT", "audit#acme")));
        assert!(!pattern.matches(&json!({"eventName": "INSERT"})));
        assert!(
            !pattern
                .matches(&json!({"eventName": "INSERT", "dynamodb": {"Keys": {"PK": {"N": "1"}}}}))
        );
    }

    #[test]
    fn what_the_matcher_cannot_evaluate_is_refused() {
        for pattern in [
            r#"{"eventName": [{"anything-but": "REMOVE"}]}"#,
            r#"{"eventName": "INSERT"}"#,
            r#"{"eventName": []}"#,
            r#"{}"#,
            r#"["INSERT"]"#,
            "not json",
        ] {
            assert!(Pattern::parse(pattern).is_err(), "{pattern}");
        }
    }
}
