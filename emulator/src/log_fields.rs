//! The binary's line and field formatters for log lines written without colour
//! (part of `main.rs`, not of the library).
//!
//! [`PlainLine`] writes the line around the fields as `tracing-subscriber`'s
//! default (`Full`) format writes it without colour, `TIME LEVEL TARGET: FIELDS`,
//! with the timestamp written by hand instead of through seven `{:02}`s; events
//! inside a span, `log` records and years past 9999 go to the default format.
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
//! The plain fields are gathered in a thread's reused buffer and handed to the
//! line in one write; integers are written by `StackText::push_decimal`, plain strings after
//! one branch-free pass over their bytes.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The whole line of an event outside any span, as the default format writes it
/// without colour; anything else is handed to that format.
#[derive(Debug, Default)]
pub(crate) struct PlainLine {
    full: Format,
}

impl<S, N> FormatEvent<S, N> for PlainLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let stamp = timestamp(std::time::SystemTime::now());
        // A `log` record's target and level are in its fields (`log.target`): the
        // default format reads them there.
        let is_log = meta.fields().field("log.target").is_some();
        let (Some(stamp), false, false, None) = (stamp, writer.has_ansi_escapes(), is_log, ctx.event_scope())
        else {
            return self.full.format_event(ctx, writer, event);
        };
        writer.write_str(stamp.as_str())?;
        writer.write_char(' ')?;
        writer.write_str(level_text(*meta.level()))?;
        writer.write_char(' ')?;
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// The level as the default format pads it.
fn level_text(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        Level::ERROR => "ERROR",
    }
}

/// `yyyy-mm-ddThh:mm:ss.ffffffZ` (UTC, microseconds truncated), as the default
/// timer writes it; `None` before 1970 or after 9999, which it writes otherwise.
struct Stamp([u8; 27]);

impl Stamp {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

fn timestamp(now: std::time::SystemTime) -> Option<Stamp> {
    // Fallible on purpose: `OffsetDateTime::from(SystemTime)` panics past year 9999.
    let since_epoch = now.duration_since(std::time::UNIX_EPOCH).ok()?;
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(since_epoch.as_secs()).ok()?).ok()?;
    let micros = since_epoch.subsec_micros();
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            if let Some(b) = out.get_mut(i) {
                *b = b'0' + (n % 10) as u8;
            }
            n /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, u32::from(u8::from(t.month())));
    put(8, 2, u32::from(t.day()));
    put(11, 2, u32::from(t.hour()));
    put(14, 2, u32::from(t.minute()));
    put(17, 2, u32::from(t.second()));
    put(20, 6, micros);
    Some(Stamp(out))
}

/// Fields as `name=value`, as the default formatter writes them without colour.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PlainFields;

thread_local! {
    /// The fields of the event in hand, gathered before one write to the line:
    /// each piece written straight to the `Writer` crossed three `fmt::Write`
    /// layers (callgrind: about a fifth of the line's instructions).
    static FIELDS: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut buf = FIELDS.take();
        buf.clear();
        let mut visitor = PlainVisitor {
            writer,
            buf,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.flush();
        let PlainVisitor { buf, result, .. } = visitor;
        FIELDS.set(buf);
        result
    }
}

struct PlainVisitor<'a> {
    writer: Writer<'a>,
    /// Written to `writer` by [`PlainVisitor::flush`].
    buf: String,
    is_empty: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// Hand what is gathered to the writer (before the default visitor writes, and
    /// at the end).
    fn flush(&mut self) {
        if self.result.is_ok() && !self.buf.is_empty() {
            self.result = self.writer.write_str(&self.buf);
        }
        self.buf.clear();
    }

    /// `name=` after a space unless first, or `false` when the field is not
    /// written plainly (skipped, or left to the default visitor).
    fn plain_name(&mut self, field: &Field) -> bool {
        let name = field.name();
        if self.result.is_err() || name == "message" || name.starts_with("r#") || name.starts_with("log.") {
            return false;
        }
        if !self.is_empty {
            self.buf.push(' ');
        }
        self.buf.push_str(name);
        self.buf.push('=');
        self.is_empty = false;
        true
    }

    /// Write `name=value`, or let the default visitor write a field it treats
    /// specially.
    fn field(
        &mut self,
        field: &Field,
        value: &dyn fmt::Debug,
        special: impl FnOnce(&mut DefaultVisitor<'_>),
    ) {
        if self.plain_name(field) {
            use fmt::Write as _;
            self.result = write!(self.buf, "{value:?}");
            return;
        }
        self.write_by_default(field, special);
    }

    /// Let the default visitor write `field` (after what is gathered), unless it
    /// is a `log.*` field or writing has failed.
    fn write_by_default(&mut self, field: &Field, write: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        self.flush();
        let mut default = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        write(&mut default);
        self.result = self.result.and(default.finish());
        self.is_empty = false;
    }
}

