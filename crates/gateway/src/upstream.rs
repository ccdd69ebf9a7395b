//! Back ends as the gateway sees them: the [`Upstream`] trait, the [`Upstreams`] registry
//! and [`FakeUpstream`], an in-memory back end for tests.
//!
//! The real back ends (`hangar_mcp::transport::Backend`, Streamable HTTP and stdio) are
//! [`BackendUpstream`](crate::BackendUpstream)s, one per `mcp_servers` entry that has no
//! registered [`Upstream`] (see `GatewayBuilder::build`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use hangar_mcp::transport::TraceContext;
use hangar_mcp::{ErrorObject, Notification};
use serde_json::value::RawValue;
use tokio::sync::broadcast;

/// A boxed, sendable future, as [`Upstream`]'s methods return (the trait stays object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a back end answered to one request.
#[derive(Debug)]
pub enum UpstreamReply {
    /// A JSON-RPC `result`, raw; the gateway sends it to the caller under the caller's id.
    Result(Box<RawValue>),
    /// A JSON-RPC `error` object; passed to the caller under the caller's id.
    Error(ErrorObject),
}

/// Why a back end could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The back end is not connected (not started, stopped, unreachable).
    #[error("back end {server} is unavailable")]
    Unavailable {
        /// The server name.
        server: String,
    },
    /// The back end did not answer in time.
    #[error("back end {server} timed out")]
    Timeout {
        /// The server name.
        server: String,
    },
    /// The transport failed (connection refused, child exited, …).
    #[error("back end {server} failed: {reason}")]
    Failed {
        /// The server name.
        server: String,
        /// What happened, as text.
        reason: String,
    },
    /// The back end answered something that is not MCP.
    #[error("back end {server} sent an invalid answer: {reason}")]
    Protocol {
        /// The server name.
        server: String,
        /// What was wrong.
        reason: String,
    },
    /// The real transport failed (its own error, which knows its JSON-RPC answer).
    #[error(transparent)]
    Transport(#[from] hangar_mcp::transport::TransportError),
}

/// A back end's health as the gateway reports it (`hangar_status`, `/health/ready`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamStatus {
    /// Connected and answering.
    Ready,
    /// Starting or connecting.
    Starting,
    /// Was ready, its last request failed; requests may still succeed.
    Degraded,
    /// Not connected (no transport yet, stopped, or failed).
    Down,
}

impl UpstreamStatus {
    /// `ready`, `starting` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Starting => "starting",
            Self::Degraded => "degraded",
            Self::Down => "down",
        }
    }
}

