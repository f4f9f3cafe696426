//! Wildcard matching: `*` (any run, including empty) and `?` (one character),
//! with no regular expressions at run time. Patterns are compiled once, when the
//! policy is parsed.
//!
//! - Actions match case-insensitively (`iam:ListAccessKeys` ≡ `IAM:listaccesskeys`,
//!   `reference_policies_elements_action.html`).
//! - `StringLike` matches the whole string; `*` crosses `:` and `/`.
//! - `Resource` and `ArnLike` match per colon-delimited ARN segment; the sixth
//!   segment (the resource part) is everything after the fifth colon, colons
//!   included (`reference_policies_elements_resource.html`,
//!   `reference_policies_elements_condition_operators.html` ARN operators).
//! - 2024 rule for `Resource` only: "If the `*` wildcard is the last character of a
//!   resource ARN segment, it can expand to match beyond the colon boundaries"
//!   (live `reference_policies_elements_resource.html`). The doc's example is
//!   `arn:aws:sqs:us-east-1:*` matching `arn:aws:sqs:us-east-1:111111111111:q`, a
//!   pattern with fewer than six segments. We apply the rule exactly there: when a
//!   pattern has fewer than six segments and its last one ends in `*`, that segment
//!   matches the rest of the value, colons included. A `*` closing a *middle*
//!   segment still stops at the colon (the exact extent is iam.md §8 open question 4;
//!   inferred). `ArnLike` keeps the strict six-segment rule (the 2024 text is about
//!   the `Resource` element; inferred).

use super::variables::{Lookup, Template};

/// One pattern token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok<S> {
    /// Literal text.
    Lit(S),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Tokenise a wildcard pattern (no variables, no escapes).
pub fn tokenize(pattern: &str) -> Vec<Tok<Box<str>>> {
    let mut toks: Vec<Tok<Box<str>>> = Vec::new();
    let mut rest = pattern;
    // `*` and `?` are ASCII: the literal runs between them are slices, each
    // copied once.
    while let Some(i) = rest.bytes().position(|b| b == b'*' || b == b'?') {
        let (lit, tail) = rest.split_at(i);
        if !lit.is_empty() {
            toks.push(Tok::Lit(lit.into()));
        }
        if tail.starts_with('?') {
            toks.push(Tok::One);
        } else if toks.last() != Some(&Tok::Star) {
            toks.push(Tok::Star);
        }
        rest = tail.get(1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        toks.push(Tok::Lit(rest.into()));
    }
    toks
}

/// Length of the UTF-8 sequence that starts with `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0x80..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

fn starts_with(hay: &[u8], lit: &[u8], fold: bool) -> bool {
    match hay.get(..lit.len()) {
        Some(head) if fold => head.eq_ignore_ascii_case(lit),
        Some(head) => head == lit,
        None => false,
    }
}

/// Does `text` match `toks` entirely? `fold` compares ASCII letters
/// case-insensitively.
///
/// Greedy matching that backtracks only to the most recent `*`: correct for
/// glob patterns because a later `*` can absorb anything an earlier one could.
/// Worst case O(|pattern|·|text|), no allocation.
pub fn wildcard_match<S: AsRef<str>>(toks: &[Tok<S>], text: &str, fold: bool) -> bool {
    let t = text.as_bytes();
    let mut ti = 0usize;
    let mut pos = 0usize;
    // (token index after the last `*`, text position that `*` will absorb up to next)
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if let Some(tok) = toks.get(ti) {
            match tok {
                Tok::Star => {
                    if ti + 1 == toks.len() {
                        return true;
                    }
                    backtrack = Some((ti + 1, pos));
                    ti += 1;
                    continue;
                }
                Tok::One => {
                    if let Some(&b) = t.get(pos) {
                        pos += utf8_len(b);
                        ti += 1;
                        continue;
                    }
                }
                Tok::Lit(s) => {
                    let s = s.as_ref().as_bytes();
                    if starts_with(t.get(pos..).unwrap_or_default(), s, fold) {
                        pos += s.len();
                        ti += 1;
                        continue;
                    }
                }
            }
        } else if pos == t.len() {
            return true;
        }
        match backtrack {
            Some((after_star, from)) if from < t.len() => {
                let next = from + t.get(from).map_or(1, |&b| utf8_len(b));
                backtrack = Some((after_star, next));
                ti = after_star;
                pos = next;
            }
            _ => return false,
        }
    }
}

