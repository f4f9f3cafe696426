//! Condition operators as a table (name → test function), and how one
//! `Condition` block evaluates (`reference_policies_elements_condition_operators.html`,
//! `reference_policies_condition-single-vs-multi-valued-context-keys.html`).
//!
//! Semantics, with K the key, V the policy values, C the request's values:
//! - Operators AND together, keys under one operator AND together, the values of
//!   one key OR together.
//! - A negated operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …) is true
//!   for a context value when *no* policy value matches it (NOR).
//! - K absent: positive operators are false, negated ones true; `…IfExists` is
//!   true; `Null` tests absence.
//! - `ForAllValues:` is ∀c∈C, true when C is empty or absent; `ForAnyValue:` is
//!   ∃c∈C, false when C is empty or absent, **with or without `IfExists`**: a test
//!   against AWS (re:Post question QU9HFmDzP0QGuU-fd7rS6B7w, "ForAnyValue:
//!   StringEqualsIfExists behaving unexpectedly": a policy whose only statement
//!   carried `ForAnyValue:StringEqualsIfExists` on `aws:TagKeys` denied
//!   `ListQueues`, which sends no tags) shows `ForAnyValue` stays false for an
//!   absent key; the guide says it "returns false" when the key does not exist.
//! - A multivalued K with a plain operator (no `ForAllValues:`/`ForAnyValue:`) is
//!   not in the guide beyond "multivalued context keys require a condition set
//!   operator". The strongest evidence is that such a condition never matches,
//!   negated operators and `IfExists` included: AWS's re:Inforce 2025 session
//!   IAM431, as reported by `cloud-copilot/iam-simulate` (condition.ts), a test
//!   against AWS in `boogy/iam-policy-validator` #161 (`StringEquals` on
//!   `aws:CalledVia` denied where `ForAnyValue:StringEquals` allowed), and IAM
//!   Access Analyzer's `MISSING_QUALIFIER` finding. [`MultiValueMode`] keeps the
//!   older readings for comparison.
//! - Values that cannot be parsed (a non-numeric number, a bad IP) match nothing.

use std::net::IpAddr;
use std::str::FromStr;

use base64::Engine as _;
use ipnet::IpNet;

use super::context::{Env, Values};
use super::decision::Miss;
use super::json::write_string;
use super::pattern::{ArnMode, ArnPattern};
use super::variables::{Lookup, Template};

/// How a policy value is compiled, by operator family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Exact strings, variables allowed.
    String,
    /// Strings with `*`/`?`, variables allowed.
    StringLike,
    /// ARNs compared per segment, with `*`/`?`, variables allowed.
    Arn,
    /// Integers or decimals.
    Numeric,
    /// ISO 8601 dates or epoch seconds.
    Date,
    /// `true`/`false`.
    Bool,
    /// Base64 in the policy, bytes compared.
    Binary,
    /// IPv4/IPv6 addresses and CIDR blocks.
    Ip,
    /// `Null`: tests whether the key is absent.
    Null,
}

/// A compiled policy value.
#[derive(Debug, Clone)]
pub enum PolicyValue {
    /// A string template.
    Str(Template),
    /// An ARN pattern.
    Arn(ArnPattern),
    /// A number; `None` if it did not parse.
    Num(Option<f64>),
    /// Nanoseconds since the epoch; `None` if it did not parse.
    Date(Option<i128>),
    /// A boolean (also `Null`'s value); `None` if neither `true` nor `false`.
    Bool(Option<bool>),
    /// Decoded bytes; `None` if not base64.
    Bytes(Option<Vec<u8>>),
    /// A network; `None` if it did not parse.
    Net(Option<IpNet>),
}

/// A test: does the context value `c` match policy value `v`?
pub type TestFn = fn(v: &PolicyValue, c: &str, env: &dyn Lookup) -> bool;

/// One row of the operator table.
#[derive(Debug)]
pub struct OperatorDef {
    /// The name as written in policies.
    pub name: &'static str,
    /// How its values compile.
    pub family: Family,
    /// Whether it is the negation of `test` (NOR over the policy values).
    pub negated: bool,
    /// The positive test.
    pub test: TestFn,
}