/// One back end (an MCP server the gateway forwards to).
///
/// Implementations own their connection and credentials; the gateway hands them only
/// the method and the params (never a caller header: no token passthrough) and rewrites
/// the JSON-RPC id itself, so an implementation uses ids of its own.
pub trait Upstream: Send + Sync + 'static {
    /// The server name, as in `mcp_servers`.
    fn name(&self) -> &str;

    /// The contents of the CA file this back end trusts for https (`ca_file`), as read
    /// when it was built; `None` without one. A reload compares it with the file on disk
    /// and rebuilds the back end when they differ (a CA removed from the bundle must stop
    /// being trusted).
    fn trust_anchors(&self) -> Option<&[u8]> {
        None
    }

    /// Sends one request and waits for its answer.
    fn request<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>>;

    /// Sends one request carrying the gateway hop's W3C trace context (`traceparent`,
    /// `tracestate`). Default: [`Upstream::request`], the context is not sent.
    fn request_traced<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
        trace: &'a TraceContext,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        let _ = trace;
        self.request(method, params)
    }

    /// The back end's tools, each the raw tool object of its `tools/list` (all pages).
    fn list_tools(&self) -> BoxFuture<'_, Result<Vec<Box<RawValue>>, UpstreamError>>;

    /// Every entry of one paginated list (`prompts/list`, `resources/list`,
    /// `resources/templates/list`): the raw objects under `field` of each page, following
    /// `nextCursor` for at most 100 pages. A back end that answers the list
    /// with a JSON-RPC error (it does not offer it) is [`UpstreamError::Protocol`].
    /// Default: pages through [`Upstream::request`].
    fn list<'a>(
        &'a self,
        method: &'a str,
        field: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Box<RawValue>>, UpstreamError>> {
        Box::pin(list_pages(self, method, field))
    }

    /// How many times the back end was restarted (a stdio child that exited); a change
    /// makes the gateway list it again. Default: 0.
    fn restarts(&self) -> u32 {
        0
    }

    /// The last transport error, as text (default: none known).
    fn last_error(&self) -> Option<String> {
        None
    }

    /// The back end's health. Default: [`UpstreamStatus::Ready`].
    fn status(&self) -> UpstreamStatus {
        UpstreamStatus::Ready
    }

    /// The notifications the back end sends (`notifications/tools/list_changed` makes the
    /// gateway fetch its tools again). Default: `None`, the back end never announces
    /// changes.
    fn subscribe(&self) -> Option<broadcast::Receiver<Notification>> {
        None
    }

    /// Starts the back end (spawns a subprocess, prepares a connection) without waiting
    /// for it; the gateway calls it once when it starts serving. Default: nothing.
    fn start(&self) {}

    /// Stops the back end (closes connections, ends a subprocess). Default: nothing.
    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// Most pages [`Upstream::list`] follows before it gives up.
pub(crate) const MAX_LIST_PAGES: usize = 100;

/// [`Upstream::list`]'s default: `method` page by page through `request`.
async fn list_pages<U: Upstream + ?Sized>(
    upstream: &U,
    method: &str,
    field: &str,
) -> Result<Vec<Box<RawValue>>, UpstreamError> {
    let protocol = |reason: String| UpstreamError::Protocol {
        server: upstream.name().to_owned(),
        reason,
    };
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_LIST_PAGES {
        let params = cursor
            .as_ref()
            .map(|c| RawValue::from_string(serde_json::json!({ "cursor": c }).to_string()))
            .transpose()
            .map_err(|error| protocol(error.to_string()))?;
        let page = match upstream.request(method, params.as_deref()).await? {
            UpstreamReply::Result(result) => result,
            UpstreamReply::Error(error) => {
                return Err(protocol(format!(
                    "{method} refused: {} {}",
                    error.code, error.message
                )));
            }
        };
        let mut page: serde_json::Map<String, serde_json::Value> = serde_json::from_str(page.get())
            .map_err(|error| protocol(format!("{method} result: {error}")))?;
        if let Some(serde_json::Value::Array(items)) = page.remove(field) {
            for item in items {
                if let Ok(raw) = serde_json::value::to_raw_value(&item) {
                    entries.push(raw);
                }
            }
        }
        match page.remove("nextCursor") {
            Some(serde_json::Value::String(next)) if !next.is_empty() => cursor = Some(next),
            _ => return Ok(entries),
        }
    }
    Err(protocol(format!(
        "{method} did not end within {MAX_LIST_PAGES} pages"
    )))
}

/// The back ends by name, in the order the config lists them.
#[derive(Clone, Default)]
pub struct Upstreams {
    order: Vec<Arc<dyn Upstream>>,
    by_name: HashMap<String, usize>,
}

impl fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.order.iter().map(|u| u.name()))
            .finish()
    }
}

impl Upstreams {
    /// No back end.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces, keeping its position) the back end named `upstream.name()`.
    pub fn insert(&mut self, upstream: Arc<dyn Upstream>) {
        match self.by_name.get(upstream.name()) {
            Some(&index) => self.order[index] = upstream,
            None => {
                self.by_name
                    .insert(upstream.name().to_owned(), self.order.len());
                self.order.push(upstream);
            }
        }
    }

