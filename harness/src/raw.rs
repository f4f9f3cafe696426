//! The raw requester: hand-built requests the SDK will not send, signed with the
//! `aws-sigv4` crate (the SDK's own signer) and then bent on purpose: a wrong scope
//! region, a skewed or stale date, a header removed or added after signing, a body
//! changed after signing, a chosen payload mode, a presigned URL, another Host.
//!
//! Use it only for what the SDK refuses to do; everything else goes through
//! `aws-sdk-s3`/`aws-sdk-sts` (style rule 11).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use bytes::Bytes;
use emulator::Clock;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use percent_encoding::utf8_percent_encode;
use serde::Deserialize;

use crate::run::{Keys, Outcome, Run};
use crate::scenario::parse_duration;

/// One header name or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Default for OneOrMany {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl OneOrMany {
    fn items(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

/// Arguments of `raw`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArgs {
    /// `s3` (default) or `sts`.
    #[serde(default)]
    pub service: Option<String>,
    /// HTTP method (default: S3 `PUT` with a body, else `GET`; STS `POST`).
    #[serde(default)]
    pub method: Option<String>,
    /// S3 bucket (path-style).
    #[serde(default)]
    pub bucket: Option<String>,
    /// S3 key.
    #[serde(default)]
    pub key: Option<String>,
    /// Query string, already encoded (`versionId=x`, `list-type=2`).
    #[serde(default)]
    pub query: Option<String>,
    /// Body text.
    #[serde(default)]
    pub body: Option<String>,
    /// STS: form parameters (`Action`, `RoleArn`, …); `Version` is added when absent.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// Extra headers, signed.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The Host header (default `127.0.0.1:PORT`), e.g. `s3.us-west-2.localhost`.
    #[serde(default)]
    pub host: Option<String>,
    /// The region in the credential scope (default: the bucket's; STS `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// Sign as if the clock were off by this much (`-20m`, `+16m`, `-1d`).
    #[serde(default)]
    pub time_offset: Option<String>,
    /// Remove these headers after signing (`x-amz-date`, `x-amz-content-sha256`, …).
    #[serde(default)]
    pub omit_header: OneOrMany,
    /// Add these headers after signing (not in SignedHeaders).
    #[serde(default)]
    pub unsigned_header: BTreeMap<String, String>,
    /// Change the body after signing (same length).
    #[serde(default)]
    pub tamper_body: bool,
    /// Payload mode: `signed` (hex SHA-256, default), `unsigned` (`UNSIGNED-PAYLOAD`) or
    /// `none` (no `x-amz-content-sha256` header at all).
    #[serde(default)]
    pub payload: Option<String>,
    /// Sign in the query string (a presigned URL) valid for this long (`1h`).
    #[serde(default)]
    pub presign: Option<String>,
    /// Sign with this secret instead of the actor's (a wrong secret).
    #[serde(default)]
    pub secret: Option<String>,
}

impl RawArgs {
    /// Check knob values.
    pub fn validate(&self) -> Result<(), String> {
        match self.service.as_deref() {
            None | Some("s3" | "sts") => {}
            Some(other) => return Err(format!("raw service `{other}` must be `s3` or `sts`")),
        }
        if let Some(p) = &self.payload {
            if !["signed", "unsigned", "none"].contains(&p.as_str()) {
                return Err(format!("payload `{p}` must be signed, unsigned or none"));
            }
        }
        for (name, d) in [("time_offset", &self.time_offset), ("presign", &self.presign)] {
            if let Some(d) = d {
                if parse_duration(d).is_none() {
                    return Err(format!("{name} `{d}` is not a duration like `-20m` or `1h`"));
                }
            }
        }
        if self.service.as_deref() != Some("sts") && self.bucket.is_none() && self.key.is_some() {
            return Err("`key` needs `bucket`".to_string());
        }
        Ok(())
    }

    fn is_sts(&self) -> bool {
        self.service.as_deref() == Some("sts")
    }
}

/// Characters kept as-is in an S3 key path segment (RFC 3986 unreserved).
use testkit::http::{encode_key, encode_pairs, UNRESERVED as KEY_SET};

/// Send the raw request: build it, sign it with the actor's keys (if any), bend
/// it as the step says, and send it on a fresh connection.
pub async fn send(run: &Run<'_>, keys: Option<Keys>, a: &RawArgs) -> Result<Outcome, String> {
    a.validate()?;
    let mut req = Unsigned::build(run, a);
    if let Some(keys) = keys {
        req.sign(run, a, keys)?;
    }
    req.bend(a);
    req.exchange(run).await
}

