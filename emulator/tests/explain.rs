//! `emulator explain` is the server's decision: every case below is explained,
//! and each one whose action the server serves is also sent through the
//! server's pipeline (`emulator::direct`, the steps after SigV4 verification),
//! which must decide the same way, by the same statements.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::sync::Arc;

use emulator::explain::{explain, Query};
use emulator::iam::{Decision, Effect};
use emulator::{Config, Emulator, ManualClock, World};
use time::macros::datetime;

const WORLD: &str = r#"
now = "2026-01-01T00:00:00Z"

[[accounts]]
id = "111111111111"
name = "vendor"

[[accounts]]
id = "222222222222"
name = "customer"

[[users]]
account = "vendor"
name = "admin"
policies = [{ name = "everything", document = '''{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]}''' }]

[[users]]
account = "vendor"
name = "sync"
policies = [{ name = "write", document = '''
{"Version":"2012-10-17","Statement":[
 {"Sid":"Write","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/*"},
 {"Sid":"Assume","Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}
''' }]

[[roles]]
account = "customer"
name = "writer"
trust_policy = '''
{"Version":"2012-10-17","Statement":[{"Sid":"Vendor","Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},"Action":["sts:AssumeRole","sts:TagSession"],
  "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}
'''
policies = [{ name = "write", document = '''
{"Version":"2012-10-17","Statement":[
 {"Sid":"TeamPrefix","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::customer-lake/${aws:PrincipalTag/team}/*"},
 {"Sid":"Exports","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/exports/*"}]}
''' }]

[[policies]]
account = "customer"
name = "read-only-session"
document = '''{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'''

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
policy = '''
{"Version":"2012-10-17","Statement":[
 {"Sid":"VendorWrites","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*"},
 {"Sid":"TrailWrites","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
  "Resource":"arn:aws:s3:::customer-lake/AWSLogs/222222222222/*",
  "Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"}}},
 {"Sid":"TagKeysOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/tagged/*",
  "Condition":{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["team","stage"]}}}]}
'''

[[buckets]]
name = "vendor-bucket"
account = "vendor"
region = "us-east-1"
"#;

const ADMIN: &str = "arn:aws:iam::111111111111:user/admin";
const SYNC: &str = "arn:aws:iam::111111111111:user/sync";
const WRITER: &str = "arn:aws:iam::222222222222:role/writer";
const SESSION: &str = "arn:aws:sts::222222222222:assumed-role/writer/sess";

fn world() -> World {
    World::from_toml("explain world", WORLD).unwrap()
}

fn decide(q: &Query) -> Decision {
    explain(&world(), q, datetime!(2026-01-01 0:00 UTC)).unwrap_or_else(|e| panic!("{e}"))
}

fn sids(d: &Decision) -> Vec<String> {
    let mut v: Vec<String> = d
        .decided_by
        .iter()
        .map(|s| s.sid.clone().unwrap_or_else(|| format!("#{}", s.index)))
        .collect();
    v.sort();
    v
}

fn with(mut q: Query, f: impl FnOnce(&mut Query)) -> Query {
    f(&mut q);
    q
}

fn server() -> Arc<Emulator> {
    Arc::new(Emulator::new(
        Config::default(),
        world(),
        Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC))),
    ))
}

/// The server's decision for an S3 request: `Ok(decision)` when allowed (the
/// handler would run), the denial's decision otherwise.
fn served(result: Result<Option<Arc<Decision>>, emulator::ApiError>) -> Decision {
    match result {
        Ok(Some(d)) => (*d).clone(),
        Ok(None) => panic!("no decision recorded"),
        Err(e) => e
            .decision
            .as_deref()
            .cloned()
            .unwrap_or_else(|| panic!("refused without a decision: {e:?}")),
    }
}

fn same(explained: &Decision, by_server: &Decision, case: &str) {
    assert_eq!(explained.effect, by_server.effect, "{case}: effect");
    assert_eq!(sids(explained), sids(by_server), "{case}: statements");
}

