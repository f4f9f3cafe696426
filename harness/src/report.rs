//! Reports: per-step results, the failure display (`file:line`, step id, `-expected` /
//! `+actual`), the `--explain` lines, and the text, JSON and JUnit renderings.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use emulator::iam::explain_text;
use emulator::log::LogEntry;
use serde::Serialize;

use crate::expect::{decided_by_of, effect_of, Mismatch};
use crate::run::Outcome;
use crate::scenario::Scenario;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Matched its expectation.
    Passed,
    /// Did not match.
    Failed,
    /// Not run: an earlier step failed.
    Skipped,
}

/// One step's result.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// Step id.
    pub id: String,
    /// Step kind.
    pub kind: String,
    /// Line of the `[[steps]]` entry.
    pub line: usize,
    /// Passed, failed or skipped.
    pub status: StepStatus,
    /// What did not match.
    pub mismatches: Vec<Mismatch>,
    /// What the step produced.
    pub outcome: Option<Outcome>,
    /// Explanation lines (every request, its decision and why).
    pub explain: Vec<String>,
    /// Wall time.
    pub duration: Duration,
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// Name (path relative to the scenarios folder).
    pub name: String,
    /// File.
    pub path: PathBuf,
    /// The description.
    pub description: String,
    /// Catalogue entries.
    pub catalogue: Vec<String>,
    /// Steps.
    pub steps: Vec<StepReport>,
    /// A problem that kept the scenario from running (load error, emulator start).
    pub error: Option<String>,
    /// Wall time.
    pub duration: Duration,
}

impl ScenarioReport {
    /// An empty report for a scenario.
    pub fn new(s: &Scenario) -> Self {
        Self {
            name: s.name.clone(),
            path: s.path.clone(),
            description: s.file.description.clone(),
            catalogue: s.file.catalogue.iter().map(|c| c.get_ref().clone()).collect(),
            steps: Vec::new(),
            error: None,
            duration: Duration::ZERO,
        }
    }

    /// A report for a file that did not load.
    pub fn load_error(name: &str, path: PathBuf, error: String) -> Self {
        Self {
            name: name.to_string(),
            path,
            description: String::new(),
            catalogue: Vec::new(),
            steps: Vec::new(),
            error: Some(error),
            duration: Duration::ZERO,
        }
    }

    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    /// The failure display: `file:line: step `id` (kind)` then `-expected` / `+actual`
    /// per field, then what the emulator logged.
    pub fn failure(&self) -> String {
        let mut out = String::new();
        if let Some(e) = &self.error {
            let _ = writeln!(out, "{e}");
        }
        for s in self.steps.iter().filter(|s| s.status == StepStatus::Failed) {
            let _ = writeln!(
                out,
                "{}:{}: step `{}` ({}) did not match",
                self.path.display(),
                s.line,
                s.id,
                s.kind
            );
            for m in &s.mismatches {
                let _ = writeln!(out, "  {}:", m.field);
                let _ = writeln!(out, "    -expected {}", m.expected);
                let _ = writeln!(out, "    +actual   {}", m.actual);
            }
            if let Some(o) = &s.outcome {
                if let Some(d) = &o.detail {
                    let _ = writeln!(out, "  step said: {d}");
                }
            }
            for line in &s.explain {
                let _ = writeln!(out, "  {line}");
            }
        }
        out
    }

