//! The crate's error type and the diagnostics it carries.

use std::fmt;
use std::path::PathBuf;

use crate::path::YamlPath;

/// Why a configuration could not be loaded or compiled.
///
/// Messages are lowercase and name the file, the line and the YAML path, e.g.
/// `config.yaml:14: mcp_servers.payments.tool_access.member."tenant:a".deny_list[0]: invalid glob "[ab": unclosed character class`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not well-formed YAML (or not a single YAML document).
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// The file name (or the origin given to [`Config::from_yaml_str`](crate::Config::from_yaml_str)).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The YAML is well formed but the configuration is not valid. Every problem found
    /// is listed, not only the first; `Display` prints one per line.
    #[error("{}", DisplayDiagnostics(diagnostics))]
    Invalid {
        /// The problems, in document order where known.
        diagnostics: Vec<Diagnostic>,
    },
    /// The validated configuration could not be compiled into a tool-access policy
    /// (should not happen: validation checks what the policy checks).
    #[error("cannot compile the tool-access policy: {0}")]
    Policy(#[source] hangar_policy::Error),
}

impl Error {
    /// The problems behind an [`Error::Invalid`]; empty for the other variants.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Invalid { diagnostics } => diagnostics,
            _ => &[],
        }
    }
}

struct DisplayDiagnostics<'a>(&'a [Diagnostic]);

impl fmt::Display for DisplayDiagnostics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// One problem in a configuration: where (file, line, YAML path) and what.
///
/// Displays as `origin:line: path: message`; the line is left out when the value did not
/// come from the file (a `HANGAR_*` override names its variable in the message instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    origin: String,
    line: Option<usize>,
    path: String,
    message: String,
}

impl Diagnostic {
    pub(crate) fn new(
        origin: &str,
        line: Option<usize>,
        path: &YamlPath,
        message: impl Into<String>,
    ) -> Self {
        Self {
            origin: origin.to_owned(),
            line,
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The file name (or the origin given to [`Config::from_yaml_str`](crate::Config::from_yaml_str)).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The 1-based line, when the value came from the file.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The YAML path, e.g. `mcp_servers.payments.tools.deny_list[0]` (keys with
    /// characters other than `[A-Za-z0-9_-]` are quoted; empty for the whole document).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong (lowercase).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Collects diagnostics while a config is loaded: finds each path's line, or the
/// `HANGAR_*` variable that set it.
pub(crate) struct Reporter<'a> {
    pub(crate) origin: &'a str,
    pub(crate) lines: &'a crate::path::LineMap,
    pub(crate) overrides: &'a crate::overrides::Overrides,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Reporter<'_> {
    /// Records a problem at `path`.
    pub(crate) fn report(&mut self, path: &YamlPath, message: impl Into<String>) {
        let message = message.into();
        let diagnostic = match self.overrides.source_of(path) {
            Some(var) => Diagnostic::new(
                self.origin,
                None,
                path,
                format!("{message} (value from environment variable {var})"),
            ),
            None => Diagnostic::new(self.origin, self.lines.line_of(path), path, message),
        };
        self.diagnostics.push(diagnostic);
    }

    /// Whether anything was reported.
    pub(crate) fn has_problems(&self) -> bool {
        !self.diagnostics.is_empty()
    }

    /// The problems so far in document order (by line, values from the environment
    /// last), as an error.
    pub(crate) fn take_error(&mut self) -> Error {
        let mut diagnostics = std::mem::take(&mut self.diagnostics);
        diagnostics.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
        Error::Invalid { diagnostics }
    }
}