/// A compiled wildcard pattern without variables (actions, service names).
#[derive(Debug, Clone)]
pub struct Wildcard {
    raw: String,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    Any,
    Exact,
    Prefix(Box<str>),
    General(Vec<Tok<Box<str>>>),
}

impl PartialEq for Wildcard {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Wildcard {
    /// Compile `pattern`.
    pub fn new(pattern: &str) -> Self {
        let toks = tokenize(pattern);
        let shape = match toks.as_slice() {
            [Tok::Star] => Shape::Any,
            [] | [Tok::Lit(_)] => Shape::Exact,
            [Tok::Lit(p), Tok::Star] => Shape::Prefix(p.clone()),
            _ => Shape::General(toks),
        };
        Self {
            raw: pattern.to_owned(),
            shape,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Match with ASCII case folding (actions).
    pub fn matches_fold(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact => self.raw.eq_ignore_ascii_case(text),
            Shape::Prefix(p) => starts_with(text.as_bytes(), p.as_bytes(), true),
            Shape::General(toks) => wildcard_match(toks, text, true),
        }
    }

    /// Match case-sensitively.
    pub fn matches(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact => self.raw == text,
            Shape::Prefix(p) => text.starts_with(&**p),
            Shape::General(toks) => wildcard_match(toks, text, false),
        }
    }
}

/// Split an ARN (or ARN pattern) into at most six segments: five colon-delimited
/// ones and the resource part, which keeps its colons.
pub fn arn_segments(s: &str) -> impl Iterator<Item = &str> {
    s.splitn(6, ':')
}

/// A compiled `Resource`/`NotResource` entry or `Arn*` condition value.
#[derive(Debug, Clone)]
pub struct ArnPattern {
    raw: String,
    kind: ArnKind,
}

#[derive(Debug, Clone)]
enum ArnKind {
    /// `*`.
    Any,
    /// Six segments whose first five are plain text (the common case:
    /// `arn:aws:s3:::bucket/*`): the value must start with the prefix, up to and
    /// including the fifth colon, and the rest must match the resource part.
    Prefixed(Box<str>, Template),
    /// Per-segment templates, 1 to 6 of them.
    Segments(Vec<Template>),
}

impl PartialEq for ArnPattern {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

/// How far a trailing `*` may reach; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnMode {
    /// The `Resource` element: a last `*` of a short pattern crosses colons.
    Resource,
    /// `ArnLike` and friends: strictly per segment.
    Condition,
}

impl ArnPattern {
    /// The variables of the pattern that have no value in `env` (see
    /// [`Template::unresolved`]).
    pub fn unresolved(&self, env: &dyn crate::iam::variables::Lookup) -> Vec<String> {
        match &self.kind {
            ArnKind::Any => Vec::new(),
            ArnKind::Prefixed(_, t) => t.unresolved(env),
            ArnKind::Segments(ts) => ts.iter().flat_map(|t| t.unresolved(env)).collect(),
        }
    }

