//! The request context: condition keys and their values.
//!
//! Keys are case-insensitive, including the tag-key part of
//! `aws:PrincipalTag/K` (`reference_policies_elements_condition.html`). A key
//! holds one value or a set (`aws:TagKeys`); an empty set is the same as an
//! absent key (`ForAllValues` is true and `ForAnyValue` false for both,
//! `reference_policies_condition-single-vs-multi-valued-context-keys.html`).
//!
//! Keys that describe the caller (`aws:PrincipalArn`, `aws:PrincipalAccount`,
//! `aws:PrincipalType`, `aws:userid`, `aws:username`, `aws:PrincipalTag/K`,
//! `aws:PrincipalIsAWSService`) are derived from the [`Principal`] when the context
//! does not set them, so callers cannot forget them. Time arrives as
//! `aws:CurrentTime` / `aws:EpochTime` set by the caller: the engine reads no clock.

use std::borrow::Cow;

use compact_str::CompactString;

use super::principal::{Principal, PrincipalKind};
use super::variables::Lookup;

/// A condition key's value in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key. Most values (times, regions, flags, addresses, ids)
    /// fit `CompactString`'s 24 inline bytes: a request sets about a dozen.
    Single(CompactString),
    /// A multivalued key (`aws:TagKeys`, `s3:RequestObjectTagKeys`).
    Multi(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// As set: a literal (most keys) is kept without a copy.
    key: Cow<'static, str>,
    /// `key` lowercased, kept only when `key` is not ASCII: an ASCII key
    /// compares with `eq_ignore_ascii_case`, which allocates nothing (every key
    /// AWS defines is ASCII; tag keys need not be).
    key_lc: Option<Box<str>>,
    value: ContextValue,
}

impl Entry {
    /// Whether this entry's key, lowercased, is `key`, a key lowercased or an
    /// ASCII key in any case. `eq_ignore_ascii_case` suffices on both sides:
    /// what is not ASCII is already lowercase.
    fn is(&self, key: &str) -> bool {
        self.key_lc
            .as_deref()
            .unwrap_or(&self.key)
            .eq_ignore_ascii_case(key)
    }
}

/// Condition keys for one request. Build with [`RequestContext::set`] and
/// [`RequestContext::set_multi`]; look up with [`RequestContext::get`], which
/// ignores case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    entries: Vec<Entry>,
}

impl RequestContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty context with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
        }
    }

    /// Set a single-valued key (builder form).
    #[must_use]
    pub fn set(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<CompactString>) -> Self {
        self.insert(key, ContextValue::Single(value.into()));
        self
    }

    /// Add a key the context does not hold yet (builder form): [`RequestContext::set`]
    /// without the search for the key first. For the global keys, distinct ASCII
    /// literals set on every request, where `set` compared each new key with every
    /// key already set.
    #[must_use]
    pub(crate) fn with_new(mut self, key: &'static str, value: impl Into<CompactString>) -> Self {
        debug_assert!(key.is_ascii() && self.get(key).is_none(), "`{key}` set twice");
        self.entries.push(Entry {
            key: Cow::Borrowed(key),
            key_lc: None,
            value: ContextValue::Single(value.into()),
        });
        self
    }

    /// Set a multivalued key (builder form).
    #[must_use]
    pub fn set_multi<I, S>(mut self, key: impl Into<Cow<'static, str>>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert(
            key,
            ContextValue::Multi(values.into_iter().map(Into::into).collect()),
        );
        self
    }

    /// Set a key, replacing any value under the same key in any case.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: ContextValue) {
        let key = key.into();
        let key_lc = (!key.is_ascii()).then(|| key.to_lowercase().into_boxed_str());
        let probe = key_lc.as_deref().unwrap_or(&key);
        if let Some(e) = self.entries.iter_mut().find(|e| e.is(probe)) {
            e.key = key;
            e.key_lc = key_lc;
            e.value = value;
        } else {
            self.entries.push(Entry { key, key_lc, value });
        }
    }

    /// Remove a key (any case).
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        let key_lc = (!key.is_ascii()).then(|| key.to_lowercase());
        let probe = key_lc.as_deref().unwrap_or(key);
        let i = self.entries.iter().position(|e| e.is(probe))?;
        Some(self.entries.remove(i).value)
    }

    /// A key's value, ignoring case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.get_lc(&key.to_lowercase())
    }

    /// Lookup by an already-lowercased key (the hot path).
    pub(crate) fn get_lc(&self, key_lc: &str) -> Option<&ContextValue> {
        self.entries.iter().find(|e| e.is(key_lc)).map(|e| &e.value)
    }

    /// Every key as it was set, with its value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|e| (&*e.key, &e.value))
    }
}

