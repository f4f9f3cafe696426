//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, the escapes
//! `${*}`, `${?}`, `${$}`, and defaults `${aws:PrincipalTag/team, 'company-wide'}`
//! (`reference_policies_variables.html`).
//!
//! - Variables are recognised only under `"Version": "2012-10-17"`; under
//!   `2008-10-17`, or with no `Version`, `${…}` is literal text
//!   (`reference_policies_elements_version.html`). The caller decides by passing
//!   `variables: false` to [`Template::parse`].
//! - A variable whose key has no single value in the request (absent, or
//!   multivalued — "multivalued keys cannot" be variables) makes the element not
//!   match: a `Resource` entry matches nothing and a condition value matches
//!   nothing, so `StringEquals` is false and `StringNotEquals` is true.
//! - A substituted value is literal text: a `*` in a user name does not become a
//!   wildcard (not documented; inferred from the existence of the `${*}` escape).

use std::borrow::Cow;

use super::pattern::{wildcard_match, Tok};

/// Something that can give the single value of a condition key. `key_lc` is the
/// key lowercased (keys are case-insensitive).
pub trait Lookup {
    /// The key's value when it has exactly one; `None` when it is absent or
    /// multivalued.
    fn single(&self, key_lc: &str) -> Option<&str>;
}

/// A [`Lookup`] that knows no keys (used where variables are off).
#[derive(Debug, Clone, Copy)]
pub struct NoVariables;

impl Lookup for NoVariables {
    fn single(&self, _key_lc: &str) -> Option<&str> {
        None
    }
}

/// A `${key}` or `${key, 'default'}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    /// The key as written.
    pub key: String,
    /// The key lowercased, for lookup.
    pub key_lc: String,
    /// The default after `, '`, if any.
    pub default: Option<String>,
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Lit(String),
    /// A `*` wildcard.
    Star,
    /// A `?` wildcard.
    One,
    /// A variable.
    Var(VarRef),
}

/// A string with optional wildcards and variables, compiled once.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
    /// The same template without variables, ready for the matcher; `None` when
    /// variables are present and must be resolved first.
    plain: Option<Vec<Tok<Box<str>>>>,
}

impl Template {
    /// Compile `raw`. `variables` turns `${…}` on; `wildcards` turns `*`/`?` on.
    pub fn parse(raw: &str, variables: bool, wildcards: bool) -> Self {
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        let mut rest = raw;
        // Only `*`, `?` and `$` can mean something (all ASCII, so a run of other
        // bytes ends on a character boundary).
        let special = |b: u8| (wildcards && matches!(b, b'*' | b'?')) || (variables && b == b'$');
        while let Some(c) = rest.chars().next() {
            let run = rest.bytes().position(special).unwrap_or(rest.len());
            if let (Some(plain), Some(after)) = (rest.get(..run), rest.get(run..)) {
                if !plain.is_empty() {
                    lit.push_str(plain);
                    rest = after;
                    continue;
                }
            }
            if variables && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    let inner = rest.get(2..end).unwrap_or_default();
                    rest = rest.get(end + 1..).unwrap_or_default();
                    match inner {
                        "*" | "?" | "$" => lit.push_str(inner),
                        _ => {
                            flush(&mut parts, &mut lit);
                            parts.push(Part::Var(parse_var(inner)));
                        }
                    }
                    continue;
                }
            }
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
            match c {
                '*' if wildcards => {
                    flush(&mut parts, &mut lit);
                    if parts.last() != Some(&Part::Star) {
                        parts.push(Part::Star);
                    }
                }
                '?' if wildcards => {
                    flush(&mut parts, &mut lit);
                    parts.push(Part::One);
                }
                c => lit.push(c),
            }
        }
        flush(&mut parts, &mut lit);
        let plain = parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => Some(Tok::Lit(s.clone().into_boxed_str())),
                Part::Star => Some(Tok::Star),
                Part::One => Some(Tok::One),
                Part::Var(_) => None,
            })
            .collect::<Option<Vec<_>>>();
        Self { parts, plain }
    }

    /// Whether the template uses variables.
    pub fn has_variables(&self) -> bool {
        self.plain.is_none()
    }

    /// The variables (as written, `${key}`) that have no value in `env` and no default.
    pub fn unresolved(&self, env: &dyn Lookup) -> Vec<String> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(v) if v.default.is_none() && env.single(&v.key_lc).is_none() => {
                    Some(format!("${{{}}}", v.key))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether the last piece is a `*`.
    pub fn ends_with_star(&self) -> bool {
        self.parts.last() == Some(&Part::Star)
    }

    /// The pieces.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Does `text` match? `fold` compares ASCII case-insensitively.
    pub fn matches(&self, text: &str, env: &dyn Lookup, fold: bool) -> bool {
        if let Some(plain) = &self.plain {
            return wildcard_match(plain, text, fold);
        }
        let mut toks: Vec<Tok<&str>> = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            toks.push(match p {
                Part::Lit(s) => Tok::Lit(s),
                Part::Star => Tok::Star,
                Part::One => Tok::One,
                Part::Var(v) => match resolve(v, env) {
                    Some(value) => Tok::Lit(value),
                    None => return false,
                },
            });
        }
        wildcard_match(&toks, text, fold)
    }

    /// The text with variables substituted (for templates without wildcards);
    /// `None` when a variable has no value.
    pub fn resolve<'a>(&'a self, env: &'a dyn Lookup) -> Option<Cow<'a, str>> {
        if let [Part::Lit(s)] = self.parts.as_slice() {
            return Some(Cow::Borrowed(s));
        }
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Star => out.push('*'),
                Part::One => out.push('?'),
                Part::Var(v) => out.push_str(resolve(v, env)?),
            }
        }
        Some(Cow::Owned(out))
    }
}