const fn op(name: &'static str, family: Family, negated: bool, test: TestFn) -> OperatorDef {
    OperatorDef {
        name,
        family,
        negated,
        test,
    }
}

/// Every operator IAM knows (`reference_policies_elements_condition_operators.html`).
pub static OPERATORS: &[OperatorDef] = &[
    op("StringEquals", Family::String, false, string_equals),
    op("StringNotEquals", Family::String, true, string_equals),
    op(
        "StringEqualsIgnoreCase",
        Family::String,
        false,
        string_equals_ignore_case,
    ),
    op(
        "StringNotEqualsIgnoreCase",
        Family::String,
        true,
        string_equals_ignore_case,
    ),
    op("StringLike", Family::StringLike, false, string_like),
    op("StringNotLike", Family::StringLike, true, string_like),
    op("NumericEquals", Family::Numeric, false, numeric_eq),
    op("NumericNotEquals", Family::Numeric, true, numeric_eq),
    op("NumericLessThan", Family::Numeric, false, numeric_lt),
    op("NumericLessThanEquals", Family::Numeric, false, numeric_le),
    op("NumericGreaterThan", Family::Numeric, false, numeric_gt),
    op("NumericGreaterThanEquals", Family::Numeric, false, numeric_ge),
    op("DateEquals", Family::Date, false, date_eq),
    op("DateNotEquals", Family::Date, true, date_eq),
    op("DateLessThan", Family::Date, false, date_lt),
    op("DateLessThanEquals", Family::Date, false, date_le),
    op("DateGreaterThan", Family::Date, false, date_gt),
    op("DateGreaterThanEquals", Family::Date, false, date_ge),
    op("Bool", Family::Bool, false, bool_equals),
    op("BinaryEquals", Family::Binary, false, binary_equals),
    op("IpAddress", Family::Ip, false, ip_in),
    op("NotIpAddress", Family::Ip, true, ip_in),
    // ArnEquals and ArnLike behave identically (the docs say so).
    op("ArnEquals", Family::Arn, false, arn_like),
    op("ArnLike", Family::Arn, false, arn_like),
    op("ArnNotEquals", Family::Arn, true, arn_like),
    op("ArnNotLike", Family::Arn, true, arn_like),
    op("Null", Family::Null, false, null_never),
];

/// Look an operator up by its exact name (without qualifier or `IfExists`).
/// Operator names are matched case-sensitively (not documented; inferred from the
/// grammar listing them as literal names).
pub fn lookup(name: &str) -> Option<&'static OperatorDef> {
    OPERATORS.iter().find(|d| d.name == name)
}

fn string_equals(v: &PolicyValue, c: &str, env: &dyn Lookup) -> bool {
    matches!(v, PolicyValue::Str(t) if t.resolve(env).is_some_and(|s| s == c))
}

fn string_equals_ignore_case(v: &PolicyValue, c: &str, env: &dyn Lookup) -> bool {
    let PolicyValue::Str(t) = v else {
        return false;
    };
    t.resolve(env).is_some_and(|s| {
        s.chars()
            .flat_map(char::to_lowercase)
            .eq(c.chars().flat_map(char::to_lowercase))
    })
}

fn string_like(v: &PolicyValue, c: &str, env: &dyn Lookup) -> bool {
    matches!(v, PolicyValue::Str(t) if t.matches(c, env, false))
}

fn arn_like(v: &PolicyValue, c: &str, env: &dyn Lookup) -> bool {
    matches!(v, PolicyValue::Arn(p) if p.matches(c, env, ArnMode::Condition))
}

fn numeric(v: &PolicyValue, c: &str, cmp: fn(f64, f64) -> bool) -> bool {
    match (v, c.trim().parse::<f64>()) {
        (PolicyValue::Num(Some(p)), Ok(c)) => cmp(c, *p),
        _ => false,
    }
}

fn numeric_eq(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    numeric(v, c, |c, p| c == p)
}
fn numeric_lt(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    numeric(v, c, |c, p| c < p)
}
fn numeric_le(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    numeric(v, c, |c, p| c <= p)
}
fn numeric_gt(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    numeric(v, c, |c, p| c > p)
}
fn numeric_ge(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    numeric(v, c, |c, p| c >= p)
}

