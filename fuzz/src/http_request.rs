//! A lenient HTTP/1.1 request reader: request line, header lines (LF or CRLF, folded
//! continuation lines joined), blank line, body; a `Transfer-Encoding: chunked` body
//! is de-chunked as hyper would before the emulator sees it. Header names and values
//! that `http` refuses are dropped, as hyper would refuse the request.

use http::{HeaderMap, HeaderName, HeaderValue};

/// A request as the emulator's service sees it.
#[derive(Debug, Default)]
pub struct Request {
    /// The method token.
    pub method: String,
    /// The path as sent, still percent-encoded.
    pub raw_path: String,
    /// The query as sent, without `?`.
    pub raw_query: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, HTTP chunking removed.
    pub body: Vec<u8>,
}

impl Request {
    /// The head the SigV4 verifier reads.
    pub fn head(&self) -> emulator::sigv4::RequestHead<'_> {
        emulator::sigv4::RequestHead {
            method: &self.method,
            raw_path: &self.raw_path,
            raw_query: &self.raw_query,
            headers: &self.headers,
        }
    }
}

/// Split a request target (`/path?query` or an absolute `scheme://host/path?query`)
/// into the path and the query; the host of an absolute target, if any.
pub fn split_target(target: &str) -> (Option<&str>, &str, &str) {
    let (host, origin) = match target.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => (rest.get(..i), rest.get(i..).unwrap_or("/")),
            None => match rest.split_once('?') {
                Some((host, _)) => (Some(host), rest.get(host.len()..).unwrap_or("")),
                None => (Some(rest), "/"),
            },
        },
        None => (None, target),
    };
    let (path, query) = origin.split_once('?').unwrap_or((origin, ""));
    (host, path, query)
}

/// Add a header if `http` accepts its name and value.
pub fn add_header(headers: &mut HeaderMap, name: &[u8], value: &[u8]) {
    let trim = |b: &[u8]| -> Vec<u8> {
        let s = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
        let e = b
            .iter()
            .rposition(|c| !c.is_ascii_whitespace())
            .map_or(s, |e| e + 1);
        b.get(s..e).unwrap_or_default().to_vec()
    };
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(&trim(name)),
        HeaderValue::from_bytes(&trim(value)),
    ) {
        headers.append(name, value);
    }
}

/// Read a request; `None` when there is no request line.
pub fn parse(data: &[u8]) -> Option<Request> {
    let (head, body) = split_head(data);
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next()?;
    let mut tokens: Vec<&str> = request_line.split(' ').collect();
    if tokens.len() > 2 && tokens.last().is_some_and(|v| v.starts_with("HTTP/")) {
        tokens.pop();
    }
    let method = tokens.first().copied().filter(|m| !m.is_empty())?.to_owned();
    // The SigV4 suites write the logical path, raw spaces included.
    let target = tokens.get(1..).unwrap_or_default().join(" ");
    let (host, path, query) = split_target(&target);
    let mut request = Request {
        method,
        raw_path: path.to_owned(),
        raw_query: query.to_owned(),
        ..Request::default()
    };

    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines {
        match (line.starts_with([' ', '\t']), fields.last_mut()) {
            (true, Some((_, value))) => {
                value.push(' ');
                value.push_str(line.trim());
            }
            _ => {
                if let Some((name, value)) = line.split_once(':') {
                    fields.push((name.to_owned(), value.to_owned()));
                }
            }
        }
    }
    for (name, value) in &fields {
        add_header(&mut request.headers, name.as_bytes(), value.as_bytes());
    }
    if let (Some(host), false) = (host, request.headers.contains_key(http::header::HOST)) {
        add_header(&mut request.headers, b"host", host.as_bytes());
    }
    let chunked = request
        .headers
        .get(http::header::TRANSFER_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    request.body = if chunked { dechunk(body) } else { body.to_vec() };
    Some(request)
}

/// The head (without the blank line) and the body.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    let crlf = data.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = data.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match end {
        Some((head_end, body_start)) => (
            data.get(..head_end).unwrap_or_default(),
            data.get(body_start..).unwrap_or_default(),
        ),
        None => (data, &[]),
    }
}

/// Remove HTTP/1.1 chunked framing, keeping what decoded before any framing error.
fn dechunk(mut wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = wire.iter().position(|&b| b == b'\n') else {
            return out;
        };
        let line = String::from_utf8_lossy(wire.get(..nl).unwrap_or_default());
        let size = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            return out;
        };
        wire = wire.get(nl + 1..).unwrap_or_default();
        if size == 0 {
            return out;
        }
        let Some(data) = wire.get(..size) else {
            out.extend_from_slice(wire);
            return out;
        };
        out.extend_from_slice(data);
        wire = wire.get(size..).unwrap_or_default();
        wire = wire.strip_prefix(b"\r\n").unwrap_or(wire);
    }
}
