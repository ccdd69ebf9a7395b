//! Method dispatch for one decoded request: the handshake, discovery, `ping`, the
//! tools, by mode (front_door: the tenant's flat surface; egress: the `hangar_*`
//! management tools), and prompts, resources, completion and logging (passed through,
//! see `passthrough`).

use hangar_identity::CallerIdentity;
use hangar_mcp::transport::headers as header_name;
use hangar_mcp::{
    CacheScope, CallToolParams, DiscoverResultBuilder, Id, InitializeParams,
    InitializeResultBuilder, ProtocolVersion, Request, SubscriptionFilter,
    SubscriptionsListenParams, ToolListBuilder,
};
use hangar_policy::Mode;
use http::{HeaderValue, Response};
use serde_json::value::RawValue;

use crate::audit;
use crate::egress;
use crate::limits;
use crate::metrics;
use crate::passthrough::{self, Kind};
use crate::state::{Gateway, Snapshot};
use crate::stream;
use crate::trace::Trace;
use crate::upstream::{UpstreamError, UpstreamReply};
use crate::wire::{self, Body, Failure};

/// The software name in `serverInfo`.
pub(crate) const SERVER_NAME: &str = "mcp-hangar";
/// The software version in `serverInfo`.
pub(crate) const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a method needs about the request it answers.
pub(crate) struct Exchange<'a> {
    pub(crate) gateway: &'a std::sync::Arc<Gateway>,
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) caller: &'a CallerIdentity,
    /// The HTTP-level caller, who owns the session `initialize` opens (with per-message
    /// auth, `caller` is the message's own).
    pub(crate) session_owner: &'a CallerIdentity,
    pub(crate) version: ProtocolVersion,
    /// The request's trace (W3C trace context), handed to the back ends it reaches.
    pub(crate) trace: &'a Trace,
}

impl Exchange<'_> {
    /// Whether errors may name a back end: in egress, yes; in front_door, no — the flat
    /// surface does not tell callers which server holds a tool, nor do its errors.
    pub(crate) fn names_back_ends(&self) -> bool {
        !matches!(self.snapshot.policy.mode(), hangar_policy::Mode::FrontDoor)
    }
}

pub(crate) async fn dispatch(
    exchange: &Exchange<'_>,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let id = &request.id;
    let stateless = exchange.version.is_stateless();
    match request.method.as_str() {
        "initialize" if !stateless => initialize(exchange, request),
        "server/discover" if stateless => discover(exchange, id),
        "subscriptions/listen" if stateless => listen(exchange, request),
        "ping" => Ok(wire::result(id, raw("{}")?)),
        "tools/list" => tools_list(exchange, id),
        "tools/call" => {
            let call: CallToolParams<'_> = request
                .params_as()
                .map_err(|error| Failure::codec(Some(id.clone()), error))?;
            match exchange.snapshot.policy.mode() {
                Mode::FrontDoor => {
                    call_flat(exchange, id, &call.name, request.params.as_deref()).await
                }
                _ => egress::call(exchange, id, &call).await,
            }
        }
        "prompts/list" => passthrough::list(exchange, id, Kind::Prompts),
        "resources/list" => passthrough::list(exchange, id, Kind::Resources),
        "resources/templates/list" => passthrough::list(exchange, id, Kind::Templates),
        "prompts/get" => passthrough::get_prompt(exchange, request).await,
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
            passthrough::resource(exchange, request).await
        }
        "completion/complete" => passthrough::complete(exchange, request).await,
        "logging/setLevel" => passthrough::set_level(exchange, request).await,
        other => Err(Failure::codec(
            Some(id.clone()),
            hangar_mcp::Error::MethodNotFound {
                method: other.to_owned(),
            },
        )),
    }
}

fn initialize(exchange: &Exchange<'_>, request: &Request) -> Result<Response<Body>, Failure> {
    let id = &request.id;
    let params: InitializeParams<'_> = request
        .params_as()
        .map_err(|error| Failure::codec(Some(id.clone()), error))?;
    let version = ProtocolVersion::negotiate(&params.protocol_version);
    let capabilities = raw(&passthrough::capabilities(exchange.gateway))?;
    let result = InitializeResultBuilder::new(version, SERVER_NAME, SERVER_VERSION)
        .capabilities(&capabilities)
        .build()
        .map_err(|error| Failure::codec(Some(id.clone()), error))?;
    let session = exchange
        .gateway
        .sessions
        .create(exchange.session_owner, version);
    let mut response = wire::result(id, result);
    if let Ok(value) = HeaderValue::from_str(&session) {
        response
            .headers_mut()
            .insert(header_name::SESSION_ID, value);
    }
    Ok(response)
}

/// `subscriptions/listen` (2026-07-28): the answer is an event stream; the gateway honours
/// `toolsListChanged` only (the caller's surface; prompts and resources are not relayed).
fn listen(exchange: &Exchange<'_>, request: &Request) -> Result<Response<Body>, Failure> {
    let params: SubscriptionsListenParams = request
        .params_as()
        .map_err(|error| Failure::codec(Some(request.id.clone()), error))?;
    let honored = SubscriptionFilter {
        tools_list_changed: params.notifications.tools_list_changed,
        ..SubscriptionFilter::default()
    };
    Ok(stream::listen(
        std::sync::Arc::clone(exchange.gateway),
        exchange.caller.tenant_id.clone(),
        request.id.clone(),
        honored,
    ))
}

