//! The public SigV4 suites, asserted stage by stage: canonical request, then string to
//! sign, then signature, then the full verifier. Vectors are read from
//! `shared/vectors/sigv4/` (provenance in its `SOURCE.md`), never copied into the repo.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::path::Path;

use common::{amz_time, head, read, read_string, shared_dir, ParsedRequest};
use emulator::sigv4::{
    self, Auth, AuthV4, AwsChunkedDecoder, BodyCheck, ChunkSigning, CredentialScope, DecoderConfig, Location,
    SigService, SigningKey, StringToSign, Trailers,
};
use serde_json::Value;

/// Fail with a readable diff of one stage.
fn expect_eq(stage: &str, actual: &str, expected: &str) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{stage} differs\n--- expected\n{expected}\n--- actual\n{actual}\n---"
        ))
    }
}

/// Run every case, then fail once listing every failing case.
fn run_all(suite: &str, cases: Vec<(String, Result<usize, String>)>) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, result) in &cases {
        match result {
            Ok(n) => checked += n,
            Err(e) => failures.push(format!("{suite}/{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    eprintln!(
        "{suite}: {} cases, {checked} signatures verified stage by stage",
        cases.len()
    );
    checked
}

fn v4(auth: Result<Auth, sigv4::SigError>) -> Result<AuthV4, String> {
    match auth {
        Ok(Auth::V4(a)) => Ok(a),
        other => Err(format!("expected SigV4 auth, got {other:?}")),
    }
}

// ---------------------------------------------------------------------------------------
// aws-c-auth / smithy-rs: the CRT "aws-signing-test-suite"
// ---------------------------------------------------------------------------------------

struct CrtContext {
    secret: String,
    timestamp: time::OffsetDateTime,
    normalize: bool,
    omit_session_token: bool,
    expiration: u32,
}

impl CrtContext {
    fn load(dir: &Path) -> Self {
        let v: Value = serde_json::from_slice(&read(&dir.join("context.json"))).unwrap();
        Self {
            secret: v["credentials"]["secret_access_key"].as_str().unwrap().to_owned(),
            timestamp: time::OffsetDateTime::parse(
                v["timestamp"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap(),
            normalize: v["normalize"].as_bool().unwrap(),
            omit_session_token: v["omit_session_token"].as_bool().unwrap_or(false),
            expiration: u32::try_from(v["expiration_in_seconds"].as_u64().unwrap()).unwrap(),
        }
    }
}

/// One signature location of one CRT case: parse the signed request the way a server
/// receives it, then check each stage against the suite's files.
fn crt_variant(dir: &Path, variant: &str, ctx: &CrtContext, smithy_space_case: bool) -> Result<(), String> {
    let mut req = ParsedRequest::parse(&read(&dir.join(format!("{variant}-signed-request.txt"))));
    if smithy_space_case {
        // smithy-rs's copy of `get-space-normalized` pre-encodes the target as
        // `/example%20space/` "so Rust's Uri can parse it" (SOURCE.md) and smithy-rs runs the
        // suite with single encoding; the suite's request-target is the logical path, and
        // for a non-S3 service the verifier encodes the wire path again, so feed it the
        // logical path that aws-c-auth's copy carries.
        req.target = req.target.replace("%20", " ");
    }
    if variant == "query" && ctx.omit_session_token {
        // `omit_session_token`: the signer appended X-Amz-Security-Token *after* signing
        // (services that do not sign the token). S3 and STS clients always sign it
        // (clients.md §3.14), so the verifier includes every parameter but X-Amz-Signature;
        // drop the unsigned token to check the remaining stages.
        let kept: Vec<&str> = req
            .query()
            .split('&')
            .filter(|p| !p.starts_with("X-Amz-Security-Token="))
            .collect();
        req.target = format!("{}?{}", req.path(), kept.join("&"));
    }
    let headers = req.headers();
    let head = head(&req, &headers);
    let service = if ctx.normalize {
        SigService::Sts
    } else {
        SigService::S3
    };
    let auth = v4(sigv4::parse(&head, service))?;
    let location = if variant == "query" {
        Location::Query
    } else {
        Location::Header
    };
    if auth.location != location {
        return Err(format!("parsed as {:?}", auth.location));
    }
    // The suite's service is "service": the payload hash is always sha256(body).
    let payload = sigv4::sha256_hex(&req.body);
    let creq = auth
        .canonical_request(&head, service.uri_rules(), &payload)
        .map_err(|e| e.to_string())?;
    expect_eq(
        "canonical request",
        &creq.to_string(),
        &read_string(&dir.join(format!("{variant}-canonical-request.txt"))),
    )?;
    let sts = auth.string_to_sign(&creq).to_string();
    expect_eq(
        "string to sign",
        &sts,
        &read_string(&dir.join(format!("{variant}-string-to-sign.txt"))),
    )?;
    let key = SigningKey::derive(&ctx.secret, &auth.scope);
    expect_eq(
        "signature",
        &key.sign(sts.as_bytes()),
        read_string(&dir.join(format!("{variant}-signature.txt"))).trim(),
    )?;
    auth.verify(&head, &ctx.secret, service, &payload)
        .map_err(|e| format!("verify: {e}"))?;
    auth.check_time(ctx.timestamp, service)
        .map_err(|e| format!("check_time: {e}"))?;
    auth.check_signed_headers(&head)
        .map_err(|e| format!("check_signed_headers: {e}"))?;
    if variant == "query" && auth.expires_secs != Some(ctx.expiration) {
        return Err(format!("X-Amz-Expires parsed as {:?}", auth.expires_secs));
    }
    Ok(())
}

fn crt_suite(suite: &str) -> Option<usize> {
    let root = shared_dir(&format!("vectors/sigv4/{suite}/v4"))?.join(format!("vectors/sigv4/{suite}/v4"));
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in names {
        let dir = root.join(&name);
        if !dir.join("context.json").exists() {
            // smithy-rs `double-url-encode` and `double-encode-path` have no context.json:
            // the signature of the first cannot be reproduced with the suite secret, and the
            // second's canonical request uses dates and credentials that disagree with its
            // signed request (SOURCE.md §1). Their reproducible stages run in
            // `smithy_rs_double_encoding_cases`.
            continue;
        }
        let ctx = CrtContext::load(&dir);
        let smithy_space_case = suite == "smithy-rs" && name == "get-space-normalized";
        let result = crt_variant(&dir, "header", &ctx, smithy_space_case)
            .map_err(|e| format!("[header] {e}"))
            .and_then(|()| {
                crt_variant(&dir, "query", &ctx, smithy_space_case).map_err(|e| format!("[query] {e}"))
            })
            .map(|()| 2);
        cases.push((name, result));
    }
    Some(run_all(&format!("{suite}/v4"), cases))
}

#[test]
fn aws_c_auth_v4_suite() {
    if let Some(n) = crt_suite("aws-c-auth") {
        assert_eq!(n, 76, "38 cases × header and query");
    }
}

#[test]
fn smithy_rs_v4_suite() {
    if let Some(n) = crt_suite("smithy-rs") {
        assert_eq!(
            n, 76,
            "the same 38 cases; the two double-encoding cases run separately"
        );
    }
}

#[test]
fn smithy_rs_double_encoding_cases() {
    let Some(shared) = shared_dir("vectors/sigv4/smithy-rs/v4/double-url-encode") else {
        return;
    };
    let root = shared.join("vectors/sigv4/smithy-rs/v4");
    // double-url-encode (lambda, us-east-2): canonical request and string to sign
    // reproduce; the signature does not with the suite secret (SOURCE.md §1), so skip it.
    let dir = root.join("double-url-encode");
    let req = ParsedRequest::parse(&read(&dir.join("header-signed-request.txt")));
    let headers = req.headers();
    let head = head(&req, &headers);
    let auth = v4(sigv4::parse(&head, SigService::Sts)).unwrap();
    let empty_hash = sigv4::sha256_hex(b"");
    let creq = auth
        .canonical_request(&head, SigService::Sts.uri_rules(), &empty_hash)
        .unwrap();
    expect_eq(
        "canonical request",
        &creq.to_string(),
        &read_string(&dir.join("header-canonical-request.txt")),
    )
    .unwrap();
    expect_eq(
        "string to sign",
        &auth.string_to_sign(&creq).to_string(),
        // This one file ends with a newline the string to sign does not have.
        read_string(&dir.join("header-string-to-sign.txt")).trim_end_matches('\n'),
    )
    .unwrap();

    // double-encode-path: only the canonical URI is consistent with its signed request
    // (the canonical request's x-amz-date is 20210511T154045Z, the request's 20150830T123600Z).
    let dir = root.join("double-encode-path");
    let req = ParsedRequest::parse(&read(&dir.join("header-signed-request.txt")));
    let expected = read_string(&dir.join("header-canonical-request.txt"));
    assert_eq!(
        sigv4::canonical_uri(req.path(), SigService::Sts.uri_rules()),
        expected.lines().nth(1).unwrap(),
        "`@` encoded once, `%3D` encoded twice"
    );
}

// ---------------------------------------------------------------------------------------
// botocore: the original aws-sig-v4-test-suite (.sreq/.creq/.sts/.authz)
// ---------------------------------------------------------------------------------------

#[test]
fn botocore_suite() {
    let Some(shared) = shared_dir("vectors/sigv4/botocore") else {
        return;
    };
    let root = shared.join("vectors/sigv4/botocore");
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let mut dirs = Vec::new();
    for sub in ["", "normalize-path", "post-sts-token"] {
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if path.join(format!("{name}.sreq")).exists() {
                dirs.push((
                    if sub.is_empty() {
                        name.clone()
                    } else {
                        format!("{sub}/{name}")
                    },
                    path,
                    name,
                ));
            }
        }
    }
    dirs.sort();
    let cases = dirs
        .into_iter()
        .map(|(label, dir, name)| {
            let run = || -> Result<usize, String> {
                let file = |ext: &str| dir.join(format!("{name}.{ext}"));
                let mut req = ParsedRequest::parse(&read(&file("sreq")));
                // The expected Authorization value is the `.authz` file. (In
                // get-vanilla-with-session-token the `.sreq` carries a different signature that
                // does not verify; the `.authz` one does, as SOURCE.md §2 notes.)
                let authz = read_string(&file("authz"));
                let authz = authz.trim();
                req.header_lines
                    .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
                req.header_lines
                    .push(("Authorization".to_owned(), authz.as_bytes().to_vec()));
                let headers = req.headers();
                let head = head(&req, &headers);
                // Service "service": not S3, so paths are normalised and re-encoded.
                let auth = v4(sigv4::parse(&head, SigService::Sts))?;
                let payload = sigv4::sha256_hex(&req.body);
                let creq = auth
                    .canonical_request(&head, SigService::Sts.uri_rules(), &payload)
                    .map_err(|e| e.to_string())?;
                expect_eq(
                    "canonical request",
                    &creq.to_string(),
                    &read_string(&file("creq")),
                )?;
                let sts = auth.string_to_sign(&creq).to_string();
                expect_eq("string to sign", &sts, &read_string(&file("sts")))?;
                let signature = authz.rsplit_once("Signature=").unwrap().1.trim();
                expect_eq(
                    "signature",
                    &SigningKey::derive(secret, &auth.scope).sign(sts.as_bytes()),
                    signature,
                )?;
                auth.verify(&head, secret, SigService::Sts, &payload)
                    .map_err(|e| format!("verify: {e}"))?;
                auth.check_time(auth.timestamp, SigService::Sts)
                    .map_err(|e| e.to_string())?;
                Ok(1)
            };
            (label, run())
        })
        .collect();
    let n = run_all("botocore", cases);
    assert_eq!(n, 34, "24 top-level cases, 8 normalize-path, 2 post-sts-token");
}

// ---------------------------------------------------------------------------------------
// aws-docs-s3: the S3 API Reference worked examples
// ---------------------------------------------------------------------------------------

struct Docs {
    json: Value,
    secret: String,
    now: time::OffsetDateTime,
}

fn docs() -> Option<Docs> {
    let shared = shared_dir("vectors/sigv4/aws-docs-s3/s3-doc-examples.json")?;
    let json: Value = serde_json::from_slice(&read(
        &shared.join("vectors/sigv4/aws-docs-s3/s3-doc-examples.json"),
    ))
    .unwrap();
    let secret = json["credentials"]["secret_access_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = amz_time(json["timestamp"].as_str().unwrap());
    Some(Docs { json, secret, now })
}

fn headers_of(case: &Value, extra: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    let mut lines: Vec<(String, Vec<u8>)> = case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_owned(),
                h[1].as_str().unwrap().as_bytes().to_vec(),
            )
        })
        .collect();
    lines.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())),
    );
    lines
}

