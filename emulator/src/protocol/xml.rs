//! The XML the emulator writes: S3's `<Error>`, STS's `<ErrorResponse>`, and the
//! success documents of the operations it serves. Element order follows captures
//! of real responses (`shared/reference/sigv4.md` §6–7, `misconfigs.md` §0).

use std::fmt::Write as _;

use std::borrow::Cow;

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

    /// [`Xml::bare`] with room for `capacity` bytes, for a document whose size is
    /// known roughly (AssumeRole's is about 1.5 KiB): growing a `String` from
    /// empty reallocates it eight times.
    pub fn bare_with_capacity(capacity: usize) -> Self {
        Self {
            out: String::with_capacity(capacity),
        }
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        // `push_str` rather than `write!`: every response is built here, and the
        // formatting machinery cost more than the text.
        self.push(&["<", name, ">"])
    }

    /// `<name xmlns="ns">`.
    pub fn open_ns(&mut self, name: &str, ns: &str) -> &mut Self {
        self.push(&["<", name, " xmlns=\"", &escape(ns), "\">"])
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.push(&["</", name, ">"])
    }

    /// `<name>text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.push(&["<", name, ">", &escape(text), "</", name, ">"])
    }

    fn push(&mut self, parts: &[&str]) -> &mut Self {
        for part in parts {
            self.out.push_str(part);
        }
        self
    }

    /// The document.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// Text and attribute values as S3 and STS escape them: `&`, `<` and `>` (quick-xml's
/// `partial_escape`). Most text has none of the three, and one `memchr3` pass
/// finds that faster than the escaper's byte-by-byte scan (the 300-character
/// session token is in every AssumeRole answer).
fn escape(text: &str) -> Cow<'_, str> {
    if memchr::memchr3(b'&', b'<', b'>', text.as_bytes()).is_none() {
        Cow::Borrowed(text)
    } else {
        quick_xml::escape::partial_escape(text)
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
    fn escape_is_quick_xmls_partial_escape() {
        for text in [
            "",
            "plain",
            "IQoJb3JpZ2luX2Vj+/=",
            "a&b",
            "<Key>",
            "x > y & y < z",
            "'quotes' and \"doubles\" stay",
            "&amp; already escaped",
            "tail&",
            "é<ü>",
        ] {
            assert_eq!(escape(text), quick_xml::escape::partial_escape(text), "{text:?}");
        }
        assert!(matches!(escape("no specials"), Cow::Borrowed(_)));
    }

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

    /// Not XML names: a space or control character after `<`, a leading digit,
    /// hyphen or dot (the fuzzer's crash input first). S3 answers MalformedXML.
    #[test]
    fn elements_without_an_xml_name_are_refused() {
        for body in [
            &b"<\rsssCKeuiBe3CK\x1a\0\0\0e3-00/-00/>"[..],
            b"< Delete/>",
            b"<1Delete/>",
            b"<-x></-x>",
            b"<Delete><.Object/></Delete>",
            b"<DeT: <0d/>",
            b"<a:/>",
            b"<:a/>",
            b"<a b/>",
            b"<a 1b=\"x\"/>",
        ] {
            assert_eq!(parse(body), None, "{:?}", String::from_utf8_lossy(body));
        }
        let ok = parse(b"<s3:Delete xmlns:s3=\"x\" xmlns=\"y\"><Object_1/><a.b-c/></s3:Delete>").unwrap();
        assert_eq!(ok.name, "Delete");
        assert_eq!(ok.children.len(), 2);
    }

    #[test]
    fn bytes_are_spaced_lowercase_hex() {
        assert_eq!(spaced_hex(b"AWS4"), "41 57 53 34");
    }
}

/// An element of an XML request body: its local name (namespace prefix and
/// `xmlns` dropped, as S3 accepts bodies with or without its namespace), its
/// text, and its child elements in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name.
    pub name: String,
    /// The text directly inside, unescaped (whitespace-only text is dropped).
    pub text: String,
    /// Child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The children named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// The deepest nesting a request body may have (S3's documents are three levels deep).
const MAX_DEPTH: usize = 16;

/// Read a request body (CompleteMultipartUpload, DeleteObjects,
/// CreateBucketConfiguration) into its root element. `None` for anything that is
/// not one well-formed element: S3 answers MalformedXML. DTDs and processing
/// instructions other than the declaration are refused (no entity expansion).
pub fn parse(body: &[u8]) -> Option<Element> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                if root.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                let name = element_name(&e)?;
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                let name = element_name(&e)?;
                let el = Element {
                    name,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return None,
                }
            }
            Event::End(_) => {
                let el = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().ok()?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return None,
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).ok()?;
                stack.last_mut()?.text.push_str(s);
            }
            Event::Decl(_) | Event::Comment(_) => {}
            Event::DocType(_) | Event::PI(_) => return None,
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    let mut root = root?;
    trim_texts(&mut root);
    Some(root)
}

/// An element's local name, if its qualified name is an XML `Name`. quick-xml reads
/// `<` followed by a space as an element with an empty name; XML 1.0 (§2.3) does not,
/// and neither may the emulator (a fuzzer found `<\r…/>` parsed as a root element).
/// The ASCII part of the grammar is checked exactly; non-ASCII characters are let
/// through (S3's documents use ASCII names, so any other name is unknown anyway).
/// The local name after a prefix must be a name as well (`<a:/>` has none), and the
/// attributes must be well formed (`<a <b/>` is not an element with attribute `<b`).
fn element_name(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    let is_name = |text: &str| {
        let start_ok = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
        let rest_ok = |c: char| start_ok(c) || c.is_ascii_digit() || c == '-' || c == '.';
        let mut chars = text.chars();
        chars.next().is_some_and(start_ok) && chars.all(rest_ok)
    };
    let name = e.name();
    let qname = std::str::from_utf8(name.as_ref()).ok()?;
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    if !is_name(local) || prefix.is_some_and(|p| !is_name(p)) {
        return None;
    }
    for attribute in e.attributes() {
        let a = attribute.ok()?;
        let key = std::str::from_utf8(a.key.as_ref()).ok()?;
        if !key.split(':').all(is_name) {
            return None;
        }
    }
    Some(local.to_string())
}

/// Text beside child elements is indentation and is dropped; a leaf's text is
/// kept exactly as written (an object key may begin or end with spaces).
fn trim_texts(el: &mut Element) {
    if !el.children.is_empty() {
        el.text.clear();
        for c in &mut el.children {
            trim_texts(c);
        }
    }
}
