//! The server-to-client event stream of `GET /mcp` (≤ 2025-11-25): one task per stream
//! watches the overlay epoch and the catalog, recomputes the caller's surface when either
//! moves, and sends `notifications/tools/list_changed` when the visible names changed.
//! Keep-alive comments every 15 s; the stream ends when the client goes away or the
//! gateway shuts down.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hangar_mcp::{Notification, SseEvent, encode_comment};
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

/// Opens the stream for a caller of `tenant`.
pub(crate) fn open(gateway: Arc<Gateway>, tenant: Option<String>) -> Response<Body> {
    let (sender, frames) = mpsc::channel(8);
    tokio::spawn(follow(gateway, tenant, sender));
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

fn list_changed() -> Option<Bytes> {
    let notification = Notification::tools_list_changed(None).ok()?;
    let mut json = Vec::with_capacity(64);
    notification.encode_into(&mut json);
    let data = String::from_utf8(json).ok()?;
    SseEvent::new(data).encode().ok().map(Bytes::from)
}

async fn follow(gateway: Arc<Gateway>, tenant: Option<String>, sender: mpsc::Sender<Bytes>) {
    let mut overlays = gateway.overlays().subscribe();
    let mut catalog = gateway.catalog_changes();
    let mut stopping = gateway.stopping();
    if *stopping.borrow_and_update() {
        return;
    }
    let mut last = visible(&gateway, tenant.as_deref());
    if sender.send(comment("stream open")).await.is_err() {
        return;
    }
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.tick().await;
    loop {
        tokio::select! {
            changed = overlays.changed() => if changed.is_err() { return },
            changed = catalog.changed() => if changed.is_err() { return },
            _ = stopping.changed() => return,
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
            let Some(event) = list_changed() else {
                continue;
            };
            if sender.send(event).await.is_err() {
                return;
            }
        }
    }
}
