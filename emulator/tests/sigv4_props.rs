//! Property tests: requests signed by the AWS SDK's own signer (`aws-sigv4`) verify, any
//! single change to a signed part is rejected, and the aws-chunked decoder decodes every
//! valid stream at every split and never panics on garbage.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation};
use emulator::sigv4::{
    self, Auth, AwsChunkedDecoder, BodyCheck, ChunkSigning, CredentialScope, DecoderConfig, RequestHead,
    SigError, SigService, SigningKey, StringToSign, Trailers,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const HOST: &str = "bucket.example.com:9000";
/// 2026-11-27T18:06:30Z.
const T0: u64 = 1_795_802_790;

/// A modest, reproducible run by default; `PROPTEST_CASES=n` runs longer (and then with a
/// random seed, to explore).
fn config(cases: u32) -> Config {
    match std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()) {
        Some(cases) => Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        None => Config {
            cases,
            rng_seed: RngSeed::Fixed(0x5167_0004),
            failure_persistence: None,
            ..Config::default()
        },
    }
}

/// RFC 3986 encoding as SDKs do it for keys and query values: unreserved kept, `/` kept
/// when `path`.
fn encode(s: &str, path: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (path && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    service: SigService,
    query_auth: bool,
    method: String,
    /// Logical path (decoded).
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    token: Option<String>,
    offset: u64,
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 !$&'()*+,;=:@%~._-]{1,8}",
        1 => Just("é".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(String::new()),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(SigService::S3), Just(SigService::Sts)],
        any::<bool>(),
        prop_oneof![
            Just("GET"),
            Just("PUT"),
            Just("POST"),
            Just("DELETE"),
            Just("HEAD")
        ],
        prop::collection::vec(segment(), 0..5),
        prop::collection::vec(("[a-zA-Z0-9._~ +=&/-]{1,6}", "[a-zA-Z0-9._~ +=&/%é-]{0,6}"), 0..4),
        prop::collection::btree_map(
            "(x-amz-meta|x-custom)-[a-z]{1,6}",
            "[!-~]([ !-~]{0,10}[!-~])?",
            0..4,
        ),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::option::of("[A-Za-z0-9+/=]{8,40}"),
        0..86_400_u64,
    )
        .prop_map(
            |(service, query_auth, method, segments, query, headers, body, token, offset)| Case {
                service,
                query_auth,
                method: method.to_owned(),
                path: format!("/{}", segments.join("/")),
                query,
                headers: headers.into_iter().collect(),
                body,
                token,
                offset,
            },
        )
}

/// A request as it arrives: signed by aws-sigv4 with the settings each service's SDK uses.
#[derive(Debug, Clone)]
struct Signed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    now: time::OffsetDateTime,
}

fn sign_case(c: &Case) -> Signed {
    let wire_path = encode(&c.path, true);
    let query: Vec<String> = c
        .query
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n, false), encode(v, false)))
        .collect();
    let query = query.join("&");
    let uri = if query.is_empty() {
        format!("http://{HOST}{wire_path}")
    } else {
        format!("http://{HOST}{wire_path}?{query}")
    };
    let mut headers = vec![("host".to_owned(), HOST.to_owned())];
    headers.extend(c.headers.iter().cloned());

    let mut settings = testkit::sign::like_sdk(if c.service == SigService::S3 { "s3" } else { "sts" });
    if c.query_auth {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(3600));
    }
    let identity = Credentials::new(AKID, SECRET, c.token.clone(), None, "props").into();
    let time = UNIX_EPOCH + Duration::from_secs(T0 + c.offset);
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name(c.service.name())
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = if c.query_auth && c.service == SigService::S3 {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&c.body)
    };
    let signable = SignableRequest::new(
        &c.method,
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    let mut query = query;
    for (name, value) in instructions.params() {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("{}={}", encode(name, false), encode(value, false)));
    }
    let now = time::OffsetDateTime::from(time);
    Signed {
        method: c.method.clone(),
        path: wire_path,
        query,
        headers,
        body: c.body.clone(),
        now,
    }
}

