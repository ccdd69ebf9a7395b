//! The server-to-client event streams: `GET /mcp` (≤ 2025-11-25) and the answer to a
//! 2026-07-28 `subscriptions/listen`. One task per stream watches the overlay epoch and
//! the catalog, recomputes the caller's surface when either moves, and sends
//! `notifications/tools/list_changed` when the visible names changed (on a listen stream
//! tagged with its subscription id, after the `notifications/subscriptions/acknowledged`
//! that opens it). Keep-alive comments every 15 s; the stream ends when the client goes
//! away or the gateway shuts down (a listen stream then sends its final result).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hangar_mcp::{Id, Notification, SseEvent, SubscriptionFilter, encode_comment};
use hangar_policy::Mode;
use http::Response;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http_body_util::BodyExt as _;
use hyper::body::Frame;
use tokio::sync::mpsc;

use crate::state::Gateway;
use crate::wire::Body;

/// How often an idle stream sends a comment (keeps proxies from closing it).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A response body fed by a channel.
struct ChannelBody {
    frames: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.frames
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// Which stream: a session's GET stream, or a `subscriptions/listen` answer.
enum Kind {
    Get,
    Listen {
        /// The listen request's id: every frame carries it as the subscription id.
        id: Id,
        honored: SubscriptionFilter,
    },
}

/// Opens the GET stream for a caller of `tenant`.
pub(crate) fn open(gateway: Arc<Gateway>, tenant: Option<String>) -> Response<Body> {
    start(gateway, tenant, Kind::Get)
}

/// Answers a 2026-07-28 `subscriptions/listen` (request `id`) with its stream, carrying
/// what `honored` names.
pub(crate) fn listen(
    gateway: Arc<Gateway>,
    tenant: Option<String>,
    id: Id,
    honored: SubscriptionFilter,
) -> Response<Body> {
    start(gateway, tenant, Kind::Listen { id, honored })
}

fn start(gateway: Arc<Gateway>, tenant: Option<String>, kind: Kind) -> Response<Body> {
    let (sender, frames) = mpsc::channel(8);
    tokio::spawn(follow(gateway, tenant, kind, sender));
    let mut response = Response::new(ChannelBody { frames }.boxed());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The names the caller of `tenant` sees now (front_door; egress lists never change).
fn visible(gateway: &Gateway, tenant: Option<&str>) -> Vec<String> {
    let snapshot = gateway.snapshot();
    if snapshot.policy.mode() != Mode::FrontDoor {
        return Vec::new();
    }
    let tools = gateway.tools();
    let surface = gateway.surface(&snapshot, &tools, tenant);
    surface
        .visible()
        .iter()
        .map(|tool| tool.name().to_owned())
        .collect()
}

fn comment(text: &str) -> Bytes {
    let mut out = Vec::with_capacity(text.len() + 4);
    encode_comment(text, &mut out);
    out.push(b'\n');
    Bytes::from(out)
}

fn event(json: Vec<u8>) -> Option<Bytes> {
    let data = String::from_utf8(json).ok()?;
    SseEvent::new(data).encode().ok().map(Bytes::from)
}

fn notification(notification: &Notification) -> Option<Bytes> {
    let mut json = Vec::with_capacity(64);
    notification.encode_into(&mut json);
    event(json)
}

/// `{"_meta":{"io.modelcontextprotocol/subscriptionId":<id>}}` merged into `members`.
fn tagged(
    id: &Id,
    mut members: serde_json::Map<String, serde_json::Value>,
) -> Option<Box<serde_json::value::RawValue>> {
    let id = serde_json::to_value(id).ok()?;
    members.insert(
        "_meta".to_owned(),
        serde_json::json!({"io.modelcontextprotocol/subscriptionId": id}),
    );
    serde_json::value::to_raw_value(&members).ok()
}

/// The first frame of a listen stream: `notifications/subscriptions/acknowledged`.
fn acknowledged(id: &Id, honored: &SubscriptionFilter) -> Option<Bytes> {
    let mut members = serde_json::Map::new();
    members.insert(
        "notifications".to_owned(),
        serde_json::to_value(honored).ok()?,
    );
    let params = tagged(id, members)?;
    notification(&Notification::new(
        "notifications/subscriptions/acknowledged",
        Some(params),
    ))
}

/// The last frame of a listen stream closed by the gateway: its result.
fn listen_result(id: &Id) -> Option<Bytes> {
    let result = tagged(id, serde_json::Map::new())?;
    let mut json = Vec::with_capacity(96);
    hangar_mcp::Response::new(id.clone(), result).encode_with_id(id, &mut json);
    event(json)
}

async fn follow(
    gateway: Arc<Gateway>,
    tenant: Option<String>,
    kind: Kind,
    sender: mpsc::Sender<Bytes>,
) {
    let mut overlays = gateway.overlays().subscribe();
    let mut catalog = gateway.catalog_changes();
    let mut stopping = gateway.stopping();
    if *stopping.borrow_and_update() {
        return;
    }
    let mut last = visible(&gateway, tenant.as_deref());
    let (opening, change) = match &kind {
        Kind::Get => (
            Some(comment("stream open")),
            Notification::tools_list_changed(None).ok(),
        ),
        Kind::Listen { id, honored } => (
            acknowledged(id, honored),
            honored
                .tools_list_changed
                .then(|| Notification::tools_list_changed(Some(id)).ok())
                .flatten(),
        ),
    };
    let Some(opening) = opening else {
        return;
    };
    if sender.send(opening).await.is_err() {
        return;
    }
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.tick().await;
    loop {
        tokio::select! {
            changed = overlays.changed() => if changed.is_err() { return },
            changed = catalog.changed() => if changed.is_err() { return },
            _ = stopping.changed() => {
                if let Kind::Listen { id, .. } = &kind
                    && let Some(result) = listen_result(id)
                {
                    let _ = sender.send(result).await;
                }
                return;
            }
            () = sender.closed() => return,
            _ = keep_alive.tick() => {
                if sender.send(comment("keep-alive")).await.is_err() {
                    return;
                }
                continue;
            }
        }
        let now = visible(&gateway, tenant.as_deref());
        if now != last {
            last = now;
            let Some(event) = change.as_ref().and_then(notification) else {
                continue;
            };
            if sender.send(event).await.is_err() {
                return;
            }
        }
    }
}
