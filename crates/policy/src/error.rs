//! The opaque policy error.

use std::fmt;

/// Why a policy (or one of its patterns) was rejected.
///
/// The type is opaque so that new kinds can be added without breaking users; ask it
/// what it is with the `is_*()` predicates. Its message is lowercase and says where the
/// problem is, for example
/// `server "payments": member "tenant:a": deny_list[0]: invalid glob "[ab": unclosed character class`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub(crate) message: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InvalidPattern,
    UnknownGroup,
    Duplicate,
    EmptyName,
    InvalidValue,
    TooLarge,
}

impl Error {
    fn new(kind: Kind, message: String) -> Self {
        Self { message, kind }
    }

    pub(crate) fn invalid_pattern(message: String) -> Self {
        Self::new(Kind::InvalidPattern, message)
    }

    pub(crate) fn unknown_group(group: &str) -> Self {
        Self::new(
            Kind::UnknownGroup,
            format!("group {group:?}: unknown group (define it under tool_access.groups)"),
        )
    }

    pub(crate) fn duplicate(what: String) -> Self {
        Self::new(Kind::Duplicate, format!("{what}: defined more than once"))
    }

    pub(crate) fn empty_name(what: &str) -> Self {
        Self::new(Kind::EmptyName, format!("empty {what}"))
    }

    pub(crate) fn invalid_value(message: String) -> Self {
        Self::new(Kind::InvalidValue, message)
    }

    pub(crate) fn too_large(what: &str) -> Self {
        Self::new(Kind::TooLarge, format!("{what}: too large to compile"))
    }

    /// Prefixes the message with where the error happened (`server "payments"`, …).
    pub(crate) fn at(mut self, location: impl fmt::Display) -> Self {
        self.message = format!("{location}: {}", self.message);
        self
    }

    /// The error is an invalid pattern: bad glob syntax such as `[ab` or `{a,b`, or an
    /// empty pattern.
    pub fn is_invalid_pattern(&self) -> bool {
        self.kind == Kind::InvalidPattern
    }

    /// A server references a tenant group that was never defined.
    pub fn is_unknown_group(&self) -> bool {
        self.kind == Kind::UnknownGroup
    }

    /// A server, a tenant group, or a server's group or member entry is defined twice.
    pub fn is_duplicate(&self) -> bool {
        self.kind == Kind::Duplicate
    }

    /// A server name, group name or tenant id is empty.
    pub fn is_empty_name(&self) -> bool {
        self.kind == Kind::EmptyName
    }

    /// A text is not a known value, e.g. a [`Mode`](crate::Mode) other than `egress` or
    /// `front_door`.
    pub fn is_invalid_value(&self) -> bool {
        self.kind == Kind::InvalidValue
    }
}

impl Error {
    /// The policy exceeds a compiled limit (more than 65,535 groups on one server or
    /// globs in one list, a name longer than 65,535 bytes, 2^30 patterns).
    pub fn is_too_large(&self) -> bool {
        self.kind == Kind::TooLarge
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
