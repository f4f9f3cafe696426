//! The scenario file: serde model, loading, and located errors.
//!
//! A scenario file is TOML: `description`, `tags`, `catalogue`, a `[world]` table in the
//! emulator's world format, and ordered `[[steps]]`. Every table refuses unknown keys.
//! The whole file is one [`Source`], so the world's own errors (a malformed policy, an
//! unknown account) and the harness's errors (an unknown step kind, a bad `with` key)
//! both name the file, the line and the column.

use std::path::{Path, PathBuf};

use emulator::world::file::WorldFile;
use emulator::world::{FileError, Source};
use emulator::World;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

use crate::steps::{Action, StepKind};

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// One sentence: what the customer did and what must happen.
    pub description: String,
    /// Free-form tags (`trust`, `hmac`, `onboarding`, …).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The misconfigs.md entries (`M02`, …) this scenario reproduces.
    #[serde(default)]
    pub catalogue: Vec<Spanned<String>>,
    /// The world, in the emulator's world-file format.
    pub world: WorldFile,
    /// The steps, in order.
    #[serde(default)]
    pub steps: Vec<Spanned<StepFile>>,
}

/// One `[[steps]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// A short name, unique in the file; failure reports name it.
    pub id: Spanned<String>,
    /// The step kind (`s3.put_object`, `connector.onboard`, …).
    #[serde(rename = "do")]
    pub kind: Spanned<String>,
    /// Who acts.
    #[serde(rename = "as", default)]
    pub actor: Option<Spanned<Actor>>,
    /// The step's arguments; their shape depends on the kind.
    #[serde(default)]
    pub with: Option<Spanned<toml::Value>>,
    /// `sts.assume_role`: bind the issued credentials to `session:<name>`;
    /// `s3.put_object`: keep the new object's version id for `version_from = "<name>"`.
    #[serde(default)]
    pub save: Option<Spanned<String>>,
    /// What must come of it; absent means `ok = true`.
    #[serde(default)]
    pub expect: Option<Spanned<Expect>>,
}

/// Who performs a step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Actor {
    /// `account/user` (that user's first active key), `session:<name>` or `anonymous`.
    Named(String),
    /// Explicit keys, for keys that are wrong on purpose (a typo, a rotated secret).
    Keys(ExplicitKeys),
}

/// Keys given inline in `as = { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitKeys {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret: String,
    /// Session token, for temporary credentials.
    #[serde(default)]
    pub session_token: Option<String>,
}

/// What a step must produce. Every present field is checked; messages never are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The step succeeded (`true`) or failed (`false`).
    #[serde(default)]
    pub ok: Option<bool>,
    /// HTTP status of the checked request.
    #[serde(default)]
    pub status: Option<u16>,
    /// AWS error code of the checked request (`AccessDenied`, …); `""` for none.
    #[serde(default)]
    pub code: Option<String>,
    /// Policy decision of the checked request: `allow`, `explicit-deny`, `implicit-deny`,
    /// or `none` when no decision was taken (e.g. authentication failed first).
    #[serde(default)]
    pub effect: Option<String>,
    /// The statements that decided it, `policy#sid-or-index`, in any order.
    #[serde(default)]
    pub decided_by: Option<Vec<String>>,
    /// Texts that must each appear in the decision's notes or the request's log
    /// note: the readings of undocumented IAM corners it took (`${aws:username}`
    /// has no value, a plain operator on a multivalued key, `ForAnyValue:…IfExists`
    /// on an absent key), or an IAM change it did not see yet (`not yet visible`).
    #[serde(default)]
    pub notes: Option<Vec<String>>,
    /// The caller's ARN as the emulator logged it.
    #[serde(default)]
    pub principal: Option<String>,
    /// Connector steps: the diagnosis kind (`PolicyMissingPutObject`, …).
    #[serde(default)]
    pub error: Option<String>,
    /// Connector steps: the kinds of the warnings, in any order.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    /// Connector steps: the kinds of the findings that protect the customer
    /// (`TrustPolicyIgnoresExternalId`, `DeleteObjectStillAllowed`), in any order.
    #[serde(default)]
    pub findings: Option<Vec<String>>,
    /// Which request the wire fields are read from: the last logged request of this
    /// operation (`PutObject`, `DeleteObject`, `AssumeRole`, …). Default: the step's last.
    #[serde(default)]
    pub request: Option<String>,
    /// How many requests the step sent (SDK retries included).
    #[serde(default)]
    pub requests: Option<usize>,
}

