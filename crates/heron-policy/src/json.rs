//! A small JSON reader that remembers where every value and key starts.
//!
//! `serde_json` reports only the first error and has no positions per value, but
//! `heronctl policy check` must list every problem with its line and column. Policy
//! files are small and written by people, so a plain recursive-descent reader is enough;
//! nesting is capped so a hostile file cannot overflow the stack.

use std::fmt;

/// How deep arrays and objects may nest before the reader gives up.
const MAX_DEPTH: usize = 64;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// A JSON value and the position of its first character.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned {
    /// Where the value starts.
    pub at: Position,
    /// The value.
    pub value: Json,
}

/// An object member: the key, where the key starts, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The key text.
    pub key: String,
    /// Where the key's opening quote is.
    pub key_at: Position,
    /// The value.
    pub value: Spanned,
}

/// A JSON value whose children carry positions.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as written so integers stay exact.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Spanned>),
    /// An object, members in file order (duplicates kept, so they can be reported).
    Object(Vec<Member>),
}

impl Json {
    /// A short name of the value's kind for "found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => format!("{b}"),
            Json::Number(n) => format!("the number {n}"),
            Json::String(s) => format!("the string {s:?}"),
            Json::Array(_) => "an array".to_owned(),
            Json::Object(_) => "an object".to_owned(),
        }
    }

    /// The value without positions, for typed deserialisation once it is valid.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(*b),
            Json::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
            Json::String(s) => serde_json::Value::String(s.clone()),
            Json::Array(items) => items.iter().map(|i| i.value.to_value()).collect(),
            Json::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Why the text is not JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the reader stopped.
    pub at: Position,
    /// What it expected there.
    pub expected: String,
    /// What it found.
    pub found: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: expected {}, found {}",
            self.at.line, self.at.column, self.expected, self.found
        )
    }
}

/// Parses a whole document: one value, then only whitespace.
pub fn parse(text: &str) -> Result<Spanned, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        chars: text.chars().collect(),
        index: 0,
        at: Position { line: 1, column: 1 },
    };
    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    match reader.peek() {
        None => Ok(value),
        Some(c) => Err(reader.error("the end of the file", found_char(c))),
    }
}

fn found_char(c: char) -> String {
    format!("{c:?}")
}

