//! YAML paths (`mcp_servers.payments.tool_access.member."tenant:a".deny_list[0]`) and the
//! map from a path to the line it is written on.

use std::collections::HashMap;
use std::fmt;

/// One step of a [`YamlPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Where a value sits in the document, from the top level down.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct YamlPath(Vec<Segment>);

impl YamlPath {
    /// The top level.
    pub(crate) fn root() -> Self {
        Self::default()
    }

    /// A path from dotted key names (`"tool_access.mode"`).
    #[cfg(test)]
    pub(crate) fn keys(dotted: &str) -> Self {
        Self(
            dotted
                .split('.')
                .map(|k| Segment::Key(k.to_owned()))
                .collect(),
        )
    }

    /// This path, one key deeper.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path, one sequence index deeper.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// Appends a segment in place.
    pub(crate) fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    /// Removes the last segment in place.
    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    /// The path one level up, or `None` at the top level.
    pub(crate) fn parent(&self) -> Option<Self> {
        let (_, rest) = self.0.split_last()?;
        Some(Self(rest.to_vec()))
    }

    /// The segments, top level first.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub(crate) fn starts_with(&self, prefix: &YamlPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The top level itself.
    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether a key can be written bare in a path (`payments`) rather than quoted
/// (`"tenant:a"`).
fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The line (1-based) each path of the document is written on: a mapping entry's key, a
/// sequence item's first character.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineMap(HashMap<YamlPath, usize>);

impl LineMap {
    /// Records where `path` is written.
    pub(crate) fn insert(&mut self, path: YamlPath, line: usize) {
        self.0.insert(path, line);
    }

    /// The line of `path`, or of its nearest written ancestor (a missing key is reported
    /// on the line of the mapping that lacks it). `None` for the top level.
    pub(crate) fn line_of(&self, path: &YamlPath) -> Option<usize> {
        let mut current = path.clone();
        loop {
            if current.is_root() {
                return None;
            }
            if let Some(line) = self.0.get(&current) {
                return Some(*line);
            }
            current = current.parent()?;
        }
    }
}