fn body_of(case: &Value) -> Vec<u8> {
    match case["body"].get("utf8") {
        Some(s) => s.as_str().unwrap().as_bytes().to_vec(),
        None => vec![b'a'; usize::try_from(case["body"]["length"].as_u64().unwrap_or(0)).unwrap()],
    }
}

#[test]
fn aws_docs_header_auth() {
    let Some(docs) = docs() else { return };
    let mut n = 0;
    for case in docs.json["header_auth"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let expected = &case["expected"];
        let mut paths = vec![case["path"].as_str().unwrap().to_owned()];
        if let Some(alt) = case.get("equivalent_wire_paths") {
            paths.extend(
                alt.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned()),
            );
        }
        for path in paths {
            let query = case["query"].as_str().unwrap();
            let req = ParsedRequest {
                method: case["method"].as_str().unwrap().to_owned(),
                target: if query.is_empty() {
                    path.clone()
                } else {
                    format!("{path}?{query}")
                },
                header_lines: headers_of(
                    case,
                    &[("Authorization", expected["authorization"].as_str().unwrap())],
                ),
                body: body_of(case),
            };
            let headers = req.headers();
            let head = head(&req, &headers);
            let auth = v4(sigv4::parse(&head, SigService::S3)).unwrap();
            auth.check_scope(SigService::S3, Some("us-east-1")).unwrap();
            auth.check_signed_headers(&head).unwrap();
            auth.check_time(docs.now, SigService::S3).unwrap();
            let mode = auth.payload_mode(SigService::S3).unwrap();
            let payload = mode.canonical_value().unwrap();
            let creq = auth
                .canonical_request(&head, SigService::S3.uri_rules(), &payload)
                .unwrap();
            assert_eq!(
                creq.to_string(),
                expected["canonical_request"].as_str().unwrap(),
                "{name} ({path})"
            );
            let sts = auth.string_to_sign(&creq).to_string();
            assert_eq!(sts, expected["string_to_sign"].as_str().unwrap(), "{name}");
            let key = SigningKey::derive(&docs.secret, &auth.scope);
            assert_eq!(key.to_hex(), docs.json["signing_key_hex"].as_str().unwrap());
            assert_eq!(
                key.sign(sts.as_bytes()),
                expected["signature"].as_str().unwrap(),
                "{name}"
            );
            let verified = auth
                .verify(&head, &docs.secret, SigService::S3, &payload)
                .unwrap();
            let mut check = BodyCheck::new(mode, &verified, &headers).unwrap();
            let mut out = Vec::new();
            check.push(&req.body, &mut out).unwrap();
            assert_eq!(check.finish().unwrap(), Trailers::default());
            assert_eq!(out, req.body);
            n += 1;
        }
    }
    assert_eq!(n, 5, "4 examples, the PUT also with its encoded wire path");
}

