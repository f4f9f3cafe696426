//! Authentication: from a signed request to a [`Caller`].
//!
//! This layer finds the credentials an access key id names, checks the session
//! token and its expiry, the request time, the signed headers and the signature,
//! and hands the next layer a typed caller. It never evaluates policy; handlers
//! never read the `Authorization` header.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::api_error;
use crate::emulator::{Emulator, Session};
use crate::error::{ApiError, ApiResult};
use crate::protocol::codes::Service;
use crate::sigv4::{self, Auth, AuthV4, Location, PayloadMode, RequestHead, SigService, Verified};
use crate::world::{self, SessionOwner, User, World};

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Identity {
    /// No credentials.
    Anonymous,
    /// An IAM user with a long-term access key.
    User(Arc<User>),
    /// Temporary credentials: a role session or a user session.
    Session(Arc<Session>),
    /// An account's root user. The server never authenticates one (worlds give
    /// root no keys); `emulator explain` asks about it.
    Root {
        /// The account.
        account: String,
    },
    /// An AWS service principal (`cloudtrail.amazonaws.com`), for `explain`: bucket
    /// and key policies grant services by name.
    Service {
        /// The service principal's name.
        name: String,
    },
}

/// What the signature said, for condition keys (`s3:signatureversion`, `s3:authType`, …).
#[derive(Debug, Clone, Default)]
pub struct AuthFacts {
    /// `AWS4-HMAC-SHA256` or `AWS` (SigV2).
    pub signature_version: Option<&'static str>,
    /// `REST-HEADER` or `REST-QUERY-STRING`.
    pub auth_type: Option<&'static str>,
    /// Milliseconds since the request was signed.
    pub signature_age_ms: Option<i64>,
    /// The `x-amz-content-sha256` value as sent.
    pub content_sha256: Option<compact_str::CompactString>,
    /// The region in the credential scope.
    pub scope_region: Option<compact_str::CompactString>,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub identity: Identity,
    /// The access key id used.
    pub access_key_id: Option<compact_str::CompactString>,
    /// What the signature said.
    pub facts: AuthFacts,
    /// The SigV4 verification, for checking aws-chunked bodies.
    pub verified: Option<Verified>,
    /// The payload mode the signature committed to.
    pub payload: Option<PayloadMode>,
}

impl Caller {
    /// An anonymous caller.
    pub fn anonymous() -> Self {
        Self {
            identity: Identity::Anonymous,
            access_key_id: None,
            facts: AuthFacts::default(),
            verified: None,
            payload: None,
        }
    }

    /// The caller's account, `None` for anonymous callers.
    pub fn account(&self) -> Option<&str> {
        match &self.identity {
            Identity::Anonymous | Identity::Service { .. } => None,
            Identity::Root { account } => Some(account),
            Identity::User(u) => Some(&u.account),
            Identity::Session(s) => Some(match &s.owner {
                SessionOwner::Role { account, .. } | SessionOwner::User { account, .. } => account,
            }),
        }
    }

    /// The ARN AWS prints for the caller in messages (a role session prints its
    /// `assumed-role` ARN; an anonymous caller prints `anonymous`).
    pub fn arn(&self) -> String {
        match &self.identity {
            Identity::Anonymous => "anonymous".to_string(),
            Identity::Root { account } => crate::util::concat(&["arn:aws:iam::", account, ":root"]),
            Identity::Service { name } => name.clone(),
            Identity::User(u) => u.arn(),
            Identity::Session(s) => session_arn(s),
        }
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (no role path, as IAM documents),
/// or the user's ARN for a user session.
pub fn session_arn(s: &Session) -> String {
    match &s.owner {
        SessionOwner::Role {
            account,
            role,
            session_name,
        } => crate::util::concat(&[
            "arn:aws:sts::",
            account,
            ":assumed-role/",
            role,
            "/",
            session_name,
        ]),
        SessionOwner::User { account, user } => {
            crate::util::concat(&["arn:aws:iam::", account, ":user/", user])
        }
    }
}

/// `AROA…:SESSION`: a role session's `AssumedRoleId` (STS API reference), for the
/// role whose unique id is `role_id`; `None` for a user session.
pub fn assumed_role_id(s: &Session, role_id: &str) -> Option<String> {
    match &s.owner {
        SessionOwner::Role { session_name, .. } => Some(crate::util::concat(&[role_id, ":", session_name])),
        SessionOwner::User { .. } => None,
    }
}

/// The credentials an access key id names.
enum Creds<'w> {
    LongTerm {
        user: Arc<User>,
        secret: &'w str,
        active: bool,
    },
    Temporary(Arc<Session>),
    /// An issued session past its expiry, retired ([`crate::sessions`]).
    Retired(crate::sessions::Retired),
}

/// A secret access key where it already lives: the world's key, or the session's
/// (borrowed rather than copied on every request).
enum Secret<'w> {
    World(&'w str),
    Session(Arc<Session>),
}

impl Secret<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::World(s) => s,
            Self::Session(s) => &s.secret,
        }
    }
}