#[test]
fn account_less_resources_are_decided_by_the_callers_own_policies() {
    // `*` (ListBuckets) and an AWS-owned policy ARN have no resource policy: the
    // identity policy alone decides, as within the caller's account.
    let list = decide(&Query::new(ADMIN, "s3:ListAllMyBuckets", "*"));
    assert_eq!(
        list.effect,
        Effect::Allow,
        "{}",
        emulator::iam::explain_text(&list)
    );
    let aws_owned = decide(&Query::new(
        ADMIN,
        "iam:GetPolicy",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ));
    assert_eq!(aws_owned.effect, Effect::Allow);
    let emu = server();
    let admin = emulator::direct::user(&emu.world(), "111111111111", "admin").unwrap();
    same(
        &list,
        &served(emulator::direct::s3_target(&emu, &admin, "GET", "/", &[])),
        "ListBuckets",
    );
    // Someone without the action is refused the same way by both.
    let sync_list = decide(&Query::new(SYNC, "s3:ListAllMyBuckets", "*"));
    assert_eq!(sync_list.effect, Effect::ImplicitDeny);
    let sync = emulator::direct::user(&emu.world(), "111111111111", "sync").unwrap();
    same(
        &sync_list,
        &served(emulator::direct::s3_target(&emu, &sync, "GET", "/", &[])),
        "ListBuckets denied",
    );
}

/// A case's name, caller, method, bucket, key and headers.
type UserCase<'a> = (
    &'a str,
    &'a emulator::authn::Caller,
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str)>,
);

#[test]
fn user_cases_agree_with_the_server() {
    let emu = server();
    let sync = emulator::direct::user(&emu.world(), "111111111111", "sync").unwrap();
    let admin = emulator::direct::user(&emu.world(), "111111111111", "admin").unwrap();
    let cases: Vec<UserCase<'_>> = vec![
        (
            "cross-account write the bucket policy grants",
            &sync,
            "PUT",
            "customer-lake",
            "exports/a.jsonl",
            vec![],
        ),
        (
            "cross-account delete the bucket policy does not grant",
            &sync,
            "DELETE",
            "customer-lake",
            "exports/a.jsonl",
            vec![],
        ),
        (
            "admin of another account, no bucket grant",
            &admin,
            "PUT",
            "customer-lake",
            "x",
            vec![],
        ),
        ("own-account bucket", &admin, "PUT", "vendor-bucket", "x", vec![]),
        (
            "a tag key the bucket refuses",
            &sync,
            "PUT",
            "customer-lake",
            "tagged/a",
            vec![("x-amz-tagging", "owner=me")],
        ),
        (
            "tag keys the bucket allows",
            &sync,
            "PUT",
            "customer-lake",
            "tagged/a",
            vec![("x-amz-tagging", "team=a&stage=b")],
        ),
    ];
    for (case, caller, method, bucket, key, headers) in cases {
        let by_server = served(emulator::direct::s3(&emu, caller, method, bucket, key, &headers));
        // The server decides each action the request needs in turn (a tagging
        // header adds s3:PutObjectTagging); explain is asked the one it stopped at.
        let mut q = Query::new(
            &caller.arn(),
            &by_server.action,
            &format!("arn:aws:s3:::{bucket}/{key}"),
        );
        for (h, v) in &headers {
            if *h == "x-amz-tagging" {
                for pair in v.split('&') {
                    let (k, _) = pair.split_once('=').unwrap();
                    q.context.push(("s3:RequestObjectTagKeys".into(), k.into()));
                }
            }
        }
        same(&decide(&q), &by_server, case);
    }
}

