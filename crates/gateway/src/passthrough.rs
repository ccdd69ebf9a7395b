//! Requests other than tools: prompts, resources, resource templates, completion and
//! logging, passed through to the one back end that owns them, under the tenant policy.
//!
//! Which back ends a caller reaches: in front_door those with at least one tool on the
//! caller's surface (policy and withdrawals; no tenant reaches nothing); in egress every
//! back end unless the caller may call none of its listed tools. The per-back-end lists
//! are cached beside the tool catalog ([`Listings`]) and refreshed with it, on a back
//! end's `notifications/prompts/list_changed` / `notifications/resources/list_changed`,
//! and after a stdio back end restarts. A name (prompts), URI (resources) or URI
//! template listed by two back ends belongs to neither: it is dropped from the merged
//! lists and unknown to `prompts/get`, `resources/read` and `completion/complete`, like a
//! colliding tool name.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hangar_mcp::{CompleteParams, CompletionRef, GetPromptParams, Id, Request, ResourceParams};
use hangar_policy::Mode;
use http::Response;
use serde_json::value::RawValue;

use crate::egress;
use crate::limits;
use crate::methods::{Exchange, forward, raw, without_credential};
use crate::state::Gateway;
use crate::upstream::{Upstream, UpstreamError, UpstreamReply};
use crate::wire::{self, Body, Failure};

/// One of the lists a back end may offer besides its tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `prompts/list`, keyed by `name`.
    Prompts,
    /// `resources/list`, keyed by `uri`.
    Resources,
    /// `resources/templates/list`, keyed by `uriTemplate`.
    Templates,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Prompts, Kind::Resources, Kind::Templates];

    fn method(self) -> &'static str {
        match self {
            Self::Prompts => "prompts/list",
            Self::Resources => "resources/list",
            Self::Templates => "resources/templates/list",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Self::Prompts => "prompts",
            Self::Resources => "resources",
            Self::Templates => "resourceTemplates",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Prompts => "name",
            Self::Resources => "uri",
            Self::Templates => "uriTemplate",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One back end's entries of one list: each raw object under its key, in the back end's
/// order (an entry without a string key is dropped; of duplicates the first is kept).
#[derive(Debug, Default)]
struct Entries {
    items: Vec<(String, Box<RawValue>)>,
}

impl Entries {
    fn new(server: &str, kind: Kind, raw: Vec<Box<RawValue>>) -> Self {
        let mut seen = HashSet::new();
        let mut items = Vec::with_capacity(raw.len());
        for entry in raw {
            let key =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(entry.get())
                    .ok()
                    .and_then(|object| object.get(kind.key())?.as_str().map(str::to_owned));
            match key {
                Some(key) if seen.insert(key.clone()) => items.push((key, entry)),
                Some(_) => {}
                None => tracing::warn!(
                    server,
                    list = kind.method(),
                    "dropped an entry without a key"
                ),
            }
        }
        Self { items }
    }

    fn contains(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| k == key)
    }
}

/// Every back end's prompts, resources and resource templates; `None` where a back end
/// does not offer (or never answered) a list.
#[derive(Debug, Default, Clone)]
pub(crate) struct Listings {
    by_server: HashMap<String, [Option<Arc<Entries>>; 3]>,
}

impl Listings {
    /// Whether any back end offers `kind`.
    pub(crate) fn offers(&self, kind: Kind) -> bool {
        self.by_server
            .values()
            .any(|lists| lists[kind.index()].is_some())
    }

    fn entries(&self, server: &str, kind: Kind) -> Option<&Entries> {
        self.by_server.get(server)?[kind.index()].as_deref()
    }

    /// The one back end listing `key` in `kind`; `None` when none or several do.
    fn owner(&self, kind: Kind, key: &str) -> Option<&str> {
        let mut owners = self.by_server.iter().filter(|(_, lists)| {
            lists[kind.index()]
                .as_ref()
                .is_some_and(|entries| entries.contains(key))
        });
        let (server, _) = owners.next()?;
        owners.next().is_none().then_some(server.as_str())
    }