fn date(v: &PolicyValue, c: &str, cmp: fn(i128, i128) -> bool) -> bool {
    match (v, parse_date(c)) {
        (PolicyValue::Date(Some(p)), Some(c)) => cmp(c, *p),
        _ => false,
    }
}

fn date_eq(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    date(v, c, |c, p| c == p)
}
fn date_lt(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    date(v, c, |c, p| c < p)
}
fn date_le(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    date(v, c, |c, p| c <= p)
}
fn date_gt(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    date(v, c, |c, p| c > p)
}
fn date_ge(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    date(v, c, |c, p| c >= p)
}

fn bool_equals(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    matches!(v, PolicyValue::Bool(Some(p)) if parse_bool(c) == Some(*p))
}

/// `BinaryEquals`: the policy holds base64; the context value is compared as
/// base64 too, falling back to its raw bytes when it is not base64 (how the
/// context carries binary keys is not documented; inferred).
fn binary_equals(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    let PolicyValue::Bytes(Some(p)) = v else {
        return false;
    };
    match base64::engine::general_purpose::STANDARD.decode(c) {
        Ok(bytes) => &bytes == p,
        Err(_) => c.as_bytes() == p.as_slice(),
    }
}

fn ip_in(v: &PolicyValue, c: &str, _: &dyn Lookup) -> bool {
    match (v, c.trim().parse::<IpAddr>()) {
        (PolicyValue::Net(Some(net)), Ok(addr)) => net.contains(&addr),
        _ => false,
    }
}

/// `Null` is evaluated on presence, not per value; see [`ConditionEntry`].
fn null_never(_: &PolicyValue, _: &str, _: &dyn Lookup) -> bool {
    false
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    // "A bare IP = /32" (OPS): an address without a prefix is a single host.
    IpNet::from_str(s)
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn int_in(s: &str, lo: i64, hi: i64) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|v| (lo..=hi).contains(v))
}

/// Parse a date as IAM does: W3C/ISO 8601 (`2020-01-01`, `2020-01-01T00:00:01Z`,
/// fractional seconds, `+hh:mm` offsets, lowercase `t`/`z`) or epoch seconds.
/// A value containing `t` or `-` is ISO; otherwise it is an epoch integer
/// (the split moto's AWS-captured validator uses). Returns nanoseconds since the
/// epoch.
pub fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim().to_ascii_lowercase();
    if !s.contains('t') && !s.contains('-') {
        let secs = int_in(&s, 0, i64::MAX)?;
        return Some(i128::from(secs) * 1_000_000_000);
    }
    let (date, time) = s.split_once('t').unwrap_or((&s, ""));
    let (negative, date) = match date.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, date),
    };
    let mut dp = date.split('-');
    let year = int_in(dp.next()?, 0, 292_278_993)?;
    let year = if negative { -year } else { year };
    let month = dp.next().map_or(Some(1), |m| int_in(m, 1, 12))?;
    let day = dp.next().map_or(Some(1), |d| int_in(d, 1, 31))?;
    if dp.next().is_some() {
        return None;
    }
    // Zone: `z`, or `+hh[:mm]` / `-hh[:mm]`.
    let (clock, offset_secs) = if let Some(c) = time.strip_suffix('z') {
        (c, 0)
    } else if let Some(i) = time.find(['+', '-']) {
        let (c, zone) = time.split_at(i);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zone = zone.get(1..)?;
        let (h, m) = zone.split_once(':').unwrap_or((zone, "00"));
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        (c, sign * (int_in(h, 0, 23)? * 3600 + int_in(m, 0, 59)? * 60))
    } else {
        (time, 0)
    };
    let mut tp = clock.split(':');
    let hour = match tp.next() {
        None | Some("") => 0,
        Some(h) => int_in(h, 0, 23)?,
    };
    let minute = tp.next().map_or(Some(0), |m| int_in(m, 0, 59))?;
    let (second, nanos) = match tp.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let whole = int_in(whole, 0, 59)?;
            let nanos = if frac.is_empty() {
                0
            } else {
                if frac.len() > 9 {
                    return None;
                }
                int_in(frac, 0, 999_999_999)? * 10_i64.pow(9 - frac.len() as u32)
            };
            (whole, nanos)
        }
    };
    if tp.next().is_some() {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
}