#[test]
fn role_sessions_with_policies_tags_and_source_identity_agree_with_the_server() {
    let emu = server();
    let sync = emulator::direct::user(&emu.world(), "111111111111", "sync").unwrap();
    // The trust decision, through STS's own path.
    let assume = Query {
        context: vec![
            ("sts:ExternalId".into(), "ext-123".into()),
            ("sts:RoleSessionName".into(), "sess".into()),
        ],
        ..Query::new(SYNC, "sts:AssumeRole", WRITER)
    };
    let explained = decide(&assume);
    let (by_server, _) = emulator::direct::assume_role(
        &emu,
        &sync,
        &[
            ("RoleArn", WRITER),
            ("RoleSessionName", "sess"),
            ("ExternalId", "ext-123"),
        ],
    )
    .unwrap();
    same(&explained, &by_server, "AssumeRole");

    // Sessions as STS issues them, then the same questions to explain.
    let session = |params: &[(&str, &str)]| {
        let mut all = vec![
            ("RoleArn", WRITER),
            ("RoleSessionName", "sess"),
            ("ExternalId", "ext-123"),
        ];
        all.extend_from_slice(params);
        let (_, s) = emulator::direct::assume_role(&emu, &sync, &all).unwrap();
        emulator::direct::session(Arc::new(s))
    };
    let plain = session(&[]);
    let tagged = session(&[("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "blue")]);
    let read_only = session(&[(
        "PolicyArns.member.1.arn",
        "arn:aws:iam::222222222222:policy/read-only-session",
    )]);
    let inline_text = r#"{"Version":"2012-10-17","Statement":[{"Sid":"OnlyExports","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/exports/*"}]}"#;
    let inline = session(&[("Policy", inline_text)]);

    let put = |key: &str| {
        Query::new(
            SESSION,
            "s3:PutObject",
            &format!("arn:aws:s3:::customer-lake/{key}"),
        )
    };
    let cases: Vec<(&str, &emulator::authn::Caller, Query, &str)> = vec![
        ("the role's own grant", &plain, put("exports/a"), "exports/a"),
        ("no tag, no team prefix", &plain, put("blue/a"), "blue/a"),
        (
            "a session tag fills ${aws:PrincipalTag/team}",
            &tagged,
            with(put("blue/a"), |q| {
                q.session_tags = vec![("team".into(), "blue".into())]
            }),
            "blue/a",
        ),
        (
            "a managed session policy limits to reads",
            &read_only,
            with(put("exports/a"), |q| {
                q.session_policy_arns = vec!["arn:aws:iam::222222222222:policy/read-only-session".into()];
            }),
            "exports/a",
        ),
        (
            "an inline session policy within the role's grant",
            &inline,
            with(put("exports/a"), |q| q.session_policy = Some(inline_text.into())),
            "exports/a",
        ),
        (
            "an inline session policy outside it",
            &inline,
            with(
                with(put("blue/a"), |q| q.session_policy = Some(inline_text.into())),
                |q| q.session_tags = Vec::new(),
            ),
            "blue/a",
        ),
    ];
    for (case, caller, q, key) in cases {
        let by_server = served(emulator::direct::s3(
            &emu,
            caller,
            "PUT",
            "customer-lake",
            key,
            &[],
        ));
        same(&decide(&q), &by_server, case);
    }
}

#[test]
fn callers_the_server_never_authenticates_are_explained() {
    // A service principal, granted by name with aws:SourceAccount.
    let trail = Query::new(
        "cloudtrail.amazonaws.com",
        "s3:PutObject",
        "arn:aws:s3:::customer-lake/AWSLogs/222222222222/x.json.gz",
    );
    assert_eq!(
        decide(&trail).effect,
        Effect::ImplicitDeny,
        "no aws:SourceAccount"
    );
    let allowed = decide(&with(trail, |q| {
        q.context = vec![("aws:SourceAccount".into(), "222222222222".into())];
    }));
    assert_eq!(allowed.effect, Effect::Allow);
    assert_eq!(sids(&allowed), ["TrailWrites"]);

    // The root user: everything in its own account, nothing elsewhere unless granted.
    let root = "arn:aws:iam::111111111111:root";
    assert_eq!(
        decide(&Query::new(root, "s3:PutObject", "arn:aws:s3:::vendor-bucket/x")).effect,
        Effect::Allow
    );
    assert_eq!(
        decide(&Query::new(root, "s3:GetObject", "arn:aws:s3:::customer-lake/x")).effect,
        Effect::ImplicitDeny
    );

    // Multivalued keys: two tag keys, one the bucket refuses.
    let tagged = Query {
        context: vec![
            ("s3:RequestObjectTagKeys".into(), "team".into()),
            ("s3:RequestObjectTagKeys".into(), "owner".into()),
        ],
        ..Query::new(SYNC, "s3:PutObject", "arn:aws:s3:::customer-lake/tagged/a")
    };
    let d = decide(&tagged);
    assert_eq!(d.effect, Effect::ExplicitDeny);
    assert_eq!(sids(&d), ["TagKeysOnly"]);

    // Session options on a caller that is not a role session are refused.
    let wrong = with(
        Query::new(SYNC, "s3:PutObject", "arn:aws:s3:::customer-lake/x"),
        |q| {
            q.source_identity = Some("me".into());
        },
    );
    let e = explain(&world(), &wrong, datetime!(2026-01-01 0:00 UTC)).unwrap_err();
    assert!(e.contains("role sessions"), "{e}");
}

/// Where an undocumented corner decides, the explanation names the reading taken.
#[test]
fn the_explanation_names_the_reading_an_undocumented_corner_took() {
    const CORNERS: &str = r#"
[[accounts]]
id = "222222222222"
name = "customer"

[[roles]]
account = "customer"
name = "writer"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}'''
policies = [{ name = "home", document = '''{"Version":"2012-10-17","Statement":[{"Sid":"OutsideHome","Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::lake/home/${aws:username}/*"}]}''' }]

[[users]]
account = "customer"
name = "tagger"
policies = [{ name = "tags", document = '''{"Version":"2012-10-17","Statement":[
 {"Sid":"TeamTagOnly","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:RequestObjectTagKeys":"team"}}},
 {"Sid":"NoTagsOrTeam","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"s3:RequestObjectTagKeys":"team"}}}]}''' }]

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
"#;
    let world = World::from_toml("corners", CORNERS).unwrap();
    let at = datetime!(2026-01-01 0:00 UTC);
    let text = |q: &Query| {
        let d = explain(&world, q, at).unwrap();
        (d.effect, d.notes.join("\n"), emulator::iam::explain_text(&d))
    };
    // 1. `${aws:username}` in NotResource, for a role session: everything outside "home" and home too.
    let (effect, notes, out) = text(&Query::new(
        "arn:aws:sts::222222222222:assumed-role/writer/s",
        "s3:PutObject",
        "arn:aws:s3:::lake/home/s/x",
    ));
    assert_eq!(effect, Effect::Allow);
    assert!(
        notes.contains("role:writer/home#OutsideHome: `${aws:username}` has no value for this caller"),
        "{notes}"
    );
    assert!(
        out.contains("undocumented corners this decision depends on"),
        "{out}"
    );
    // 2. A plain operator on the multivalued s3:RequestObjectTagKeys.
    let mut q = Query::new(
        "arn:aws:iam::222222222222:user/tagger",
        "s3:PutObject",
        "arn:aws:s3:::lake/x",
    );
    q.context = vec![
        ("s3:RequestObjectTagKeys".into(), "team".into()),
        ("s3:RequestObjectTagKeys".into(), "env".into()),
    ];
    let (effect, _, out) = text(&q);
    assert_eq!(effect, Effect::ImplicitDeny);
    assert!(out.contains("never matches (re:Inforce 2025 IAM431"), "{out}");
    // 3. ForAnyValue:…IfExists with no tags at all.
    let (effect, _, out) = text(&Query::new(
        "arn:aws:iam::222222222222:user/tagger",
        "s3:GetObject",
        "arn:aws:s3:::lake/x",
    ));
    assert_eq!(effect, Effect::ImplicitDeny);
    assert!(
        out.contains("`ForAnyValue` is false for an absent key, `IfExists` or not"),
        "{out}"
    );
}
