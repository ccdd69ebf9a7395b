//! Typed views of the params the gateway reads for policy and routing. Each view names
//! only what the gateway needs; everything else stays raw (`&RawValue`) or is ignored, and
//! strings borrow from the message where they can. Read them with
//! [`Request::params_as`](crate::Request::params_as).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::jsonrpc::{Id, Request};

/// `clientInfo` / `serverInfo`: who is on the other side (self-reported, display only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Implementation<'a> {
    /// The software's name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The software's version.
    #[serde(borrow)]
    pub version: Cow<'a, str>,
}

/// `initialize` params (2025-03-26 … 2025-11-25).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams<'a> {
    /// The latest version the client supports; see
    /// [`ProtocolVersion::negotiate`](crate::ProtocolVersion::negotiate).
    #[serde(borrow)]
    pub protocol_version: Cow<'a, str>,
    /// The client's capabilities, raw.
    #[serde(borrow)]
    pub capabilities: &'a RawValue,
    /// The client software.
    #[serde(borrow)]
    pub client_info: Implementation<'a>,
}

/// The `_meta` every 2026-07-28 request carries (`io.modelcontextprotocol/*` keys).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestMeta<'a> {
    /// `io.modelcontextprotocol/protocolVersion`: the version of this request.
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow, default)]
    pub protocol_version: Option<Cow<'a, str>>,
    /// `io.modelcontextprotocol/clientInfo`.
    #[serde(rename = "io.modelcontextprotocol/clientInfo", borrow, default)]
    pub client_info: Option<Implementation<'a>>,
    /// `io.modelcontextprotocol/clientCapabilities`, raw.
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", borrow, default)]
    pub client_capabilities: Option<&'a RawValue>,
    /// `io.modelcontextprotocol/logLevel` (replaces `logging/setLevel`).
    #[serde(rename = "io.modelcontextprotocol/logLevel", borrow, default)]
    pub log_level: Option<Cow<'a, str>>,
    /// `progressToken`: where progress notifications for this request go.
    #[serde(rename = "progressToken", default)]
    pub progress_token: Option<Id>,
}

impl<'a> RequestMeta<'a> {
    /// Reads `params._meta` of `request`; absent params or `_meta` read as empty.
    pub fn of(request: &'a Request) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct WithMeta<'a> {
            #[serde(rename = "_meta", borrow, default)]
            meta: Option<RequestMeta<'a>>,
        }
        Ok(request
            .params_as::<WithMeta<'a>>()?
            .meta
            .unwrap_or_default())
    }
}

/// Params of the paginated lists: `tools/list`, `resources/list`,
/// `resources/templates/list`, `prompts/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct PaginatedParams<'a> {
    /// The opaque position returned as `nextCursor` by the previous page.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cow<'a, str>>,
}

/// `tools/call` params.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CallToolParams<'a> {
    /// The tool's name: what policy and routing decide on.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The tool arguments, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<&'a RawValue>,
    /// `_meta`, raw (progress token, 2026-07-28 protocol version and client info…).
    #[serde(
        rename = "_meta",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub meta: Option<&'a RawValue>,
}

/// Params naming one resource: `resources/read`, `resources/subscribe`,
/// `resources/unsubscribe`, and `notifications/resources/updated`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ResourceParams<'a> {
    /// The resource URI.
    #[serde(borrow)]
    pub uri: Cow<'a, str>,
}

/// `prompts/get` params.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GetPromptParams<'a> {
    /// The prompt's name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The prompt arguments, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<&'a RawValue>,
}

/// `completion/complete` params.
#[derive(Debug, Clone, Deserialize)]
pub struct CompleteParams<'a> {
    /// What is being completed: routing picks the back end that owns it.
    #[serde(rename = "ref")]
    pub reference: CompletionRef,
    /// The argument being completed, raw.
    #[serde(borrow, default)]
    pub argument: Option<&'a RawValue>,
}

/// The `ref` of a `completion/complete` request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum CompletionRef {
    /// `{"type":"ref/prompt","name":…}`
    #[serde(rename = "ref/prompt")]
    Prompt {
        /// The prompt's name.
        name: String,
    },
    /// `{"type":"ref/resource","uri":…}` (a resource template URI).
    #[serde(rename = "ref/resource")]
    Resource {
        /// The resource template URI.
        uri: String,
    },
}

/// `subscriptions/listen` params (2026-07-28).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct SubscriptionsListenParams {
    /// What the client opts in to on the stream.
    pub notifications: SubscriptionFilter,
}

/// The notifications a `subscriptions/listen` stream carries; everything is opt-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionFilter {
    /// `notifications/tools/list_changed`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tools_list_changed: bool,
    /// `notifications/prompts/list_changed`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prompts_list_changed: bool,
    /// `notifications/resources/list_changed`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resources_list_changed: bool,
    /// `notifications/resources/updated` for these URIs (replaces `resources/subscribe`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_subscriptions: Vec<String>,
}

/// `logging/setLevel` params (before 2026-07-28).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SetLevelParams<'a> {
    /// The minimum level, e.g. `info`.
    #[serde(borrow)]
    pub level: Cow<'a, str>,
}

/// `notifications/cancelled` params.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelledParams<'a> {
    /// The id of the request to cancel (mapped to the back end's id when forwarded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Id>,
    /// Why, for logs.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
}

/// `notifications/progress` params.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressParams<'a> {
    /// The token from the request's `_meta.progressToken`.
    pub progress_token: Id,
    /// Progress so far.
    pub progress: f64,
    /// The total, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// A human-readable message.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Cow<'a, str>>,
}

/// `notifications/message` (log message) params.
#[derive(Debug, Clone, Deserialize)]
pub struct LoggingMessageParams<'a> {
    /// The level, e.g. `error`.
    #[serde(borrow)]
    pub level: Cow<'a, str>,
    /// The logger's name.
    #[serde(borrow, default)]
    pub logger: Option<Cow<'a, str>>,
    /// The payload, raw.
    #[serde(borrow)]
    pub data: &'a RawValue,
}
