//! Unit tests of the whole flow on hand-made requests: every malformed `Authorization`
//! header and presigned query gives the S3 error of sigv4.md §1/§5/§6 and the STS error of §7.

#![expect(
    clippy::indexing_slicing,
    reason = "tests index values whose shape they just asserted"
)]

use http::{HeaderMap, HeaderName, HeaderValue};
use time::macros::datetime;

use super::*;
use crate::protocol::codes::Code;
use crate::protocol::names;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                    SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
                    Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const NOW: time::OffsetDateTime = datetime!(2013-05-24 00:00 UTC);

/// The S3 doc's GET /test.txt example, with `authorization` and `extra` headers.
fn doc_headers(authorization: Option<&str>, extra: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    let mut add = |n: &str, v: &str| {
        h.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    };
    add("host", "examplebucket.s3.amazonaws.com");
    add("range", "bytes=0-9");
    add("x-amz-content-sha256", EMPTY_SHA);
    add("x-amz-date", "20130524T000000Z");
    if let Some(a) = authorization {
        add("authorization", a);
    }
    for (n, v) in extra {
        add(n, v);
    }
    h
}

fn head<'a>(headers: &'a HeaderMap, query: &'a str) -> RequestHead<'a> {
    RequestHead {
        method: "GET",
        raw_path: "/test.txt",
        raw_query: query,
        headers,
    }
}

/// Parse with both services and return both errors.
fn parse_err(headers: &HeaderMap, query: &str) -> SigError {
    let s3 = parse(&head(headers, query), SigService::S3).unwrap_err();
    let sts = parse(&head(headers, query), SigService::Sts).unwrap_err();
    assert_eq!(s3, sts, "parsing does not depend on the service");
    s3
}

fn wire(e: &SigError, service: Service) -> (Code, String) {
    let api = e.to_api_error(service);
    let message = api.wire_message(service).into_owned();
    (api.code, message)
}

fn v4(headers: &HeaderMap, query: &str, service: SigService) -> AuthV4 {
    match parse(&head(headers, query), service) {
        Ok(Auth::V4(a)) => a,
        other => panic!("expected SigV4, got {other:?}"),
    }
}

#[test]
fn the_doc_example_verifies_end_to_end() {
    let headers = doc_headers(Some(GOOD), &[]);
    let auth = v4(&headers, "", SigService::S3);
    auth.check_scope(SigService::S3, Some("us-east-1")).unwrap();
    auth.check_signed_headers(&head(&headers, "")).unwrap();
    auth.check_time(NOW, SigService::S3).unwrap();
    let mode = auth.payload_mode(SigService::S3).unwrap();
    assert_eq!(
        mode,
        PayloadMode::Hex([
            0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
            0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55
        ])
    );
    let verified = auth
        .verify(&head(&headers, ""), SECRET, SigService::S3, EMPTY_SHA)
        .unwrap();
    assert_eq!(verified.signing.seed_signature, auth.signature);
    assert_eq!(
        verified.signing.key.to_hex(),
        "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
    );
}

#[test]
fn no_credentials_is_anonymous() {
    assert_eq!(
        parse(&head(&doc_headers(None, &[]), "a=b"), SigService::S3),
        Ok(Auth::Anonymous)
    );
}

#[test]
fn missing_components() {
    let only_credential =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
    let e = parse_err(&doc_headers(Some(only_credential), &[]), "");
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::AuthorizationHeaderMalformed,
            "The authorization header is malformed; the authorization header requires three components: \
             Credential, SignedHeaders, and Signature."
                .to_owned()
        )
    );
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::IncompleteSignature,
            format!(
                "Authorization header requires 'Signature' parameter. Authorization header requires \
                 'SignedHeaders' parameter. Authorization={only_credential}"
            )
        )
    );
    // The bare algorithm and no date at all: every clause, as in aws/chalice#828.
    let mut no_date = doc_headers(Some("AWS4-HMAC-SHA256"), &[]);
    no_date.remove(names::X_AMZ_DATE);
    let e = parse_err(&no_date, "");
    assert_eq!(
        wire(&e, Service::Sts).1,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
         parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires \
         existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
    );
    assert_eq!(wire(&e, Service::S3).0, Code::AuthorizationHeaderMalformed);
    // An empty value counts as missing.
    let e = parse_err(
        &doc_headers(
            Some(&GOOD.replace(
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                "Signature=",
            )),
            &[],
        ),
        "",
    );
    assert!(matches!(e, SigError::MissingComponents { ref missing, .. } if missing == &["Signature"]));
}

