//! The XML the emulator writes: S3's `<Error>`, STS's `<ErrorResponse>`, and the
//! success documents of the operations it serves. Element order follows captures
//! of real responses (`shared/reference/sigv4.md` §6–7, `misconfigs.md` §0).

use std::fmt::Write as _;

use quick_xml::escape::partial_escape as escape;

use crate::error::ApiError;
use crate::protocol::codes::Service;

/// The STS namespace.
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The S3 namespace.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A small XML writer: elements are opened and closed in order, text is escaped.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    /// A document with the XML declaration S3 sends.
    pub fn with_declaration() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// A document without declaration (STS sends none).
    pub fn bare() -> Self {
        Self::default()
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        self
    }

    /// `<name xmlns="ns">`.
    pub fn open_ns(&mut self, name: &str, ns: &str) -> &mut Self {
        let _ = write!(self.out, "<{name} xmlns=\"{}\">", escape(ns));
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// `<name>text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>{}</{name}>", escape(text));
        self
    }

    /// The document.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// S3's error document.
pub fn s3_error(err: &ApiError, request_id: &str, host_id: &str) -> String {
    let mut x = Xml::with_declaration();
    x.open("Error")
        .elem("Code", err.code.as_str())
        .elem("Message", &err.wire_message(Service::S3));
    for (name, value) in &err.extras {
        x.elem(name, value);
    }
    x.elem("RequestId", request_id)
        .elem("HostId", host_id)
        .close("Error");
    x.finish()
}

/// STS's error document (query protocol). `Type` is `Sender` for 4xx, `Receiver` for 5xx.
pub fn sts_error(err: &ApiError, status: u16, request_id: &str) -> String {
    let mut x = Xml::bare();
    x.open_ns("ErrorResponse", STS_NS)
        .open("Error")
        .elem("Type", if status >= 500 { "Receiver" } else { "Sender" })
        .elem("Code", err.code.as_str())
        .elem("Message", &err.wire_message(Service::Sts))
        .close("Error")
        .elem("RequestId", request_id)
        .close("ErrorResponse");
    x.finish()
}

/// Hex bytes the way S3 prints `StringToSignBytes`: lowercase pairs separated by spaces.
pub fn spaced_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error;

    #[test]
    fn s3_error_document_matches_the_captured_shape() {
        let err = api_error!(
            AuthorizationHeaderMalformed,
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
        )
        .extra("Region", "eu-west-1");
        assert_eq!(
            s3_error(&err, "0123456789ABCDEF", "aG9zdA=="),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>0123456789ABCDEF</RequestId><HostId>aG9zdA==</HostId></Error>"
        );
    }

    #[test]
    fn sts_error_document_matches_the_captured_shape() {
        let err = api_error!(InvalidClientTokenId);
        assert_eq!(
            sts_error(&err, 403, "16fc956c-311e-4199-bee1-1680236e9698"),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>16fc956c-311e-4199-bee1-1680236e9698</RequestId></ErrorResponse>"
        );
    }

    #[test]
    fn bytes_are_spaced_lowercase_hex() {
        assert_eq!(spaced_hex(b"AWS4"), "41 57 53 34");
    }
}
