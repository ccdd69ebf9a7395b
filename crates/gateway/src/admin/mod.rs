//! The admin API under `/api/admin/`: withdraw and restore tools at runtime, list the
//! withdrawals, show a tenant's effective surface with reasons, show, start and stop the
//! back ends, reload the config, read the counters.
//!
//! Every request is authenticated by the same [`hangar_identity::Authenticator`] as
//! `/mcp` (API key or JWT) and authorised by the identity crate's RBAC: reads need
//! `read`, withdraw, restore, start and stop need `mcp_servers:lifecycle`, reload needs
//! `config:reload`; a role confined to a
//! tenant (`operator@tenant:b`, or any role of a credential that carries a tenant) acts
//! on that tenant only, so global actions need an unconfined role. Refusals become wire
//! answers in `wire.rs`. See docs/admin-api.md.

use std::sync::Arc;

use bytes::Bytes;
use hangar_identity::{CallerIdentity, Permission, authorize};
use hangar_projection::{Overlays, WithdrawalKey, WithdrawnBy};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::audit;
use crate::pipeline;
use crate::state::{Gateway, Snapshot};
use crate::wire::{self, Body, Failure};

#[cfg(test)]
mod tests;

/// The admin API's path prefix.
pub(crate) const PREFIX: &str = "/api/admin/";

/// Largest admin request body (they are tiny JSON objects).
const MAX_BODY: usize = 64 * 1024;

/// `/api/admin/…`: every method, every path.
pub(crate) async fn handle(gateway: &Arc<Gateway>, request: Request<Incoming>) -> Response<Body> {
    // Inside the audit scope (request id, log), when the audit log is on.
    audit::answer(gateway, request, |request| run(gateway, request)).await
}

/// What an admin path names.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Withdraw { server: String, tool: String },
    Restore { server: String, tool: String },
    Withdrawals,
    TenantTools { tenant: String },
    Servers,
    Server { server: String },
    ServerTools { server: String },
    ServerStart { server: String },
    ServerStop { server: String },
    Reload,
    Stats,
}

impl Route {
    /// The method the route answers.
    fn method(&self) -> Method {
        match self {
            Self::Withdraw { .. }
            | Self::Restore { .. }
            | Self::ServerStart { .. }
            | Self::ServerStop { .. }
            | Self::Reload => Method::POST,
            _ => Method::GET,
        }
    }
}

/// Which of the lifecycle routes (they share one arm).
#[derive(Debug, Clone, Copy)]
enum RouteKind {
    Start,
    Other,
}

/// The route `path` names (segments percent-decoded), `Ok(None)` for no route.
fn parse_route(path: &str) -> Result<Option<Route>, Failure> {
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let segments = rest
        .split('/')
        .map(percent_decode)
        .collect::<Result<Vec<_>, _>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let route = match segments.as_slice() {
        ["tools", server, tool, "withdraw"] if named(server) && named(tool) => Route::Withdraw {
            server: (*server).to_owned(),
            tool: (*tool).to_owned(),
        },
        ["tools", server, tool, "restore"] if named(server) && named(tool) => Route::Restore {
            server: (*server).to_owned(),
            tool: (*tool).to_owned(),
        },
        ["withdrawals"] => Route::Withdrawals,
        ["tenants", tenant, "tools"] if named(tenant) => Route::TenantTools {
            tenant: (*tenant).to_owned(),
        },
        ["servers"] => Route::Servers,
        ["servers", server] if named(server) => Route::Server {
            server: (*server).to_owned(),
        },
        ["servers", server, "tools"] if named(server) => Route::ServerTools {
            server: (*server).to_owned(),
        },
        ["servers", server, "start"] if named(server) => Route::ServerStart {
            server: (*server).to_owned(),
        },
        ["servers", server, "stop"] if named(server) => Route::ServerStop {
            server: (*server).to_owned(),
        },
        ["reload"] => Route::Reload,
        ["stats"] => Route::Stats,
        _ => return Ok(None),
    };
    Ok(Some(route))
}

fn named(segment: &str) -> bool {
    !segment.is_empty()
}

