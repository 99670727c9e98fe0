//! Tokens of filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): both share the same
//! attribute-path and value-filter notation, so one small tokenizer serves both.

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A bare word: an attribute path, an operator, `and`, or an unquoted literal.
    Word(String),
    /// A JSON string literal, unescaped.
    Str(String),
}

impl Token {
    /// How a token reads in an error detail.
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::LParen => "\"(\"".into(),
            Token::RParen => "\")\"".into(),
            Token::LBracket => "\"[\"".into(),
            Token::RBracket => "\"]\"".into(),
            Token::Word(word) => crate::error::echo(word),
            Token::Str(text) => format!("the string {}", crate::error::echo(text)),
        }
    }

    pub(crate) fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(word) if word.eq_ignore_ascii_case(keyword))
    }
}

/// A read position in a token list.
pub(crate) struct Cursor<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(tokens: &'a [Token]) -> Cursor<'a> {
        Cursor { tokens, at: 0 }
    }

    pub(crate) fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.at)
    }

    pub(crate) fn next(&mut self) -> Option<&'a Token> {
        let token = self.tokens.get(self.at);
        if token.is_some() {
            self.at += 1;
        }
        token
    }
}

/// Splits `text` into tokens; the error is a sentence for a `detail`.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::LParen,
                    ')' => Token::RParen,
                    '[' => Token::LBracket,
                    _ => Token::RBracket,
                });
            }
            '"' => {
                chars.next();
                let mut escaped = false;
                let mut end = None;
                for (at, c) in chars.by_ref() {
                    match (escaped, c) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            end = Some(at);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or("a string value is missing its closing quote")?;
                // serde_json knows every JSON escape, surrogate pairs included, and refuses
                // raw control characters, exactly as RFC 7644's JSON-string values require.
                let literal = &text[start..=end];
                let value: String = serde_json::from_str(literal).map_err(|_| {
                    format!("{} is not a valid JSON string", crate::error::echo(literal))
                })?;
                tokens.push(Token::Str(value));
            }
            _ => {
                let mut end = text.len();
                while let Some(&(at, c)) = chars.peek() {
                    if c.is_whitespace() || "()[]\"".contains(c) {
                        end = at;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token::Word(text[start..end].to_owned()));
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> Token {
        Token::Word(w.into())
    }

    #[test]
    fn a_value_path_splits_into_brackets_words_and_strings() {
        let tokens = tokenize(r#"emails[type eq "work"].value eq "a@b.c""#).unwrap();
        assert_eq!(
            tokens,
            [
                word("emails"),
                Token::LBracket,
                word("type"),
                word("eq"),
                Token::Str("work".into()),
                Token::RBracket,
                word(".value"),
                word("eq"),
                Token::Str("a@b.c".into()),
            ]
        );
    }

    #[test]
    fn strings_are_unescaped_as_json() {
        let tokens = tokenize(r#""a\"b\\c\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(tokens, [Token::Str("a\"b\\cé😀".into())]);
    }

    #[test]
    fn an_unterminated_string_is_refused() {
        let error = tokenize(r#"userName eq "abc"#).unwrap_err();
        assert!(error.contains("closing quote"), "{error}");
    }

    #[test]
    fn a_bad_escape_is_refused() {
        let error = tokenize(r#"userName eq "a\qb""#).unwrap_err();
        assert!(error.contains("not a valid JSON string"), "{error}");
    }

    #[test]
    fn whitespace_between_tokens_is_free_form() {
        let tokens = tokenize("\t( userName\neq\"x\")  ").unwrap();
        assert_eq!(
            tokens,
            [
                Token::LParen,
                word("userName"),
                word("eq"),
                Token::Str("x".into()),
                Token::RParen
            ]
        );
    }
}