    /// The back end called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Upstream>> {
        self.by_name.get(name).map(|&index| &self.order[index])
    }

    /// Every back end, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Arc<dyn Upstream>> + '_ {
        self.order.iter()
    }

    /// Whether a back end called `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }
}

/// A back end that is never there (tests): every request is
/// [`UpstreamError::Unavailable`], its tool list is empty, its status
/// [`UpstreamStatus::Down`].
#[derive(Debug, Clone)]
pub struct Unconnected {
    name: String,
}

impl Unconnected {
    /// A placeholder for `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

impl Upstream for Unconnected {
    fn name(&self) -> &str {
        &self.name
    }

    fn request<'a>(
        &'a self,
        _method: &'a str,
        _params: Option<&'a RawValue>,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        Box::pin(async move {
            Err(UpstreamError::Unavailable {
                server: self.name.clone(),
            })
        })
    }

    fn list_tools(&self) -> BoxFuture<'_, Result<Vec<Box<RawValue>>, UpstreamError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn status(&self) -> UpstreamStatus {
        UpstreamStatus::Down
    }
}

/// One request a [`FakeUpstream`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The JSON-RPC method.
    pub method: String,
    /// The params, as raw JSON text (`None` when absent).
    pub params: Option<String>,
    /// The `traceparent` the gateway sent with it (`None`: sent untraced).
    pub traceparent: Option<String>,
}

/// An in-memory back end for tests: serves a tool list (replaceable with
/// [`FakeUpstream::set_tools`], which announces `notifications/tools/list_changed`),
/// answers `tools/call` with a text result naming the tool and echoing the arguments,
/// and records every request. Clones share everything.
///
/// With [`FakeUpstream::with_prompts`], [`FakeUpstream::with_resources`] and
/// [`FakeUpstream::with_resource_templates`] it also offers prompts and resources
/// (listed two per page; `prompts/get`, `resources/read` and `completion/complete`
/// answer text naming the back end); a list it was given no entries for answers
/// `-32601` (not offered). `logging/setLevel` and `resources/(un)subscribe` answer `{}`.
#[derive(Debug, Clone)]
pub struct FakeUpstream {
    name: String,
    tools: Arc<Mutex<Vec<String>>>,
    prompts: Arc<Mutex<Vec<String>>>,
    resources: Arc<Mutex<Vec<String>>>,
    templates: Arc<Mutex<Vec<String>>>,
    received: Arc<Mutex<Vec<Received>>>,
    notifications: broadcast::Sender<Notification>,
    call_delay: std::time::Duration,
}