/// What a lookup found: at least one value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> Values<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Many(v) => v.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Self::One(v) => (i == 0).then_some(*v),
            Self::Many(v) => v.get(i).map(String::as_str),
        }
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    pub(crate) fn to_vec(self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// The evaluation environment: the explicit context, then keys derived from
/// the principal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub principal: &'a Principal,
    pub context: &'a RequestContext,
}

impl<'a> Env<'a> {
    pub(crate) fn new(principal: &'a Principal, context: &'a RequestContext) -> Self {
        Self { principal, context }
    }

    /// The values of `key_lc` (lowercased), or `None` when absent or empty.
    pub(crate) fn values(&self, key_lc: &str) -> Option<Values<'a>> {
        if let Some(v) = self.context.get_lc(key_lc) {
            return match v {
                ContextValue::Single(s) => Some(Values::One(s)),
                ContextValue::Multi(m) if m.is_empty() => None,
                ContextValue::Multi(m) => Some(Values::Many(m)),
            };
        }
        self.derived(key_lc).map(Values::One)
    }

    fn derived(&self, key_lc: &str) -> Option<&'a str> {
        let p = self.principal;
        match key_lc {
            "aws:principalarn" => p.principal_arn(),
            "aws:principalaccount" => match p.kind {
                PrincipalKind::Anonymous => Some("anonymous"),
                _ => p.account.as_deref(),
            },
            "aws:principaltype" => Some(p.kind.principal_type()),
            "aws:userid" => Some(&p.unique_id),
            "aws:username" => p.username.as_deref(),
            "aws:principalisawsservice" => match p.kind {
                PrincipalKind::Anonymous => None,
                PrincipalKind::Service => Some("true"),
                _ => Some("false"),
            },
            "aws:principalservicename" => (p.kind == PrincipalKind::Service).then_some(p.arn.as_str()),
            _ => key_lc
                .strip_prefix("aws:principaltag/")
                .and_then(|tag| p.tag(tag)),
        }
    }
}

impl Lookup for Env<'_> {
    fn single(&self, key_lc: &str) -> Option<&str> {
        match self.values(key_lc)? {
            Values::One(v) => Some(v),
            Values::Many(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_keys_and_derived_values() {
        let ctx = RequestContext::new()
            .set("aws:SourceIp", "203.0.113.9")
            .set_multi("aws:TagKeys", ["a", "b"])
            .set_multi("aws:Empty", Vec::<String>::new());
        assert!(matches!(ctx.get("AWS:SOURCEIP"), Some(ContextValue::Single(v)) if v == "203.0.113.9"));
        let p = Principal::user("111111111111", "/", "bob", "AIDA1").with_tag("Team", "x");
        let env = Env::new(&p, &ctx);
        assert_eq!(env.single("aws:sourceip"), Some("203.0.113.9"));
        assert_eq!(env.single("aws:tagkeys"), None);
        assert_eq!(env.values("aws:tagkeys").map(|v| v.len()), Some(2));
        assert!(env.values("aws:empty").is_none());
        assert_eq!(env.single("aws:username"), Some("bob"));
        assert_eq!(env.single("aws:principaltag/team"), Some("x"));
        assert_eq!(env.single("aws:principaltype"), Some("User"));
        let ctx = ctx.set("AWS:USERNAME", "override");
        assert_eq!(Env::new(&p, &ctx).single("aws:username"), Some("override"));
    }

    /// Non-ASCII tag keys compare by their full lowercase, as ASCII ones do by
    /// theirs: "K" (U+212A KELVIN SIGN) lowercases to ASCII "k".
    #[test]
    fn keys_match_in_any_case_beyond_ascii() {
        let ctx = RequestContext::new()
            .set("aws:PrincipalTag/Ärger", "1")
            .set("aws:PrincipalTag/\u{212A}ey", "2");
        assert!(matches!(ctx.get("AWS:PRINCIPALTAG/äRGER"), Some(ContextValue::Single(v)) if v == "1"));
        assert!(matches!(ctx.get("aws:principaltag/KEY"), Some(ContextValue::Single(v)) if v == "2"));
        assert!(ctx.get("aws:principaltag/arger").is_none());
        // Setting the same key in another case replaces it, ASCII or not.
        let mut ctx = ctx
            .set("aws:principaltag/key", "3")
            .set("AWS:PRINCIPALTAG/ÄRGER", "4");
        assert_eq!(ctx.iter().count(), 2);
        assert!(matches!(ctx.get("aws:principaltag/\u{212A}EY"), Some(ContextValue::Single(v)) if v == "3"));
        assert!(matches!(ctx.remove("aws:principaltag/ärger"), Some(ContextValue::Single(v)) if v == "4"));
        assert_eq!(ctx.iter().count(), 1);
    }
}