/// `%XX` decoding of one path segment (tenant ids contain `:`, which clients may encode).
fn percent_decode(segment: &str) -> Result<String, Failure> {
    let bad = || {
        Failure::http(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("invalid percent-encoding in path segment {segment:?}"),
        )
    };
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

async fn run(
    gateway: &Arc<Gateway>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Failure> {
    let (parts, body) = request.into_parts();
    let snapshot = gateway.snapshot();
    // Origin first, as on /mcp: a foreign web page must not drive the admin API.
    pipeline::check_origin(gateway, &parts.headers)?;
    // The route before identity would tell strangers which paths exist: identity first.
    let caller = pipeline::authenticate(&snapshot, &parts).await?;
    let Some(route) = parse_route(parts.uri.path())? else {
        return Err(Failure::http(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such admin endpoint (see docs/admin-api.md)",
        ));
    };
    if parts.method != route.method() {
        return Err(Failure::http(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("use {} for this endpoint", route.method()),
        ));
    }
    let route_kind = match route {
        Route::ServerStart { .. } => RouteKind::Start,
        _ => RouteKind::Other,
    };
    match route {
        Route::Withdraw { server, tool } => {
            let tenant = target(&parts, body).await?;
            withdraw(gateway, &snapshot, &caller, &server, &tool, tenant).await
        }
        Route::Restore { server, tool } => {
            let tenant = target(&parts, body).await?;
            restore(gateway, &snapshot, &caller, &server, &tool, tenant).await
        }
        Route::Withdrawals => {
            allow(&snapshot, &caller, Permission::Read, None)?;
            Ok(withdrawals(gateway))
        }
        Route::TenantTools { tenant } => {
            allow(&snapshot, &caller, Permission::Read, Some(&tenant))?;
            Ok(wire::document(&gateway.surface_report(&tenant)))
        }
        Route::Servers => {
            allow(&snapshot, &caller, Permission::Read, None)?;
            let servers: Vec<ServerLine<'_>> = snapshot
                .config
                .mcp_servers
                .iter()
                .map(|server| server_line(gateway, &snapshot, &server.name))
                .collect();
            Ok(wire::document(&serde_json::json!({ "servers": servers })))
        }
        Route::Server { server } => {
            allow(&snapshot, &caller, Permission::Read, None)?;
            known_server(&snapshot, &server)?;
            Ok(wire::document(&server_line(gateway, &snapshot, &server)))
        }
        Route::ServerTools { server } => {
            allow(&snapshot, &caller, Permission::Read, None)?;
            known_server(&snapshot, &server)?;
            let catalog = gateway.tools();
            let tools: Vec<&RawValue> = catalog.server_tools(&server).unwrap_or_default();
            Ok(wire::document(&ServerTools {
                mcp_server: &server,
                listed: catalog.catalog.has_server(&server),
                tools,
            }))
        }
        Route::ServerStart { server } | Route::ServerStop { server } => {
            allow(&snapshot, &caller, Permission::McpServersLifecycle, None)?;
            let start = matches!(route_kind, RouteKind::Start);
            let outcome = if start {
                gateway.start_server(&server).await
            } else {
                gateway.stop_server(&server).await
            };
            outcome.map_err(|error| wire::lifecycle_failure(&error))?;
            let action = if start { "start" } else { "stop" };
            audit::admin(&caller, action, &server, "*", None);
            let current = gateway.snapshot();
            Ok(wire::document(&server_line(gateway, &current, &server)))
        }
        Route::Reload => {
            allow(&snapshot, &caller, Permission::ConfigReload, None)?;
            drop(snapshot);
            let outcome = gateway.reload().await;
            match &outcome {
                Ok(_) => audit::admin(&caller, "reload", "*", "*", None),
                Err(error) => audit::admin_failed(&caller, "reload", error.audit_reason()),
            }
            match outcome {
                Ok(changed) => Ok(wire::document(&serde_json::json!({
                    "reloaded": true,
                    "changed": changed,
                }))),
                Err(error) => Ok(wire::reload_failure(&error)),
            }
        }
        Route::Stats => {
            allow(&snapshot, &caller, Permission::Read, None)?;
            Ok(wire::document(&gateway.stats.report(&snapshot.metrics)))
        }
    }
}

/// RBAC: `permission` on `tenant` (`None`: a global action).
pub(crate) fn allow(
    snapshot: &Snapshot,
    caller: &CallerIdentity,
    permission: Permission,
    tenant: Option<&str>,
) -> Result<(), Failure> {
    authorize(caller, permission, tenant).map_err(|rejection| {
        audit::admin_denied(caller, permission.as_str(), tenant);
        snapshot.metrics.auth_refused(&rejection);
        wire::refused(&snapshot.authenticator, &rejection)
    })
}

fn known_server(snapshot: &Snapshot, server: &str) -> Result<(), Failure> {
    if snapshot.config.server(server).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = snapshot
        .config
        .mcp_servers
        .iter()
        .map(|server| server.name.as_str())
        .collect();
    Err(Failure::http(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no MCP server named {server:?} (configured: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ),
    ))
}

/// The body of withdraw / restore: `{"tenant_id": "tenant:b"}`; none, `{}` and
/// `{"tenant_id": null}` mean every tenant.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    #[serde(default)]
    tenant_id: Option<String>,
}

async fn target(parts: &Parts, body: Incoming) -> Result<Option<String>, Failure> {
    let bytes: Bytes = pipeline::read_body(&parts.headers, body, MAX_BODY).await?;
    parse_target(&bytes)
}

fn parse_target(bytes: &[u8]) -> Result<Option<String>, Failure> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // An object only (serde would also read a struct from an array).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Failure::http(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "invalid body: expected a JSON object {\"tenant_id\": \"<tenant>\"}, or no body for every tenant",
        ));
    }
    let target: Target = serde_json::from_slice(bytes).map_err(|error| {
        Failure::http(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "invalid body: {error} (expected {{\"tenant_id\": \"<tenant>\"}}, or no body for every tenant)"
            ),
        )
    })?;
    match target.tenant_id {
        Some(tenant) if tenant.is_empty() => Err(Failure::http(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "tenant_id is empty (use null or no body for every tenant)",
        )),
        tenant => Ok(tenant),
    }
}