/// `ForAllValues:` / `ForAnyValue:` / neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// No set operator.
    None,
    /// `ForAllValues:`.
    ForAllValues,
    /// `ForAnyValue:`.
    ForAnyValue,
}

/// How an unqualified operator treats a multivalued key (undocumented; see the
/// module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultiValueMode {
    /// Never matches (default: the strongest evidence).
    #[default]
    Never,
    /// As `ForAnyValue:`.
    AnyValue,
    /// As `ForAllValues:` over the (non-empty) set.
    AllValues,
}

/// A parsed operator name such as `ForAnyValue:StringEqualsIfExists`.
#[derive(Debug, Clone)]
pub struct Operator {
    /// As written.
    pub raw: String,
    /// The table row; `None` for a name IAM does not know (accepted only with
    /// an empty map, which then constrains nothing).
    pub def: Option<&'static OperatorDef>,
    /// The set qualifier.
    pub qualifier: Qualifier,
    /// Whether it ends in `IfExists`.
    pub if_exists: bool,
}

impl Operator {
    /// Split the qualifier and `IfExists` off `raw` and look the rest up.
    pub fn parse(raw: &str) -> Self {
        let (qualifier, rest) = if let Some(r) = raw.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else if let Some(r) = raw.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else {
            (Qualifier::None, raw)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        Self {
            raw: raw.to_owned(),
            def: lookup(base),
            qualifier,
            if_exists,
        }
    }
}

/// How a value was written in JSON, so printing keeps its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralKind {
    /// `"…"`.
    String,
    /// A bare number.
    Number,
    /// A bare `true`/`false`.
    Bool,
}

/// A condition value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// The text (a string's content, a number's digits, `true`/`false`).
    pub text: String,
    /// Its JSON type.
    pub kind: LiteralKind,
}

/// One `"key": values` under an operator.
#[derive(Debug, Clone)]
pub struct ConditionEntry {
    /// The key as written.
    pub key: String,
    key_lc: String,
    /// The values as written.
    pub literals: Vec<Literal>,
    values: Vec<PolicyValue>,
}

impl PartialEq for ConditionEntry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.literals == other.literals
    }
}

/// One `"Operator": { … }` member of a `Condition`.
#[derive(Debug, Clone)]
pub struct OperatorBlock {
    /// The operator.
    pub operator: Operator,
    /// Its keys, in source order.
    pub entries: Vec<ConditionEntry>,
}

impl PartialEq for OperatorBlock {
    fn eq(&self, other: &Self) -> bool {
        self.operator.raw == other.operator.raw && self.entries == other.entries
    }
}

/// Compile one value for `family`.
fn compile_value(family: Family, lit: &Literal, variables: bool) -> PolicyValue {
    let t = lit.text.as_str();
    match family {
        Family::String => PolicyValue::Str(Template::parse(t, variables, false)),
        Family::StringLike => PolicyValue::Str(Template::parse(t, variables, true)),
        // Variables are honoured in the resource part of ARN values.
        Family::Arn => PolicyValue::Arn(ArnPattern::new(t, variables)),
        Family::Numeric => PolicyValue::Num(t.trim().parse::<f64>().ok().filter(|f| f.is_finite())),
        Family::Date => PolicyValue::Date(parse_date(t)),
        Family::Bool | Family::Null => PolicyValue::Bool(parse_bool(t)),
        Family::Binary => PolicyValue::Bytes(base64::engine::general_purpose::STANDARD.decode(t.trim()).ok()),
        Family::Ip => PolicyValue::Net(parse_net(t)),
    }
}

impl ConditionEntry {
    /// Compile `key: literals` for `operator`. `variables` is on under 2012-10-17.
    pub fn new(operator: &Operator, key: &str, literals: Vec<Literal>, variables: bool) -> Self {
        let values = match operator.def {
            Some(def) => literals
                .iter()
                .map(|l| compile_value(def.family, l, variables))
                .collect(),
            None => Vec::new(),
        };
        Self {
            key: key.to_owned(),
            key_lc: key.to_lowercase(),
            literals,
            values,
        }
    }

