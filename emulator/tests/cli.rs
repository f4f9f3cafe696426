//! The `emulator` binary: `check` reports a broken world file with file, line and
//! column; `explain` decides a request against a world's policies and says why.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(args)
        .output()
        .expect("run emulator");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("emulator-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const WORLD: &str = r#"[[accounts]]
id = "111111111111"
name = "vendor"

[[accounts]]
id = "222222222222"
name = "customer"

[[users]]
account = "vendor"
name = "sync"
policies = [{ name = "assume", document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}''' }]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''
{"Version":"2012-10-17","Statement":[{"Sid":"Vendor","Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},"Action":"sts:AssumeRole",
  "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}
'''
"#;

#[test]
fn explain_says_allow_or_which_condition_missed() {
    let world = write("explain.toml", WORLD);
    let w = world.to_str().unwrap();
    let base = [
        "explain",
        "--world",
        w,
        "--principal",
        "arn:aws:iam::111111111111:user/sync",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::222222222222:role/transfer-role",
    ];
    let (code, out, err) = run(&[&base[..], &["--context", "sts:ExternalId=ext-123"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("trust:transfer-role#Vendor"), "{out}");
    let (code, out, _) = run(&[&base[..], &["--context", "sts:ExternalId=wrong", "--json"]].concat());
    assert_eq!(code, 2, "a deny exits 2: {out}");
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["effect"], "implicit-deny", "{json}");
    assert!(json.to_string().contains("sts:ExternalId"), "{json}");
}

#[test]
fn explain_takes_sessions_the_root_user_services_and_multivalued_keys() {
    let world = WORLD.to_string()
        + r#"
[[roles.policies]]
name = "write"
document = '''{"Version":"2012-10-17","Statement":[{"Sid":"Write","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::lake/${aws:PrincipalTag/team}/*"}]}'''

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
policy = '''{"Version":"2012-10-17","Statement":[
 {"Sid":"Trail","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::lake/AWSLogs/*","Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"}}},
 {"Sid":"Keys","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::lake/*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["secret"]}}}]}'''
"#;
    let world = write("explain-more.toml", &world);
    let w = world.to_str().unwrap();
    let session = "arn:aws:sts::222222222222:assumed-role/transfer-role/sess";
    let explain = |extra: &[&str]| run(&[&["explain", "--world", w][..], extra].concat());
    // A session tag fills ${aws:PrincipalTag/team}.
    let put = [
        "--action",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::lake/blue/x",
    ];
    let (code, out, err) = explain(&[&["--principal", session][..], &put].concat());
    assert_eq!(code, 2, "no tag, no grant: {out}{err}");
    let (code, out, err) =
        explain(&[&["--principal", session, "--session-tag", "team=blue"][..], &put].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("role:transfer-role/write#Write"), "{out}");
    // An inline session policy from a file narrows it.
    let policy = write(
        "session.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    let at = format!("@{}", policy.display());
    let tagged_with_policy = [
        "--principal",
        session,
        "--session-tag",
        "team=blue",
        "--session-policy",
        &at,
    ];
    let (code, out, _) = explain(&[&tagged_with_policy[..], &put].concat());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("session"), "{out}");
    // A service principal with the key its grant requires.
    let trail = [
        "--principal",
        "cloudtrail.amazonaws.com",
        "--action",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::lake/AWSLogs/x",
    ];
    assert_eq!(explain(&trail).0, 2);
    let (code, out, _) = explain(&[&trail[..], &["--context", "aws:SourceAccount=222222222222"]].concat());
    assert_eq!(code, 0, "{out}");
    // The root user of the bucket's account.
    let root = ["--principal", "arn:aws:iam::222222222222:root"];
    let (code, out, _) = explain(&[&root[..], &put].concat());
    assert_eq!(code, 0, "{out}");
    // A key given twice is multivalued.
    let two_keys = ["--context", "aws:TagKeys=team", "--context", "aws:TagKeys=secret"];
    let (code, out, _) = explain(&[&root[..], &put, &two_keys].concat());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("bucket:lake#Keys"), "{out}");
    let (_, help, _) = run(&["explain", "--help"]);
    for flag in [
        "--session-policy",
        "--session-policy-arn",
        "--session-tag",
        "--source-identity",
        "root",
        "cloudtrail.amazonaws.com",
        "multivalued",
    ] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

#[test]
fn check_names_the_service_that_would_refuse_a_policy() {
    let bucket = WORLD.to_string()
        + r#"
[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::lake/*"}]}'''
"#;
    let (code, _, err) = run(&["check", write("bucket-policy.toml", &bucket).to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("S3 PutBucketPolicy would answer MalformedPolicy: Missing required field Principal"),
        "{err}"
    );
    let key = WORLD.to_string()
        + r#"
[[kms_keys]]
account = "customer"
id = "1234abcd-12ab-34cd-56ef-1234567890ab"
region = "eu-west-1"
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*","Bogus":1}]}'''
"#;
    let (code, _, err) = run(&["check", write("key-policy.toml", &key).to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("KMS PutKeyPolicy would answer MalformedPolicyDocumentException"),
        "{err}"
    );
    let identity = WORLD.replace(
        r#""Resource":"*"}]}''' }]"#,
        r#""Resource":"*","Principal":"*"}]}''' }]"#,
    );
    let (code, _, err) = run(&[
        "check",
        write("identity-policy.toml", &identity).to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("IAM PutRolePolicy/CreatePolicy would answer MalformedPolicyDocument"),
        "{err}"
    );
}

#[test]
fn check_locates_errors_in_the_world_file() {
    let bad_policy = WORLD.replace(
        r#""Effect":"Allow","Action":"sts:AssumeRole","Resource":"*""#,
        r#""Effect":"allow","Action":"sts:AssumeRole","Resource":"*""#,
    );
    let p = write("bad-policy.toml", &bad_policy);
    let (code, _, err) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("bad-policy.toml:12:93:"),
        "the policy's line in the file: {err}"
    );
    assert!(err.contains("MalformedPolicyDocument"), "{err}");
    let unknown = WORLD.replace(
        r#"account = "vendor"
name = "sync""#,
        r#"account = "vendr"
name = "sync""#,
    );
    let p = write("unknown.toml", &unknown);
    let (code, _, err) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unknown.toml:10:11: unknown account `vendr`"),
        "{err}"
    );
    let p = write("typo.toml", &WORLD.replace("name = \"sync\"", "nmae = \"sync\""));
    let (_, _, err) = run(&["check", p.to_str().unwrap()]);
    assert!(err.contains("typo.toml:11:1") && err.contains("nmae"), "{err}");
    let (code, out, _) = run(&["check", write("ok.toml", WORLD).to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("2 accounts, 1 users, 1 roles, 0 buckets"), "{out}");
}
