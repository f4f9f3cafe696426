//! The one wire error type.
//!
//! Every layer (routing, SigV4, authorization, handlers) fails with an [`ApiError`].
//! Only the pipeline's exit ([`crate::pipeline`]) turns one into bytes, through [`crate::protocol::xml`]; no
//! handler writes an error body. Build errors with [`api_error!`].

use std::borrow::Cow;
use std::sync::Arc;

use crate::iam::Decision;
use crate::protocol::codes::{Code, Service};

/// An AWS error response before it is rendered.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The code; with the service it picks the status from the table.
    pub code: Code,
    /// The wire message; `None` takes the table's default.
    pub message: Option<Cow<'static, str>>,
    /// Extra elements after `<Message>`, in order, as S3 sends them
    /// (`<Region>`, `<StringToSign>`, `<HeadersNotSigned>`, …).
    pub extras: Vec<(&'static str, String)>,
    /// Extra response headers (`x-amz-bucket-region`, …).
    pub headers: Vec<(&'static str, String)>,
    /// Overrides the table's HTTP status (an injected fault's `status`).
    pub status: Option<u16>,
    /// The policy decision behind an AccessDenied, kept beside the wire response
    /// for logs, the admin API and the harness; never rendered into the body.
    pub decision: Option<Arc<Decision>>,
    /// A short note for the request log explaining what the emulator saw, e.g.
    /// "scope region `us-east-1`, bucket region `eu-west-1`". Never rendered.
    pub note: Option<String>,
}

impl ApiError {
    /// An error with the table's default message.
    pub fn new(code: Code) -> Self {
        Self {
            code,
            message: None,
            extras: Vec::new(),
            headers: Vec::new(),
            status: None,
            decision: None,
            note: None,
        }
    }

    /// What the emulator answers for an operation it does not model: S3's 501
    /// NotImplemented, with a message that names the operation and says it is
    /// this emulator's limit, not AWS's answer (clients print the message).
    pub fn not_implemented(operation: &str) -> Self {
        Self::new(Code::NotImplemented)
            .message(format!(
                "{operation} is not implemented by this emulator (AWS supports it; see the emulator's README for what is modelled)."
            ))
            .note(format!("the emulator does not implement {operation}"))
    }

    /// Send with this HTTP status instead of the table's.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Replace the message.
    #[must_use]
    pub fn message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Append an extra XML element.
    #[must_use]
    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extras.push((name, value.into()));
        self
    }

    /// Append a response header.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Attach the decision that produced this error.
    #[must_use]
    pub fn with_decision(mut self, decision: Arc<Decision>) -> Self {
        self.decision = Some(decision);
        self
    }

    /// Attach a log note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The request log's note: the one attached, else the headline of the
    /// decision behind an AccessDenied (built here, when a log line is written,
    /// not on every denial: the in-process path writes no log).
    pub fn log_note(&self) -> Option<String> {
        self.note.clone().or_else(|| {
            self.decision
                .as_ref()
                .map(|d| format!("{}: {}", d.effect, crate::iam::explain_headline(d)))
        })
    }

    /// The message as it will be sent, given the service that carries it.
    pub fn wire_message(&self, service: Service) -> Cow<'static, str> {
        match &self.message {
            Some(m) => m.clone(),
            None => Cow::Borrowed(self.code.row(service).map_or("", |row| row.message)),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<Code> for ApiError {
    fn from(code: Code) -> Self {
        Self::new(code)
    }
}

/// Build an [`ApiError`]: `api_error!(NoSuchKey)` or
/// `api_error!(InvalidArgument, "Invalid {} header", name)`.
#[macro_export]
macro_rules! api_error {
    ($code:ident) => {
        $crate::error::ApiError::new($crate::protocol::codes::Code::$code)
    };
    ($code:ident, $($fmt:tt)+) => {
        $crate::error::ApiError::new($crate::protocol::codes::Code::$code).message(format!($($fmt)+))
    };
}

/// Result alias for everything that can fail on the wire.
pub type ApiResult<T> = Result<T, ApiError>;
