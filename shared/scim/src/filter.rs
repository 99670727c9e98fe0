//! The `filter` query parameter (RFC 7644 §3.4.2.2), cut down to what Microsoft Entra ID and
//! Okta send: equality on `userName`, `externalId` or the email address, joined by `and`.

use crate::error::{ScimError, ScimType, echo};
use crate::lexer::{Cursor, Token, tokenize};
use crate::path::{Target, read_path, resolve};

/// More `and`-ed conditions than any directory sends; past this the filter is refused.
pub const MAX_CONDITIONS: usize = 10;

/// Parentheses nest at most this deep, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 8;

const SUPPORTED: &str = "supported filters: ATTRIBUTE eq \"value\", joined by and, where \
     ATTRIBUTE is userName, externalId, emails.value, emails[type eq \"work\"].value or \
     emails[primary eq true].value";

/// A parsed filter: a user matches when every condition holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub conditions: Vec<Condition>,
}

/// `attribute eq "value"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub attribute: FilterAttribute,
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterAttribute {
    UserName,
    ExternalId,
    Email,
}

/// Parses a filter. Anything outside the supported subset answers 400 `invalidFilter` with a
/// `detail` that names the problem and lists what is supported. Comparing the values with
/// stored ones (case-insensitively for `userName` and email, exactly for `externalId`, per
/// their `caseExact` in [`crate::schema_user`]) is the caller's.
pub fn parse_filter(text: &str) -> Result<Filter, ScimError> {
    let tokens = tokenize(text).map_err(refuse)?;
    if tokens.is_empty() {
        return Err(refuse("the filter is empty".into()));
    }
    let mut parser = Parser {
        cursor: Cursor::new(&tokens),
        conditions: Vec::new(),
    };
    parser.expression(0).map_err(refuse)?;
    if let Some(extra) = parser.cursor.peek() {
        let why = if extra.is_word("or") {
            "the or operator is not supported".to_owned()
        } else if *extra == Token::RParen {
            "a \")\" has no matching \"(\"".to_owned()
        } else {
            format!("unexpected {} after a complete condition", extra.describe())
        };
        return Err(refuse(why));
    }
    Ok(Filter {
        conditions: parser.conditions,
    })
}

fn refuse(why: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidFilter, format!("{why}; {SUPPORTED}"))
}

struct Parser<'a> {
    cursor: Cursor<'a>,
    conditions: Vec<Condition>,
}