    /// Keys of `kind` listed by several back ends, with those back ends.
    fn collisions(&self, kind: Kind) -> Vec<(&str, Vec<&str>)> {
        let mut by_key: HashMap<&str, Vec<&str>> = HashMap::new();
        for (server, lists) in &self.by_server {
            if let Some(entries) = &lists[kind.index()] {
                for (key, _) in &entries.items {
                    by_key.entry(key).or_default().push(server);
                }
            }
        }
        by_key
            .into_iter()
            .filter(|(_, servers)| servers.len() > 1)
            .collect()
    }
}

impl Gateway {
    /// Fetches `server`'s lists of `kinds` again. A list the back end refuses (it does
    /// not offer it) becomes `None`; a back end that cannot be reached keeps what it had.
    pub(crate) async fn refresh_listings(&self, server: &str, kinds: &[Kind]) {
        let snapshot = self.snapshot();
        let Some(upstream) = snapshot.upstreams.get(server) else {
            return;
        };
        let mut fetched = Vec::with_capacity(kinds.len());
        for &kind in kinds {
            match upstream.list(kind.method(), kind.field()).await {
                Ok(raw) => fetched.push((kind, Some(Arc::new(Entries::new(server, kind, raw))))),
                Err(UpstreamError::Protocol { reason, .. }) => {
                    tracing::debug!(server, list = kind.method(), reason, "list not offered");
                    fetched.push((kind, None));
                }
                Err(error) => {
                    tracing::warn!(server, list = kind.method(), %error, "cannot list");
                }
            }
        }
        if fetched.is_empty() {
            return;
        }
        let updated = self.listings.rcu(|current| {
            let mut next = Listings::clone(current);
            let lists = next.by_server.entry(server.to_owned()).or_default();
            for (kind, entries) in &fetched {
                lists[kind.index()].clone_from(entries);
            }
            next
        });
        drop(updated);
        let listings = self.listings();
        for &kind in kinds {
            for (key, servers) in listings.collisions(kind) {
                tracing::warn!(
                    list = kind.method(),
                    key,
                    ?servers,
                    "listed by several back ends: dropped from the merged list"
                );
            }
        }
    }

    pub(crate) fn listings(&self) -> Arc<Listings> {
        self.listings.load_full()
    }
}

/// The back ends the caller reaches for prompts, resources, completion and logging.
fn reachable(exchange: &Exchange<'_>) -> HashSet<String> {
    let snapshot = exchange.snapshot;
    match snapshot.policy.mode() {
        Mode::FrontDoor => {
            let Some(tenant) = exchange.caller.tenant_id.as_deref() else {
                return HashSet::new();
            };
            let tools = exchange.gateway.tools();
            let surface = exchange.gateway.surface(snapshot, &tools, Some(tenant));
            surface
                .visible()
                .iter()
                .map(|tool| tool.server().to_owned())
                .collect()
        }
        _ => {
            let tools = exchange.gateway.tools();
            snapshot
                .upstreams
                .iter()
                .map(|upstream| upstream.name())
                .filter(|server| match tools.catalog.tools(server) {
                    Some(mut names) if names.len() > 0 => {
                        names.any(|tool| egress::allowed(exchange, server, tool))
                    }
                    _ => true,
                })
                .map(str::to_owned)
                .collect()
        }
    }
}

/// `prompts/list`, `resources/list`, `resources/templates/list`: one page merging every
/// reachable back end's entries (the caller's cursor is ignored; nothing is paged).
pub(crate) fn list(
    exchange: &Exchange<'_>,
    id: &Id,
    kind: Kind,
) -> Result<Response<Body>, Failure> {
    let reachable = reachable(exchange);
    let listings = exchange.gateway.listings();
    let mut items: Vec<&str> = Vec::new();
    for upstream in exchange.snapshot.upstreams.iter() {
        let server = upstream.name();
        if !reachable.contains(server) {
            continue;
        }
        let Some(entries) = listings.entries(server, kind) else {
            continue;
        };
        items.extend(
            entries
                .items
                .iter()
                .filter(|(key, _)| listings.owner(kind, key) == Some(server))
                .map(|(_, raw)| raw.get()),
        );
    }
    let cache = if exchange.version.is_stateless() {
        r#","resultType":"complete","ttlMs":0,"cacheScope":"private""#
    } else {
        ""
    };
    let text = format!(r#"{{"{}":[{}]{cache}}}"#, kind.field(), items.join(","));
    Ok(wire::result(id, raw(&text)?))
}

/// The reachable back end that alone lists `key` in one of `kinds` (the first that has
/// an owner).
fn route<'e>(
    exchange: &'e Exchange<'_>,
    kinds: &[Kind],
    key: &str,
) -> Option<(String, &'e Arc<dyn Upstream>)> {
    let listings = exchange.gateway.listings();
    let server = kinds
        .iter()
        .find_map(|&kind| listings.owner(kind, key))?
        .to_owned();
    if !reachable(exchange).contains(&server) {
        return None;
    }
    let upstream = exchange.snapshot.upstreams.get(&server)?;
    Some((server, upstream))
}