    /// Does this entry hold in `env`?
    pub(crate) fn holds(&self, operator: &Operator, env: &Env<'_>, mode: MultiValueMode) -> bool {
        let Some(def) = operator.def else {
            return true;
        };
        let found = env.values(&self.key_lc);
        if def.family == Family::Null {
            // "true" ⇒ the key is absent; "false" ⇒ present and not null.
            let present = found.is_some();
            return self
                .values
                .iter()
                .any(|v| matches!(v, PolicyValue::Bool(Some(b)) if *b != present));
        }
        let Some(vals) = found else {
            return match operator.qualifier {
                Qualifier::ForAllValues => true,
                // `IfExists` does not make an absent key true here (module docs).
                Qualifier::ForAnyValue => false,
                Qualifier::None => operator.if_exists || def.negated,
            };
        };
        let one = |c: &str| self.values.iter().any(|v| (def.test)(v, c, env)) != def.negated;
        match (operator.qualifier, vals, mode) {
            (Qualifier::ForAllValues, vals, _) => vals.iter().all(one),
            (Qualifier::ForAnyValue, vals, _) => vals.iter().any(one),
            (Qualifier::None, Values::One(c), _) => one(c),
            (Qualifier::None, Values::Many(_), MultiValueMode::Never) => false,
            (Qualifier::None, many, MultiValueMode::AnyValue) => many.iter().any(one),
            (Qualifier::None, many, MultiValueMode::AllValues) => many.iter().all(one),
        }
    }

    /// The undocumented reading that decided this entry in `env`, if one did:
    /// a plain operator on a multivalued key, `ForAnyValue:…IfExists` on an absent
    /// key, or a policy variable with no value for this caller.
    pub(crate) fn reading(&self, operator: &Operator, env: &Env<'_>, mode: MultiValueMode) -> Option<String> {
        let def = operator.def?;
        if def.family == Family::Null {
            return None;
        }
        match (env.values(&self.key_lc), operator.qualifier) {
            (Some(Values::Many(_)), Qualifier::None) if mode == MultiValueMode::Never => {
                return Some(format!(
                    "`{}` is multivalued and `{}` has no `ForAnyValue:`/`ForAllValues:`: such a condition never matches (re:Inforce 2025 IAM431; IAM Access Analyzer MISSING_QUALIFIER)",
                    self.key, operator.raw
                ));
            }
            (None, Qualifier::ForAnyValue) if operator.if_exists => {
                return Some(format!(
                    "the request has no `{}`: `ForAnyValue` is false for an absent key, `IfExists` or not (observed on AWS, re:Post QU9HFmDzP0QGuU-fd7rS6B7w)",
                    self.key
                ));
            }
            _ => {}
        }
        let unresolved: Vec<String> = self
            .values
            .iter()
            .flat_map(|v| match v {
                PolicyValue::Str(t) => t.unresolved(env),
                PolicyValue::Arn(p) => p.unresolved(env),
                _ => Vec::new(),
            })
            .collect();
        unresolved.first().map(|var| {
            format!(
                "`{var}` has no value for this caller: a value holding it matches nothing, so `{}` is {} (IAM user guide, \"Policy variables with no value\")",
                operator.raw,
                if def.negated { "true" } else { "false" }
            )
        })
    }

    /// The miss to report when this entry does not hold.
    pub(crate) fn miss(&self, operator: &Operator, env: &Env<'_>, mode: MultiValueMode) -> Miss {
        Miss::Condition {
            operator: operator.raw.clone(),
            key: self.key.clone(),
            actual: env.values(&self.key_lc).map(Values::to_vec).unwrap_or_default(),
            expected: self.literals.iter().map(|l| l.text.clone()).collect(),
            reading: self.reading(operator, env, mode),
        }
    }
}

impl OperatorBlock {
    /// Whether every key under this operator holds.
    pub(crate) fn holds(&self, env: &Env<'_>, mode: MultiValueMode) -> bool {
        self.entries.iter().all(|e| e.holds(&self.operator, env, mode))
    }