    /// The per-step text report.
    pub fn text(&self, explain: bool) -> String {
        let mut out = String::new();
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "{verdict} {} ({} ms)", self.name, self.duration.as_millis());
        if let Some(e) = &self.error {
            let _ = writeln!(out, "  {e}");
        }
        for s in &self.steps {
            let mark = match s.status {
                StepStatus::Passed => "ok  ",
                StepStatus::Failed => "FAIL",
                StepStatus::Skipped => "skip",
            };
            let summary = s.outcome.as_ref().map(summary).unwrap_or_default();
            let _ = writeln!(out, "  {mark} {:<24} {:<24} {summary}", s.id, s.kind);
            if s.status == StepStatus::Failed {
                let _ = writeln!(out, "       at {}:{}", self.path.display(), s.line);
                for m in &s.mismatches {
                    let _ = writeln!(out, "       {}: -expected {}", m.field, m.expected);
                    let _ = writeln!(
                        out,
                        "       {}  +actual   {}",
                        " ".repeat(m.field.len()),
                        m.actual
                    );
                }
                if let Some(d) = s.outcome.as_ref().and_then(|o| o.detail.as_ref()) {
                    let _ = writeln!(out, "       step said: {d}");
                }
            }
            if explain || s.status == StepStatus::Failed {
                for line in &s.explain {
                    let _ = writeln!(out, "       {line}");
                }
                if explain {
                    if let Some(r) = s.outcome.as_ref().and_then(|o| o.remediation.as_ref()) {
                        for (i, line) in r.lines().enumerate() {
                            let label = if i == 0 { "remediation: " } else { "             " };
                            let _ = writeln!(out, "       {label}{line}");
                        }
                    }
                }
            }
        }
        out
    }

    /// The JSON form (request ids, times and tokens left out).
    pub fn json(&self) -> serde_json::Value {
        let steps: Vec<serde_json::Value> = self
            .steps
            .iter()
            .map(|s| {
                let last = s.outcome.as_ref().and_then(|o| o.entries.last());
                serde_json::json!({
                    "id": s.id,
                    "do": s.kind,
                    "line": s.line,
                    "status": s.status,
                    "mismatches": s.mismatches,
                    "ok": s.outcome.as_ref().map(|o| o.ok),
                    "error": s.outcome.as_ref().and_then(|o| o.error_kind.clone()),
                    "warnings": s.outcome.as_ref().map(|o| o.warnings.clone()).unwrap_or_default(),
                    "detail": s.outcome.as_ref().and_then(|o| o.detail.clone()),
                    "last_request": last.map(entry_json),
                    "explain": s.explain,
                })
            })
            .collect();
        serde_json::json!({
            "scenario": self.name,
            "file": self.path.display().to_string(),
            "description": self.description,
            "catalogue": self.catalogue,
            "passed": self.passed(),
            "error": self.error,
            "duration_ms": self.duration.as_millis() as u64,
            "steps": steps,
        })
    }
}

fn entry_json(e: &LogEntry) -> serde_json::Value {
    serde_json::json!({
        "operation": e.operation,
        "status": e.status,
        "code": e.code,
        "principal": e.principal,
        "effect": effect_of(e),
        "decided_by": decided_by_of(e),
    })
}

/// `PutObject 403 AccessDenied implicit-deny` for the step's last request.
fn summary(o: &Outcome) -> String {
    let mut s = String::new();
    if let Some(e) = o.entries.last() {
        let _ = write!(s, "{} {}", e.operation.as_deref().unwrap_or("?"), e.status);
        if let Some(c) = &e.code {
            let _ = write!(s, " {c}");
        }
        if e.decision.is_some() {
            let _ = write!(s, " {}", effect_of(e));
        }
    }
    if let Some(k) = &o.error_kind {
        let _ = write!(s, " => {k}");
    }
    s
}

/// Per logged request: a line with operation, status, code and principal (plus the
/// emulator's note and injected faults), then the emulator's explanation of the
/// decision ([`emulator::iam::explain_text`]): the statements that decided it, or for
/// an implicit deny the statements that came closest and what each missed.
pub fn explain_entries(entries: &[LogEntry]) -> Vec<String> {
    let mut out = Vec::new();
    for e in entries {
        let mut line = format!(
            "{} {} {}",
            e.operation.as_deref().unwrap_or(&e.method),
            e.status,
            e.code.as_deref().unwrap_or("OK")
        );
        if let Some(p) = &e.principal {
            let _ = write!(line, " as {p}");
        }
        if let Some(n) = &e.note {
            let _ = write!(line, "; {n}");
        }
        if !e.faults.is_empty() {
            let _ = write!(line, "; faults: {}", e.faults.join(", "));
        }
        out.push(crate::expect::mask(&line));
        if let Some(d) = &e.decision {
            out.extend(explain_text(d).lines().map(|l| format!("  {l}")));
        }
    }
    out
}

/// `N passed, M failed`.
pub fn closing_line(reports: &[ScenarioReport]) -> String {
    let passed = reports.iter().filter(|r| r.passed()).count();
    format!("{passed} passed, {} failed", reports.len() - passed)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JUnit XML document: one testsuite, one testcase per scenario.
pub fn junit(reports: &[ScenarioReport]) -> String {
    let failures = reports.iter().filter(|r| !r.passed()).count();
    let total: f64 = reports.iter().map(|r| r.duration.as_secs_f64()).sum();
    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<testsuites><testsuite name="scenarios" tests="{}" failures="{failures}" time="{total:.3}">"#,
        reports.len()
    );
    for r in reports {
        let _ = write!(
            out,
            r#"<testcase classname="scenarios" name="{}" file="{}" time="{:.3}">"#,
            xml_escape(&r.name),
            xml_escape(&r.path.display().to_string()),
            r.duration.as_secs_f64()
        );
        if !r.passed() {
            let _ = write!(
                out,
                r#"<failure message="scenario failed">{}</failure>"#,
                xml_escape(&r.failure())
            );
        }
        let _ = writeln!(out, "</testcase>");
    }
    let _ = writeln!(out, "</testsuite></testsuites>");
    out
}

/// Write to stdout; a closed pipe (`harness run | head`) is not an error.
pub fn out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