impl Parser<'_> {
    /// term (and term)*
    fn expression(&mut self, depth: usize) -> Result<(), String> {
        self.term(depth)?;
        while self.cursor.peek().is_some_and(|token| token.is_word("and")) {
            self.cursor.next();
            self.term(depth)?;
        }
        Ok(())
    }

    /// "(" expression ")" | condition. `and` is associative, so any grouping of a conjunction
    /// means the same conjunction.
    fn term(&mut self, depth: usize) -> Result<(), String> {
        match self.cursor.peek() {
            Some(Token::LParen) => {
                if depth >= MAX_DEPTH {
                    return Err("parentheses nest too deep".into());
                }
                self.cursor.next();
                self.expression(depth + 1)?;
                match self.cursor.next() {
                    Some(Token::RParen) => Ok(()),
                    Some(token) if token.is_word("or") => {
                        Err("the or operator is not supported".into())
                    }
                    Some(other) => Err(format!("expected \")\", found {}", other.describe())),
                    None => Err("a \"(\" is never closed".into()),
                }
            }
            Some(token) if token.is_word("not") => Err("the not operator is not supported".into()),
            Some(_) => self.condition(),
            None => Err("a condition is missing at the end".into()),
        }
    }

    fn condition(&mut self) -> Result<(), String> {
        let raw = read_path(&mut self.cursor)?;
        let attribute = match resolve(&raw) {
            Ok(Target::UserName) => FilterAttribute::UserName,
            Ok(Target::ExternalId) => FilterAttribute::ExternalId,
            Ok(Target::EmailValue) => FilterAttribute::Email,
            Ok(_) => {
                return Err(format!(
                    "filtering on {} is not supported",
                    echo(&raw.written)
                ));
            }
            Err(why) => return Err(why),
        };
        match self.cursor.next() {
            Some(token) if token.is_word("eq") => {}
            Some(Token::Word(op)) => {
                return Err(format!("the operator {} is not supported", echo(op)));
            }
            Some(other) => return Err(format!("expected eq, found {}", other.describe())),
            None => return Err("the condition has no operator".into()),
        }
        let value = match self.cursor.next() {
            Some(Token::Str(value)) => value.clone(),
            Some(Token::Word(word)) => {
                return Err(format!("{} is not a quoted string value", echo(word)));
            }
            Some(other) => return Err(format!("expected a value, found {}", other.describe())),
            None => return Err("the condition has no value".into()),
        };
        if self.conditions.len() >= MAX_CONDITIONS {
            return Err(format!("more than {MAX_CONDITIONS} conditions"));
        }
        self.conditions.push(Condition { attribute, value });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(attribute: FilterAttribute, value: &str) -> Filter {
        Filter {
            conditions: vec![Condition {
                attribute,
                value: value.into(),
            }],
        }
    }

    #[test]
    fn operators_and_attribute_names_are_case_insensitive() {
        let filter = parse_filter(r#"USERNAME EQ "Ann""#).unwrap();
        assert_eq!(filter, one(FilterAttribute::UserName, "Ann"));
        let filter = parse_filter(r#"userName eq "a" AND ExternalID Eq "b""#).unwrap();
        assert_eq!(filter.conditions.len(), 2);
        assert_eq!(filter.conditions[1].attribute, FilterAttribute::ExternalId);
    }

    #[test]
    fn the_core_schema_urn_may_prefix_the_attribute() {
        let filter =
            parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#).unwrap();
        assert_eq!(filter, one(FilterAttribute::UserName, "x"));
    }

    #[test]
    fn values_keep_their_json_escapes_decoded_and_their_case() {
        let filter = parse_filter(r#"externalId eq "A\"b\\c\u00e9""#).unwrap();
        assert_eq!(filter, one(FilterAttribute::ExternalId, "A\"b\\cé"));
    }

    #[test]
    fn parentheses_around_the_whole_or_a_condition_are_accepted() {
        let whole = parse_filter(r#"(userName eq "a" and externalId eq "b")"#).unwrap();
        let each = parse_filter(r#"(userName eq "a") and (externalId eq "b")"#).unwrap();
        assert_eq!(whole, each);
        assert_eq!(whole.conditions.len(), 2);
    }

    #[test]
    fn every_email_spelling_maps_to_the_email_attribute() {
        for text in [
            r#"emails.value eq "a@b.c""#,
            r#"emails[type eq "work"].value eq "a@b.c""#,
            r#"emails[primary eq true].value eq "a@b.c""#,
            r#"Emails[Type Eq "WORK"].Value eq "a@b.c""#,
        ] {
            assert_eq!(
                parse_filter(text),
                Ok(one(FilterAttribute::Email, "a@b.c")),
                "{text}"
            );
        }
    }

    #[test]
    fn eleven_conditions_are_too_many() {
        let ten = [r#"userName eq "a""#; 10].join(" and ");
        assert_eq!(parse_filter(&ten).unwrap().conditions.len(), 10);
        let eleven = format!(r#"{ten} and userName eq "a""#);
        let error = parse_filter(&eleven).unwrap_err();
        assert!(error.detail.contains("more than 10"), "{}", error.detail);
    }

    #[test]
    fn deep_parentheses_are_refused_without_recursing_far() {
        let text = format!(
            "{}userName eq \"a\"{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let error = parse_filter(&text).unwrap_err();
        assert!(error.detail.contains("too deep"), "{}", error.detail);
    }

    #[test]
    fn every_refusal_is_an_invalid_filter_that_lists_what_is_supported() {
        for text in [
            "",
            "   ",
            r#"userName co "a""#,
            r#"userName ne "a""#,
            r#"userName sw "a""#,
            "userName pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"not (userName eq "a")"#,
            r#"title eq "x""#,
            r#"emails[type eq "home"].value eq "x""#,
            r#"roles[primary eq true].value eq "agent""#,
            "userName eq",
            r#"userName eq "unterminated"#,
            "userName eq bare",
            "userName eq 5",
            "userName eq true",
            r#"userName eq "a" extra"#,
            r#"userName eq "a")"#,
            r#"(userName eq "a""#,
            r#"userName eq "a" and"#,
            r#"userName eq "a" ; drop"#,
        ] {
            let error = parse_filter(text).unwrap_err();
            assert_eq!(error.status, 400, "{text}");
            assert_eq!(error.scim_type, Some(ScimType::InvalidFilter), "{text}");
            assert!(
                error.detail.contains("supported filters"),
                "{text}: {}",
                error.detail
            );
        }
    }

    #[test]
    fn a_refusal_says_what_went_wrong() {
        let detail = |text: &str| parse_filter(text).unwrap_err().detail;
        assert!(detail(r#"userName co "a""#).contains("operator \"co\""));
        assert!(detail(r#"userName eq "a" or userName eq "b""#).contains("or operator"));
        assert!(detail(r#"userName eq "a"#).contains("closing quote"));
        assert!(detail("userName eq 5").contains("not a quoted string"));
        assert!(detail("").contains("empty"));
    }
}
