//! CloudTrail-shaped records of the emulator's requests: what a customer's trail
//! would hold for the same call, so a run can be set beside a customer's trail
//! (`GET /_emulator/cloudtrail`, `serve --log-format cloudtrail`, and `harness
//! reproduce`, which compares the record of the reproduced failure with the
//! customer's).
//!
//! The shape follows the CloudTrail user guide ("CloudTrail record contents",
//! "userIdentity element") and real S3 data events and STS management events
//! (research notes in `docs/`): S3 data events carry `requestParameters` (bucket,
//! Host, key) and `resources` even when denied, and wrap the user agent in
//! brackets; a denied AssumeRole has `requestParameters` and `responseElements`
//! null. Inferred, and said so where it is used: `errorMessage` carries the same
//! text as the HTTP response (the S3 troubleshooting guide says the added context
//! "is also available in AWS CloudTrail logs"); the byte counters are the
//! emulator's own; `eventID` is derived from the request id, not random.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::authn::{Caller, Identity};
use crate::log::LogEntry;
use crate::route::ServiceKind;
use crate::world::{SessionOwner, World};

/// The facts a record needs that the request log does not otherwise keep.
#[derive(Debug, Clone, Default)]
pub struct TrailFacts {
    /// `sourceIPAddress`: the world's `source_ip`, else the socket's peer.
    pub source_ip: Option<std::net::IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// `awsRegion`: the bucket's region for S3, the endpoint's for STS.
    pub region: Option<compact_str::CompactString>,
    /// The `Host` header as sent.
    pub host: Option<String>,
    /// `x-amz-id-2` of an S3 answer.
    pub host_id: Option<crate::util::StackText<64>>,
    /// Who called, once authenticated.
    pub identity: Option<TrailCaller>,
    /// `requestParameters`, rendered when the record is read.
    pub parameters: TrailParameters,
    /// `responseElements` of a success that has them (AssumeRole), rendered when
    /// the record is read.
    pub response: Option<TrailResponse>,
    /// The bucket's owner (S3 `resources`).
    pub bucket_owner: Option<compact_str::CompactString>,
    /// The role an AssumeRole named, once found (`resources`).
    pub role: Option<(String, String)>,
    /// `AuthHeader` or `QueryString` (presigned).
    pub auth_method: Option<&'static str>,
    /// Body bytes received.
    pub bytes_in: u64,
}

/// `requestParameters` as the request gave them. Rendered only when a record is
/// read: building JSON for every request, and dropping it when the log wraps,
/// cost about a tenth of an AssumeRole (docs/perf-log.md).
#[derive(Debug, Clone, Default)]
pub enum TrailParameters {
    /// None (`{}` on S3, `null` when an STS call failed).
    #[default]
    None,
    /// An S3 data event's: the entry's bucket and key and the facts' `Host`.
    S3,
    /// AssumeRole's form parameters ([`assume_role_parameters`]).
    AssumeRole(std::sync::Arc<crate::protocol::form::FormParams>),
}

/// `responseElements` of a success.
#[derive(Debug, Clone)]
pub enum TrailResponse {
    /// AssumeRole's: the session without its secret.
    AssumeRole {
        /// The session issued.
        session: std::sync::Arc<crate::emulator::Session>,
        /// The role's unique id (`AROA…`).
        role_id: String,
    },
}

impl TrailResponse {
    /// The JSON CloudTrail logs: the expiration as a human-readable string (IAM
    /// user guide, CloudTrail examples for AssumeRole).
    fn render(&self) -> Value {
        match self {
            Self::AssumeRole { session, role_id } => json!({
                "credentials": {
                    "accessKeyId": session.access_key_id,
                    "sessionToken": session.token,
                    "expiration": session
                        .expires
                        .format(time::macros::format_description!(
                            "[month repr:short] [day padding:none], [year], [hour repr:12 padding:none]:[minute]:[second] [period]"
                        ))
                        .unwrap_or_default(),
                },
                "assumedRoleUser": {
                    "assumedRoleId": crate::authn::assumed_role_id(session, role_id),
                    "arn": crate::authn::session_arn(session),
                },
            }),
        }
    }
}