    /// Print as a JSON member value (`{ "key": values, … }`).
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, &e.key);
            out.push(':');
            if let [one] = e.literals.as_slice() {
                write_literal(out, one);
            } else {
                out.push('[');
                for (j, l) in e.literals.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    write_literal(out, l);
                }
                out.push(']');
            }
        }
        out.push('}');
    }
}

fn write_literal(out: &mut String, l: &Literal) {
    match l.kind {
        LiteralKind::String => write_string(out, &l.text),
        LiteralKind::Number | LiteralKind::Bool => out.push_str(&l.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::context::RequestContext;
    use crate::iam::principal::Principal;

    #[test]
    fn the_table_is_consistent() {
        let mut names: Vec<&str> = OPERATORS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPERATORS.len(), "duplicate operator names");
        for d in OPERATORS {
            assert_eq!(d.negated, d.name.contains("Not"), "{}", d.name);
            assert!(lookup(d.name).is_some());
        }
        assert_eq!(OPERATORS.len(), 27);
        assert!(lookup("stringequals").is_none());
    }

    #[test]
    fn operator_names_split() {
        let o = Operator::parse("ForAnyValue:StringEqualsIfExists");
        assert_eq!(o.qualifier, Qualifier::ForAnyValue);
        assert!(o.if_exists);
        assert_eq!(o.def.map(|d| d.name), Some("StringEquals"));
        assert!(Operator::parse("ForAnyValue::StringEquals").def.is_none());
    }

    #[test]
    fn dates() {
        let z = parse_date("2020-01-01T00:00:01Z").unwrap();
        assert_eq!(z, 1_577_836_801 * 1_000_000_000);
        assert_eq!(parse_date("1577836801"), Some(z));
        assert_eq!(parse_date("2020-01-01T01:00:01+01:00"), Some(z));
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800 * 1_000_000_000));
        assert_eq!(
            parse_date("2016-12-13T21:20:37.5Z").map(|n| n % 1_000_000_000),
            Some(500_000_000)
        );
        assert!(parse_date("01T").is_some());
        assert!(parse_date("sdfdsf").is_none());
        assert!(parse_date("234-13").is_none());
        assert!(parse_date("2016-12-13t2:00:00.593194+1").is_none());
        assert!(parse_date("9223372036854775808").is_none());
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
    }

    fn eval(op: &str, values: &[&str], ctx: &RequestContext) -> bool {
        let o = Operator::parse(op);
        let lits = values
            .iter()
            .map(|v| Literal {
                text: (*v).to_owned(),
                kind: LiteralKind::String,
            })
            .collect();
        let e = ConditionEntry::new(&o, "k", lits, true);
        let p = Principal::user("111111111111", "/", "u", "AIDA1");
        e.holds(&o, &Env::new(&p, ctx), MultiValueMode::default())
    }

    fn one(v: &str) -> RequestContext {
        RequestContext::new().set("k", v)
    }

    fn many(v: &[&str]) -> RequestContext {
        RequestContext::new().set_multi("k", v.iter().copied())
    }

    /// Rows `{operator, policy values, context, expected}` per family.
    #[test]
    fn string_family() {
        let absent = RequestContext::new();
        let rows: &[(&str, &[&str], RequestContext, bool)] = &[
            ("StringEquals", &["a", "b"], one("b"), true),
            ("StringEquals", &["a"], one("A"), false),
            ("StringEquals", &["a*"], one("ab"), false),
            ("StringEquals", &["a"], absent.clone(), false),
            ("StringNotEquals", &["a", "b"], one("a"), false),
            ("StringNotEquals", &["a", "b"], one("c"), true),
            ("StringNotEquals", &["a"], absent.clone(), true),
            ("StringEqualsIgnoreCase", &["JohnDoe"], one("johndoe"), true),
            ("StringNotEqualsIgnoreCase", &["JohnDoe"], one("JOHNDOE"), false),
            ("StringLike", &["home/*"], one("home/x/y"), true),
            ("StringLike", &["h?me"], one("home"), true),
            ("StringLike", &["h?me"], one("hoome"), false),
            ("StringNotLike", &["home/*"], one("tmp/x"), true),
            ("StringNotLike", &["home/*"], absent.clone(), true),
            ("StringEqualsIfExists", &["a"], absent.clone(), true),
            ("StringNotEqualsIfExists", &["a"], absent.clone(), true),
            ("StringEqualsIfExists", &["a"], one("b"), false),
            ("StringEquals", &["${aws:username}"], one("u"), true),
            ("StringEquals", &["${aws:PrincipalTag/none}"], one(""), false),
            ("StringNotEquals", &["${aws:PrincipalTag/none}"], one(""), true),
        ];
        for (op, vals, ctx, want) in rows {
            assert_eq!(eval(op, vals, ctx), *want, "{op} {vals:?} {ctx:?}");
        }
    }

    #[test]
    fn numeric_date_bool_binary_family() {
        let rows: &[(&str, &[&str], RequestContext, bool)] = &[
            ("NumericEquals", &["10"], one("10.0"), true),
            ("NumericNotEquals", &["10", "11"], one("11"), false),
            ("NumericLessThan", &["10"], one("9.5"), true),
            ("NumericLessThan", &["10"], one("10"), false),
            ("NumericLessThanEquals", &["10"], one("10"), true),
            ("NumericGreaterThan", &["10"], one("11"), true),
            ("NumericGreaterThanEquals", &["10"], one("9"), false),
            ("NumericEquals", &["ten"], one("10"), false),
            ("NumericEquals", &["10"], one("x"), false),
            (
                "DateGreaterThan",
                &["2020-01-01T00:00:01Z"],
                one("2021-06-01T00:00:00Z"),
                true,
            ),
            (
                "DateGreaterThan",
                &["1577836801"],
                one("2021-06-01T00:00:00Z"),
                true,
            ),
            (
                "DateLessThan",
                &["2020-01-01T00:00:01Z"],
                one("2021-06-01T00:00:00Z"),
                false,
            ),
            (
                "DateLessThanEquals",
                &["2020-01-01T00:00:01Z"],
                one("1577836801"),
                true,
            ),
            (
                "DateGreaterThanEquals",
                &["2020-01-01"],
                one("2020-01-01T00:00:00Z"),
                true,
            ),
            (
                "DateEquals",
                &["2020-01-01T00:00:00Z"],
                one("2020-01-01T01:00:00+01:00"),
                true,
            ),
            (
                "DateNotEquals",
                &["2020-01-01T00:00:00Z"],
                one("2020-01-02T00:00:00Z"),
                true,
            ),
            ("Bool", &["true"], one("true"), true),
            ("Bool", &["false"], one("TRUE"), false),
            ("Bool", &["false"], RequestContext::new(), false),
            ("BoolIfExists", &["false"], RequestContext::new(), true),
            (
                "BinaryEquals",
                &["QmluYXJ5VmFsdWU="],
                one("QmluYXJ5VmFsdWU="),
                true,
            ),
            ("BinaryEquals", &["QmluYXJ5VmFsdWU="], one("BinaryValue"), true),
            ("BinaryEquals", &["QmluYXJ5VmFsdWU="], one("Other"), false),
        ];
        for (op, vals, ctx, want) in rows {
            assert_eq!(eval(op, vals, ctx), *want, "{op} {vals:?} {ctx:?}");
        }
    }

    #[test]
    fn ip_arn_null_family() {
        let absent = RequestContext::new();
        let rows: &[(&str, &[&str], RequestContext, bool)] = &[
            ("IpAddress", &["203.0.113.0/24"], one("203.0.113.9"), true),
            ("IpAddress", &["203.0.113.5"], one("203.0.113.5"), true),
            ("IpAddress", &["203.0.113.5"], one("203.0.113.6"), false),
            ("IpAddress", &["2001:db8::/32"], one("2001:db8::1"), true),
            ("IpAddress", &["203.0.113.0/24"], one("2001:db8::1"), false),
            (
                "NotIpAddress",
                &["203.0.113.0/24", "198.51.100.0/24"],
                one("198.51.100.1"),
                false,
            ),
            ("NotIpAddress", &["203.0.113.0/24"], one("192.0.2.1"), true),
            ("NotIpAddress", &["203.0.113.0/24"], absent.clone(), true),
            ("IpAddress", &["bogus"], one("203.0.113.5"), false),
            (
                "ArnLike",
                &["arn:aws:iam::*:role/x*"],
                one("arn:aws:iam::1:role/xy"),
                true,
            ),
            (
                "ArnEquals",
                &["arn:aws:iam::*:role/x*"],
                one("arn:aws:iam::1:role/xy"),
                true,
            ),
            (
                "ArnLike",
                &["arn:aws:iam::*:role/X*"],
                one("arn:aws:iam::1:role/xy"),
                false,
            ),
            (
                "ArnNotLike",
                &["arn:aws:iam::*:role/x*"],
                one("arn:aws:iam::1:role/y"),
                true,
            ),
            (
                "ArnNotEquals",
                &["arn:aws:iam::1:role/y"],
                one("arn:aws:iam::1:role/y"),
                false,
            ),
            (
                "StringLike",
                &["arn:aws:someservice:*:111122223333:finance/*"],
                one("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
                true,
            ),
            (
                "ArnLike",
                &["arn:aws:someservice:*:111122223333:finance/*"],
                one("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
                false,
            ),
            ("Null", &["true"], absent.clone(), true),
            ("Null", &["true"], one("x"), false),
            ("Null", &["false"], one("x"), true),
            ("Null", &["false"], many(&[]), false),
        ];
        for (op, vals, ctx, want) in rows {
            assert_eq!(eval(op, vals, ctx), *want, "{op} {vals:?} {ctx:?}");
        }
    }

    #[test]
    fn set_operators() {
        let absent = RequestContext::new();
        let rows: &[(&str, &[&str], RequestContext, bool)] = &[
            ("ForAllValues:StringEquals", &["a"], absent.clone(), true),
            ("ForAllValues:StringEquals", &["a"], many(&[]), true),
            ("ForAllValues:StringEquals", &["a", "b"], many(&["a", "b"]), true),
            ("ForAllValues:StringEquals", &["a"], many(&["a", "c"]), false),
            ("ForAnyValue:StringEquals", &["a"], absent.clone(), false),
            ("ForAnyValue:StringEquals", &["a"], many(&["c", "a"]), true),
            ("ForAnyValue:StringEquals", &["a"], many(&["c"]), false),
            // IfExists does not rescue ForAnyValue on an absent key (re:Post
            // QU9HFmDzP0QGuU-fd7rS6B7w); ForAllValues is true there anyway.
            ("ForAnyValue:StringEqualsIfExists", &["a"], absent.clone(), false),
            ("ForAllValues:StringEqualsIfExists", &["a"], absent.clone(), true),
            ("ForAllValues:StringNotEquals", &["a"], many(&["b", "c"]), true),
            ("ForAnyValue:StringNotEquals", &["a"], many(&["a", "c"]), true),
            ("ForAllValues:StringLike", &["a*"], many(&["ab", "ac"]), true),
            // A plain operator on a multivalued key never matches, negated and
            // IfExists included, whatever the values (IAM431).
            ("StringEquals", &["a"], many(&["c", "a"]), false),
            ("StringEquals", &["a"], many(&["a"]), false),
            ("StringNotEquals", &["a"], many(&["b"]), false),
            ("StringEqualsIfExists", &["a"], many(&["a"]), false),
            // Absent, the usual rules hold.
            ("StringNotEquals", &["a"], absent.clone(), true),
        ];
        for (op, vals, ctx, want) in rows {
            assert_eq!(eval(op, vals, ctx), *want, "{op} {vals:?} {ctx:?}");
        }
        // And configurable.
        let o = Operator::parse("StringEquals");
        let e = ConditionEntry::new(
            &o,
            "k",
            vec![Literal {
                text: "a".into(),
                kind: LiteralKind::String,
            }],
            true,
        );
        let p = Principal::user("111111111111", "/", "u", "AIDA1");
        let ctx = many(&["a", "c"]);
        assert!(!e.holds(&o, &Env::new(&p, &ctx), MultiValueMode::Never));
        assert!(e.holds(&o, &Env::new(&p, &ctx), MultiValueMode::AnyValue));
        assert!(!e.holds(&o, &Env::new(&p, &ctx), MultiValueMode::AllValues));
        let reading = e.reading(&o, &Env::new(&p, &ctx), MultiValueMode::Never).unwrap();
        assert!(reading.contains("never matches"), "{reading}");
    }
}