#[test]
fn aws_docs_presigned() {
    let Some(docs) = docs() else { return };
    for case in docs.json["presigned"].as_array().unwrap() {
        let url = case["url"].as_str().unwrap();
        let target = &url[url.find("://").unwrap() + 3..];
        let req = ParsedRequest {
            method: case["method"].as_str().unwrap().to_owned(),
            target: target[target.find('/').unwrap()..].to_owned(),
            header_lines: headers_of(case, &[]),
            body: Vec::new(),
        };
        let headers = req.headers();
        let head = head(&req, &headers);
        let auth = v4(sigv4::parse(&head, SigService::S3)).unwrap();
        assert_eq!(auth.location, Location::Query);
        assert_eq!(auth.expires_secs, Some(86_400));
        let payload = auth
            .payload_mode(SigService::S3)
            .unwrap()
            .canonical_value()
            .unwrap();
        assert_eq!(payload, "UNSIGNED-PAYLOAD");
        let creq = auth
            .canonical_request(&head, SigService::S3.uri_rules(), &payload)
            .unwrap();
        assert_eq!(
            creq.to_string(),
            case["expected"]["canonical_request"].as_str().unwrap()
        );
        let sts = auth.string_to_sign(&creq).to_string();
        assert_eq!(sts, case["expected"]["string_to_sign"].as_str().unwrap());
        assert_eq!(
            SigningKey::derive(&docs.secret, &auth.scope).sign(sts.as_bytes()),
            case["expected"]["signature"].as_str().unwrap()
        );
        auth.verify(&head, &docs.secret, SigService::S3, &payload)
            .unwrap();
        auth.check_signed_headers(&head).unwrap();
        // Valid from X-Amz-Date for X-Amz-Expires seconds.
        auth.check_time(docs.now, SigService::S3).unwrap();
        auth.check_time(docs.now + time::Duration::seconds(86_400), SigService::S3)
            .unwrap();
        assert!(matches!(
            auth.check_time(docs.now + time::Duration::seconds(86_401), SigService::S3),
            Err(sigv4::SigError::PresignExpired {
                x_amz_expires: Some(86_400),
                ..
            })
        ));
    }
}