/// Forwards the request's params (without a per-message credential) to `upstream`; to a
/// 2026-07-28 caller the result is completed with what that version requires and an
/// older back end leaves out (`resultType`, and `ttlMs` + `cacheScope` — `"private"`,
/// the answer depends on the tenant — on `resources/read`).
async fn pass(
    exchange: &Exchange<'_>,
    request: &Request,
    server: &str,
    upstream: &Arc<dyn Upstream>,
) -> Result<Response<Body>, Failure> {
    let params = request.params.as_deref();
    let stripped = params.and_then(without_credential);
    let params = stripped.as_deref().or(params);
    let _slot = limits::backend_slot(exchange, &request.id, server)?;
    // With the request's trace context, like tools/call.
    let mut reply = upstream
        .request_traced(&request.method, params, exchange.trace.context())
        .await;
    if exchange.version.is_stateless()
        && let Ok(UpstreamReply::Result(result)) = &mut reply
        && let Some(completed) = complete_result(result, &request.method)
    {
        *result = completed;
    }
    forward(exchange, &request.id, server, reply)
}

/// `result` with the 2026-07-28 members it lacks; `None` when it has them (or is not an
/// object).
fn complete_result(result: &RawValue, method: &str) -> Option<Box<RawValue>> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(result.get()).ok()?;
    let mut added = false;
    let mut add = |name: &str, value: serde_json::Value| {
        if !object.contains_key(name) {
            object.insert(name.to_owned(), value);
            added = true;
        }
    };
    add("resultType", "complete".into());
    if method == "resources/read" {
        add("ttlMs", 0.into());
        add("cacheScope", "private".into());
    }
    if !added {
        return None;
    }
    serde_json::value::to_raw_value(&object).ok()
}

fn unknown_prompt(id: &Id, name: &str) -> Failure {
    Failure::rpc(id.clone(), -32602, format!("Unknown prompt: {name}"))
}

fn unknown_resource(id: &Id, uri: &str) -> Failure {
    Failure::rpc(id.clone(), -32602, format!("Unknown resource: {uri}"))
}

/// `prompts/get`: to the reachable back end that alone lists the prompt; otherwise
/// (absent, colliding or on an unreachable back end) `-32602 Unknown prompt: <name>`.
pub(crate) async fn get_prompt(
    exchange: &Exchange<'_>,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let params: GetPromptParams<'_> = request
        .params_as()
        .map_err(|error| Failure::codec(Some(request.id.clone()), error))?;
    match route(exchange, &[Kind::Prompts], &params.name) {
        Some((server, upstream)) => pass(exchange, request, &server, upstream).await,
        None => Err(unknown_prompt(&request.id, &params.name)),
    }
}

/// `resources/read`, `resources/subscribe`, `resources/unsubscribe`: to the reachable
/// back end that alone lists the URI (a URI only a template matches is not routed);
/// otherwise `-32602 Unknown resource: <uri>`.
pub(crate) async fn resource(
    exchange: &Exchange<'_>,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let params: ResourceParams<'_> = request
        .params_as()
        .map_err(|error| Failure::codec(Some(request.id.clone()), error))?;
    match route(exchange, &[Kind::Resources], &params.uri) {
        Some((server, upstream)) => pass(exchange, request, &server, upstream).await,
        None => Err(unknown_resource(&request.id, &params.uri)),
    }
}