fn lookup<'w>(emu: &Emulator, world: &'w World, akid: &str) -> Option<Creds<'w>> {
    if let Some((user, key)) = world.access_key(akid) {
        return Some(Creds::LongTerm {
            user: Arc::clone(user),
            secret: &key.secret,
            active: key.status == world::KeyStatus::Active,
        });
    }
    emu.find_session(akid).map(|found| match found {
        crate::sessions::Found::Live(s) => Creds::Temporary(s),
        crate::sessions::Found::Retired(r) => Creds::Retired(r),
    })
}

/// The region a request's credentials are used in, for the opt-in-region token check.
fn token_valid_in(world: &World, s: &Session, region: &str) -> bool {
    if s.issued_in_region.is_some() || !world::OPT_IN_REGIONS.contains(&region) {
        return true;
    }
    let account = match &s.owner {
        SessionOwner::Role { account, .. } | SessionOwner::User { account, .. } => account,
    };
    // Version-1 tokens from the global endpoint are valid only in regions enabled
    // by default (IAM user guide, "Managing AWS STS in an AWS Region").
    world
        .account(account)
        .is_some_and(|a| a.global_endpoint_token_version >= 2)
}

/// Resolve the credentials and their secret, or the error the service sends.
fn credentials<'w>(
    emu: &Emulator,
    world: &'w World,
    service: Service,
    akid: &str,
    token: Option<&str>,
    now: OffsetDateTime,
    region: &str,
) -> ApiResult<(Identity, Secret<'w>)> {
    let unknown = || match service {
        Service::S3 => api_error!(InvalidAccessKeyId).extra("AWSAccessKeyId", akid),
        Service::Sts => api_error!(InvalidClientTokenId),
    };
    let bad_token = |token: &str| match service {
        Service::S3 => api_error!(InvalidToken).extra("Token-0", token),
        Service::Sts => api_error!(InvalidClientTokenId),
    };
    let expired = |token: &str, at: OffsetDateTime| {
        let err = match service {
            Service::S3 => api_error!(ExpiredToken).extra("Token-0", token),
            Service::Sts => api_error!(ExpiredToken),
        };
        err.note(format!("session expired at {}", crate::util::rfc3339(at)))
    };
    match lookup(emu, world, akid) {
        None => Err(unknown().note(format!(
            "no access key `{akid}` in the world or among issued sessions"
        ))),
        Some(Creds::LongTerm { active: false, .. }) => {
            Err(unknown().note(format!("access key `{akid}` is Inactive")))
        }
        Some(Creds::LongTerm {
            user,
            secret,
            active: true,
        }) => match token {
            // A session token with a long-term key is a token nobody issued for it.
            Some(t) => Err(bad_token(t).note("session token sent with a long-term (AKIA) access key")),
            None => Ok((Identity::User(user), Secret::World(secret))),
        },
        Some(Creds::Temporary(s)) => {
            let Some(t) = token else {
                // Inferred (misconfigs.md M63): temporary key ids without their token are unknown.
                return Err(unknown().note(format!(
                    "`{akid}` is a temporary key id but no session token was sent"
                )));
            };
            if !bool::from(subtle::ConstantTimeEq::ct_eq(t.as_bytes(), s.token.as_bytes())) {
                return Err(bad_token(t).note("session token does not belong to this access key"));
            }
            if now >= s.expires {
                return Err(expired(t, s.expires));
            }
            if !token_valid_in(world, &s, region) {
                return Err(bad_token(t).note(format!(
                    "token from the global STS endpoint (version 1) used in opt-in region `{region}`"
                )));
            }
            let secret = Secret::Session(Arc::clone(&s));
            Ok((Identity::Session(s), secret))
        }
        // What a live session past its expiry answers, in the same order.
        Some(Creds::Retired(r)) => {
            let Some(t) = token else {
                return Err(unknown().note(format!(
                    "`{akid}` is a temporary key id but no session token was sent"
                )));
            };
            if !r.token_matches(t) {
                return Err(bad_token(t).note("session token does not belong to this access key"));
            }
            Err(expired(t, r.expires))
        }
    }
}