#[test]
fn components_without_equals_and_garbage() {
    // boto/boto3#2280: a space after `Credential=` splits the credential off.
    let header = GOOD.replace("Credential=", "Credential= ");
    let e = parse_err(&doc_headers(Some(&header), &[]), "");
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::IncompleteSignature,
            format!(
                "'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request' not a valid key=value pair (missing \
                 equal-sign) in Authorization header: '{header}'."
            )
        )
    );
    assert_eq!(wire(&e, Service::S3).0, Code::AuthorizationHeaderMalformed);
    for garbage in [
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256 Foo=bar",
        &format!("{GOOD}, Signature=00"),
    ] {
        let e = parse_err(&doc_headers(Some(garbage), &[]), "");
        assert!(
            matches!(e, SigError::MalformedComponent { .. }),
            "{garbage}: {e:?}"
        );
        assert_eq!(wire(&e, Service::S3).0, Code::AuthorizationHeaderMalformed);
        assert_eq!(wire(&e, Service::Sts).0, Code::IncompleteSignature);
    }
    // The S3 doc examples' `,` without a space parses.
    let compact = GOOD.replace(", ", ",");
    v4(&doc_headers(Some(&compact), &[]), "", SigService::S3);
}

#[test]
fn unsupported_schemes() {
    let e = parse_err(&doc_headers(Some("Basic dXNlcjpwYXNz"), &[]), "");
    let api = e.to_api_error(Service::S3);
    assert_eq!(
        (api.code, api.wire_message(Service::S3).as_ref()),
        (Code::InvalidArgument, "Unsupported Authorization Type")
    );
    assert_eq!(
        api.extras,
        vec![
            ("ArgumentName", "Authorization".to_owned()),
            ("ArgumentValue", "Basic dXNlcjpwYXNz".to_owned())
        ]
    );
    assert_eq!(wire(&e, Service::Sts).0, Code::IncompleteSignature);
    let e = parse_err(&doc_headers(Some("AWS4-HMAC-SHA25 Credential=x"), &[]), "");
    assert!(matches!(e, SigError::UnsupportedAuthorizationType { .. }));

    let e = parse_err(
        &doc_headers(Some("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="), &[]),
        "",
    );
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::InvalidRequest,
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
                .to_owned()
        )
    );
}

#[test]
fn malformed_credential_scope() {
    let cases = [
        ("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3", "mal-formed"),
        (
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request/x",
            "mal-formed",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request",
            "incorrect date format \"2013052\"",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/20131324/us-east-1/s3/aws4_request",
            "incorrect date format",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request",
            "incorrect terminal \"aws5_request\"",
        ),
    ];
    for (credential, s3_text) in cases {
        let header = GOOD.replace(
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
            credential,
        );
        let e = parse_err(&doc_headers(Some(&header), &[]), "");
        let (code, message) = wire(&e, Service::S3);
        assert_eq!(code, Code::AuthorizationHeaderMalformed, "{credential}");
        assert!(
            message.starts_with("The authorization header is malformed; ") && message.contains(s3_text),
            "{message}"
        );
        let (code, message) = wire(&e, Service::Sts);
        assert!(
            matches!(code, Code::IncompleteSignature | Code::SignatureDoesNotMatch),
            "{credential}: {code:?}"
        );
        assert!(!message.is_empty());
    }
    let header = GOOD.replace(
        "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
        "AKID/x",
    );
    let e = parse_err(&doc_headers(Some(&header), &[]), "");
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::IncompleteSignature,
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/x'"
                .to_owned()
        )
    );
    assert_eq!(
        wire(&e, Service::S3).1,
        "The authorization header is malformed; the Credential is mal-formed; expecting \
         \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
    );
}

