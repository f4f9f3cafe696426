//! A small JSON reader that keeps what `serde_json` throws away: the line and
//! column of every value and key, and every key of an object even when a key
//! repeats.
//!
//! Why not `serde_json::Value`: IAM rejects a document with a repeated key
//! ("Individual elements must not contain multiple instances of the same key",
//! `reference_policies_grammar.html`, notes), but `serde_json` silently keeps the
//! last one; and our validation errors carry the position of the offending value.
//! Numbers are kept as their source text so printing a policy back does not
//! reformat them.

use std::borrow::Cow;

/// A position in the source text, both counted from 1. Columns count characters,
/// not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

/// A JSON value, borrowing from the text it was read from: a string without
/// escapes is a slice of it (most are), so reading allocates only for the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'t> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(&'t str),
    /// A string, unescaped.
    String(Cow<'t, str>),
    /// An array.
    Array(Vec<Node<'t>>),
    /// An object, members in source order, repeats kept.
    Object(Vec<Member<'t>>),
}

/// A value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'t> {
    /// The value.
    pub value: Json<'t>,
    /// Where it starts.
    pub pos: Pos,
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'t> {
    /// The key, unescaped.
    pub key: Cow<'t, str>,
    /// Where the key's opening quote is.
    pub key_pos: Pos,
    /// The value.
    pub value: Node<'t>,
}

impl<'t> Node<'t> {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[Member<'t>]> {
        match &self.value {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The first member named `key` (exact, case-sensitive).
    pub fn get(&self, key: &str) -> Option<&Member<'t>> {
        self.as_object()?.iter().find(|m| m.key == key)
    }

    /// The first repeated key anywhere in this value, depth first.
    pub fn first_duplicate_key(&self) -> Option<&Member<'t>> {
        match &self.value {
            Json::Object(members) => {
                for (i, m) in members.iter().enumerate() {
                    if members.iter().take(i).any(|earlier| earlier.key == m.key) {
                        return Some(m);
                    }
                    if let Some(d) = m.value.first_duplicate_key() {
                        return Some(d);
                    }
                }
                None
            }
            Json::Array(items) => items.iter().find_map(Node::first_duplicate_key),
            _ => None,
        }
    }
}

/// Why the text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Where the reader gave up.
    pub pos: Pos,
    /// What it expected.
    pub reason: &'static str,
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Parse one JSON document; whitespace may surround it, nothing else may.
pub fn parse(text: &str) -> Result<Node<'_>, JsonError> {
    let mut r = Reader {
        text,
        at: 0,
        line: 1,
        column: 1,
    };
    r.skip_ws();
    let node = r.value(0)?;
    r.skip_ws();
    if r.peek().is_some() {
        return Err(r.error("unexpected text after the document"));
    }
    Ok(node)
}

/// Reads bytes, steps over characters: everything JSON's grammar looks at is
/// ASCII, so a byte that starts a multi-byte character never matches it, and
/// the runs between (string contents) are copied as slices.
struct Reader<'t> {
    text: &'t str,
    /// Byte offset of the next character.
    at: usize,
    line: usize,
    /// In characters.
    column: usize,
}

