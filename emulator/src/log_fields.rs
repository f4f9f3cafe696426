//! The binary's field formatter for log lines written without colour (part of
//! `main.rs`, not of the library).
//!
//! `tracing-subscriber`'s default formatter writes every field name through its
//! ANSI styling layer even when colour is off; on the one line each request logs
//! (ten fields) that cost about a sixth of a DeleteObject's handling in
//! `bash scripts/instructions.sh server`. [`PlainFields`] writes `name=value`
//! fields itself, exactly as the default does without colour (`{:?}` of the value,
//! one space between fields), and hands every field it does not write plainly
//! (the message, `r#` names, errors with their sources) to the default visitor, so
//! the line is byte for byte what it was. `log.*` fields (a `log` record's
//! metadata, which the default skips under the `tracing-log` feature) are skipped.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::FormatFields;

/// Fields as `name=value`, as the default formatter writes them without colour.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = PlainVisitor {
            writer,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'a> {
    writer: Writer<'a>,
    is_empty: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// Write `name=value` (after a space unless first), or let the default visitor
    /// write a field it treats specially.
    fn field(
        &mut self,
        field: &Field,
        value: &dyn fmt::Debug,
        special: impl FnOnce(&mut DefaultVisitor<'_>),
    ) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        if name == "message" || name.starts_with("r#") {
            let mut default = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
            special(&mut default);
            self.result = default.finish();
        } else {
            let pad = if self.is_empty { "" } else { " " };
            self.result = write!(self.writer, "{pad}{name}={value:?}");
        }
        self.is_empty = false;
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, &value, |d| d.record_str(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, value, |d| d.record_debug(field, value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        let mut default = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        default.record_error(field, value);
        self.result = default.finish();
        self.is_empty = false;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(data);
            Ok(data.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;

        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    #[derive(Debug)]
    struct Failure;

    impl fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("it failed")
        }
    }

    impl std::error::Error for Failure {}

    /// Every kind of field the emulator logs, and the awkward ones.
    fn events() {
        let note = "a \"quoted\" note\twith a tab, a newline\n and \u{1b}[31m an escape";
        tracing::info!(
            target: "emulator::request",
            request_id = %"V6U3CQGRZDGM1Q1C",
            method = %"PUT",
            uri = %"/bucket/key?x=1",
            operation = "PutObject",
            principal = "arn:aws:iam::111111111111:user/transfer-service",
            status = 200u16,
            code = "-",
            decision = "allow",
            note,
            "request"
        );
        tracing::warn!(
            count = 3,
            flag = true,
            ratio = 0.5,
            signed = -7i64,
            "a {} message \u{1b}[0m",
            "formatted"
        );
        tracing::info!(r#type = "keyword", "raw name");
        tracing::info!(log.target = "dependency", log.line = 7, "from a log record");
        let err: &(dyn std::error::Error + 'static) = &Failure;
        tracing::error!(error = err, "failed");
        tracing::info!(only = "fields, no message");
        tracing::info!("");
    }

    fn render(plain: bool) -> String {
        let buffer = Buffer::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .with_writer(buffer.clone());
        if plain {
            tracing::subscriber::with_default(builder.fmt_fields(PlainFields).finish(), events);
        } else {
            tracing::subscriber::with_default(builder.finish(), events);
        }
        let bytes = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn plain_fields_write_the_default_line_byte_for_byte() {
        let default = render(false);
        assert_eq!(default.lines().count(), 7, "{default}");
        assert!(default.contains("operation=\"PutObject\""), "{default}");
        assert_eq!(render(true), default);
    }
}