#[test]
fn wrong_service_and_region() {
    let headers = doc_headers(Some(GOOD), &[]);
    let auth = v4(&headers, "", SigService::S3);
    let e = auth.check_scope(SigService::Sts, None).unwrap_err();
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::SignatureDoesNotMatch,
            "Credential should be scoped to correct service: 'sts'. ".to_owned()
        )
    );
    let sts_scoped = GOOD.replace("/s3/", "/sts/");
    let e = v4(&doc_headers(Some(&sts_scoped), &[]), "", SigService::S3)
        .check_scope(SigService::S3, None)
        .unwrap_err();
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::AuthorizationHeaderMalformed,
            "The authorization header is malformed; incorrect service \"sts\". This endpoint belongs to \"s3\".".to_owned()
        )
    );
    let e = auth
        .check_scope(SigService::S3, Some("eu-central-1"))
        .unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(
        api.wire_message(Service::S3),
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'"
    );
    assert_eq!(api.extras, vec![("Region", "eu-central-1".to_owned())]);
    assert_eq!(
        api.headers,
        vec![("x-amz-bucket-region", "eu-central-1".to_owned())]
    );
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::SignatureDoesNotMatch,
            "Credential should be scoped to a valid region, not 'us-east-1'. ".to_owned()
        )
    );
    // STS takes any region.
    let sts = v4(&doc_headers(Some(&sts_scoped), &[]), "", SigService::Sts);
    sts.check_scope(SigService::Sts, None).unwrap();
}

#[test]
fn dates() {
    // Bad or missing X-Amz-Date.
    let mut bad = doc_headers(Some(GOOD), &[]);
    bad.insert(
        names::X_AMZ_DATE,
        HeaderValue::from_static("2013-05-24T00:00:00Z"),
    );
    let e = parse_err(&bad, "");
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::AccessDenied,
            "AWS authentication requires a valid Date or x-amz-date header.".to_owned()
        )
    );
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::IncompleteSignature,
            format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={GOOD}"
            )
        )
    );
    // `Date` alone is used (and must then be signed).
    let mut date_only = doc_headers(Some(GOOD), &[("date", "Fri, 24 May 2013 00:00:00 GMT")]);
    date_only.remove(names::X_AMZ_DATE);
    let auth = v4(&date_only, "", SigService::S3);
    assert_eq!(
        (auth.amz_date.as_str(), auth.date_source),
        ("20130524T000000Z", DateSource::Date)
    );
    assert_eq!(
        auth.check_signed_headers(&head(&date_only, "")),
        Err(SigError::HeadersNotSigned {
            names: vec!["date".into()]
        })
    );
    // Scope date differs from the request date.
    let next_day = GOOD.replace("/20130524/", "/20130523/");
    let e = v4(&doc_headers(Some(&next_day), &[]), "", SigService::S3)
        .check_time(NOW, SigService::S3)
        .unwrap_err();
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::AuthorizationHeaderMalformed,
            "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.".to_owned()
        )
    );
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::SignatureDoesNotMatch,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20130523' != \
             '20130524', from '20130524T000000Z'."
                .to_owned()
        )
    );
}

#[test]
fn clock_skew() {
    let auth = v4(&doc_headers(Some(GOOD), &[]), "", SigService::S3);
    auth.check_time(NOW + time::Duration::minutes(15), SigService::S3)
        .unwrap();
    auth.check_time(NOW - time::Duration::minutes(15), SigService::S3)
        .unwrap();
    let e = auth
        .check_time(NOW + time::Duration::seconds(901), SigService::S3)
        .unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(api.code, Code::RequestTimeTooSkewed);
    assert_eq!(
        api.extras.first(),
        Some(&("RequestTime", "20130524T000000Z".to_owned()))
    );
    assert_eq!(
        wire(&e, Service::Sts),
        (
            Code::SignatureDoesNotMatch,
            "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z (20130524T001501Z - 15 min.)"
                .to_owned()
        )
    );
    let e = auth
        .check_time(NOW - time::Duration::hours(1), SigService::Sts)
        .unwrap_err();
    assert!(wire(&e, Service::Sts)
        .1
        .starts_with("Signature not yet current: 20130524T000000Z is still later than"));
}