/// The server's whole verification path.
fn verify(s: &Signed, service: SigService) -> Result<(Vec<u8>, Trailers), SigError> {
    let mut headers = HeaderMap::new();
    for (n, v) in &s.headers {
        headers.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let head = RequestHead {
        method: &s.method,
        raw_path: &s.path,
        raw_query: &s.query,
        headers: &headers,
    };
    let Auth::V4(auth) = sigv4::parse(&head, service)? else {
        panic!("not SigV4")
    };
    auth.check_scope(service, (service == SigService::S3).then_some("eu-west-1"))?;
    auth.check_signed_headers(&head)?;
    auth.check_time(s.now, service)?;
    let mode = auth.payload_mode(service)?;
    let hash = mode
        .canonical_value()
        .map_or_else(|| sigv4::sha256_hex(&s.body), |line| line.to_string());
    let verified = auth.verify(&head, SECRET, service, &hash)?;
    let mut check = BodyCheck::new(mode, &verified, &headers)?;
    let mut out = Vec::new();
    check.push(&s.body, &mut out)?;
    check.finish().map(|t| (out, t))
}

/// One change to a signed part of the request.
fn mutate(s: &Signed, c: &Case, which: usize) -> Option<Signed> {
    let mut m = s.clone();
    let set = |m: &mut Signed, name: &str, f: &dyn Fn(&str) -> String| {
        let h = m
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap();
        h.1 = f(&h.1);
    };
    match which % 9 {
        0 => {
            m.method = if m.method == "PUT" {
                "POST".into()
            } else {
                "PUT".into()
            }
        }
        1 => m.path.push('x'),
        2 => {
            m.query = if m.query.is_empty() {
                "zz=1".into()
            } else {
                format!("{}&zz=1", m.query)
            }
        }
        3 => {
            let name = c.headers.first().map_or("host", |(n, _)| n.as_str()).to_owned();
            set(&mut m, &name, &|v| format!("{v}x"));
        }
        4 if c.query_auth => {
            let at = s.query.find("X-Amz-Date=").unwrap() + "X-Amz-Date=".len();
            let old = &s.query[at..at + 16];
            m.query = s
                .query
                .replacen(old, &basic(common_time(old) + time::Duration::seconds(1)), 1);
        }
        4 => set(&mut m, "x-amz-date", &|v| {
            basic(common_time(v) + time::Duration::seconds(1))
        }),
        // The payload is not signed in an S3 presigned URL.
        5 if c.query_auth && c.service == SigService::S3 => return None,
        5 if m.body.is_empty() => m.body.push(0),
        5 => m.body[0] ^= 1,
        6 if c.query_auth => {
            let at = m.query.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
            let flipped = if &m.query[at..=at] == "0" { "1" } else { "0" };
            m.query.replace_range(at..=at, flipped);
        }
        6 => set(&mut m, "authorization", &|v| {
            let last = v.chars().last().unwrap();
            format!("{}{}", &v[..v.len() - 1], if last == '0' { '1' } else { '0' })
        }),
        7 if c.token.is_none() => return None,
        7 if c.query_auth => m.query = m.query.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=x"),
        7 => set(&mut m, "x-amz-security-token", &|v| format!("x{v}")),
        _ if c.query_auth => m.query = m.query.replace("%2Feu-west-1%2F", "%2Feu-west-2%2F"),
        _ => set(&mut m, "authorization", &|v| {
            v.replace("/eu-west-1/", "/eu-west-2/")
        }),
    }
    Some(m)
}

fn common_time(s: &str) -> time::OffsetDateTime {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, format).unwrap().assume_utc()
}