/// Who called, kept as the request saw it (the caller and the world it was
/// authenticated in, both shared) and rendered into [`TrailIdentity`] when a record
/// is read: building the identity's strings on every request cost about five
/// allocations. A world replaced since stays alive while log entries hold it: at
/// most the log's capacity of snapshots, and in practice the few a run goes through.
#[derive(Debug, Clone)]
pub struct TrailCaller {
    /// The world the request was decided in.
    pub world: std::sync::Arc<World>,
    /// The caller (identity and access key id; nothing else is read).
    pub caller: Caller,
}

impl TrailCaller {
    /// The caller of a request, or `None` for an anonymous one.
    pub fn of(world: std::sync::Arc<World>, caller: &Caller) -> Option<Self> {
        if matches!(caller.identity, Identity::Anonymous) {
            return None;
        }
        Some(Self {
            world,
            caller: Caller {
                identity: caller.identity.clone(),
                access_key_id: caller.access_key_id.clone(),
                facts: crate::authn::AuthFacts::default(),
                verified: None,
                payload: None,
            },
        })
    }

    fn render(&self) -> Option<TrailIdentity> {
        identity(&self.world, &self.caller)
    }
}

/// CloudTrail's `userIdentity`.
#[derive(Debug, Clone, Serialize)]
pub struct TrailIdentity {
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`.
    pub kind: &'static str,
    /// `AIDA…`, `AROA…:session`, the account id for root.
    pub principal_id: String,
    /// The caller's ARN.
    pub arn: String,
    /// The caller's account.
    pub account_id: String,
    /// The access key id the request was signed with.
    pub access_key_id: Option<String>,
    /// IAM users: the user name.
    pub user_name: Option<String>,
    /// Role sessions: the role (principal id, ARN, account, name).
    pub issuer: Option<(String, String, String, String)>,
    /// Role sessions: when the session was issued.
    pub session_created: Option<String>,
}

/// `userIdentity` for an authenticated caller.
pub fn identity(world: &World, caller: &Caller) -> Option<TrailIdentity> {
    let principal_id = crate::sts::user_id(world, caller);
    match &caller.identity {
        Identity::Anonymous => None,
        Identity::User(u) => Some(TrailIdentity {
            kind: "IAMUser",
            principal_id,
            arn: u.arn(),
            account_id: u.account.clone(),
            access_key_id: caller.access_key_id.as_ref().map(ToString::to_string),
            user_name: Some(u.name.clone()),
            issuer: None,
            session_created: None,
        }),
        Identity::Root { account } => Some(TrailIdentity {
            kind: "Root",
            principal_id,
            arn: caller.arn(),
            account_id: account.clone(),
            access_key_id: caller.access_key_id.as_ref().map(ToString::to_string),
            user_name: None,
            issuer: None,
            session_created: None,
        }),
        Identity::Service { name } => Some(TrailIdentity {
            kind: "AWSService",
            principal_id: name.clone(),
            arn: name.clone(),
            account_id: String::new(),
            access_key_id: None,
            user_name: None,
            issuer: None,
            session_created: None,
        }),
        Identity::Session(s) => {
            let created = Some(crate::util::rfc3339(s.issued_at));
            match &s.owner {
                SessionOwner::Role { account, role, .. } => {
                    let r = world.role(account, role);
                    Some(TrailIdentity {
                        kind: "AssumedRole",
                        principal_id,
                        arn: caller.arn(),
                        account_id: account.clone(),
                        access_key_id: caller.access_key_id.as_ref().map(ToString::to_string),
                        user_name: None,
                        issuer: Some((
                            r.map_or_else(String::new, |r| r.id.clone()),
                            r.map_or_else(
                                || format!("arn:aws:iam::{account}:role/{role}"),
                                crate::world::Role::arn,
                            ),
                            account.clone(),
                            role.clone(),
                        )),
                        session_created: created,
                    })
                }
                SessionOwner::User { account, user } => Some(TrailIdentity {
                    kind: "IAMUser",
                    principal_id,
                    arn: caller.arn(),
                    account_id: account.clone(),
                    access_key_id: caller.access_key_id.as_ref().map(ToString::to_string),
                    user_name: Some(user.clone()),
                    issuer: None,
                    session_created: created,
                }),
            }
        }
    }
}

fn user_identity(t: Option<&TrailIdentity>) -> Value {
    let Some(t) = t else {
        // An unsigned S3 request (a real 2024 data event; CloudTrail user guide).
        return json!({ "type": "AWSAccount", "principalId": "", "accountId": "anonymous" });
    };
    let mut m = Map::new();
    m.insert("type".into(), json!(t.kind));
    m.insert("principalId".into(), json!(t.principal_id));
    m.insert("arn".into(), json!(t.arn));
    m.insert("accountId".into(), json!(t.account_id));
    if let Some(k) = &t.access_key_id {
        m.insert("accessKeyId".into(), json!(k));
    }
    if let Some(u) = &t.user_name {
        m.insert("userName".into(), json!(u));
    }
    if let Some((id, arn, account, name)) = &t.issuer {
        m.insert(
            "sessionContext".into(),
            json!({
                "sessionIssuer": { "type": "Role", "principalId": id, "arn": arn, "accountId": account, "userName": name },
                "webIdFederationData": {},
                "attributes": {
                    "creationDate": t.session_created.clone().unwrap_or_default(),
                    "mfaAuthenticated": "false"
                }
            }),
        );
    }
    Value::Object(m)
}

/// A UUID-shaped id derived from the request id (stable across runs).
fn event_id(request_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut g: u64 = 0x8422_2325_cbf2_9ce4;
    for b in request_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        g = (g ^ u64::from(b))
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(7);
    }
    let x = format!("{h:016x}{g:016x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

/// The CloudTrail record of a logged request; `None` for requests that never
/// reached an operation (admin calls are not logged at all).
pub fn record(e: &LogEntry) -> Option<Value> {
    let operation = e.operation.as_deref()?;
    let t = e.trail.as_ref()?;
    let s3 = e.service == ServiceKind::S3;
    let failed = e.status >= 300 || e.code.is_some();
    let mut m = Map::new();
    m.insert("eventVersion".into(), json!("1.11"));
    let who = t.identity.as_ref().and_then(TrailCaller::render);
    m.insert("userIdentity".into(), user_identity(who.as_ref()));
    m.insert(
        "eventTime".into(),
        json!(e
            .time
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default()),
    );
    m.insert(
        "eventSource".into(),
        json!(if s3 {
            "s3.amazonaws.com"
        } else {
            "sts.amazonaws.com"
        }),
    );
    m.insert("eventName".into(), json!(operation));
    m.insert(
        "awsRegion".into(),
        json!(t.region.as_deref().unwrap_or("us-east-1")),
    );
    m.insert(
        "sourceIPAddress".into(),
        json!(t.source_ip.map(|ip| ip.to_string()).unwrap_or_default()),
    );
    let ua = t.user_agent.clone().unwrap_or_default();
    // S3 data events bracket the user agent; STS events do not.
    m.insert("userAgent".into(), json!(if s3 { format!("[{ua}]") } else { ua }));
    if failed {
        m.insert("errorCode".into(), json!(e.code.clone().unwrap_or_default()));
        m.insert(
            "errorMessage".into(),
            json!(e.message.clone().unwrap_or_default()),
        );
    }
    let parameters = if s3 || !failed {
        let mut p = Map::new();
        match &t.parameters {
            TrailParameters::None => {}
            TrailParameters::S3 => {
                if let Some(b) = &e.bucket {
                    p.insert("bucketName".into(), json!(b));
                }
                if let Some(h) = &t.host {
                    p.insert("Host".into(), json!(h));
                }
                if let Some(k) = &e.key {
                    p.insert("key".into(), json!(k));
                }
            }
            TrailParameters::AssumeRole(pairs) => p = assume_role_parameters(pairs),
        }
        Value::Object(p)
    } else {
        Value::Null
    };
    m.insert("requestParameters".into(), parameters);
    m.insert(
        "responseElements".into(),
        if failed {
            Value::Null
        } else {
            t.response.as_ref().map_or(Value::Null, TrailResponse::render)
        },
    );
    if s3 {
        let mut extra = Map::new();
        if who.is_some() {
            extra.insert("SignatureVersion".into(), json!("SigV4"));
            extra.insert(
                "AuthenticationMethod".into(),
                json!(t.auth_method.unwrap_or("AuthHeader")),
            );
        }
        extra.insert("bytesTransferredIn".into(), json!(t.bytes_in));
        extra.insert("bytesTransferredOut".into(), json!(0));
        if let Some(h) = &t.host_id {
            extra.insert("x-amz-id-2".into(), json!(h.as_str()));
        }
        m.insert("additionalEventData".into(), Value::Object(extra));
    }
    m.insert("requestID".into(), json!(e.request_id));
    m.insert("eventID".into(), json!(event_id(&e.request_id)));
    let read_only = !s3 || matches!(e.method.as_str(), "GET" | "HEAD");
    m.insert("readOnly".into(), json!(read_only));
    let mut resources = Vec::new();
    if s3 {
        if let (Some(b), Some(k)) = (&e.bucket, &e.key) {
            resources.push(json!({ "type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{b}/{k}") }));
        }
        if let Some(b) = &e.bucket {
            let mut bucket = Map::new();
            if let Some(o) = &t.bucket_owner {
                bucket.insert("accountId".into(), json!(o));
            }
            bucket.insert("type".into(), json!("AWS::S3::Bucket"));
            bucket.insert("ARN".into(), json!(format!("arn:aws:s3:::{b}")));
            resources.push(Value::Object(bucket));
        }
    } else if let (Some((account, arn)), false) = (&t.role, failed) {
        resources.push(json!({ "accountId": account, "type": "AWS::IAM::Role", "ARN": arn }));
    }
    if !resources.is_empty() {
        m.insert("resources".into(), Value::Array(resources));
    }
    m.insert("eventType".into(), json!("AwsApiCall"));
    m.insert("managementEvent".into(), json!(!s3));
    // The requester's copy: the caller's account (the bucket owner's for an
    // anonymous caller).
    let recipient = who
        .as_ref()
        .map(|i| i.account_id.clone())
        .filter(|a| !a.is_empty())
        .or_else(|| t.bucket_owner.as_ref().map(ToString::to_string))
        .unwrap_or_default();
    m.insert("recipientAccountId".into(), json!(recipient));
    m.insert(
        "eventCategory".into(),
        json!(if s3 { "Data" } else { "Management" }),
    );
    Some(Value::Object(m))
}

/// `{"Records": [...]}` of these entries, as a trail file holds them.
pub fn records(entries: &[LogEntry]) -> Value {
    json!({ "Records": entries.iter().filter_map(record).collect::<Vec<_>>() })
}

/// `requestParameters` of an AssumeRole as CloudTrail logs them (names in camel
/// case; `externalId` logged when sent: inferred, no AWS example shows it).
pub fn assume_role_parameters(params: &crate::protocol::form::FormParams) -> Map<String, Value> {
    let get = |k: &str| params.get(k).map(str::to_string);
    let mut m = Map::new();
    for (field, name) in [
        ("RoleArn", "roleArn"),
        ("RoleSessionName", "roleSessionName"),
        ("ExternalId", "externalId"),
        ("SourceIdentity", "sourceIdentity"),
    ] {
        if let Some(v) = get(field) {
            m.insert(name.into(), json!(v));
        }
    }
    if let Some(d) = get("DurationSeconds").and_then(|d| d.parse::<u64>().ok()) {
        m.insert("durationSeconds".into(), json!(d));
    }
    let mut tags = BTreeMap::new();
    for (k, v) in params.iter() {
        if let Some(n) = k
            .strip_prefix("Tags.member.")
            .and_then(|r| r.strip_suffix(".Key"))
        {
            let value = get(&format!("Tags.member.{n}.Value")).unwrap_or_default();
            tags.insert(n.parse::<u32>().unwrap_or(0), json!({ "key": v, "value": value }));
        }
    }
    if !tags.is_empty() {
        m.insert("tags".into(), Value::Array(tags.into_values().collect()));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_look_like_uuids_and_are_stable() {
        let a = event_id("0Q6DDQPTKTJATS14");
        assert_eq!(a, event_id("0Q6DDQPTKTJATS14"));
        assert_ne!(a, event_id("0Q6DDQPTKTJATS15"));
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{a}");
    }

    #[test]
    fn assume_role_parameters_are_camel_case_with_tags() {
        let p: crate::protocol::form::FormParams = [
            ("RoleArn", "arn:aws:iam::2:role/r"),
            ("RoleSessionName", "s"),
            ("DurationSeconds", "900"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
        ]
        .into_iter()
        .collect();
        let m = Value::Object(assume_role_parameters(&p));
        assert_eq!(m["roleArn"], "arn:aws:iam::2:role/r");
        assert_eq!(m["durationSeconds"], 900);
        assert_eq!(m["tags"][0]["key"], "team");
        assert!(m.get("externalId").is_none());
    }
}