impl FakeUpstream {
    /// A back end called `name` listing `tools` (each gets a minimal input schema).
    pub fn new<I, S>(name: impl Into<String>, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            tools: Arc::new(Mutex::new(tools.into_iter().map(Into::into).collect())),
            prompts: Arc::default(),
            resources: Arc::default(),
            templates: Arc::default(),
            received: Arc::default(),
            notifications: broadcast::channel(16).0,
            call_delay: std::time::Duration::ZERO,
        }
    }

    /// Answers each `tools/call` only after `delay` (a slow back end; recorded at once).
    #[must_use]
    pub fn with_call_delay(mut self, delay: std::time::Duration) -> Self {
        self.call_delay = delay;
        self
    }

    /// Replaces the tool list and announces `notifications/tools/list_changed`.
    pub fn set_tools<I, S>(&self, tools: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        *self.tools.lock().unwrap_or_else(PoisonError::into_inner) =
            tools.into_iter().map(Into::into).collect();
        if let Ok(notification) = Notification::tools_list_changed(None) {
            // No subscriber yet is fine: the gateway lists tools when it starts.
            let _ = self.notifications.send(notification);
        }
    }

    /// Offers these prompts (by name).
    #[must_use]
    pub fn with_prompts<I: IntoIterator<Item = S>, S: Into<String>>(self, prompts: I) -> Self {
        *lock(&self.prompts) = prompts.into_iter().map(Into::into).collect();
        self
    }

    /// Offers these resources (by URI).
    #[must_use]
    pub fn with_resources<I: IntoIterator<Item = S>, S: Into<String>>(self, uris: I) -> Self {
        *lock(&self.resources) = uris.into_iter().map(Into::into).collect();
        self
    }

    /// Offers these resource templates (by URI template).
    #[must_use]
    pub fn with_resource_templates<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        templates: I,
    ) -> Self {
        *lock(&self.templates) = templates.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the prompts and announces `notifications/prompts/list_changed`.
    pub fn set_prompts<I: IntoIterator<Item = S>, S: Into<String>>(&self, prompts: I) {
        *lock(&self.prompts) = prompts.into_iter().map(Into::into).collect();
        if let Ok(notification) =
            hangar_mcp::list_changed(hangar_mcp::Method::PromptsListChanged, None)
        {
            let _ = self.notifications.send(notification);
        }
    }

    /// One page (two entries) of `entries` as `{field: [...], nextCursor}`; `None` when
    /// there are no entries (the list is not offered).
    fn page(
        entries: &Mutex<Vec<String>>,
        field: &str,
        key: &str,
        params: Option<&RawValue>,
    ) -> Option<serde_json::Value> {
        let entries = lock(entries).clone();
        if entries.is_empty() {
            return None;
        }
        let start = params
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p.get()).ok())
            .and_then(|p| p["cursor"].as_str().and_then(|c| c.parse::<usize>().ok()))
            .unwrap_or(0);
        let items: Vec<serde_json::Value> = entries
            .iter()
            .skip(start)
            .take(2)
            .map(|entry| serde_json::json!({ key: entry, "name": entry }))
            .collect();
        let mut page = serde_json::json!({ field: items });
        if start + 2 < entries.len() {
            page["nextCursor"] = serde_json::Value::String((start + 2).to_string());
        }
        Some(page)
    }

    fn tool_names(&self) -> Vec<String> {
        self.tools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records and answers one request (see [`Upstream::request`]).
    fn respond<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
        traceparent: Option<String>,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        self.record(method, params, traceparent);
        let reply = self.answer(method, params);
        let delay = if method == "tools/call" {
            self.call_delay
        } else {
            std::time::Duration::ZERO
        };
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok(reply)
        })
    }

    /// Records a request (the catalog fetches of prompts, resources and templates are
    /// not recorded, like `list_tools`: `received` is what callers caused).
    fn record(&self, method: &str, params: Option<&RawValue>, traceparent: Option<String>) {
        if !method.ends_with("/list") {
            lock(&self.received).push(Received {
                method: method.to_owned(),
                params: params.map(|p| p.get().to_owned()),
                traceparent,
            });
        }
    }

    /// Every request received so far, oldest first (list fetches excepted).
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn answer(&self, method: &str, params: Option<&RawValue>) -> UpstreamReply {
        #[derive(serde::Deserialize)]
        struct Call<'a> {
            #[serde(borrow)]
            name: std::borrow::Cow<'a, str>,
            #[serde(borrow, default)]
            arguments: Option<&'a RawValue>,
        }
        let raw = |text: String| RawValue::from_string(text).unwrap_or_else(|_| empty());
        match method {
            "tools/call" => {
                let Some(call) =
                    params.and_then(|p| serde_json::from_str::<Call<'_>>(p.get()).ok())
                else {
                    return UpstreamReply::Error(ErrorObject {
                        code: -32602,
                        message: "Invalid params".to_owned(),
                        data: None,
                    });
                };
                if !self.tool_names().iter().any(|t| *t == call.name) {
                    return UpstreamReply::Error(ErrorObject {
                        code: -32602,
                        message: format!("Unknown tool: {}", call.name),
                        data: None,
                    });
                }
                let text = format!(
                    "{}:{}:{}",
                    self.name,
                    call.name,
                    call.arguments.map_or("null", RawValue::get)
                );
                let body = serde_json::json!({"content": [{"type": "text", "text": text}]});
                UpstreamReply::Result(raw(body.to_string()))
            }
            "ping" | "logging/setLevel" | "resources/subscribe" | "resources/unsubscribe" => {
                UpstreamReply::Result(empty())
            }
            "prompts/list" | "resources/list" | "resources/templates/list" => {
                let (entries, field, key) = match method {
                    "prompts/list" => (&self.prompts, "prompts", "name"),
                    "resources/list" => (&self.resources, "resources", "uri"),
                    _ => (&self.templates, "resourceTemplates", "uriTemplate"),
                };
                match Self::page(entries, field, key, params) {
                    Some(page) => UpstreamReply::Result(raw(page.to_string())),
                    None => not_found(method),
                }
            }
            "prompts/get" | "resources/read" | "completion/complete" => {
                let params: serde_json::Value = params
                    .and_then(|p| serde_json::from_str(p.get()).ok())
                    .unwrap_or_default();
                let text = |what: &serde_json::Value| {
                    format!("{}:{}", self.name, what.as_str().unwrap_or_default())
                };
                let body = match method {
                    "prompts/get" => serde_json::json!({"messages": [{"role": "user",
                        "content": {"type": "text", "text": text(&params["name"])}}]}),
                    "resources/read" => serde_json::json!({"contents": [{
                        "uri": params["uri"], "text": text(&params["uri"])}]}),
                    _ => {
                        serde_json::json!({"completion": {"values": [self.name], "hasMore": false}})
                    }
                };
                UpstreamReply::Result(raw(body.to_string()))
            }
            other => not_found(other),
        }
    }
}

