//! Writing TOML text: the one writer `harness reproduce` and the fuzzer's
//! scenario files share. Policies go in as `'''` literal blocks, pasted verbatim
//! where TOML allows it, so a support engineer reads them as the customer wrote them.

/// Append `s` as a double-quoted string with JSON's escapes, which TOML basic
/// strings share (`\"`, `\\`, `\n`, `\r`, `\t`, `\uXXXX`).
pub fn escape(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Everything that needs an escape is ASCII: copy the runs between as slices.
    while let Some(i) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20 || b == 0x7F)
    {
        let (plain, tail) = rest.split_at(i);
        out.push_str(plain);
        let b = tail.as_bytes().first().copied().unwrap_or_default();
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => out.push_str(&format!("\\u{b:04x}")),
        }
        rest = tail.get(1..).unwrap_or_default();
    }
    out.push_str(rest);
    out.push('"');
}

/// A TOML basic string.
pub fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape(&mut out, s);
    out
}

/// A policy document (or any text) as a TOML string: a `'''` literal block when
/// the text can be one (no `'''`, no trailing `'`, no control characters but tab
/// and line breaks), else a basic string.
pub fn document(text: &str) -> String {
    let literal_ok = !text.contains("'''")
        && !text.ends_with('\'')
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    if literal_ok {
        format!("'''\n{text}\n'''")
    } else {
        basic(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_strings_read_back_as_written() {
        for text in [
            r#"{"Version":"2012-10-17"}"#,
            "a '''triple''' quote",
            "ends with a quote '",
            "control \u{1} char and \u{7f}",
            "tab\tand\nlines",
            "back\\slash \"quoted\" é",
        ] {
            // A literal block keeps the line break before its closing quotes.
            let toml_text = format!("v = {}", document(text));
            let parsed: toml::Table = toml::from_str(&toml_text).unwrap();
            let read = parsed["v"].as_str().unwrap();
            assert!(
                read == text || read.strip_suffix('\n') == Some(text),
                "{toml_text}"
            );
            let basic_text = format!("v = {}", basic(text));
            let parsed: toml::Table = toml::from_str(&basic_text).unwrap();
            assert_eq!(parsed["v"].as_str(), Some(text), "{basic_text}");
        }
        assert!(document(r#"{"a":1}"#).starts_with("'''"));
    }
}