struct Reader {
    chars: Vec<char>,
    index: usize,
    at: Position,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.index).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.index += 1;
        if c == '\n' {
            self.at.line += 1;
            self.at.column = 1;
        } else {
            self.at.column += 1;
        }
        Some(c)
    }

    fn error(&self, expected: &str, found: String) -> SyntaxError {
        SyntaxError {
            at: self.at,
            expected: expected.to_owned(),
            found,
        }
    }

    fn found_here(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the file".to_owned(), found_char)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), SyntaxError> {
        if self.peek() == Some(wanted) {
            self.bump();
            Ok(())
        } else {
            Err(self.error(&format!("{wanted:?}"), self.found_here()))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Spanned, SyntaxError> {
        let at = self.at;
        let value = match self.peek() {
            Some('{') => self.object(depth)?,
            Some('[') => self.array(depth)?,
            Some('"') => Json::String(self.string()?),
            Some('t') => self.word("true", Json::Bool(true))?,
            Some('f') => self.word("false", Json::Bool(false))?,
            Some('n') => self.word("null", Json::Null)?,
            Some(c) if c == '-' || c.is_ascii_digit() => self.number()?,
            _ => return Err(self.error("a JSON value", self.found_here())),
        };
        Ok(Spanned { at, value })
    }

    fn nested(&self, depth: usize) -> Result<usize, SyntaxError> {
        if depth >= MAX_DEPTH {
            Err(self.error(
                &format!("at most {MAX_DEPTH} levels of nesting"),
                "deeper nesting".to_owned(),
            ))
        } else {
            Ok(depth + 1)
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        let depth = self.nested(depth)?;
        self.expect('{')?;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some('}') {
            self.bump();
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            let key_at = self.at;
            if self.peek() != Some('"') {
                return Err(self.error("a key in double quotes", self.found_here()));
            }
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(':')?;
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push(Member { key, key_at, value });
            self.skip_whitespace();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {
                    self.bump();
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("',' or '}'", self.found_here())),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        let depth = self.nested(depth)?;
        self.expect('[')?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(']') {
            self.bump();
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {
                    self.bump();
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("',' or ']'", self.found_here())),
            }
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, SyntaxError> {
        for wanted in word.chars() {
            if self.peek() != Some(wanted) {
                return Err(self.error(&format!("{word:?}"), self.found_here()));
            }
            self.bump();
        }
        Ok(value)
    }

    fn number(&mut self) -> Result<Json, SyntaxError> {
        let start = self.index;
        if self.peek() == Some('-') {
            self.bump();
        }
        if self.peek() == Some('0') {
            self.bump();
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error("no leading zero", self.found_here()));
            }
        } else {
            self.digits()?;
        }
        if self.peek() == Some('.') {
            self.bump();
            self.digits()?;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            self.digits()?;
        }
        Ok(Json::Number(self.chars[start..self.index].iter().collect()))
    }

    fn digits(&mut self) -> Result<(), SyntaxError> {
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(self.error("a digit", self.found_here()));
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        Ok(())
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("a closing '\"'", self.found_here())),
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    let escaped = match self.peek() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            self.bump();
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => {
                            return Err(
                                self.error("an escape like \\n or \\u0041", self.found_here())
                            );
                        }
                    };
                    self.bump();
                    out.push(escaped);
                }
                Some(c) if (c as u32) < 0x20 => {
                    return Err(
                        self.error("text or '\\n' (not a raw control character)", found_char(c))
                    );
                }
                Some(c) => {
                    self.bump();
                    out.push(c);
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|c| c.to_digit(16));
            match digit {
                Some(d) => {
                    self.bump();
                    code = code * 16 + d;
                }
                None => return Err(self.error("four hex digits after \\u", self.found_here())),
            }
        }
        Ok(code)
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high) {
            self.expect('\\')?;
            self.expect('u')?;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(code)
                    .ok_or_else(|| self.error("a valid surrogate pair", "an invalid one".into()));
            }
            return Err(self.error("a low surrogate \\uDC00-\\uDFFF", "another code".into()));
        }
        char::from_u32(high)
            .ok_or_else(|| self.error("a Unicode scalar value", "a lone surrogate".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_recorded_for_keys_and_values() {
        let doc = parse("{\n  \"a\": [1, true],\n  \"b\": \"x\"\n}").unwrap();
        let Json::Object(members) = &doc.value else {
            panic!("not an object")
        };
        assert_eq!(members[0].key_at, Position { line: 2, column: 3 });
        assert_eq!(members[1].value.at, Position { line: 3, column: 8 });
        let Json::Array(items) = &members[0].value.value else {
            panic!("not an array")
        };
        assert_eq!(
            items[1].at,
            Position {
                line: 2,
                column: 12
            }
        );
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        let err = parse("{\"a\": [1,}").unwrap_err();
        assert_eq!(
            err.at,
            Position {
                line: 1,
                column: 10
            }
        );
        assert_eq!(err.expected, "a JSON value");
        assert_eq!(err.found, "'}'");
        assert!(parse("[1] 2").is_err());
        assert!(parse("\"\\ud83d\\ude00\"").is_ok());
        assert!(parse(&"[".repeat(100)).is_err());
    }

    #[test]
    fn every_truncation_of_a_real_policy_is_an_error_never_a_panic() {
        let text = include_str!("../../../docs/examples/corp-managed.json");
        let boundaries = text.char_indices().map(|(i, _)| i);
        for end in boundaries.filter(|&i| i < text.trim_end().len()) {
            assert!(parse(&text[..end]).is_err(), "prefix of {end} bytes parsed");
        }
        assert!(parse(text).is_ok());
        assert!(parse("01").is_err());
        assert!(parse("-0.5e+3").is_ok());
    }

    #[test]
    fn values_convert_exactly() {
        let doc = parse(r#"{"n": 12345678901234, "s": "\u00e9\n", "z": null}"#).unwrap();
        assert_eq!(
            doc.value.to_value(),
            serde_json::json!({"n": 12345678901234_i64, "s": "é\n", "z": null})
        );
    }
}