impl<'t> Reader<'t> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            pos: self.pos(),
            reason,
        }
    }

    /// The next byte.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Step over the next character.
    fn bump(&mut self) -> Option<char> {
        let c = self.text.get(self.at..)?.chars().next()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn expect(&mut self, c: u8, reason: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'t>, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        let pos = self.pos();
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Json::String(self.string()?),
            Some(b't') => self.word("true", Json::Bool(true))?,
            Some(b'f') => self.word("false", Json::Bool(false))?,
            Some(b'n') => self.word("null", Json::Null)?,
            Some(c) if c == b'-' || c.is_ascii_digit() => Json::Number(self.number()?),
            _ => return Err(self.error("expected a value")),
        };
        Ok(Node { value, pos })
    }

    fn word(&mut self, word: &'static str, value: Json<'t>) -> Result<Json<'t>, JsonError> {
        for expected in word.bytes() {
            if self.peek() != Some(expected) {
                return Err(self.error("expected a value"));
            }
            self.bump();
        }
        Ok(value)
    }

    fn object(&mut self, depth: usize) -> Result<Json<'t>, JsonError> {
        self.bump();
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_pos = self.pos();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "expected `:`")?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member { key, key_pos, value });
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some('}') => return Ok(Json::Object(members)),
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json<'t>, JsonError> {
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some(']') => return Ok(Json::Array(items)),
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'t, str>, JsonError> {
        self.bump();
        let mut out = String::new();
        let mut first = true;
        loop {
            // The run of characters that need no attention: up to the next quote,
            // backslash or control character (all ASCII, so the run ends on a
            // character boundary, and holds no line break).
            let rest = self.text.get(self.at..).unwrap_or_default();
            let run = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            let plain = rest.get(..run).unwrap_or_default();
            self.column += plain.chars().count();
            self.at += run;
            // A string with no escape is the slice between its quotes.
            if first && rest.as_bytes().get(run) == Some(&b'"') {
                self.bump();
                return Ok(Cow::Borrowed(plain));
            }
            first = false;
            out.push_str(plain);
            match self.bump() {
                None => return Err(self.error("unterminated string")),
                Some('"') => return Ok(Cow::Owned(out)),
                Some('\\') => match self.bump() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('/') => out.push('/'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => out.push(self.unicode_escape()?),
                    _ => return Err(self.error("invalid escape")),
                },
                // Only a control character ends a run otherwise.
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or(self.error("invalid \\u escape"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.bump() != Some('\\') || self.bump() != Some('u') {
                return Err(self.error("unpaired surrogate"));
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.error("unpaired surrogate"));
            }
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return char::from_u32(c).ok_or(self.error("invalid \\u escape"));
        }
        char::from_u32(hi).ok_or(self.error("unpaired surrogate"))
    }

    fn digits(&mut self) -> usize {
        let mut n = 0;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.bump();
            n += 1;
        }
        n
    }

    /// A number, as written (the grammar is checked, the text kept).
    fn number(&mut self) -> Result<&'t str, JsonError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => {
                self.bump();
            }
            Some(c) if c.is_ascii_digit() => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(self.text.get(start..self.at).unwrap_or_default())
    }
}