/// A loaded scenario: the file, its source text, and the world it builds.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The path it was loaded from.
    pub path: PathBuf,
    /// A short name (the path relative to the scenarios folder, when known).
    pub name: String,
    /// The text, for positions.
    pub source: Source,
    /// The parsed file.
    pub file: ScenarioFile,
    /// The world built from `[world]`.
    pub world: World,
    /// Each step's action, parsed from its `do` and `with` at load time, in step order.
    pub actions: Vec<Action>,
}

/// Load a scenario file; `name` is how reports call it.
pub fn load(path: &Path, name: &str) -> Result<Scenario, FileError> {
    let source = Source::read(path)?;
    from_source(path, name, source)
}

/// Load a scenario from text (tests, `reproduce`).
pub fn from_source(path: &Path, name: &str, source: Source) -> Result<Scenario, FileError> {
    let file: ScenarioFile = source.parse()?;
    let world = World::from_file(&source, &file.world)?;
    let actions = check(&source, &file)?;
    Ok(Scenario {
        path: path.to_path_buf(),
        name: name.to_string(),
        source,
        file,
        world,
        actions,
    })
}

/// Checks that need the whole file: known step kinds, unique ids, catalogue names,
/// `as` and `save` where they belong, and each step's `with`, parsed here once into
/// its [`Action`] so a typo is reported before anything runs.
fn check(src: &Source, f: &ScenarioFile) -> Result<Vec<Action>, FileError> {
    for m in &f.catalogue {
        let s = m.get_ref();
        let digits = s.strip_prefix('M').unwrap_or("");
        if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(src.error_in(m, format!("catalogue entry `{s}` must look like `M02`")));
        }
        let n: u32 = digits.parse().unwrap_or(0);
        if !(1..=70).contains(&n) {
            return Err(src.error_in(m, format!("catalogue entry `{s}` is not in M01–M70")));
        }
    }
    let mut ids: Vec<&str> = Vec::new();
    let mut actions = Vec::with_capacity(f.steps.len());
    for step in &f.steps {
        let s = step.get_ref();
        let id = s.id.get_ref().as_str();
        if ids.contains(&id) {
            return Err(src.error_in(&s.id, format!("step id `{id}` is used twice")));
        }
        ids.push(id);
        let name = s.kind.get_ref().as_str();
        let Some(kind) = StepKind::from_name(name) else {
            let known: Vec<&str> = StepKind::ALL.iter().map(|k| k.name()).collect();
            return Err(src.error_in(
                &s.kind,
                format!("unknown step kind `{name}`; expected one of {}", known.join(", ")),
            ));
        };
        if let Some(save) = &s.save {
            if !kind.can_save() {
                return Err(src.error_in(
                    save,
                    "`save` only applies to `sts.assume_role` and `s3.put_object` steps",
                ));
            }
        }
        if let Some(actor) = &s.actor {
            if let Actor::Named(name) = actor.get_ref() {
                let known = name == "anonymous"
                    || name.starts_with("session:")
                    || name
                        .split_once('/')
                        .is_some_and(|(a, u)| !a.is_empty() && !u.is_empty());
                if !known {
                    return Err(src.error_in(
                        actor,
                        format!("`as = \"{name}\"` must be `account/user`, `session:<name>` or `anonymous`"),
                    ));
                }
            }
        }
        if let Some(e) = &s.expect {
            if let Some(effect) = &e.get_ref().effect {
                if !["allow", "explicit-deny", "implicit-deny", "none"].contains(&effect.as_str()) {
                    return Err(src.error_in(
                        e,
                        format!(
                            "expect.effect `{effect}` must be allow, explicit-deny, implicit-deny or none"
                        ),
                    ));
                }
            }
        }
        actions.push(Action::parse(src, s, kind)?);
    }
    Ok(actions)
}

