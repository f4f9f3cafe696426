//! `harness reproduce` through its command line, on the example artefact folders:
//! every cause in order with the exact values, the fix of each, and the customer's
//! CloudTrail record set beside the reproduced one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/artefacts")
}

/// Run `harness reproduce --from DIR --out OUT`; (exit code, stdout+stderr, scenario written).
fn reproduce(dir: &Path) -> (i32, String, String) {
    let out = std::env::temp_dir().join(format!(
        "reproduce-{}-{}.toml",
        dir.file_name().unwrap().to_string_lossy(),
        std::process::id()
    ));
    let run = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["reproduce", "--from"])
        .arg(dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let scenario = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    (run.status.code().unwrap_or(-1), text, scenario)
}

/// `needles` appear in `hay` in this order.
fn in_order(hay: &str, needles: &[&str]) {
    let mut at = 0;
    for n in needles {
        match hay[at..].find(n) {
            Some(i) => at += i + n.len(),
            None => panic!("`{n}` not found (in order) in:\n{hay}"),
        }
    }
}

#[test]
fn two_mistakes_are_found_in_order_with_their_exact_values() {
    let (code, out, scenario) = reproduce(&examples().join("role-path-and-external-id-case"));
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "cause 1 (TrustPolicyDeniesAssumeRole): you entered `arn:aws:iam::310987654321:role/ptw-writer`; the role's ARN is `arn:aws:iam::310987654321:role/service-roles/ptw-writer`",
            "the role's path `/service-roles/` is part of its ARN",
            "fix: enter the role's ARN exactly as IAM shows it",
            "cause 2 (TrustPolicyDeniesAssumeRole): the trust policy requires `sts:ExternalId` `PTW-91B0C77E2D`; the service sends `ptw-91b0c77e2d`; they differ only in case and `StringEquals` is case-sensitive",
            "with these fixed, onboarding passes",
            "the customer's CloudTrail record is reproduced: AssumeRole AccessDenied",
        ],
    );
    // One failing onboarding and one fix per cause, then the passing onboarding.
    in_order(
        &scenario,
        &[
            "id = \"onboard-1\"",
            "role_arn = \"arn:aws:iam::310987654321:role/ptw-writer\"",
            "error = \"TrustPolicyDeniesAssumeRole\"",
            "id = \"onboard-2\"",
            "role_arn = \"arn:aws:iam::310987654321:role/service-roles/ptw-writer\"",
            "error = \"TrustPolicyDeniesAssumeRole\"",
            "id = \"fix-2\"",
            "do = \"world.edit\"",
            "\"sts:ExternalId\": \"ptw-91b0c77e2d\"",
            "id = \"onboard-3\"",
            "ok = true",
        ],
    );
}

#[test]
fn authorization_details_groups_and_a_trail_of_s3() {
    let (code, out, scenario) = reproduce(&examples().join("authorization-details-group-hmac"));
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "cause 1 (PolicyMissingPutObject)",
            "group:data-exports/push-to-warehouse#WriteExports: `arn:aws:s3:::contoso-exports` is the bucket itself; objects need `arn:aws:s3:::contoso-exports/*` (the `/*` is missing)",
            "managed:ExportsReadOnly#0: does not list `s3:PutObject`",
            "with that fixed, onboarding passes",
            "the customer's CloudTrail record is reproduced: PutObject AccessDenied",
        ],
    );
    // The world holds what the one file described: the group, its policies (the
    // managed one at its default version), the membership, the public access
    // block, and the source IP of the customer's trail.
    for want in [
        "[[world.groups]]",
        "name = \"data-exports\"",
        "managed_policies = [\"ExportsReadOnly\"]",
        "groups = [\"data-exports\"]",
        "\"Action\": \"s3:GetObject\"",
        "public_access_block = { block_public_acls = true",
        "source_ip = \"203.0.113.44\"",
    ] {
        assert!(scenario.contains(want), "{want} in\n{scenario}");
    }
    assert!(
        !scenario.contains("\"s3:*\""),
        "a non-default policy version was used"
    );
}

