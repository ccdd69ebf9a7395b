//! JSON-RPC request ids.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::json;

/// A JSON-RPC request id: an integer or a string, kept exactly as the peer sent it
/// (a string id `"7"` never becomes the number `7`).
///
/// MCP allows only strings and integers; fractional numbers, exponents, integers
/// outside `i64` and `null` are rejected where an id is required.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// An integer id, e.g. `1`.
    Number(i64),
    /// A string id, e.g. `"call-tool-example"`.
    String(String),
}

impl Id {
    /// Appends the id as JSON (`7` or `"abc"`).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Number(n) => json::write_i64(out, *n),
            Self::String(s) => json::write_str(out, s),
        }
    }

    /// Reads an id from its raw JSON; `None` for anything but a string or an `i64`.
    pub(crate) fn from_raw(raw: &RawValue) -> Option<Self> {
        let text = raw.get();
        if text.starts_with('"') {
            serde_json::from_str(text).ok().map(Self::String)
        } else {
            // A JSON integer token is exactly what `i64::from_str` accepts, minus the
            // leading `+` that JSON never produces; `1.0`, `1e3` and `null` fail here.
            text.parse().ok().map(Self::Number)
        }
    }
}

impl fmt::Display for Id {
    /// The id as JSON: `7` or `"abc"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for Id {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => serializer.serialize_i64(*n),
            Self::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Id, E> {
                Ok(Id::Number(n))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Id, E> {
                i64::try_from(n)
                    .map(Id::Number)
                    .map_err(|_| E::custom("integer id out of range"))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Id, E> {
                Ok(Id::String(s.to_owned()))
            }

            fn visit_string<E: de::Error>(self, s: String) -> Result<Id, E> {
                Ok(Id::String(s))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}