fn discover(exchange: &Exchange<'_>, id: &Id) -> Result<Response<Body>, Failure> {
    let capabilities = raw(&passthrough::capabilities(exchange.gateway))?;
    let result = DiscoverResultBuilder::new(SERVER_NAME, SERVER_VERSION)
        .supported_versions(&ProtocolVersion::ALL)
        .capabilities(&capabilities)
        .build()
        .map_err(|error| Failure::codec(Some(id.clone()), error))?;
    Ok(wire::result(id, result))
}

fn tools_list(exchange: &Exchange<'_>, id: &Id) -> Result<Response<Body>, Failure> {
    let builder = ToolListBuilder::new(exchange.version).cache(0, CacheScope::Private);
    let result = match exchange.snapshot.policy.mode() {
        Mode::FrontDoor => {
            let tools = exchange.gateway.tools();
            let surface = exchange.gateway.surface(
                exchange.snapshot,
                &tools,
                exchange.caller.tenant_id.as_deref(),
            );
            builder
                .tools(
                    surface
                        .visible()
                        .iter()
                        .filter_map(|tool| tools.tool(tool.server(), tool.name())),
                )
                .build()
        }
        _ => builder.tools(egress::tool_definitions()).build(),
    };
    let result = result.map_err(|error| Failure::codec(Some(id.clone()), error))?;
    Ok(wire::result(id, result))
}

/// front_door `tools/call`: the flat name routes through the caller's surface; unknown,
/// denied and withdrawn are the same `-32602 Unknown tool`.
async fn call_flat(
    exchange: &Exchange<'_>,
    id: &Id,
    name: &str,
    params: Option<&RawValue>,
) -> Result<Response<Body>, Failure> {
    let tools = exchange.gateway.tools();
    let surface = exchange.gateway.surface(
        exchange.snapshot,
        &tools,
        exchange.caller.tenant_id.as_deref(),
    );
    let route = surface
        .route(name)
        .and_then(|server| Some((server, exchange.snapshot.upstreams.get(server)?)));
    let Some((server, upstream)) = route else {
        audit::tool_hidden(exchange, None, name);
        exchange.snapshot.metrics.tool_denied();
        return Err(Failure::unknown_tool(id.clone(), name));
    };
    // Flat names are the back end's own names: the params go through untouched, except a
    // per-message credential (`params._auth`), which never leaves the gateway.
    let stripped = params.and_then(without_credential);
    let params = stripped.as_deref().or(params);
    // A slot of the back end's max_concurrency, held until it answered.
    let _slot = limits::backend_slot(exchange, id, server)
        .inspect_err(|_| audit::tool_busy(exchange, server, name))?;
    let started = audit::clock();
    // Forwarded with the request's trace context, and counted (metrics, stats).
    let reply = metrics::call_tool(exchange, upstream.as_ref(), name, params).await;
    // One audit record per allowed call, with the rule that allowed it and the latency.
    let reason = || surface.visible_tool(name).map(|tool| tool.reason().into());
    audit::tool_call(exchange, server, name, reason, started, &reply);
    forward(exchange, id, server, reply)
}

/// `params` without its `_auth` member (the per-message credential), or `None` when it has
/// none. Members are parsed only when the text may hold one (also via `\u` escapes).
pub(crate) fn without_credential(params: &RawValue) -> Option<Box<RawValue>> {
    let text = params.get();
    if !text.contains("_auth") && !text.contains("\\u") {
        return None;
    }
    let mut members: std::collections::BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(text).ok()?;
    members.remove("_auth")?;
    serde_json::value::to_raw_value(&members).ok()
}

/// A back end's answer (or failure) as the caller's answer, under the caller's id.
pub(crate) fn forward(
    exchange: &Exchange<'_>,
    id: &Id,
    server: &str,
    reply: Result<UpstreamReply, UpstreamError>,
) -> Result<Response<Body>, Failure> {
    match reply {
        Ok(UpstreamReply::Result(result)) => Ok(wire::result(id, result)),
        Ok(UpstreamReply::Error(error)) => Ok(wire::upstream_error(id, error)),
        Err(error) => {
            tracing::warn!(server, %error, "back end request failed");
            Err(wire::upstream_failure(
                id,
                &error,
                exchange.names_back_ends(),
            ))
        }
    }
}

/// Raw JSON from a constant or a serialised value.
pub(crate) fn raw(text: &str) -> Result<Box<RawValue>, Failure> {
    RawValue::from_string(text.to_owned())
        .map_err(|error| Failure::codec(None, hangar_mcp::Error::Encode(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_json(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("json")
    }

    #[test]
    fn the_per_message_credential_is_removed() {
        let plain = raw_json(r#"{"name":"charge","arguments":{"n":1e400}}"#);
        assert!(without_credential(&plain).is_none());
        let with = raw_json(r#"{"name":"charge","_auth":{"token":"t0k"},"arguments":{"n":1}}"#);
        let stripped = without_credential(&with).expect("stripped");
        assert_eq!(stripped.get(), r#"{"arguments":{"n":1},"name":"charge"}"#);
        let escaped = raw_json(r#"{"name":"charge","\u005fauth":{"token":"t0k"}}"#);
        let stripped = without_credential(&escaped).expect("stripped");
        assert!(!stripped.get().contains("t0k"));
    }
}