/// The wire body of a doc chunked example, rebuilt from its layout.
fn chunked_wire(case: &Value) -> Vec<u8> {
    let mut wire = Vec::new();
    for chunk in case["chunks"].as_array().unwrap() {
        wire.extend_from_slice(chunk["chunk_header_line"].as_str().unwrap().as_bytes());
        let size = usize::try_from(chunk["size"].as_u64().unwrap()).unwrap();
        if size > 0 {
            wire.extend(std::iter::repeat_n(b'a', size));
            wire.extend_from_slice(b"\r\n");
        }
    }
    if let Some(trailer) = case.get("trailer") {
        for h in trailer["headers"].as_array().unwrap() {
            wire.extend_from_slice(
                format!("{}:{}\r\n", h[0].as_str().unwrap(), h[1].as_str().unwrap()).as_bytes(),
            );
        }
        wire.extend_from_slice(
            format!(
                "x-amz-trailer-signature:{}\r\n",
                trailer["signature"].as_str().unwrap()
            )
            .as_bytes(),
        );
    }
    wire.extend_from_slice(b"\r\n");
    wire
}

/// Feed `wire` to a fresh checker in pieces of `step` bytes.
fn feed(mut check: BodyCheck, wire: &[u8], step: usize) -> Result<(Vec<u8>, Trailers), sigv4::SigError> {
    let mut out = Vec::new();
    for piece in wire.chunks(step.max(1)) {
        check.push(piece, &mut out)?;
    }
    check.finish().map(|t| (out, t))
}

