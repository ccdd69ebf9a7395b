//! Builders for the results and notifications the gateway emits itself. Results are raw
//! JSON ready for [`Response::new`](crate::Response::new); tool objects are copied
//! verbatim, never re-serialised.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::{RawValue, to_raw_value};

use super::Method;
use crate::error::Error;
use crate::jsonrpc::{ErrorResponse, Id, Notification};
use crate::version::ProtocolVersion;

/// Who may reuse a cached 2026-07-28 result (`cacheScope`), like HTTP
/// `Cache-Control: private` / `public`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheScope {
    /// Only within the same authorization context: per-tenant lists. The default.
    #[default]
    Private,
    /// Anyone, across authorization contexts.
    Public,
}

/// The `ttlMs` + `cacheScope` pair of 2026-07-28 cacheable results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Cache {
    pub(super) ttl_ms: u64,
    pub(super) scope: CacheScope,
}

/// Builds a `tools/list` result from raw tool objects.
///
/// For 2026-07-28 the result carries `resultType: "complete"`, `ttlMs` and
/// `cacheScope` (default: `0`, `"private"` — immediately stale, never shared); older
/// versions get neither.
///
/// ```
/// use hangar_mcp::{CacheScope, Id, ProtocolVersion, Response, ToolListBuilder};
/// use serde_json::value::RawValue;
///
/// let charge = RawValue::from_string(r#"{"name":"charge","inputSchema":{"type":"object"}}"#.into())?;
/// let result = ToolListBuilder::new(ProtocolVersion::V2026_07_28)
///     .tool(&charge)
///     .cache(60_000, CacheScope::Private)
///     .build()?;
/// assert_eq!(
///     result.get(),
///     r#"{"tools":[{"name":"charge","inputSchema":{"type":"object"}}],"resultType":"complete","ttlMs":60000,"cacheScope":"private"}"#
/// );
/// let response = Response::new(Id::Number(7), result);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ToolListBuilder<'a> {
    version: ProtocolVersion,
    tools: Vec<&'a RawValue>,
    next_cursor: Option<Cow<'a, str>>,
    cache: Cache,
}

impl<'a> ToolListBuilder<'a> {
    /// An empty list for `version`.
    pub fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            tools: Vec::new(),
            next_cursor: None,
            cache: Cache::default(),
        }
    }

    /// Adds one tool object.
    #[must_use]
    pub fn tool(mut self, tool: &'a RawValue) -> Self {
        self.tools.push(tool);
        self
    }

    /// Adds tool objects.
    #[must_use]
    pub fn tools(mut self, tools: impl IntoIterator<Item = &'a RawValue>) -> Self {
        self.tools.extend(tools);
        self
    }

    /// Sets `nextCursor`: there are more tools after this page.
    #[must_use]
    pub fn next_cursor(mut self, cursor: impl Into<Cow<'a, str>>) -> Self {
        self.next_cursor = Some(cursor.into());
        self
    }

    /// Sets `ttlMs` and `cacheScope` (2026-07-28 only; ignored for older versions).
    #[must_use]
    pub fn cache(mut self, ttl_ms: u64, scope: CacheScope) -> Self {
        self.cache = Cache { ttl_ms, scope };
        self
    }

    /// The result object, raw.
    pub fn build(self) -> Result<Box<RawValue>, Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ToolList<'a> {
            tools: &'a [&'a RawValue],
            #[serde(skip_serializing_if = "Option::is_none")]
            next_cursor: Option<&'a str>,
            #[serde(flatten)]
            complete: Option<Complete>,
        }
        let complete = self
            .version
            .has_result_type()
            .then(|| Complete::new(self.cache));
        encode(&ToolList {
            tools: &self.tools,
            next_cursor: self.next_cursor.as_deref(),
            complete,
        })
    }
}

/// `resultType` + `ttlMs` + `cacheScope`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Complete {
    result_type: &'static str,
    ttl_ms: u64,
    cache_scope: CacheScope,
}

impl Complete {
    fn new(cache: Cache) -> Self {
        Self {
            result_type: "complete",
            ttl_ms: cache.ttl_ms,
            cache_scope: cache.scope,
        }
    }
}

impl Notification {
    /// `notifications/tools/list_changed`. On a 2026-07-28 `subscriptions/listen` stream
    /// pass the stream's id: it goes to `_meta["io.modelcontextprotocol/subscriptionId"]`.
    pub fn tools_list_changed(subscription_id: Option<&Id>) -> Result<Self, Error> {
        list_changed(Method::ToolsListChanged, subscription_id)
    }
}

/// A `notifications/*/list_changed` (or any other params-less) notification for `method`,
/// tagged with the subscription stream's id when given.
pub fn list_changed(method: Method, subscription_id: Option<&Id>) -> Result<Notification, Error> {
    #[derive(Serialize)]
    struct Params<'a> {
        #[serde(rename = "_meta")]
        meta: Meta<'a>,
    }
    #[derive(Serialize)]
    struct Meta<'a> {
        #[serde(rename = "io.modelcontextprotocol/subscriptionId")]
        subscription_id: &'a Id,
    }
    let params = subscription_id
        .map(|subscription_id| {
            encode(&Params {
                meta: Meta { subscription_id },
            })
        })
        .transpose()?;
    Ok(Notification::new(method.as_str(), params))
}

impl ErrorResponse {
    /// `-32602 Unknown tool: <name>`: the one answer for unknown, denied and withdrawn
    /// tools alike.
    pub fn unknown_tool(id: Id, name: &str) -> Self {
        Self::from_error(
            Some(id),
            &Error::UnknownTool {
                name: name.to_owned(),
            },
        )
    }
}

pub(super) fn empty_object() -> Result<Box<RawValue>, Error> {
    RawValue::from_string("{}".to_owned()).map_err(Error::Encode)
}

/// Serialises a builder's output; raw members are written verbatim by serde_json.
pub(super) fn encode<T: Serialize>(value: &T) -> Result<Box<RawValue>, Error> {
    to_raw_value(value).map_err(Error::Encode)
}
