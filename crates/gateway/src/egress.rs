//! egress mode: the gateway's own `hangar_*` management tools. Each back-end tool they
//! reach is checked against the same policy and overlays, with the caller's tenant, as a
//! front_door call would be.

use std::sync::OnceLock;

use hangar_mcp::{CallToolParams, Id};
use hangar_policy::Caller;
use http::Response;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::audit;
use crate::limits;
use crate::methods::{Exchange, forward, raw};
use crate::metrics;
use crate::wire::{self, Body, Failure};

/// The management tools, as `tools/list` objects.
const DEFINITIONS: [&str; 4] = [
    r#"{"name":"hangar_list_servers","description":"List the MCP servers behind this gateway.","inputSchema":{"type":"object","properties":{}}}"#,
    r#"{"name":"hangar_list_tools","description":"List the tools of one MCP server that you may call.","inputSchema":{"type":"object","properties":{"server":{"type":"string","description":"The server name."}},"required":["server"]}}"#,
    r#"{"name":"hangar_call","description":"Call a tool on an MCP server.","inputSchema":{"type":"object","properties":{"server":{"type":"string"},"tool":{"type":"string"},"arguments":{"type":"object"}},"required":["server","tool"]}}"#,
    r#"{"name":"hangar_status","description":"The gateway's mode and the state of each MCP server.","inputSchema":{"type":"object","properties":{}}}"#,
];

/// The management tools, parsed once.
pub(crate) fn tool_definitions() -> impl Iterator<Item = &'static RawValue> {
    static PARSED: OnceLock<Vec<Box<RawValue>>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            DEFINITIONS
                .iter()
                .filter_map(|text| RawValue::from_string((*text).to_owned()).ok())
                .collect()
        })
        .iter()
        .map(|raw| &**raw)
}

#[derive(Deserialize)]
struct ServerArg {
    server: String,
}

#[derive(Deserialize)]
struct CallArgs<'a> {
    server: String,
    tool: String,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
}

/// `tools/call` in egress mode.
pub(crate) async fn call(
    exchange: &Exchange<'_>,
    id: &Id,
    call: &CallToolParams<'_>,
) -> Result<Response<Body>, Failure> {
    match &*call.name {
        "hangar_list_servers" => tool_result(id, &list_servers(exchange)),
        "hangar_status" => tool_result(id, &status(exchange)),
        "hangar_list_tools" => {
            let ServerArg { server } = arguments(id, call.arguments)?;
            let tools = list_tools(exchange, id, &server)?;
            tool_result(id, &json!({"server": server, "tools": tools}))
        }
        "hangar_call" => {
            let args: CallArgs<'_> = arguments(id, call.arguments)?;
            let upstream = exchange
                .snapshot
                .upstreams
                .get(&args.server)
                .filter(|_| allowed(exchange, &args.server, &args.tool));
            let Some(upstream) = upstream else {
                audit::tool_hidden(exchange, Some(&args.server), &args.tool);
                exchange.snapshot.metrics.tool_denied();
                return Err(Failure::unknown_tool(id.clone(), &args.tool));
            };
            let params = json!({"name": args.tool, "arguments": args.arguments});
            let params = raw(&params.to_string())?;
            let _slot = limits::backend_slot(exchange, id, &args.server)
                .inspect_err(|_| audit::tool_busy(exchange, &args.server, &args.tool))?;
            let started = audit::clock();
            // Forwarded with the request's trace context, and counted (metrics, stats).
            let reply =
                metrics::call_tool(exchange, upstream.as_ref(), &args.tool, Some(&params)).await;
            // One audit record per allowed call, with the rule that allowed it.
            let reason = || Some(allow_rule(exchange, &args.server, &args.tool).into());
            audit::tool_call(exchange, &args.server, &args.tool, reason, started, &reply);
            forward(exchange, id, &args.server, reply)
        }
        other => {
            exchange.snapshot.metrics.tool_denied();
            Err(Failure::unknown_tool(id.clone(), other))
        }
    }
}