/// Whether `{:?}` of `value` is `value` in quotes: printable ASCII without `"`
/// or `\`. Every byte is looked at (no early exit), which the compiler turns into
/// a vector loop.
fn is_plain(value: &str) -> bool {
    value.bytes().fold(true, |plain, b| {
        plain & (0x20..0x7f).contains(&b) & (b != b'"') & (b != b'\\')
    })
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        // `{:?}` of a plain str is the str in quotes: written as such, without the
        // escaper's pass over each char.
        if is_plain(value) && self.plain_name(field) {
            self.buf.push('"');
            self.buf.push_str(value);
            self.buf.push('"');
            return;
        }
        self.field(field, &value, |d| d.record_str(field, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        // `{:?}` of an integer is its decimal digits.
        if self.plain_name(field) {
            let mut digits = emulator::util::StackText::<20>::new();
            digits.push_decimal(value, 1);
            self.buf.push_str(digits.as_str());
            return;
        }
        self.field(field, &value, |d| d.record_u64(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, value, |d| d.record_debug(field, value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.write_by_default(field, |d| d.record_error(field, value));
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
        tracing::info!(
            quote = "a \"b\"",
            backslash = "c:\\d",
            apostrophe = "it's",
            tilde = "~",
            delete = "\u{7f}",
            empty = "",
            "strs"
        );
        tracing::info!(zero = 0_u64, max = u64::MAX, min = i64::MIN, "integers");
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

    /// The lines with a timestamp, through [`PlainLine`] or the default format.
    fn render_timed(plain: bool) -> String {
        let buffer = Buffer::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(buffer.clone());
        let both = || {
            events();
            let span = tracing::info_span!("outer", id = 3);
            let _entered = span.enter();
            tracing::info!(inside = true, "in a span");
        };
        if plain {
            let subscriber = builder
                .fmt_fields(PlainFields)
                .event_format(PlainLine::default())
                .finish();
            tracing::subscriber::with_default(subscriber, both);
        } else {
            tracing::subscriber::with_default(builder.finish(), both);
        }
        let bytes = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn plain_line_writes_the_default_line_but_for_the_instant() {
        let default = render_timed(false);
        let plain = render_timed(true);
        assert_eq!(default.lines().count(), 10, "{default}");
        assert_eq!(plain.lines().count(), 10, "{plain}");
        for (p, d) in plain.lines().zip(default.lines()) {
            // The same instant cannot be rendered twice: the stamps are checked for
            // shape, the rest byte for byte.
            let (p_stamp, p_rest) = p.split_at(27);
            let (d_stamp, d_rest) = d.split_at(27);
            assert_eq!(p_rest, d_rest);
            for stamp in [p_stamp, d_stamp] {
                let b = stamp.as_bytes();
                assert!(b[10] == b'T' && b[19] == b'.' && b[26] == b'Z', "{stamp}");
                assert!(b
                    .iter()
                    .enumerate()
                    .all(|(i, c)| [4, 7, 10, 13, 16, 19, 26].contains(&i) || c.is_ascii_digit()));
            }
        }
        assert!(
            plain.contains(" INFO outer{id=3}: emulator::log_fields::tests: in a span inside=true"),
            "{plain}"
        );
    }

    #[test]
    fn timestamps_are_the_default_timers() {
        let at = |secs: u64, nanos: u32| {
            timestamp(std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos))
                .map(|s| s.as_str().to_string())
        };
        assert_eq!(at(0, 0).as_deref(), Some("1970-01-01T00:00:00.000000Z"));
        assert_eq!(
            at(1_700_000_000, 123_456_789).as_deref(),
            Some("2023-11-14T22:13:20.123456Z")
        );
        assert_eq!(
            at(1_709_251_199, 999_999_999).as_deref(),
            Some("2024-02-29T23:59:59.999999Z")
        );
        assert_eq!(
            at(253_402_300_800, 0),
            None,
            "year 10000 is left to the default format"
        );
    }

    #[test]
    fn plain_fields_write_the_default_line_byte_for_byte() {
        let default = render(false);
        assert_eq!(default.lines().count(), 9, "{default}");
        assert!(
            default.contains("zero=0 max=18446744073709551615 min=-9223372036854775808"),
            "{default}"
        );
        assert!(default.contains("operation=\"PutObject\""), "{default}");
        assert_eq!(render(true), default);
    }
}