#[test]
fn signed_headers_rules() {
    // An unsigned x-amz-* header: S3 AccessDenied + HeadersNotSigned.
    let headers = doc_headers(Some(GOOD), &[("x-amz-acl", "private"), ("x-amz-meta-a", "1")]);
    let auth = v4(&headers, "", SigService::S3);
    let e = auth.check_signed_headers(&head(&headers, "")).unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(api.code, Code::AccessDenied);
    assert_eq!(
        api.wire_message(Service::S3),
        "There were headers present in the request which were not signed"
    );
    assert_eq!(
        api.extras,
        vec![("HeadersNotSigned", "x-amz-acl, x-amz-meta-a".to_owned())]
    );
    // STS does not require x-amz-* to be signed (token added after signing).
    let auth = v4(&headers, "", SigService::Sts);
    auth.check_signed_headers(&head(&headers, "")).unwrap();
    // host must be signed, everywhere.
    let no_host = GOOD.replace("SignedHeaders=host;", "SignedHeaders=");
    let headers = doc_headers(Some(&no_host), &[]);
    for service in [SigService::S3, SigService::Sts] {
        assert_eq!(
            v4(&headers, "", service).check_signed_headers(&head(&headers, "")),
            Err(SigError::HeadersNotSigned {
                names: vec!["host".into()]
            })
        );
    }
    // x-amz-content-sha256 need not be signed [S3-HDR].
    let without_sha = GOOD.replace(";x-amz-content-sha256", "");
    let headers = doc_headers(Some(&without_sha), &[]);
    v4(&headers, "", SigService::S3)
        .check_signed_headers(&head(&headers, ""))
        .unwrap();
    // A signed header the request lacks.
    let mut headers = doc_headers(Some(GOOD), &[]);
    headers.remove("range");
    let auth = v4(&headers, "", SigService::S3);
    let e = auth.check_signed_headers(&head(&headers, "")).unwrap_err();
    assert_eq!(e, SigError::SignedHeaderMissing { name: "range".into() });
    assert_eq!(wire(&e, Service::S3).0, Code::SignatureDoesNotMatch);
    assert_eq!(
        auth.verify(&head(&headers, ""), SECRET, SigService::S3, EMPTY_SHA)
            .unwrap_err(),
        e
    );
}

#[test]
fn payload_modes() {
    let mut headers = doc_headers(Some(GOOD), &[]);
    headers.remove(names::X_AMZ_CONTENT_SHA256);
    let e = v4(&headers, "", SigService::S3)
        .payload_mode(SigService::S3)
        .unwrap_err();
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::InvalidRequest,
            "Missing required header for this request: x-amz-content-sha256".to_owned()
        )
    );
    assert_eq!(
        v4(&headers, "", SigService::Sts).payload_mode(SigService::Sts),
        Ok(PayloadMode::BodySha256)
    );
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("STREAMING-PAYLOAD"),
    );
    let e = v4(&headers, "", SigService::S3)
        .payload_mode(SigService::S3)
        .unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(api.code, Code::InvalidArgument);
    assert_eq!(api.extras[1], ("ArgumentValue", "STREAMING-PAYLOAD".to_owned()));
}

#[test]
fn signature_mismatch_carries_what_s3_sends() {
    let headers = doc_headers(Some(&GOOD.replace("Signature=f0", "Signature=f1")), &[]);
    let auth = v4(&headers, "", SigService::S3);
    let e = auth
        .verify(&head(&headers, ""), SECRET, SigService::S3, EMPTY_SHA)
        .unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(api.code, Code::SignatureDoesNotMatch);
    let names: Vec<&str> = api.extras.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes"
        ]
    );
    assert_eq!(api.extras[0].1, "AKIAIOSFODNN7EXAMPLE");
    assert!(api.extras[1]
        .1
        .starts_with("AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b"));
    assert!(api.extras[3]
        .1
        .starts_with("41 57 53 34 2d 48 4d 41 43 2d 53 48 41 32 35 36 0a 32"));
    assert!(api.extras[4]
        .1
        .starts_with("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"));
    // Wrong secret, same outcome; STS answers with its own text and no extras.
    let e = auth
        .verify(&head(&headers, ""), "other", SigService::S3, EMPTY_SHA)
        .unwrap_err();
    let api = e.to_api_error(Service::Sts);
    assert_eq!(api.code, Code::SignatureDoesNotMatch);
    assert!(api.extras.is_empty());
    assert!(api
        .wire_message(Service::Sts)
        .contains("Check your AWS Secret Access Key"));
}