fn resolve<'a>(v: &'a VarRef, env: &'a dyn Lookup) -> Option<&'a str> {
    env.single(&v.key_lc).or(v.default.as_deref())
}

fn flush(parts: &mut Vec<Part>, lit: &mut String) {
    if lit.is_empty() {
        return;
    }
    if let Some(Part::Lit(prev)) = parts.last_mut() {
        prev.push_str(lit);
        lit.clear();
    } else {
        parts.push(Part::Lit(std::mem::take(lit)));
    }
}

/// `key` or `key, 'default'` (the docs write comma, space, single-quoted default;
/// we accept any whitespace around the comma).
fn parse_var(inner: &str) -> VarRef {
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let default = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .map(str::to_owned);
            match default {
                Some(default) => (k.trim(), Some(default)),
                None => (inner, None),
            }
        }
        None => (inner.trim(), None),
    };
    VarRef {
        key: key.to_owned(),
        key_lc: key.to_lowercase(),
        default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Env(Vec<(&'static str, &'static str)>);
    impl Lookup for Env {
        fn single(&self, key_lc: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key_lc))
                .map(|(_, v)| *v)
        }
    }

    #[test]
    fn variables_and_escapes() {
        let env = Env(vec![("aws:username", "bob"), ("aws:PrincipalTag/team", "x*y")]);
        let t = Template::parse("home/${aws:username}/*", true, true);
        assert!(t.matches("home/bob/k", &env, false));
        assert!(!t.matches("home/alice/k", &env, false));
        // Substituted values are literal.
        let t = Template::parse("t/${aws:PrincipalTag/team}", true, true);
        assert!(t.matches("t/x*y", &env, false));
        assert!(!t.matches("t/xzzy", &env, false));
        // Escapes.
        let t = Template::parse("${*}", true, true);
        assert!(t.matches("*", &env, false));
        assert!(!t.matches("abc", &env, false));
        assert_eq!(
            Template::parse("a${$}b${?}", true, true).resolve(&env).as_deref(),
            Some("a$b?")
        );
        // Missing variable matches nothing; default fills in.
        let t = Template::parse("${aws:PrincipalTag/dept}", true, true);
        assert!(!t.matches("", &env, false));
        let t = Template::parse("b-${aws:PrincipalTag/dept, 'company-wide'}", true, true);
        assert!(t.matches("b-company-wide", &env, false));
        // Variables off: literal.
        let t = Template::parse("home/${aws:username}/x", false, true);
        assert!(t.matches("home/${aws:username}/x", &env, false));
        assert!(!t.matches("home/bob/x", &env, false));
        // Unclosed is literal.
        assert!(Template::parse("a${b", true, false).matches("a${b", &env, false));
    }
}
