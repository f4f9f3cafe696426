//! The matcher: does one statement apply to one request? It answers that and
//! nothing else: no effects are combined here (that is [`super::evaluate`]).
//!
//! A statement applies when its `Action`/`NotAction`, `Resource`/`NotResource`,
//! `Principal`/`NotPrincipal` and every condition all match. The fast path
//! ([`applies`]) stops at the first element that fails and does not allocate;
//! [`misses`] re-checks a statement and lists *every* element that failed, for
//! explanations.

use super::condition::MultiValueMode;
use super::context::Env;
use super::decision::{Miss, StatementEffect};
use super::pattern::ArnMode;
use super::policy::{PrincipalBlock, Statement};
use super::principal::PrincipalMatch;

/// What the matcher needs to know about the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchCtx<'a> {
    pub env: Env<'a>,
    pub action: &'a str,
    pub resource: &'a str,
    /// Whether the caller has a permissions boundary (for the NotPrincipal rule).
    pub has_boundary: bool,
    pub mode: MultiValueMode,
}

/// How the statement's principal element covered the caller: `None` when the
/// statement has no principal element (identity-type policies).
pub(crate) type Applies = Option<PrincipalMatch>;

fn action_matches(st: &Statement, cx: &MatchCtx<'_>) -> bool {
    st.action.as_ref().is_none_or(|a| a.covers(cx.action))
}

fn resource_matches(st: &Statement, cx: &MatchCtx<'_>) -> bool {
    match &st.resource {
        // No `Resource`: the resource the policy is attached to (trust policies).
        None => true,
        Some(r) => {
            r.patterns
                .iter()
                .any(|p| p.matches(cx.resource, &cx.env, ArnMode::Resource))
                != r.negated
        }
    }
}

fn principal_matches(
    block: Option<&PrincipalBlock>,
    effect: StatementEffect,
    cx: &MatchCtx<'_>,
) -> Option<Applies> {
    let Some(block) = block else {
        return Some(None);
    };
    let p = cx.env.principal;
    if !block.negated {
        return block.spec.covers(p).map(Some);
    }
    let excluded = match effect {
        // "A statement with NotPrincipal and Effect:Deny always denies a principal
        // that has a permissions boundary" (access_policies_boundaries.html).
        StatementEffect::Deny if cx.has_boundary => false,
        StatementEffect::Deny => block.spec.excludes_all_levels(p),
        StatementEffect::Allow => block.spec.covers(p).is_some(),
    };
    (!excluded).then_some(Some(PrincipalMatch::NotListed))
}

fn conditions_hold(st: &Statement, cx: &MatchCtx<'_>) -> bool {
    st.condition
        .as_ref()
        .is_none_or(|blocks| blocks.iter().all(|b| b.holds(&cx.env, cx.mode)))
}

/// `Some(how)` when the statement applies to the request.
pub(crate) fn applies(st: &Statement, cx: &MatchCtx<'_>) -> Option<Applies> {
    if !action_matches(st, cx) || !resource_matches(st, cx) {
        return None;
    }
    let how = principal_matches(st.principal.as_ref(), st.effect, cx)?;
    conditions_hold(st, cx).then_some(how)
}

/// Every element of the statement that does not match; empty when it applies.
pub(crate) fn misses(st: &Statement, cx: &MatchCtx<'_>) -> Vec<Miss> {
    let mut out = Vec::new();
    if !action_matches(st, cx) {
        out.push(Miss::Action {
            requested: cx.action.to_owned(),
        });
    }
    if !resource_matches(st, cx) {
        out.push(Miss::Resource {
            requested: cx.resource.to_owned(),
        });
    }
    if principal_matches(st.principal.as_ref(), st.effect, cx).is_none() {
        out.push(Miss::Principal {
            caller: cx.env.principal.arn.clone(),
        });
    }
    for block in st.condition.iter().flatten() {
        for entry in &block.entries {
            if !entry.holds(&block.operator, &cx.env, cx.mode) {
                out.push(entry.miss(&block.operator, &cx.env, cx.mode));
            }
        }
    }
    out
}

/// The undocumented readings that decided whether `st` applies, when one did and
/// nothing else already had: a `Resource` or `NotResource` pattern holding a
/// policy variable with no value, a condition decided by a reading
/// ([`super::condition`]). Empty when the statement's action or principal does not
/// match, or when an element without a reading already decides it.
pub(crate) fn readings(st: &Statement, cx: &MatchCtx<'_>) -> Vec<String> {
    if !action_matches(st, cx) || principal_matches(st.principal.as_ref(), st.effect, cx).is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let resource_ok = resource_matches(st, cx);
    if let Some(r) = &st.resource {
        let unresolved: Vec<String> = r.patterns.iter().flat_map(|p| p.unresolved(&cx.env)).collect();
        if let Some(v) = unresolved.first() {
            if r.negated && resource_ok {
                out.push(format!(
                    "`{v}` has no value for this caller: a `NotResource` pattern holding it matches nothing, so the statement covers every other resource (IAM user guide, \"Policy variables with no value\")"
                ));
            } else if !r.negated && !resource_ok {
                out.push(format!(
                    "`{v}` has no value for this caller: the `Resource` pattern holding it matches nothing (IAM user guide, \"Policy variables with no value\")"
                ));
            }
        }
    }
    if !resource_ok && out.is_empty() {
        return out;
    }
    for block in st.condition.iter().flatten() {
        for entry in &block.entries {
            let holds = entry.holds(&block.operator, &cx.env, cx.mode);
            match entry.reading(&block.operator, &cx.env, cx.mode) {
                Some(r) => out.push(r),
                // Something without a reading already stops the statement.
                None if !holds => return Vec::new(),
                None => {}
            }
        }
    }
    out
}