/// Write `s` as a JSON string literal.
///
/// Characters above U+00FF are written as `\uXXXX` escapes (UTF-16 surrogate pairs
/// above U+FFFF): IAM refuses a document with such a character in its text
/// (`[\u0009\u000A\u000D\u0020-\u00FF]+`, `reference_iam-quotas.html`) but accepts
/// its escape, so a policy that holds one can only have been written escaped, and
/// printing it raw would give a document IAM refuses.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) > 0xFF => {
                let mut units = [0_u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Re-indent compact JSON (as printed by this crate) with two spaces, leaving
/// strings and numbers untouched.
pub fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !matches!(out.chars().last(), Some('{' | '[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// The document's length with whitespace outside strings removed: the size IAM
/// compares with its quotas ("Policy size calculations do not include white space
/// characters", `reference_policies_grammar.html`). Whether whitespace *inside*
/// strings counts is not documented; we count it (inferred).
pub fn minified_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut n = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if in_string {
            // Characters, not bytes: count all but UTF-8 continuation bytes.
            n += usize::from(b & 0xC0 != 0x80);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
        } else if b.is_ascii() {
            // `char::is_whitespace` on ASCII (which includes U+000B and U+000C).
            if !matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
                n += 1;
                in_string = b == b'"';
            }
            i += 1;
        } else {
            let c = text.get(i..).and_then(|t| t.chars().next()).unwrap_or_default();
            n += usize::from(!c.is_whitespace());
            i += c.len_utf8().max(1);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A string without escapes is a slice of the text; one with escapes is
    /// unescaped into its own, whatever runs surround the escapes.
    #[test]
    fn plain_strings_borrow_escaped_ones_own() {
        let node = parse(r#"["plain é", "a\nb", "\u00e9x", "x\"", ""]"#).unwrap();
        let Json::Array(items) = &node.value else {
            panic!("{node:?}")
        };
        let got: Vec<(bool, &str)> = items
            .iter()
            .map(|n| match &n.value {
                Json::String(s) => (matches!(s, Cow::Borrowed(_)), &**s),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                (true, "plain é"),
                (false, "a\nb"),
                (false, "éx"),
                (false, "x\""),
                (true, "")
            ]
        );
        assert_eq!(items[4].pos, Pos { line: 1, column: 39 });
    }

    #[test]
    fn positions_and_duplicates() {
        let text = "{\n  \"a\": 1,\n  \"b\": [true, \"x\\u00e9\"],\n  \"a\": null\n}";
        let node = parse(text).unwrap();
        let members = node.as_object().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[1].key_pos, Pos { line: 3, column: 3 });
        assert_eq!(members[1].value.pos, Pos { line: 3, column: 8 });
        let dup = node.first_duplicate_key().unwrap();
        assert_eq!(dup.key_pos, Pos { line: 4, column: 3 });
        match &members[1].value.value {
            Json::Array(items) => assert_eq!(items[1].as_str(), Some("xé")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_carry_positions() {
        let e = parse("{\"a\": }").unwrap_err();
        assert_eq!(e.pos, Pos { line: 1, column: 7 });
        assert!(parse("{} x").is_err());
        assert!(parse("[1,]").is_err());
        assert!(parse("01").is_err());
        assert_eq!(parse("-1.5e+3").unwrap().value, Json::Number("-1.5e+3"));
        assert!(parse(&"[".repeat(100)).is_err());
    }

    /// Columns count characters: string contents are copied as byte runs, and
    /// the column must still advance once per character after them.
    #[test]
    fn columns_after_multibyte_strings() {
        let node = parse("{\"k\": \"é😀x\", \"b\": 1}").unwrap();
        let members = node.as_object().unwrap();
        assert_eq!(members[0].value.as_str(), Some("é😀x"));
        assert_eq!(members[1].key_pos, Pos { line: 1, column: 14 });
        assert_eq!(members[1].value.pos, Pos { line: 1, column: 19 });
        // A control character ends a run and is refused just after it; a raw line
        // break moves the position to the next line, as when read one character at
        // a time.
        let e = parse("{\"a\": \"x\ty\"}").unwrap_err();
        assert_eq!(
            (e.reason, e.pos),
            ("control character in string", Pos { line: 1, column: 10 })
        );
        let e = parse("{\"a\": \"x\ny\"}").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, column: 1 });
        let e = parse("\"abc").unwrap_err();
        assert_eq!(
            (e.reason, e.pos),
            ("unterminated string", Pos { line: 1, column: 5 })
        );
    }

    #[test]
    fn surrogates() {
        assert_eq!(parse("\"\\ud83d\\ude00\"").unwrap().as_str(), Some("😀"));
        assert!(parse("\"\\ud83d\"").is_err());
    }

    #[test]
    fn indent_keeps_tokens() {
        let compact = "{\"a\":[1,{}],\"b\":\"x, {y}\",\"c\":[]}";
        let pretty = indent(compact);
        let a: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        let b: serde_json::Value = serde_json::from_str(compact).unwrap();
        assert_eq!(a, b);
        assert!(pretty.contains("\n  \"b\": \"x, {y}\""));
    }

    #[test]
    fn minified_length_ignores_whitespace_outside_strings() {
        assert_eq!(minified_len("{ \"a b\" : 1 }"), "{\"a b\":1}".len());
        assert_eq!(minified_len("{\"a\\\" \":1}"), "{\"a\\\" \":1}".len());
        // Characters, not bytes; Unicode whitespace outside strings is not counted.
        assert_eq!(minified_len("{\"é\" :\u{a0}1}"), 7);
        assert_eq!(minified_len("{\"a\u{b}\":\u{b}1}"), 8);
    }
}