#[test]
fn aws_docs_chunked_uploads() {
    let Some(docs) = docs() else { return };
    let scope = CredentialScope::new("20130524", "us-east-1", "s3");
    let key = SigningKey::derive(&docs.secret, &scope);
    for case in docs.json["chunked"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let expected = &case["expected"];
        let seed = expected["seed_signature"].as_str().unwrap();
        // Every chunk's string to sign and signature, chained from the seed.
        let mut previous = seed.to_owned();
        for chunk in case["chunks"].as_array().unwrap() {
            let data = vec![b'a'; usize::try_from(chunk["size"].as_u64().unwrap()).unwrap()];
            let sts = StringToSign::chunk("20130524T000000Z", &scope, &previous, &sigv4::sha256_hex(&data))
                .to_string();
            assert_eq!(sts, chunk["string_to_sign"].as_str().unwrap(), "{name}");
            previous = key.sign(sts.as_bytes());
            assert_eq!(previous, chunk["signature"].as_str().unwrap(), "{name}");
        }
        if let Some(trailer) = case.get("trailer") {
            let canonical = trailer["canonical_trailer_bytes"].as_str().unwrap();
            let sts = StringToSign::trailer(
                "20130524T000000Z",
                &scope,
                &previous,
                &sigv4::sha256_hex(canonical.as_bytes()),
            )
            .to_string();
            assert_eq!(sts, trailer["string_to_sign"].as_str().unwrap(), "{name}");
            assert_eq!(
                key.sign(sts.as_bytes()),
                trailer["signature"].as_str().unwrap(),
                "{name}"
            );
        }
        let wire = chunked_wire(case);
        assert_eq!(
            wire.len() as u64,
            case["wire_body"]["length"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            sigv4::sha256_hex(&wire),
            case["wire_body"]["sha256"].as_str().unwrap(),
            "{name}"
        );

        // The seed request, with the doc's comma-without-space Authorization style.
        let creq_text = expected["canonical_request"].as_str().unwrap();
        let signed_headers = creq_text.lines().rev().nth(1).unwrap();
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders={signed_headers},Signature={seed}"
        );
        let req = ParsedRequest {
            method: case["method"].as_str().unwrap().to_owned(),
            target: case["path"].as_str().unwrap().to_owned(),
            header_lines: headers_of(case, &[("Authorization", &authorization)]),
            body: wire.clone(),
        };
        let headers = req.headers();
        let head = head(&req, &headers);
        let auth = v4(sigv4::parse(&head, SigService::S3)).unwrap();
        auth.check_signed_headers(&head).unwrap();
        auth.check_time(docs.now, SigService::S3).unwrap();
        let mode = auth.payload_mode(SigService::S3).unwrap();
        let payload = mode.canonical_value().unwrap();
        let creq = auth
            .canonical_request(&head, SigService::S3.uri_rules(), &payload)
            .unwrap();
        assert_eq!(creq.to_string(), creq_text, "{name}");
        assert_eq!(
            auth.string_to_sign(&creq).to_string(),
            expected["string_to_sign"].as_str().unwrap(),
            "{name}"
        );
        let verified = auth
            .verify(&head, &docs.secret, SigService::S3, &payload)
            .unwrap();

        let decoded = usize::try_from(case["wire_body"]["decoded_length"].as_u64().unwrap()).unwrap();
        if name.ends_with("crt-variant") {
            // aws-c-auth signs its trailers on top of the non-trailer request, so the
            // payload mode says no trailers; check the trailer chain with a decoder told to
            // expect them.
            let config = DecoderConfig {
                signing: Some(std::sync::Arc::clone(&verified.signing)),
                trailers: true,
                declared_trailers: vec!["first".into(), "second".into(), "third".into()],
                decoded_length: Some(decoded as u64),
            };
            let mut d = AwsChunkedDecoder::new(config);
            let mut out = Vec::new();
            d.push(&wire, &mut out).unwrap();
            let trailers = d.finish().unwrap();
            assert_eq!(out.len(), decoded);
            assert_eq!(trailers.get("second"), Some("2nd"));
            continue;
        }
        for step in [wire.len(), 1, 2, 3, 7, 64, 89, 1000, 4096, 65_537] {
            let (out, trailers) = feed(BodyCheck::new(mode, &verified, &headers).unwrap(), &wire, step)
                .unwrap_or_else(|e| panic!("{name} step {step}: {e}"));
            assert_eq!(out, vec![b'a'; decoded], "{name}");
            if let Some(trailer) = case.get("trailer") {
                let h = &trailer["headers"][0];
                assert_eq!(trailers.get(h[0].as_str().unwrap()), h[1].as_str(), "{name}");
            }
        }
        // A flipped data byte fails the first chunk's signature.
        let mut bad = wire.clone();
        bad[200] ^= 1;
        assert!(matches!(
            feed(BodyCheck::new(mode, &verified, &headers).unwrap(), &bad, 4096),
            Err(sigv4::SigError::ChunkSignatureDoesNotMatch { index: 0, .. })
        ));
    }
}