#[test]
fn presigned_query_errors() {
    let good = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
                &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
                &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let headers = {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
        h
    };
    let auth = v4(&headers, good, SigService::S3);
    assert_eq!(auth.location, Location::Query);
    auth.verify(&head(&headers, good), SECRET, SigService::S3, "UNSIGNED-PAYLOAD")
        .unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""),
        ("&X-Amz-Date=20130524T000000Z", "", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."),
        ("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""),
        ("X-Amz-Expires=86400", "X-Amz-Expires=soon", "X-Amz-Expires should be a number"),
        ("X-Amz-Expires=86400", "X-Amz-Expires=-1", "X-Amz-Expires must be non-negative"),
        ("X-Amz-Expires=86400", "X-Amz-Expires=0", "X-Amz-Expires must be non-negative"),
        ("X-Amz-Expires=86400", "X-Amz-Expires=604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"),
        ("%2Fs3%2Faws4_request", "%2Fs3", "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."),
    ];
    for (from, to, message) in cases {
        let query = good.replace(from, to);
        let e = parse_err(&headers, &query);
        assert_eq!(
            wire(&e, Service::S3),
            (Code::AuthorizationQueryParametersError, (*message).to_owned()),
            "{to}"
        );
        assert_eq!(wire(&e, Service::Sts).0, Code::IncompleteSignature, "{to}");
    }
    v4(
        &headers,
        &good.replace("X-Amz-Expires=86400", "X-Amz-Expires=604800"),
        SigService::S3,
    );
    // Query auth and an Authorization header together.
    let both = doc_headers(Some(GOOD), &[]);
    let e = parse_err(&both, good);
    let (code, message) = wire(&e, Service::S3);
    assert_eq!(code, Code::InvalidArgument);
    assert!(message.starts_with("Only one auth mechanism allowed"));
    // Time: not yet valid more than 15 minutes early; expired after X-Amz-Expires.
    let e = auth
        .check_time(NOW - time::Duration::minutes(16), SigService::S3)
        .unwrap_err();
    assert_eq!(
        wire(&e, Service::S3),
        (Code::AccessDenied, "Request is not yet valid".to_owned())
    );
    let e = auth
        .check_time(NOW + time::Duration::days(2), SigService::S3)
        .unwrap_err();
    assert_eq!(
        wire(&e, Service::S3),
        (Code::AccessDenied, "Request has expired".to_owned())
    );
    // Scope date differs from X-Amz-Date.
    let other_day = good.replace("%2F20130524%2F", "%2F20130525%2F");
    let e = v4(&headers, &other_day, SigService::S3)
        .check_time(NOW, SigService::S3)
        .unwrap_err();
    assert_eq!(
        wire(&e, Service::S3),
        (
            Code::AuthorizationQueryParametersError,
            "Invalid credential date \"20130525\". This date is not the same as X-Amz-Date: \"20130524\"."
                .to_owned()
        )
    );
}

#[test]
fn sigv2_query() {
    let headers = {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:18080"));
        h
    };
    let expires = 1_795_806_324_i64;
    let sts = format!("PUT\n\n\n{expires}\n/test-bucket/vectors/object.txt");
    let sig = sign_v2(SECRET, sts.as_bytes());
    let query = format!(
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature={}&Expires={expires}",
        percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC)
    );
    let head = RequestHead {
        method: "PUT",
        raw_path: "/test-bucket/vectors/object.txt",
        raw_query: &query,
        headers: &headers,
    };
    let Ok(Auth::V2Query(auth)) = parse(&head, SigService::S3) else {
        panic!("not SigV2")
    };
    assert_eq!(auth.string_to_sign(&head, None).to_string(), sts);
    auth.verify(&head, SECRET, None).unwrap();
    let at = time::OffsetDateTime::from_unix_timestamp(expires).unwrap();
    auth.check_time(at).unwrap();
    let e = auth.check_time(at + time::Duration::seconds(1)).unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(api.wire_message(Service::S3), "Request has expired");
    assert_eq!(
        api.extras.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["Expires", "ServerTime"]
    );
    let e = auth.verify(&head, "wrong", None).unwrap_err();
    let api = e.to_api_error(Service::S3);
    assert_eq!(api.code, Code::SignatureDoesNotMatch);
    assert_eq!(
        api.extras.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes"
        ]
    );
    // STS does not read SigV2 query parameters.
    assert_eq!(parse(&head, SigService::Sts), Ok(Auth::Anonymous));
    // The per-bucket refusal.
    assert_eq!(
        wire(&SigError::SigV2NotSupported, Service::S3).0,
        Code::InvalidRequest
    );
}
