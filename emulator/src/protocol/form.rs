//! The parameters of a query-API request (STS): the name-value pairs of its query
//! string and `application/x-www-form-urlencoded` body, decoded, in order.
//!
//! The pairs live in one buffer, not a `String` each: an AssumeRole sends five
//! or more, and the CloudTrail record keeps them beside the log entry.

/// Decoded name-value pairs, in the order received.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FormParams {
    /// Every name and value, decoded, one after another.
    text: String,
    /// Where each pair's name and its value end in `text`; a name starts where
    /// the pair before ended.
    ends: Vec<(usize, usize)>,
}

impl FormParams {
    /// No pairs yet, with room for `bytes` of text and `pairs` pairs.
    pub fn with_capacity(bytes: usize, pairs: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(pairs),
        }
    }

    /// Append a pair of decoded text.
    pub fn push(&mut self, name: &str, value: &str) {
        let appended: Result<(), std::convert::Infallible> = self.push_with(
            |t| {
                t.push_str(name);
                Ok(())
            },
            |t| {
                t.push_str(value);
                Ok(())
            },
        );
        let Ok(()) = appended;
    }

    /// Append a pair whose name and value `name` and `value` write at the end of
    /// the buffer (a decoder writing in place). If either fails, nothing is
    /// appended.
    pub(crate) fn push_with<E>(
        &mut self,
        name: impl FnOnce(&mut String) -> Result<(), E>,
        value: impl FnOnce(&mut String) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.text.len();
        let written = name(&mut self.text).and_then(|()| {
            let name_end = self.text.len();
            value(&mut self.text).map(|()| name_end)
        });
        match written {
            Ok(name_end) => {
                self.ends.push((name_end, self.text.len()));
                Ok(())
            }
            Err(e) => {
                self.text.truncate(start);
                Err(e)
            }
        }
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, end)| {
            let name = self.text.get(start..name_end).unwrap_or_default();
            let value = self.text.get(name_end..end).unwrap_or_default();
            start = end;
            (name, value)
        })
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        // Names compared as bytes: only the value found is sliced as text.
        let mut start = 0;
        for &(name_end, end) in &self.ends {
            if self.text.as_bytes().get(start..name_end) == Some(name.as_bytes()) {
                return self.text.get(name_end..end);
            }
            start = end;
        }
        None
    }

    /// The pairs whose name starts with `prefix`, in order, each name without it.
    /// Names are compared as bytes and only a match is sliced as text: STS looks
    /// for its member lists (`Tags.member.N.Key`, …) on every request, and most
    /// requests send none.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let mut start = 0;
        self.ends.iter().filter_map(move |&(name_end, end)| {
            let at = start;
            start = end;
            let name = self.text.as_bytes().get(at..name_end)?;
            if !name.starts_with(prefix.as_bytes()) {
                return None;
            }
            Some((
                self.text.get(at + prefix.len()..name_end)?,
                self.text.get(name_end..end)?,
            ))
        })
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for FormParams {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Self {
        let mut p = Self::default();
        for (name, value) in pairs {
            p.push(name, value);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_back_in_order_with_empty_names_and_values() {
        let pairs = [
            ("Action", "AssumeRole"),
            ("", "no name"),
            ("NoValue", ""),
            ("", ""),
            ("RoleArn", "arn:aws:iam::111111111111:role/é"),
            ("Action", "second"),
        ];
        let p: FormParams = pairs.into_iter().collect();
        assert_eq!(p.len(), 6);
        assert_eq!(p.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(p.get("Action"), Some("AssumeRole"));
        assert_eq!(p.get("NoValue"), Some(""));
        assert_eq!(p.get("Missing"), None);
        assert!(FormParams::default().is_empty());
    }

    #[test]
    fn with_prefix_finds_the_pairs_a_prefix_names() {
        let params: FormParams = [
            ("Tags.member.1.Key", "a"),
            ("Action", "x"),
            ("Tags.member.1.Value", "b"),
            ("Tag", "c"),
        ]
        .into_iter()
        .collect();
        let found: Vec<_> = params.with_prefix("Tags.").collect();
        assert_eq!(found, [("member.1.Key", "a"), ("member.1.Value", "b")]);
        assert_eq!(params.with_prefix("Nothing").count(), 0);
        assert_eq!(params.with_prefix("").count(), 4);
    }

    #[test]
    fn a_failed_pair_leaves_nothing_behind() {
        let mut p = FormParams::with_capacity(64, 2);
        p.push("a", "1");
        let failed: Result<(), &str> = p.push_with(
            |t| {
                t.push_str("half");
                Ok(())
            },
            |t| {
                t.push_str("written");
                Err("not UTF-8")
            },
        );
        assert_eq!(failed, Err("not UTF-8"));
        p.push("b", "2");
        assert_eq!(p.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
    }
}