fn basic(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn sdk_signed_requests_verify(c in case()) {
        let signed = sign_case(&c);
        let (out, _) = verify(&signed, c.service).map_err(|e| TestCaseError::fail(format!("{e}\n{e:?}\n{signed:?}")))?;
        prop_assert_eq!(out, c.body.clone());
    }

    #[test]
    fn any_change_to_a_signed_part_is_rejected(c in case(), which in 0..9_usize) {
        let signed = sign_case(&c);
        prop_assume!(verify(&signed, c.service).is_ok());
        if let Some(mutated) = mutate(&signed, &c, which) {
            let result = verify(&mutated, c.service);
            prop_assert!(result.is_err(), "mutation {} accepted: {:?}", which % 9, mutated);
        }
    }
}

// ---------------------------------------------------------------------------------------
// aws-chunked
// ---------------------------------------------------------------------------------------

fn signing() -> ChunkSigning {
    let scope = CredentialScope::new("20261127", "eu-west-1", "s3");
    ChunkSigning {
        key: SigningKey::derive(SECRET, &scope),
        amz_date: "20261127T180630Z".into(),
        scope,
        seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
    }
}

/// An aws-chunked body with `sizes` chunks of data, signed when `signing` is given, with
/// one trailer when `trailer`. Chunk signatures come from aws-sigv4's `sign_chunk`.
fn build_stream(sizes: &[usize], signed: bool, trailer: bool, upper_hex: bool) -> (Vec<u8>, Vec<u8>) {
    let s = signing();
    let identity = Credentials::new(AKID, SECRET, None, None, "props").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(T0))
        .settings(())
        .build()
        .unwrap();
    let mut wire = Vec::new();
    let mut payload = Vec::new();
    let mut previous = s.seed_signature.clone();
    let mut n = 0_u8;
    for &size in sizes.iter().chain(std::iter::once(&0)) {
        let data: Vec<u8> = (0..size)
            .map(|_| {
                n = n.wrapping_add(37);
                n
            })
            .collect();
        let hex = if upper_hex {
            format!("{size:X}")
        } else {
            format!("{size:x}")
        };
        wire.extend_from_slice(hex.as_bytes());
        if signed {
            let sig = aws_sigv4::sign::v4::sign_chunk(&bytes::Bytes::from(data.clone()), &previous, &params)
                .unwrap();
            previous = sig.into_parts().1;
            wire.extend_from_slice(format!(";chunk-signature={previous}").as_bytes());
        }
        wire.extend_from_slice(b"\r\n");
        if size > 0 {
            wire.extend_from_slice(&data);
            wire.extend_from_slice(b"\r\n");
            payload.extend_from_slice(&data);
        }
    }
    if trailer {
        wire.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n");
        if signed {
            let hash = sigv4::sha256_hex(b"x-amz-checksum-crc32:AAAAAA==\n");
            let sts = StringToSign::trailer(&s.amz_date, &s.scope, &previous, &hash).to_string();
            wire.extend_from_slice(
                format!("x-amz-trailer-signature:{}\r\n", s.key.sign(sts.as_bytes())).as_bytes(),
            );
        }
    }
    wire.extend_from_slice(b"\r\n");
    (wire, payload)
}

fn decoder(signed: bool, trailer: bool, decoded: Option<u64>) -> AwsChunkedDecoder {
    AwsChunkedDecoder::new(DecoderConfig {
        signing: signed.then(|| std::sync::Arc::new(signing())),
        trailers: trailer,
        declared_trailers: if trailer {
            vec!["x-amz-checksum-crc32".into()]
        } else {
            Vec::new()
        },
        decoded_length: decoded,
    })
}

fn decode_in(mut d: AwsChunkedDecoder, wire: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Trailers), SigError> {
    let mut out = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
        let cut = cut.clamp(last, wire.len());
        d.push(&wire[last..cut], &mut out)?;
        last = cut;
    }
    d.finish().map(|t| (out, t))
}

