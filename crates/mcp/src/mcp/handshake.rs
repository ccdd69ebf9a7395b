//! Builders for the gateway's answers to the session handshake (`initialize`) and to
//! `server/discover` (2026-07-28).

use serde::Serialize;
use serde_json::value::RawValue;

use super::build::{Cache, CacheScope, empty_object, encode};
use super::params::Implementation;
use crate::error::Error;
use crate::version::ProtocolVersion;

/// Builds the gateway's `initialize` result (2025-03-26 … 2025-11-25).
#[derive(Debug, Clone)]
pub struct InitializeResultBuilder<'a> {
    version: ProtocolVersion,
    server_info: Implementation<'a>,
    capabilities: Option<&'a RawValue>,
    instructions: Option<&'a str>,
}

impl<'a> InitializeResultBuilder<'a> {
    /// The result for the negotiated `version`
    /// ([`ProtocolVersion::negotiate`]), naming the server software.
    pub fn new(version: ProtocolVersion, name: &'a str, server_version: &'a str) -> Self {
        let server_info = Implementation {
            name: name.into(),
            version: server_version.into(),
        };
        Self {
            version,
            server_info,
            capabilities: None,
            instructions: None,
        }
    }

    /// Sets the server capabilities (default `{}`), raw.
    #[must_use]
    pub fn capabilities(mut self, capabilities: &'a RawValue) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// Sets the natural-language instructions for the model.
    #[must_use]
    pub fn instructions(mut self, instructions: &'a str) -> Self {
        self.instructions = Some(instructions);
        self
    }

    /// The result object, raw.
    pub fn build(self) -> Result<Box<RawValue>, Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct InitializeResult<'a> {
            protocol_version: &'static str,
            capabilities: &'a RawValue,
            server_info: &'a Implementation<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            instructions: Option<&'a str>,
        }
        let empty = empty_object()?;
        encode(&InitializeResult {
            protocol_version: self.version.as_str(),
            capabilities: self.capabilities.unwrap_or(&empty),
            server_info: &self.server_info,
            instructions: self.instructions,
        })
    }
}

/// Builds the gateway's `server/discover` result (2026-07-28).
#[derive(Debug, Clone)]
pub struct DiscoverResultBuilder<'a> {
    server_info: Implementation<'a>,
    supported: Vec<ProtocolVersion>,
    capabilities: Option<&'a RawValue>,
    instructions: Option<&'a str>,
    cache: Cache,
}

impl<'a> DiscoverResultBuilder<'a> {
    /// A result advertising every version this crate speaks, newest first.
    pub fn new(name: &'a str, server_version: &'a str) -> Self {
        Self {
            server_info: Implementation {
                name: name.into(),
                version: server_version.into(),
            },
            supported: ProtocolVersion::ALL.iter().rev().copied().collect(),
            capabilities: None,
            instructions: None,
            cache: Cache::default(),
        }
    }

    /// Sets `supportedVersions` (in the order given).
    #[must_use]
    pub fn supported_versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.supported = versions.to_vec();
        self
    }

    /// Sets the server capabilities (default `{}`), raw.
    #[must_use]
    pub fn capabilities(mut self, capabilities: &'a RawValue) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// Sets the natural-language instructions for the model.
    #[must_use]
    pub fn instructions(mut self, instructions: &'a str) -> Self {
        self.instructions = Some(instructions);
        self
    }

    /// Sets `ttlMs` and `cacheScope` (default `0`, `"private"`).
    #[must_use]
    pub fn cache(mut self, ttl_ms: u64, scope: CacheScope) -> Self {
        self.cache = Cache { ttl_ms, scope };
        self
    }

    /// The result object, raw.
    pub fn build(self) -> Result<Box<RawValue>, Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct DiscoverResult<'a> {
            result_type: &'static str,
            supported_versions: Vec<&'static str>,
            capabilities: &'a RawValue,
            #[serde(skip_serializing_if = "Option::is_none")]
            instructions: Option<&'a str>,
            #[serde(rename = "_meta")]
            meta: Meta<'a>,
            ttl_ms: u64,
            cache_scope: CacheScope,
        }
        #[derive(Serialize)]
        struct Meta<'a> {
            #[serde(rename = "io.modelcontextprotocol/serverInfo")]
            server_info: &'a Implementation<'a>,
        }
        let empty = empty_object()?;
        encode(&DiscoverResult {
            result_type: "complete",
            supported_versions: self.supported.iter().map(|v| v.as_str()).collect(),
            capabilities: self.capabilities.unwrap_or(&empty),
            instructions: self.instructions,
            meta: Meta {
                server_info: &self.server_info,
            },
            ttl_ms: self.cache.ttl_ms,
            cache_scope: self.cache.scope,
        })
    }
}
