//! IAM policy documents: the position-keeping JSON reader (`iam/json.rs`), validation
//! with IAM's and S3's messages (`iam/validate.rs`), the model (`iam/policy.rs`), and
//! the matcher and combiner on a parsed policy.
//!
//! Input: JSON text, parsed as every kind of policy. Seeds: every policy pasted into
//! the scenario and world files.
//!
//! Properties: no panic; an error's position is inside the text; a parsed policy
//! prints (compact and indented) to text that parses to an equal policy, and printing
//! that again gives the same text; deciding a request with it in its slot does not
//! panic, nor do the explanations and the AccessDenied message.

#![no_main]

use emulator::iam::{
    self, access_denied_message, explain_json, explain_text, ParseOptions, Policies, Policy, PolicyKind,
    PolicyRef, PolicyType, Principal, Request, RequestContext, Surface,
};
use fuzz::check;
use libfuzzer_sys::fuzz_target;

const KINDS: [PolicyKind; 8] = [
    PolicyKind::Identity,
    PolicyKind::Bucket,
    PolicyKind::Trust,
    PolicyKind::Session,
    PolicyKind::Boundary,
    PolicyKind::Scp,
    PolicyKind::Rcp,
    PolicyKind::KmsKey,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(node) = iam::json::parse(text) {
        let _ = node.first_duplicate_key();
    }
    let _ = iam::json::minified_len(text);
    for kind in KINDS {
        match Policy::parse(text, kind) {
            Ok(policy) => {
                round_trip(&policy, kind);
                decide(&policy, kind);
            }
            Err(e) => fuzz::check_position(text, e.line, e.column, &e.to_string()),
        }
    }
});

/// Print and parse again; quotas are lifted for the reparse, since printing may
/// legitimately change the size (`\u00e9` prints as `é`, `"*"` as `{"AWS":"*"}`).
fn round_trip(policy: &Policy, kind: PolicyKind) {
    let unlimited = ParseOptions::default().with_max_size(usize::MAX);
    let printed = policy.to_json();
    let again = match Policy::parse_with(&printed, kind, &unlimited) {
        Ok(p) => p,
        Err(e) => fuzz::fail(format_args!(
            "{kind:?}: the printed policy does not parse: {e}\n{printed}"
        )),
    };
    check!(
        &again == policy,
        "{kind:?}: print and parse changed the policy\n{printed}\n{policy:?}\n{again:?}"
    );
    check!(
        again.to_json() == printed,
        "{kind:?}: printing is not stable\n{printed}"
    );
    let pretty = policy.to_json_pretty();
    match Policy::parse_with(&pretty, kind, &unlimited) {
        Ok(p) => check!(
            &p == policy,
            "{kind:?}: the indented print parses to another policy\n{pretty}"
        ),
        Err(e) => fuzz::fail(format_args!(
            "{kind:?}: the indented print does not parse: {e}\n{pretty}"
        )),
    }
}

/// Decide a role session's `s3:PutObject` and a user's `sts:AssumeRole` with the
/// policy in the slot its kind fills.
fn decide(policy: &Policy, kind: PolicyKind) {
    let session = Principal::assumed_role("111111111111", "/", "writer", "sync", "AROAEXAMPLE")
        .with_tag("team", "data");
    let user = Principal::user("222222222222", "/division/", "alice", "AIDAEXAMPLE");
    let context = RequestContext::new()
        .set("aws:SourceIp", "203.0.113.10")
        .set("aws:SecureTransport", "true")
        .set("aws:CurrentTime", "2026-01-01T00:00:00Z")
        .set("aws:EpochTime", "1767225600")
        .set("aws:PrincipalAccount", "111111111111")
        .set("aws:RequestedRegion", "eu-west-1")
        .set("s3:x-amz-acl", "bucket-owner-full-control")
        .set("s3:x-amz-server-side-encryption", "aws:kms")
        .set("sts:ExternalId", "ext-123")
        .set_multi("aws:TagKeys", ["team", "cost-center"]);
    let requests = [
        (
            &session,
            "s3:PutObject",
            "arn:aws:s3:::lake/data/part-0.parquet",
            Some("111111111111"),
        ),
        (
            &user,
            "sts:AssumeRole",
            "arn:aws:iam::111111111111:role/writer",
            None,
        ),
    ];
    for (principal, action, resource, resource_account) in requests {
        let id = format!("{kind:?}");
        let slot = PolicyRef::new(&id, policy_type(kind), policy);
        let mut policies = Policies::default();
        match kind {
            PolicyKind::Identity => policies.identity.push(slot),
            PolicyKind::Bucket | PolicyKind::Trust | PolicyKind::KmsKey => policies.resource = Some(slot),
            PolicyKind::Session => policies.session.push(slot),
            PolicyKind::Boundary => policies.boundary = Some(slot),
            PolicyKind::Scp => policies.scps.push(slot),
            PolicyKind::Rcp => policies.rcps.push(slot),
        }
        let request = Request {
            principal,
            action,
            resource,
            resource_account,
            context: &context,
        };
        let decision = iam::evaluate(&request, &policies);
        let _ = explain_text(&decision);
        let _ = explain_json(&decision);
        for surface in [Surface::S3, Surface::Sts, Surface::Generic] {
            let _ = access_denied_message(&decision, surface, true);
            let _ = access_denied_message(&decision, surface, false);
        }
    }
}

fn policy_type(kind: PolicyKind) -> PolicyType {
    match kind {
        PolicyKind::Identity => PolicyType::IdentityBased,
        PolicyKind::Bucket | PolicyKind::KmsKey => PolicyType::ResourceBased,
        PolicyKind::Trust => PolicyType::RoleTrust,
        PolicyKind::Session => PolicyType::Session,
        PolicyKind::Boundary => PolicyType::PermissionsBoundary,
        PolicyKind::Scp => PolicyType::ServiceControl,
        PolicyKind::Rcp => PolicyType::ResourceControl,
    }
}