fn not_found(method: &str) -> UpstreamReply {
    UpstreamReply::Error(ErrorObject {
        code: -32601,
        message: format!("Method not found: {method}"),
        data: None,
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn empty() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("`{}` is valid JSON")
}

impl Upstream for FakeUpstream {
    fn name(&self) -> &str {
        &self.name
    }

    fn request<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        self.respond(method, params, None)
    }

    fn request_traced<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
        trace: &'a TraceContext,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        self.respond(method, params, Some(trace.traceparent.to_string()))
    }

    fn list_tools(&self) -> BoxFuture<'_, Result<Vec<Box<RawValue>>, UpstreamError>> {
        let tools = self
            .tool_names()
            .iter()
            .map(|name| {
                let tool = serde_json::json!({
                    "name": name,
                    "description": format!("{name} on {}", self.name),
                    "inputSchema": {"type": "object"},
                });
                RawValue::from_string(tool.to_string()).unwrap_or_else(|_| empty())
            })
            .collect();
        Box::pin(async move { Ok(tools) })
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Notification>> {
        Some(self.notifications.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fake_upstream_answers_and_records() {
        let fake = FakeUpstream::new("payments", ["charge"]);
        let params =
            RawValue::from_string(r#"{"name":"charge","arguments":{"a":1}}"#.into()).expect("json");
        let Ok(UpstreamReply::Result(result)) = fake.request("tools/call", Some(&params)).await
        else {
            panic!("a result")
        };
        assert!(result.get().contains(r#"payments:charge:{\"a\":1}"#));
        assert_eq!(fake.received().len(), 1);
        assert_eq!(fake.list_tools().await.expect("tools").len(), 1);
    }

    #[test]
    fn registry_keeps_order_and_replaces_in_place() {
        let mut upstreams = Upstreams::new();
        upstreams.insert(Arc::new(Unconnected::new("a")));
        upstreams.insert(Arc::new(Unconnected::new("b")));
        upstreams.insert(Arc::new(FakeUpstream::new("a", ["x"])));
        let names: Vec<&str> = upstreams.iter().map(|u| u.name()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            upstreams.get("a").map(|u| u.status()),
            Some(UpstreamStatus::Ready)
        );
    }
}