#[test]
fn signed_stream_decodes_at_every_split_point() {
    // The last data chunk may be small; earlier signed chunks must carry 8 KiB.
    let (wire, payload) = build_stream(&[8192, 10], true, true, false);
    for cut in 0..=wire.len() {
        let (out, trailers) = decode_in(decoder(true, true, Some(8202)), &wire, &[cut])
            .unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        assert_eq!(out, payload);
        assert_eq!(trailers.get("x-amz-checksum-crc32"), Some("AAAAAA=="));
    }
}

#[test]
fn signed_streams_enforce_8_kib_chunks() {
    let (wire, _) = build_stream(&[100, 10], true, false, true);
    assert_eq!(
        decode_in(decoder(true, false, Some(110)), &wire, &[]).unwrap_err(),
        SigError::ChunkTooSmall { index: 0, size: 100 }
    );
    // Unsigned streams do not (boto3 sends short reads as they come).
    let (wire, payload) = build_stream(&[100, 10, 1], false, true, false);
    assert_eq!(
        decode_in(decoder(false, true, None), &wire, &[]).unwrap().0,
        payload
    );
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn valid_streams_decode_at_any_splits(
        signed in any::<bool>(),
        trailer in any::<bool>(),
        upper in any::<bool>(),
        small in prop::collection::vec(0..300_usize, 0..4),
        cuts in prop::collection::vec(0..20_000_usize, 0..6),
    ) {
        // Signed: every chunk but the last is at least 8 KiB.
        let sizes: Vec<usize> = if signed {
            small.iter().enumerate().map(|(i, s)| if i + 1 < small.len() { 8192 + s } else { s + 1 }).collect()
        } else {
            small.iter().map(|s| s + 1).collect()
        };
        let (wire, payload) = build_stream(&sizes, signed, trailer, upper);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let (out, _) = decode_in(decoder(signed, trailer, Some(payload.len() as u64)), &wire, &cuts)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(out, payload);
    }

    /// A flipped bit in a signed stream is rejected, unless it is meaningless: the case
    /// of a hex digit or of a trailer name (both case-insensitive). Nothing decodes to a
    /// different payload or trailer.
    #[test]
    fn one_corrupt_bit_never_changes_a_signed_stream(at in any::<prop::sample::Index>(), bit in 0..8_u8) {
        let (wire, payload) = build_stream(&[8192, 77], true, true, false);
        let (_, trailers) = decode_in(decoder(true, true, Some(8269)), &wire, &[]).unwrap();
        let mut bad = wire.clone();
        let i = at.index(bad.len());
        bad[i] ^= 1 << bit;
        if let Ok((out, got)) = decode_in(decoder(true, true, Some(8269)), &bad, &[i]) {
            prop_assert_eq!(out, payload);
            prop_assert_eq!(got, trailers);
            prop_assert_eq!(bad[i].to_ascii_lowercase(), wire[i].to_ascii_lowercase(), "only a case change may pass");
        }
    }

    #[test]
    fn garbage_never_panics(
        data in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(0..2000_usize, 0..8),
        signed in any::<bool>(),
        trailer in any::<bool>(),
        decoded in prop::option::of(0..3000_u64),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let _ = decode_in(decoder(signed, trailer, decoded), &data, &cuts);
    }

    #[test]
    fn chunk_like_garbage_never_panics(
        parts in prop::collection::vec(
            prop_oneof![
                Just(b"\r\n".to_vec()),
                Just(b";chunk-signature=".to_vec()),
                Just(b"x-amz-trailer-signature:".to_vec()),
                Just(b"x-amz-checksum-crc32:".to_vec()),
                "[0-9a-fA-F]{1,17}".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..40),
            ],
            0..30,
        ),
        signed in any::<bool>(),
        trailer in any::<bool>(),
    ) {
        let data = parts.concat();
        let _ = decode_in(decoder(signed, trailer, None), &data, &[data.len() / 2]);
    }
}