// ---------------------------------------------------------------------------------------
// smithy-rs-s3-aws-chunked: recorded aws-sdk-rust PutObject traffic
// ---------------------------------------------------------------------------------------

#[test]
fn smithy_rs_s3_aws_chunked_recordings() {
    let Some(shared) = shared_dir("vectors/sigv4/smithy-rs-s3-aws-chunked") else {
        return;
    };
    let root = shared.join("vectors/sigv4/smithy-rs-s3-aws-chunked");
    let secret = "notrealrnrELgWzOk3IfjzDKtFBhDby";
    let cases = [
        (
            "chunk-signing.json",
            sigv4::PayloadMode::StreamingSignedTrailer,
            "X9RA0w==",
        ),
        (
            "custom-chunk-size.json",
            sigv4::PayloadMode::StreamingUnsignedTrailer,
            "X9RA0w==",
        ),
        (
            "no-chunking.json",
            sigv4::PayloadMode::StreamingUnsignedTrailer,
            "sK4Y7A==",
        ),
    ];
    for (file, expected_mode, crc32) in cases {
        let json: Value = serde_json::from_slice(&read(&root.join(file))).unwrap();
        let mut req = None;
        let mut body = Vec::new();
        for event in json["events"].as_array().unwrap() {
            let action = &event["action"];
            if let Some(r) = action.get("Request") {
                req = Some(r["request"].clone());
            } else if let Some(d) = action.get("Data") {
                if d["direction"] == "Request" {
                    body.extend_from_slice(d["data"]["Utf8"].as_str().unwrap().as_bytes());
                }
            }
        }
        let r = req.unwrap();
        let uri = r["uri"].as_str().unwrap();
        let rest = &uri[uri.find("://").unwrap() + 3..];
        let (host, target) = rest.split_at(rest.find('/').unwrap());
        // The `host` header is implied by the recorded URI.
        let mut header_lines = vec![("host".to_owned(), host.as_bytes().to_vec())];
        for (name, values) in r["headers"].as_object().unwrap() {
            for v in values.as_array().unwrap() {
                header_lines.push((name.clone(), v.as_str().unwrap().as_bytes().to_vec()));
            }
        }
        let req = ParsedRequest {
            method: r["method"].as_str().unwrap().to_owned(),
            target: target.to_owned(),
            header_lines,
            body,
        };
        let headers = req.headers();
        let head = head(&req, &headers);
        let auth = v4(sigv4::parse(&head, SigService::S3)).unwrap();
        auth.check_scope(SigService::S3, Some("us-east-1")).unwrap();
        auth.check_signed_headers(&head).unwrap();
        auth.check_time(amz_time("20090213T233130Z"), SigService::S3)
            .unwrap();
        let mode = auth.payload_mode(SigService::S3).unwrap();
        assert_eq!(mode, expected_mode, "{file}");
        let verified = auth
            .verify(&head, secret, SigService::S3, &mode.canonical_value().unwrap())
            .unwrap();
        // Caveat (SOURCE.md §3): in chunk-signing.json the signed content-length (10291) is
        // the unsigned framing length while the body is 10624 bytes; Content-Length is the
        // HTTP layer's business, not asserted here.
        let decoded = usize::try_from(
            req.header("x-amz-decoded-content-length")
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        )
        .unwrap();
        for step in [req.body.len(), 1, 13, 8192] {
            let (out, trailers) = feed(
                BodyCheck::new(mode, &verified, &headers).unwrap(),
                &req.body,
                step,
            )
            .unwrap_or_else(|e| panic!("{file} step {step}: {e}"));
            assert_eq!(out, vec![b'a'; decoded], "{file}");
            assert_eq!(trailers.get("x-amz-checksum-crc32"), Some(crc32), "{file}");
            assert_eq!(
                common::crc32_base64(&out),
                crc32,
                "the trailer is the CRC32 the server will compare"
            );
        }
    }
}

#[test]
fn decoder_reports_missing_framing_as_incomplete() {
    // Sanity check of the helper above with a body cut short.
    let Some(docs) = docs() else { return };
    let case = &docs.json["chunked"][0];
    let wire = chunked_wire(case);
    let scope = CredentialScope::new("20130524", "us-east-1", "s3");
    let config = DecoderConfig {
        signing: Some(std::sync::Arc::new(ChunkSigning {
            key: SigningKey::derive(&docs.secret, &scope),
            amz_date: "20130524T000000Z".into(),
            scope,
            seed_signature: case["expected"]["seed_signature"].as_str().unwrap().into(),
        })),
        trailers: false,
        declared_trailers: Vec::new(),
        decoded_length: Some(66_560),
    };
    let mut d = AwsChunkedDecoder::new(config);
    let mut out = Vec::new();
    d.push(&wire[..30_000], &mut out).unwrap();
    assert_eq!(
        d.finish().unwrap_err(),
        sigv4::SigError::IncompleteBody {
            expected: 66_560,
            provided: 30_000 - 88
        }
    );
}