/// `completion/complete`: routed by its `ref`, a prompt name or a resource URI (a listed
/// resource or, verbatim, a listed URI template), like `prompts/get` and
/// `resources/read`.
pub(crate) async fn complete(
    exchange: &Exchange<'_>,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let params: CompleteParams<'_> = request
        .params_as()
        .map_err(|error| Failure::codec(Some(request.id.clone()), error))?;
    let (route, unknown) = match &params.reference {
        CompletionRef::Prompt { name } => (
            route(exchange, &[Kind::Prompts], name),
            unknown_prompt(&request.id, name),
        ),
        CompletionRef::Resource { uri } => (
            route(exchange, &[Kind::Templates, Kind::Resources], uri),
            unknown_resource(&request.id, uri),
        ),
        _ => (
            None,
            Failure::rpc(
                request.id.clone(),
                -32602,
                "Invalid params: unknown ref type",
            ),
        ),
    };
    match route {
        Some((server, upstream)) => pass(exchange, request, &server, upstream).await,
        None => Err(unknown),
    }
}

/// `logging/setLevel`: forwarded to every reachable back end (their answers and
/// failures are only logged); the caller gets `{}`.
pub(crate) async fn set_level(
    exchange: &Exchange<'_>,
    request: &Request,
) -> Result<Response<Body>, Failure> {
    let params = request.params.as_deref();
    let stripped = params.and_then(without_credential);
    let params = stripped.as_deref().or(params);
    let reachable = reachable(exchange);
    for upstream in exchange.snapshot.upstreams.iter() {
        if !reachable.contains(upstream.name()) {
            continue;
        }
        if let Err(error) = upstream.request("logging/setLevel", params).await {
            tracing::debug!(server = upstream.name(), %error, "logging/setLevel failed");
        }
    }
    Ok(wire::result(&request.id, raw("{}")?))
}

/// The capabilities the gateway announces: tools always; `prompts` and `resources` when
/// some back end listed them; `completions` with either. `logging` is not announced:
/// back ends' `notifications/message` are not relayed (`logging/setLevel` is accepted).
pub(crate) fn capabilities(gateway: &Gateway) -> String {
    let listings = gateway.listings();
    let prompts = listings.offers(Kind::Prompts);
    let resources = listings.offers(Kind::Resources) || listings.offers(Kind::Templates);
    let mut text = String::from(r#"{"tools":{"listChanged":true}"#);
    if prompts {
        text.push_str(r#","prompts":{}"#);
    }
    if resources {
        text.push_str(r#","resources":{}"#);
    }
    if prompts || resources {
        text.push_str(r#","completions":{}"#);
    }
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_json(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("json")
    }

    #[test]
    fn a_2026_result_gets_the_members_it_lacks() {
        let read = raw_json(r#"{"contents":[]}"#);
        let completed = complete_result(&read, "resources/read").expect("completed");
        let value: serde_json::Value = serde_json::from_str(completed.get()).expect("json");
        assert_eq!(
            value,
            serde_json::json!({"contents": [], "resultType": "complete", "ttlMs": 0, "cacheScope": "private"})
        );
        let prompt = raw_json(r#"{"messages":[],"resultType":"complete"}"#);
        assert!(complete_result(&prompt, "prompts/get").is_none());
        assert!(complete_result(&raw_json("[1]"), "prompts/get").is_none());
    }

    #[test]
    fn a_key_listed_twice_has_no_owner() {
        let entries = |keys: &[&str]| {
            let raw = keys
                .iter()
                .map(|k| raw_json(&format!(r#"{{"name":"{k}"}}"#)))
                .chain([raw_json(r#"{"title":"no name"}"#)])
                .collect();
            Some(Arc::new(Entries::new("s", Kind::Prompts, raw)))
        };
        let mut listings = Listings::default();
        listings.by_server.insert(
            "a".into(),
            [entries(&["greet", "shared", "greet"]), None, None],
        );
        listings
            .by_server
            .insert("b".into(), [entries(&["shared"]), None, None]);
        assert_eq!(listings.owner(Kind::Prompts, "greet"), Some("a"));
        assert_eq!(listings.owner(Kind::Prompts, "shared"), None);
        assert_eq!(listings.owner(Kind::Prompts, "nosuch"), None);
        assert_eq!(
            listings.entries("a", Kind::Prompts).map(|e| e.items.len()),
            Some(2)
        );
        assert!(listings.offers(Kind::Prompts));
        assert!(!listings.offers(Kind::Resources));
        assert_eq!(listings.collisions(Kind::Prompts).len(), 1);
    }
}