/// The policy rule that allows the caller `server`/`tool` (for the audit record).
fn allow_rule(exchange: &Exchange<'_>, server: &str, tool: &str) -> String {
    let tenant = exchange.caller.tenant_id.as_deref();
    let caller = tenant.map_or_else(Caller::anonymous, Caller::tenant);
    let decision = exchange.snapshot.policy.decide(&caller, server, tool);
    decision.rule().to_string()
}

/// Whether the caller may see and call `server`/`tool`: listed by the back end, not
/// withdrawn for the caller's tenant, allowed by the policy.
pub(crate) fn allowed(exchange: &Exchange<'_>, server: &str, tool: &str) -> bool {
    let tenant = exchange.caller.tenant_id.as_deref();
    let caller = tenant.map_or_else(Caller::anonymous, Caller::tenant);
    exchange.gateway.tools().catalog.contains(server, tool)
        && exchange
            .gateway
            .overlays()
            .check(server, tool, tenant)
            .is_none()
        && exchange
            .snapshot
            .policy
            .decide(&caller, server, tool)
            .is_allowed()
}

fn list_servers(exchange: &Exchange<'_>) -> Value {
    let config = &exchange.snapshot.config;
    let servers: Vec<Value> = exchange
        .snapshot
        .upstreams
        .iter()
        .map(|upstream| {
            let description = config
                .server(upstream.name())
                .and_then(|server| server.description.clone());
            json!({
                "name": upstream.name(),
                "description": description,
                "status": upstream.status().as_str(),
            })
        })
        .collect();
    json!({ "servers": servers })
}

fn list_tools(exchange: &Exchange<'_>, id: &Id, server: &str) -> Result<Vec<Value>, Failure> {
    if !exchange.snapshot.upstreams.contains(server) {
        return Err(Failure::rpc(
            id.clone(),
            -32602,
            format!("Unknown server: {server}"),
        ));
    }
    let tools = exchange.gateway.tools();
    let Some(names) = tools.catalog.tools(server) else {
        return Ok(Vec::new());
    };
    Ok(names
        .filter(|tool| allowed(exchange, server, tool))
        .filter_map(|tool| tools.tool(server, tool))
        .filter_map(|raw| serde_json::from_str(raw.get()).ok())
        .collect())
}

fn status(exchange: &Exchange<'_>) -> Value {
    let tools = exchange.gateway.tools();
    let servers: Vec<Value> = exchange
        .snapshot
        .upstreams
        .iter()
        .map(|upstream| {
            let count = tools.catalog.tools(upstream.name()).map_or(0, |t| t.len());
            json!({
                "name": upstream.name(),
                "status": upstream.status().as_str(),
                "tools": count,
            })
        })
        .collect();
    json!({
        "mode": exchange.snapshot.policy.mode().as_str(),
        "ready": exchange.gateway.is_ready(),
        "sessions": exchange.gateway.sessions.len(),
        "servers": servers,
    })
}

fn arguments<'a, T: Deserialize<'a>>(id: &Id, raw: Option<&'a RawValue>) -> Result<T, Failure> {
    let text = raw.map_or("{}", RawValue::get);
    serde_json::from_str(text)
        .map_err(|error| Failure::rpc(id.clone(), -32602, format!("Invalid params: {error}")))
}

/// A `CallToolResult` carrying `value` as text and as structured content.
fn tool_result(id: &Id, value: &Value) -> Result<Response<Body>, Failure> {
    let result = json!({
        "content": [{"type": "text", "text": value.to_string()}],
        "structuredContent": value,
    });
    Ok(wire::result(id, raw(&result.to_string())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_parse_and_are_reserved_names() {
        let names: Vec<String> = tool_definitions()
            .map(|raw| {
                let value: Value = serde_json::from_str(raw.get()).expect("json");
                value["name"].as_str().expect("name").to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "hangar_list_servers",
                "hangar_list_tools",
                "hangar_call",
                "hangar_status"
            ]
        );
        assert!(
            names
                .iter()
                .all(|n| n.starts_with(hangar_projection::RESERVED_PREFIX))
        );
    }
}