/// Deserialize a step's `with` into `T`, with errors located in the file.
///
/// The `with` text is deserialized straight from its slice of the file, so an unknown
/// or mistyped key is reported at its own line and column. When `with` is written as a
/// `[steps.with]` table (no single slice), the already-parsed value is used and the
/// error points at the table.
pub fn with_args<T: DeserializeOwned>(src: &Source, step: &StepFile) -> Result<T, FileError> {
    let Some(with) = &step.with else {
        return T::deserialize(toml::Value::Table(toml::Table::new())).map_err(|e| {
            src.error_in(
                &step.id,
                format!("step `{}`: `with`: {}", step.id.get_ref(), e.message().trim()),
            )
        });
    };
    let span = with.span();
    if let Some(slice) = src.text.get(span.clone()) {
        if slice.trim_start().starts_with('{') {
            return toml::de::ValueDeserializer::parse(slice)
                .and_then(T::deserialize)
                .map_err(|e| {
                    let message = e.message().trim();
                    let within = e
                        .span()
                        .map(|s| s.start)
                        .filter(|s| *s > 0)
                        .or_else(|| unknown_key_offset(slice, message))
                        .unwrap_or(0);
                    src.error_at(
                        span.start + within,
                        format!("step `{}`: {message}", step.id.get_ref()),
                    )
                });
        }
    }
    T::deserialize(with.get_ref().clone()).map_err(|e| {
        src.error_in(
            with,
            format!("step `{}`: {}", step.id.get_ref(), e.message().trim()),
        )
    })
}

/// Where the key an "unknown field `x`" message names is written in `slice`, so the
/// error points at the typo rather than at the opening brace.
fn unknown_key_offset(slice: &str, message: &str) -> Option<usize> {
    let rest = message.strip_prefix("unknown field `")?;
    let key = rest.split('`').next()?;
    let bytes = slice.as_bytes();
    let mut from = 0;
    while let Some(i) = slice.get(from..)?.find(key) {
        let at = from + i;
        let before = at.checked_sub(1).and_then(|b| bytes.get(b)).copied();
        let after = bytes.get(at + key.len()).copied();
        let boundary =
            |c: Option<u8>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
        if boundary(before) && boundary(after) {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// The one duration grammar (`1h`, `90s`, `-20m`, `1h30m`, `2d`), shared with the
/// emulator's admin API and world files.
pub use emulator::util::parse_duration;

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"description = "d"
[world]
[[world.accounts]]
id = "111111111111"
name = "customer"

[[steps]]
id = "a"
do = "clock.advance"
with = { by = "1h", colour = "red" }
"#;

    #[test]
    fn unknown_with_key_is_located() {
        let err = from_source(Path::new("t.toml"), "t", Source::new("t.toml", MINIMAL)).unwrap_err();
        assert_eq!(err.line, 10, "{err}");
        assert!(err.message.contains("colour"), "{err}");
        // `with = { by = "1h", colour = "red" }`: the column of `colour`.
        assert_eq!(err.column, 21, "{err}");
    }

    #[test]
    fn unknown_step_kind_is_located() {
        let text = MINIMAL.replace("clock.advance", "clock.rewind");
        let err = from_source(Path::new("t.toml"), "t", Source::new("t.toml", text)).unwrap_err();
        assert_eq!(err.line, 9, "{err}");
        assert!(err.message.contains("clock.rewind"), "{err}");
    }

    #[test]
    fn unknown_expect_key_is_located() {
        let text = MINIMAL.replace(", colour = \"red\"", "").replace(
            "with = { by = \"1h\" }",
            "with = { by = \"1h\" }\nexpect = { ok = true, mesage = \"x\" }",
        );
        let err = from_source(Path::new("t.toml"), "t", Source::new("t.toml", text)).unwrap_err();
        assert_eq!(err.line, 11, "{err}");
        assert!(err.message.contains("mesage"), "{err}");
    }
}
