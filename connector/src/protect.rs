//! Checks that protect the customer rather than the connection: whether the role
//! can be assumed without its ExternalId (the confused-deputy problem), and whether
//! `s3:DeleteObject` is still granted once only appends remain.
//!
//! Neither touches the customer's data. The deputy probe's sessions are never used
//! and are named for what they are in the customer's CloudTrail
//! (`RoleSessionName` [`PROBE_SESSION`]); the delete probe deletes a key under the
//! service's own test prefix that was never written.

use std::time::Duration;

use crate::client::Destination;
use crate::credentials::RoleRequest;
use crate::diagnosis::{Diagnosis, Found, Target};

/// The `RoleSessionName` of the confused-deputy probe's AssumeRole calls.
pub const PROBE_SESSION: &str = "push-to-warehouse-deputy-probe";

/// The shortest session STS issues: the probe's sessions are never used.
const PROBE_DURATION: Duration = Duration::from_secs(900);

fn found(target: &Target) -> Box<Found> {
    Box::new(Found {
        target: target.clone(),
        evidence: None,
        artifact_left_behind: None,
    })
}

/// AssumeRole as the service would, but with an ExternalId that cannot be the
/// customer's, then with none: if either succeeds, the trust policy does not
/// require the ID (AWS IAM user guide, "Access to AWS accounts owned by third
/// parties": the ExternalId is what stops a confused deputy).
pub(crate) async fn confused_deputy(
    sts: &aws_sdk_sts::Client,
    role: &RoleRequest,
    target: &Target,
    nonce: u64,
) -> Option<Diagnosis> {
    let customer_id = role.external_id.clone()?;
    let mut probe = role.clone();
    probe.session_name = PROBE_SESSION.to_owned();
    probe.duration = Some(PROBE_DURATION);
    // Tags and a source identity are the service's session options, not the probe's.
    probe.tags.clear();
    probe.source_identity = None;
    let random = format!("deputy-probe-{nonce:016x}");
    for (external_id, accepted) in [(Some(random), "a random ExternalId"), (None, "no ExternalId")] {
        probe.external_id = external_id;
        if probe.request(sts).send().await.is_ok() {
            return Some(Diagnosis::TrustPolicyIgnoresExternalId {
                accepted: accepted.to_owned(),
                external_id: customer_id,
                found: found(target),
            });
        }
    }
    None
}

/// What the delete probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteProbe {
    /// 204: the permission is still granted.
    Allowed,
    /// 403 (or any refusal): it is gone.
    Refused,
    /// Allowed, and S3 created a delete marker for the never-written key: the bucket
    /// is versioned, and the probe should not run there again.
    AllowedVersioned,
}

/// A `DeleteObject` of `key`, a key under the test prefix that was never written
/// (its name carries a random nonce): S3 answers 204 when the caller may delete and
/// 403 when not, and deletes nothing. On a versioned bucket S3 records a delete
/// marker even for a key that never existed; the answer says so.
pub async fn delete_still_allowed(dest: &Destination, key: &str) -> DeleteProbe {
    let answer = dest
        .s3()
        .delete_object()
        .bucket(dest.bucket())
        .key(key)
        .set_expected_bucket_owner(dest.expected_owner().map(str::to_owned))
        .send()
        .await;
    match answer {
        Ok(out) if out.delete_marker() == Some(true) => DeleteProbe::AllowedVersioned,
        Ok(_) => DeleteProbe::Allowed,
        Err(_) => DeleteProbe::Refused,
    }
}

/// The key the delete probe deletes: under the service's test prefix, named so it
/// cannot be an object anyone wrote.
pub fn never_written_key(prefix: Option<&str>, nonce: u64) -> String {
    let base = format!("_connection_test/never-written-{nonce:016x}.probe");
    match prefix.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty()) {
        Some(p) => format!("{p}/{base}"),
        None => base,
    }
}

/// The reminder, as a finding.
pub fn delete_reminder(target: &Target) -> Diagnosis {
    Diagnosis::DeleteObjectStillAllowed { found: found(target) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_key_is_under_the_test_prefix_and_never_a_batch_key() {
        assert_eq!(
            never_written_key(Some("exports/"), 0xabc),
            "exports/_connection_test/never-written-0000000000000abc.probe"
        );
        assert_eq!(
            never_written_key(None, 1),
            "_connection_test/never-written-0000000000000001.probe"
        );
    }
}