    /// Compile `raw`. `variables` enables `${…}` in the resource part (the text
    /// after the fifth colon, the only place the docs allow them in `Resource`,
    /// `reference_policies_variables.html`).
    pub fn new(raw: &str, variables: bool) -> Self {
        if raw == "*" {
            return Self {
                raw: raw.to_owned(),
                kind: ArnKind::Any,
            };
        }
        // Five plain segments (no `*` or `?`; variables are only read in the
        // resource part) and a resource part, the common case: only the resource
        // part needs compiling, and a value must start with the rest as written.
        if let Some((fifth_colon, _)) = raw.match_indices(':').nth(4) {
            let (head, resource) = raw.split_at(fifth_colon + 1);
            if !head.contains(['*', '?']) {
                return Self {
                    raw: raw.to_owned(),
                    kind: ArnKind::Prefixed(head.into(), Template::parse(resource, variables, true)),
                };
            }
        }
        // Otherwise one template per segment.
        let segments = arn_segments(raw)
            .enumerate()
            .map(|(i, seg)| Template::parse(seg, variables && i == 5, true))
            .collect();
        Self {
            raw: raw.to_owned(),
            kind: ArnKind::Segments(segments),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether it is `*`.
    pub fn is_any(&self) -> bool {
        matches!(self.kind, ArnKind::Any)
    }

    /// Does `value` match? Variables resolve through `env`; a variable without a
    /// value makes the pattern match nothing.
    pub fn matches(&self, value: &str, env: &dyn Lookup, mode: ArnMode) -> bool {
        let segs = match &self.kind {
            ArnKind::Any => return true,
            ArnKind::Prefixed(prefix, resource) => {
                return value
                    .strip_prefix(&**prefix)
                    .is_some_and(|rest| resource.matches(rest, env, false));
            }
            ArnKind::Segments(segs) => segs,
        };
        let mut rest = value;
        let mut exhausted = false;
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            if exhausted {
                return false;
            }
            if i == 5 || (last && mode == ArnMode::Resource && seg.ends_with_star()) {
                return seg.matches(rest, env, false);
            }
            let piece = match crate::util::split_once_ascii::<b':'>(rest) {
                Some((head, tail)) => {
                    rest = tail;
                    head
                }
                None => {
                    exhausted = true;
                    std::mem::take(&mut rest)
                }
            };
            if !seg.matches(piece, env, false) {
                return false;
            }
        }
        // A short pattern without a crossing `*` covers only values with exactly as
        // many segments.
        exhausted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::variables::NoVariables;

    fn wm(p: &str, t: &str) -> bool {
        wildcard_match(&tokenize(p), t, false)
    }

    #[test]
    fn wildcard_basics() {
        let rows = [
            ("*", "", true),
            ("*", "anything:at/all", true),
            ("", "", true),
            ("", "a", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbcd", false),
            ("*Object*", "PutObjectAcl", true),
            ("b/*/test/*", "b/1/2/test/x.jpg", true),
            ("b/*/test/*", "b/test/x.jpg", false),
            ("b/*/test/*", "b//test/x", true),
            ("b/*/test/*", "b/1-test/x", false),
            ("?", "é", true),
            ("é*", "éa", true),
            ("a**b", "ab", true),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ];
        for (p, t, want) in rows {
            assert_eq!(wm(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn action_folding() {
        let w = Wildcard::new("S3:PUTOBJECT");
        assert!(w.matches_fold("s3:PutObject"));
        assert!(!w.matches("s3:PutObject"));
        assert!(Wildcard::new("s3:*Object*").matches_fold("S3:putobjectacl"));
        assert!(Wildcard::new("s3:Put*").matches_fold("s3:putObject"));
        assert!(!Wildcard::new("s3:Put*").matches_fold("s3:GetObject"));
        assert!(Wildcard::new("*").matches_fold("anything"));
    }

    #[test]
    fn arn_segments_and_trailing_star() {
        let env = NoVariables;
        let rows = [
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", ArnMode::Resource, true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b", ArnMode::Resource, false),
            ("arn:aws:s3:::b*", "arn:aws:s3:::b:x", ArnMode::Resource, true),
            (
                "arn:aws:sqs:us-east-1:*",
                "arn:aws:sqs:us-east-1:111111111111:q",
                ArnMode::Resource,
                true,
            ),
            (
                "arn:aws:sqs:us-east-1:*",
                "arn:aws:sqs:us-east-1:111111111111:q",
                ArnMode::Condition,
                false,
            ),
            (
                "arn:aws:sqs:*:111:q",
                "arn:aws:sqs:us-east-1:111:q",
                ArnMode::Resource,
                true,
            ),
            (
                "arn:aws:sqs:*:111:q",
                "arn:aws:sqs:us-east-1:x:111:q",
                ArnMode::Resource,
                false,
            ),
            (
                "arn:aws:someservice:*:111122223333:finance/*",
                "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
                ArnMode::Condition,
                false,
            ),
            ("arn:aws:iam::*", "arn:aws:iam::1:role/r", ArnMode::Resource, true),
            ("arn:aws:iam", "arn:aws:iam::1:role/r", ArnMode::Resource, false),
            ("*", "whatever", ArnMode::Condition, true),
        ];
        for (p, v, mode, want) in rows {
            assert_eq!(
                ArnPattern::new(p, true).matches(v, &env, mode),
                want,
                "{p} vs {v} ({mode:?})"
            );
        }
    }
}
