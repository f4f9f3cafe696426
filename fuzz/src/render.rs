//! Errors as they leave the emulator: S3's `<Error>` and STS's `<ErrorResponse>`.
//!
//! Error messages echo what the client sent (a malformed `Authorization` header, a
//! session name), so every rendered document is read back with `quick-xml` and must
//! be well-formed; every extra response header must be a valid header value, or the
//! service could not build the response at all.

use emulator::protocol::codes::Service;
use emulator::protocol::xml;
use emulator::sigv4::SigError;
use emulator::ApiError;
use quick_xml::events::Event;

use crate::check;

/// Render `error` for `service` and check the document and the headers.
pub fn api_error(error: &ApiError, service: Service) {
    let row = error
        .code
        .row(service)
        .or_else(|| error.code.row(Service::S3))
        .or_else(|| error.code.row(Service::Sts));
    let status = row.map_or(500, |r| r.status_code().as_u16());
    let body = match service {
        Service::S3 => xml::s3_error(error, "REQUESTID", "HOSTID"),
        Service::Sts => xml::sts_error(error, status, "00000000-0000-0000-0000-000000000000"),
    };
    well_formed(&body);
    let _ = error.to_string();
    for (name, value) in &error.headers {
        check!(
            http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && http::HeaderValue::from_str(value).is_ok(),
            "error {} carries an invalid header {name}: {value:?}",
            error.code.as_str()
        );
    }
}

/// Render a SigV4 error for both services.
pub fn sig_error(error: &SigError) {
    for service in [Service::S3, Service::Sts] {
        let _ = error.code(service);
        api_error(&error.to_api_error(service), service);
    }
}

/// `text` parses as XML to the end, with matching tags.
pub fn well_formed(text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut depth: usize = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(t)) => {
                if let Err(e) = t.unescape() {
                    crate::fail(format_args!("bad text in rendered XML ({e}):\n{text}"));
                }
            }
            Ok(_) => {}
            Err(e) => crate::fail(format_args!("rendered XML is not well-formed ({e}):\n{text}")),
        }
    }
    check!(depth == 0, "rendered XML leaves {depth} element(s) open:\n{text}");
}