#[derive(Debug, Serialize)]
struct Withdrawn<'a> {
    withdrawn: bool,
    mcp_server: &'a str,
    tool: &'a str,
    tenant_id: Option<&'a str>,
    known: bool,
}

#[derive(Debug, Serialize)]
struct Restored<'a> {
    restored: bool,
    mcp_server: &'a str,
    tool: &'a str,
    tenant_id: Option<&'a str>,
    known: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    still_withdrawn_by_config: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    still_withdrawn: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Runs `write` on the overlay store for `key` on a blocking thread, then `count` (the
/// metrics) with what it did, and records `caller`'s `action` in the audit log; returns
/// once all are done, so the answer follows the change. A store commit waits for the
/// disk (fsync): the other connections of the serving thread the request came in on must
/// not wait with it. All of it runs in a task of its own, within the request's audit
/// scope: a change, once begun, gets its audit record even if the client goes away.
async fn store_change<T: Send + 'static>(
    gateway: &Arc<Gateway>,
    caller: &CallerIdentity,
    action: &'static str,
    key: WithdrawalKey,
    write: impl FnOnce(&Overlays, &WithdrawalKey) -> hangar_projection::Result<T> + Send + 'static,
    count: impl FnOnce(&T) + Send + 'static,
) -> Result<T, Failure> {
    let owner = Arc::clone(gateway);
    let who = caller.clone();
    let change = async move {
        let written = tokio::task::spawn_blocking(move || {
            let outcome = write(owner.overlays(), &key);
            (outcome, key)
        })
        .await;
        if let Ok((Ok(done), key)) = &written {
            count(done);
            audit::admin(&who, action, key.server(), key.tool(), key.tenant());
        }
        written.map(|(outcome, _)| outcome)
    };
    match tokio::spawn(audit::carry_scope(change)).await {
        Ok(Ok(Ok(done))) => Ok(done),
        Ok(Ok(Err(error))) => Err(wire::store_failure(&error)),
        Ok(Err(_)) | Err(_) => Err(Failure::http(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the overlay store write did not finish (nothing acknowledged)",
        )),
    }
}

/// The key a withdrawal or restore changes, once the caller may change it (lifecycle
/// permission on the tenant, or globally without one) and the server is configured.
fn change_key(
    snapshot: &Snapshot,
    caller: &CallerIdentity,
    server: &str,
    tool: &str,
    tenant: Option<&str>,
) -> Result<WithdrawalKey, Failure> {
    allow(snapshot, caller, Permission::McpServersLifecycle, tenant)?;
    known_server(snapshot, server)?;
    Ok(WithdrawalKey::new(server, tool, tenant))
}