/// The request before (and, once signed, after) signing.
#[derive(Debug)]
struct Unsigned {
    sts: bool,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Unsigned {
    fn build(run: &Run<'_>, a: &RawArgs) -> Self {
        let sts = a.is_sts();
        let mut body: Vec<u8> = a.body.clone().unwrap_or_default().into_bytes();
        let mut headers: Vec<(String, String)> = Vec::new();
        let host = a.host.clone().unwrap_or_else(|| run.running.addr.to_string());
        headers.push(("host".to_string(), host));
        if sts && a.body.is_none() {
            let mut form = a.form.clone();
            form.entry("Version".to_string())
                .or_insert_with(|| "2011-06-15".to_string());
            body = encode_pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))).into_bytes();
            headers.push((
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ));
        }
        for (k, v) in &a.headers {
            headers.push((k.to_ascii_lowercase(), v.clone()));
        }
        let method = a.method.clone().unwrap_or_else(|| {
            if sts {
                "POST".to_string()
            } else if a.key.is_some() && a.body.is_some() {
                "PUT".to_string()
            } else {
                "GET".to_string()
            }
        });
        let path = if sts {
            "/".to_string()
        } else {
            match (&a.bucket, &a.key) {
                (Some(b), Some(k)) => format!("/{b}/{}", encode_key(k)),
                (Some(b), None) => format!("/{b}"),
                _ => "/".to_string(),
            }
        };
        Self {
            sts,
            method,
            path,
            query: a.query.clone().unwrap_or_default(),
            headers,
            body,
        }
    }

    /// Sign with the `aws-sigv4` crate, the SDK's own signer, with aws-sdk-s3's
    /// settings for S3: headers, or presigned query parameters.
    fn sign(&mut self, run: &Run<'_>, a: &RawArgs, keys: Keys) -> Result<(), String> {
        let sts = self.sts;
        let region = a.region.clone().unwrap_or_else(|| {
            if sts {
                "us-east-1".to_string()
            } else {
                a.bucket.as_deref().map_or_else(
                    || "us-east-1".to_string(),
                    |b| crate::steps::bucket_region(run, b),
                )
            }
        });
        let payload = a.payload.as_deref().unwrap_or("signed");
        let mut settings = if sts {
            SigningSettings::default()
        } else {
            testkit::sign::s3(payload != "none")
        };
        if let Some(p) = &a.presign {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(
                parse_duration(p).unwrap_or(3600).unsigned_abs(),
            ));
        }
        let offset = a.time_offset.as_deref().and_then(parse_duration).unwrap_or(0);
        let now = SystemTime::from(run.clock.now());
        let time = if offset >= 0 {
            now + Duration::from_secs(offset.unsigned_abs())
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        };
        let secret = a.secret.clone().unwrap_or(keys.secret);
        let identity = Credentials::new(keys.access_key_id, secret, keys.session_token, None, "raw").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name(if sts { "sts" } else { "s3" })
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| format!("signing parameters: {e}"))?
            .into();
        let signable_body = if payload == "unsigned" || (a.presign.is_some() && !sts) {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(&self.body)
        };
        let uri = if self.query.is_empty() {
            format!("http://localhost{}", self.path)
        } else {
            format!("http://localhost{}?{}", self.path, self.query)
        };
        let signable = SignableRequest::new(
            &self.method,
            uri.as_str(),
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            signable_body,
        )
        .map_err(|e| format!("signable request: {e}"))?;
        let (instructions, _sig) = sign(signable, &params)
            .map_err(|e| format!("signing: {e}"))?
            .into_parts();
        for (name, value) in instructions.headers() {
            self.headers.push((name.to_string(), value.to_string()));
        }
        for (name, value) in instructions.params() {
            if !self.query.is_empty() {
                self.query.push('&');
            }
            self.query.push_str(&format!(
                "{}={}",
                utf8_percent_encode(name, KEY_SET),
                utf8_percent_encode(value, KEY_SET)
            ));
        }
        Ok(())
    }

    /// Bend the signed request the way a broken client would.
    fn bend(&mut self, a: &RawArgs) {
        for name in a.omit_header.items() {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        }
        for (k, v) in &a.unsigned_header {
            self.headers.push((k.to_ascii_lowercase(), v.clone()));
        }
        if a.tamper_body {
            match self.body.last_mut() {
                Some(b) => *b = if *b == b'x' { b'y' } else { b'x' },
                None => self.body.push(b'x'),
            }
        }
    }

    /// One exchange on a fresh connection; the answer's status is the outcome.
    async fn exchange(self, run: &Run<'_>) -> Result<Outcome, String> {
        let target = if self.query.is_empty() {
            self.path
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut builder = http::Request::builder().method(self.method.as_str()).uri(target);
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder
            .body(Full::new(Bytes::from(self.body)))
            .map_err(|e| format!("building the request: {e}"))?;
        let stream = tokio::net::TcpStream::connect(run.running.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let driver = tokio::spawn(conn);
        let outcome = match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                // Drain the body so the exchange completes.
                let _ = response.into_body().collect().await;
                Outcome {
                    ok: status < 300,
                    detail: (status >= 300).then(|| format!("HTTP {status}")),
                    ..Outcome::default()
                }
            }
            Err(e) => Outcome {
                ok: false,
                detail: Some(format!("no response: {e}")),
                ..Outcome::default()
            },
        };
        driver.abort();
        Ok(outcome)
    }
}