/// Authenticate a SigV4 request to S3 or STS. `payload_hash` is the STS body hash;
/// for S3 the payload mode comes from `x-amz-content-sha256`.
pub fn authenticate_v4(
    emu: &Emulator,
    world: &World,
    head: &RequestHead<'_>,
    mut auth: AuthV4,
    service: SigService,
    region: &str,
    sts_body_hash: Option<&str>,
) -> ApiResult<Caller> {
    let wire: Service = service.into();
    let now = emu.clock.now();
    let (identity, secret) = credentials(
        emu,
        world,
        wire,
        &auth.access_key_id,
        auth.session_token.as_deref(),
        now,
        region,
    )?;
    auth.check_time(now, service).map_err(|e| sig(e, wire))?;
    auth.check_signed_headers(head).map_err(|e| sig(e, wire))?;
    let (payload, s3_hash_line) = match service {
        SigService::S3 => {
            let mode = auth.payload_mode(service).map_err(|e| sig(e, wire))?;
            let line = mode
                .canonical_value()
                .or_else(|| PayloadMode::Unsigned.canonical_value());
            (Some(mode), line)
        }
        SigService::Sts => (None, None),
    };
    let hash = match &s3_hash_line {
        Some(line) => line.as_str(),
        None => sts_body_hash.unwrap_or_default(),
    };
    let key = emu.signing_key(secret.as_str(), &auth.scope);
    let age = (now - auth.timestamp).whole_milliseconds().max(0);
    let auth_type = match auth.location {
        Location::Header => "REST-HEADER",
        Location::Query => "REST-QUERY-STRING",
    };
    let content_sha256 = auth.content_sha256.take();
    let verified = auth
        .into_verified(head, key, service, hash)
        .map_err(|e| sig(e, wire))?;
    Ok(Caller {
        identity,
        access_key_id: Some(verified.access_key_id.clone()),
        facts: AuthFacts {
            signature_version: Some("AWS4-HMAC-SHA256"),
            auth_type: Some(auth_type),
            signature_age_ms: Some(i64::try_from(age).unwrap_or(i64::MAX)),
            content_sha256,
            scope_region: Some(verified.signing.scope.region.clone()),
        },
        verified: Some(verified),
        payload,
    })
}

/// Authenticate a SigV2 presigned S3 request (where the bucket accepts SigV2).
pub fn authenticate_v2(
    emu: &Emulator,
    world: &World,
    head: &RequestHead<'_>,
    auth: &sigv4::AuthV2Query,
    region: &str,
    virtual_host_bucket: Option<&str>,
) -> ApiResult<Caller> {
    let now = emu.clock.now();
    let (identity, secret) = credentials(
        emu,
        world,
        Service::S3,
        &auth.access_key_id,
        auth.session_token.as_deref(),
        now,
        region,
    )?;
    auth.check_time(now).map_err(|e| sig(e, Service::S3))?;
    auth.verify(head, secret.as_str(), virtual_host_bucket)
        .map_err(|e| sig(e, Service::S3))?;
    Ok(Caller {
        identity,
        access_key_id: Some(auth.access_key_id.as_str().into()),
        facts: AuthFacts {
            signature_version: Some("AWS"),
            auth_type: Some("REST-QUERY-STRING"),
            // "s3:signatureAge … is always 0 under SigV2" (S3 API, bucket-policy-s3-sigv4-conditions).
            signature_age_ms: Some(0),
            content_sha256: None,
            scope_region: None,
        },
        verified: None,
        payload: Some(PayloadMode::Unsigned),
    })
}

/// A SigV4 error as the service's wire error.
pub fn sig(e: sigv4::SigError, service: Service) -> ApiError {
    e.to_api_error(service)
}

/// The anonymous caller, or the authenticated one, for an S3 request.
pub fn authenticate_s3(
    emu: &Emulator,
    world: &World,
    head: &RequestHead<'_>,
    auth: Auth,
    region: &str,
    sigv2_allowed: bool,
    virtual_host_bucket: Option<&str>,
) -> ApiResult<Caller> {
    match auth {
        Auth::Anonymous => Ok(Caller::anonymous()),
        Auth::V4(v4) => authenticate_v4(emu, world, head, v4, SigService::S3, region, None),
        Auth::V2Query(v2) if sigv2_allowed => authenticate_v2(emu, world, head, &v2, region, virtual_host_bucket),
        Auth::V2Query(_) => Err(sig(sigv4::SigError::SigV2NotSupported, Service::S3)
            .note("SigV2 presigned URL for a bucket that accepts only SigV4 (set `sigv2 = true` on the bucket, or sign with s3v4)")),
    }
}