async fn withdraw(
    gateway: &Arc<Gateway>,
    snapshot: &Snapshot,
    caller: &CallerIdentity,
    server: &str,
    tool: &str,
    tenant: Option<String>,
) -> Result<Response<Body>, Failure> {
    let key = change_key(snapshot, caller, server, tool, tenant.as_deref())?;
    // Written to the store first; the epoch moves before `withdraw` returns, so the
    // next tools/list (and every open stream) sees it before this answer is sent.
    let actor = caller.subject.clone();
    let metrics = Arc::clone(&snapshot.metrics);
    store_change(
        gateway,
        caller,
        "withdraw",
        key,
        move |overlays, key| overlays.withdraw(key, &actor),
        move |outcome| {
            if outcome.changed() {
                metrics.withdrawal_change(true);
            }
        },
    )
    .await?;
    Ok(wire::document(&Withdrawn {
        withdrawn: true,
        mcp_server: server,
        tool,
        tenant_id: tenant.as_deref(),
        known: gateway.tools().catalog.contains(server, tool),
    }))
}

async fn restore(
    gateway: &Arc<Gateway>,
    snapshot: &Snapshot,
    caller: &CallerIdentity,
    server: &str,
    tool: &str,
    tenant: Option<String>,
) -> Result<Response<Body>, Failure> {
    let key = change_key(snapshot, caller, server, tool, tenant.as_deref())?;
    let metrics = Arc::clone(&snapshot.metrics);
    let outcome = store_change(
        gateway,
        caller,
        "restore",
        key,
        |overlays, key| overlays.restore(key),
        move |outcome| {
            if outcome.removed() {
                metrics.withdrawal_change(false);
            }
        },
    )
    .await?;
    let still = outcome.still_withdrawn_by();
    let message = still.map(|by| {
        if by.is_config() {
            format!(
                "the runtime withdrawal is cleared but the tool stays {by}; edit the config and reload to restore it"
            )
        } else {
            format!("the tool stays {by}; restore it for every tenant (no tenant_id) to bring it back")
        }
    });
    Ok(wire::document(&Restored {
        restored: true,
        mcp_server: server,
        tool,
        tenant_id: tenant.as_deref(),
        known: gateway.tools().catalog.contains(server, tool),
        still_withdrawn_by_config: still.is_some_and(WithdrawnBy::is_config),
        still_withdrawn: still.is_some(),
        message,
    }))
}

/// `GET /api/admin/withdrawals`: config entries as declared, then runtime entries.
fn withdrawals(gateway: &Gateway) -> Response<Body> {
    #[derive(Serialize)]
    struct Line {
        #[serde(flatten)]
        by: WithdrawnBy,
        tenant_id: Option<String>,
        reason: String,
    }
    let lines: Vec<Line> = gateway
        .overlays()
        .list()
        .into_iter()
        .map(|by| Line {
            tenant_id: by.tenant().map(str::to_owned),
            reason: by.to_string(),
            by,
        })
        .collect();
    wire::document(&serde_json::json!({ "withdrawals": lines }))
}

#[derive(Debug, Serialize)]
pub(crate) struct ServerLine<'a> {
    id: &'a str,
    /// `ready`, `starting`, `degraded`, `down` or `stopped`.
    pub(crate) state: &'static str,
    transport: &'static str,
    description: Option<&'a str>,
    /// `None` until the back end's tools were listed once.
    pub(crate) tool_count: Option<usize>,
    last_error: Option<String>,
}

pub(crate) fn server_line<'a>(
    gateway: &Gateway,
    snapshot: &'a Snapshot,
    server: &'a str,
) -> ServerLine<'a> {
    let config = snapshot.config.server(server);
    let upstream = snapshot.upstreams.get(server);
    let tools = gateway.tools();
    ServerLine {
        id: server,
        state: if gateway.is_stopped(server) {
            "stopped"
        } else {
            upstream.map_or("down", |u| u.status().as_str())
        },
        transport: match config.map(|c| &c.transport) {
            Some(hangar_config::Transport::Stdio { .. }) => "stdio",
            _ => "remote",
        },
        description: config.and_then(|c| c.description.as_deref()),
        tool_count: tools.catalog.tools(server).map(|tools| tools.len()),
        last_error: upstream.and_then(|u| u.last_error()),
    }
}

#[derive(Debug, Serialize)]
struct ServerTools<'a> {
    mcp_server: &'a str,
    /// Whether the back end's tools were listed at least once.
    listed: bool,
    tools: Vec<&'a RawValue>,
}