#[test]
fn organization_policies_from_list_policies_for_target_and_describe_policy() {
    let (code, out, scenario) = reproduce(&examples().join("scp-denies-unencrypted-writes"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("onboarding fails: OrganizationPolicyDenies"),
        "{out}"
    );
    assert!(!out.contains("cause 1"), "no fix is known for an SCP: {out}");
    for want in [
        "[world.organization]",
        "full_aws_access = true",
        "name = \"RequireKmsOnS3Writes\"",
        "DenyUnencryptedWrites",
        "managed_policies = [\"PtwWrites\"]",
    ] {
        assert!(scenario.contains(want), "{want} in\n{scenario}");
    }
}

#[test]
fn an_inactive_key_and_then_the_kms_key() {
    let (code, out, _) = reproduce(&examples().join("hmac-key-inactive-kms-bucket"));
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "cause 1 (InvalidAccessKeyId): access key `AKIAGLOBEXXFER000002` of user `transfer-service` is Inactive",
            "fix: activate access key",
            "cause 2 (KmsKeyDenied)",
            "with these fixed, onboarding passes",
        ],
    );
}

#[test]
fn a_trail_the_artefacts_do_not_reproduce_is_said_so() {
    let src = examples().join("role-path-and-external-id-case");
    let dir = std::env::temp_dir().join(format!("reproduce-mismatch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    // The customer's trail says the role was found and ExternalId was the trouble
    // on another role; these artefacts fail on the ARN first.
    let trail = std::fs::read_to_string(dir.join("cloudtrail.json"))
        .unwrap()
        .replace("role/ptw-writer\"", "role/other-role\"");
    std::fs::write(dir.join("cloudtrail.json"), trail).unwrap();
    let (code, out, _) = reproduce(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 3, "a mismatch exits 3: {out}");
    in_order(
        &out,
        &[
            "these artefacts do not reproduce the customer's failure:",
            "errorMessage: -customer User: arn:aws:iam::111111111111:user/sync is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::310987654321:role/other-role",
            "+reproduced User: arn:aws:iam::111111111111:user/sync is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::310987654321:role/ptw-writer",
        ],
    );
}

#[test]
fn group_and_attached_policy_files_one_command_each() {
    let (code, out, scenario) = reproduce(&examples().join("group-and-attached-policy-files"));
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "cause 1 (PolicyMissingPutObject)",
            "group:landing-writers/write-landing#Write: `arn:aws:s3:::litware-landing-prod/*` names bucket `litware-landing-prod`; the bucket is `litware-landing`",
            "with that fixed, onboarding passes",
        ],
    );
    assert!(
        out.contains("managed:LandingDelete#CleanUpTests: does not list `s3:PutObject`"),
        "{out}"
    );
    for want in [
        "name = \"landing-writers\"",
        "groups = [\"landing-writers\"]",
        "managed_policies = [\"LandingDelete\"]",
        "path = \"/integrations/\"",
    ] {
        assert!(scenario.contains(want), "{want} in\n{scenario}");
    }
}

#[test]
fn statements_that_depend_on_an_undocumented_corner_are_named() {
    let dir = std::env::temp_dir().join(format!("reproduce-corners-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("onboarding.json"),
        r#"{"bucket":"lake","region":"us-east-1","auth":{"type":"assume_role","role_arn":"arn:aws:iam::222222222222:role/writer","external_id":"ptw-1"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("get-role.json"),
        r#"{"Role":{"Path":"/","RoleName":"writer","RoleId":"AROAWRITER0000000001","Arn":"arn:aws:iam::222222222222:role/writer",
  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ptw-1"}}}]}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("get-role-policy.json"),
        r#"{"RoleName":"writer","PolicyName":"home","PolicyDocument":{"Version":"2012-10-17","Statement":[
  {"Sid":"Home","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::lake/home/${aws:username}/*"},
  {"Sid":"Tags","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:RequestObjectTagKeys":"team"}}}]}}"#,
    )
    .unwrap();
    let (code, out, _) = reproduce(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("note: role `writer` policy `home`, statement `Home`: uses `${aws:username}`, which the service's role session does not have"),
        "{out}"
    );
    assert!(
        out.contains("statement `Tags`: `StringEquals` on the multivalued `s3:RequestObjectTagKeys` without `ForAnyValue:`/`ForAllValues:` never matches"),
        "{out}"
    );
    // And the failure's explanation names the reading the emulator took.
    assert!(out.contains("has no value for this caller"), "{out}");
}
