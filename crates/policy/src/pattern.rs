//! Tool-name patterns: exact names and globs.

use std::fmt;

use globset::{Candidate, ErrorKind, GlobBuilder, GlobMatcher};

use crate::Error;
use crate::strmap::same;

/// A validated tool-name pattern: an exact name (`refund`) or a glob (`beta_*`, `?`,
/// `[abc]`, `{a,b}`; `\` escapes a metacharacter).
///
/// `*` matches any sequence of characters, `/` included. Matching is case-sensitive and
/// anchored: the whole tool name must match.
///
/// ```
/// use hangar_policy::Pattern;
///
/// let beta = Pattern::new("beta_*")?;
/// assert!(beta.matches("beta_tool"));
/// assert!(!beta.matches("tool_beta"));
/// assert!(Pattern::new("[ab").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pattern {
    pub(crate) source: Box<str>,
    matcher: Matcher,
}

/// How a pattern is matched; the cheap shapes avoid running a regex.
#[derive(Debug, Clone)]
enum Matcher {
    /// Only `*`s: every name.
    Any,
    /// No metacharacter: the name itself.
    Exact,
    /// `literal*`.
    Prefix,
    /// `*literal`.
    Suffix,
    /// Anything else.
    Glob(Box<GlobMatcher>),
}

const META: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

impl Pattern {
    /// Validates a pattern. An empty pattern and bad glob syntax (`[ab`, `{a,b`, a
    /// trailing `\`) are errors; the message says why, e.g.
    /// `invalid glob "[ab": unclosed character class`.
    pub fn new(pattern: &str) -> Result<Self, Error> {
        if pattern.is_empty() {
            return Err(Error::invalid_pattern("empty pattern".to_owned()));
        }
        let glob = GlobBuilder::new(pattern)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|err| {
                Error::invalid_pattern(format!(
                    "invalid glob {pattern:?}: {}",
                    describe(err.kind())
                ))
            })?;
        let matcher = if !pattern.contains(META) {
            Matcher::Exact
        } else if pattern.chars().all(|c| c == '*') {
            Matcher::Any
        } else if pattern.strip_suffix('*').is_some_and(|p| !p.contains(META)) {
            Matcher::Prefix
        } else if pattern.strip_prefix('*').is_some_and(|s| !s.contains(META)) {
            Matcher::Suffix
        } else {
            Matcher::Glob(Box::new(glob.compile_matcher()))
        };
        Ok(Self {
            source: pattern.into(),
            matcher,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern is an exact name (no glob metacharacter).
    pub fn is_exact(&self) -> bool {
        matches!(self.matcher, Matcher::Exact)
    }

    /// Whether `tool` matches.
    #[inline]
    pub fn matches(&self, tool: &str) -> bool {
        match &self.matcher {
            Matcher::Any => true,
            Matcher::Exact => same(self.source.as_bytes(), tool.as_bytes()),
            Matcher::Prefix => {
                let prefix = &self.source.as_bytes()[..self.source.len() - 1];
                tool.len() >= prefix.len() && same(prefix, &tool.as_bytes()[..prefix.len()])
            }
            Matcher::Suffix => {
                let suffix = &self.source.as_bytes()[1..];
                tool.len() >= suffix.len()
                    && same(suffix, &tool.as_bytes()[tool.len() - suffix.len()..])
            }
            Matcher::Glob(glob) => glob.is_match_candidate(&Candidate::from_bytes(tool.as_bytes())),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl std::str::FromStr for Pattern {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

/// A short, lowercase reason for a glob syntax error.
fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::UnclosedClass => "unclosed character class".to_owned(),
        ErrorKind::InvalidRange(from, to) => format!("invalid character range {from}-{to}"),
        ErrorKind::UnopenedAlternates => "'}' without a matching '{'".to_owned(),
        ErrorKind::UnclosedAlternates => "unclosed alternation (missing '}')".to_owned(),
        ErrorKind::DanglingEscape => "dangling '\\' at the end".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
