//! The gateway's hop in a W3C trace (<https://www.w3.org/TR/trace-context/>): the caller's
//! `traceparent` and `tracestate` headers, taken when valid
//! ([`hangar_mcp::transport::TraceParent::parse`]), else a new trace; a new span id for
//! the gateway, made only when something needs it (a back end is called, or debug
//! logging shows the request's span); and the request's `tracing` span.

use std::sync::OnceLock;

use hangar_mcp::transport::headers as header_name;
use hangar_mcp::transport::{TraceContext, TraceParent, parse_tracestate};
use http::{HeaderMap, Method};

/// One request's trace: what the caller sent, and the gateway's hop (made on first use).
#[derive(Debug, Clone, Default)]
pub(crate) struct Trace {
    /// The caller's valid `traceparent`, if any.
    incoming: Option<TraceParent>,
    /// The caller's valid `tracestate` (only with a valid `traceparent`).
    state: Option<String>,
    hop: OnceLock<TraceContext>,
}

impl Trace {
    /// The caller's trace context from `headers`: a single valid version-00
    /// `traceparent` (several, or an invalid one, count as none: a new trace starts), and
    /// with it the `tracestate` lines joined by `,` when they form a valid list.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut lines = headers.get_all(header_name::TRACEPARENT).iter();
        let incoming = match (lines.next(), lines.next()) {
            (Some(value), None) => value.to_str().ok().and_then(TraceParent::parse),
            _ => None,
        };
        let state = incoming.and_then(|_| {
            let mut joined = String::new();
            for line in headers.get_all(header_name::TRACESTATE) {
                if !joined.is_empty() {
                    joined.push(',');
                }
                joined.push_str(line.to_str().ok()?);
            }
            parse_tracestate(&joined)
        });
        Self {
            incoming,
            state,
            hop: OnceLock::new(),
        }
    }

    /// The context the gateway hands to back ends: the caller's trace id (or a new random
    /// one, sampled), the gateway's own new span id as the parent, the caller's flags and
    /// `tracestate`. Made once per request.
    pub(crate) fn context(&self) -> &TraceContext {
        self.hop.get_or_init(|| {
            let (trace_id, span_id) = random_ids();
            let traceparent = self
                .incoming
                .and_then(|incoming| incoming.child(span_id))
                .or_else(|| TraceParent::new(trace_id, span_id, TraceParent::SAMPLED))
                .unwrap_or_else(|| unreachable!("random ids are drawn from 1.."));
            TraceContext {
                traceparent,
                tracestate: self.state.clone(),
            }
        })
    }

    /// The request's span, at debug level (at the default `info` it is disabled and costs
    /// a level check): method, path, the trace id and the caller's `X-Request-Id` (at most
    /// 128 visible ASCII characters, as the audit log takes it).
    pub(crate) fn span(&self, method: &Method, path: &str, headers: &HeaderMap) -> tracing::Span {
        let span = tracing::debug_span!(
            "request",
            method = %method,
            path,
            trace_id = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        if !span.is_disabled() {
            span.record(
                "trace_id",
                self.context().traceparent.trace_id_hex().as_str(),
            );
            if let Some(id) = headers
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .filter(|id| id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
            {
                span.record("request_id", id);
            }
        }
        span
    }
}

/// A random trace id and span id: `fastrand`'s per-thread generator (wyrand, seeded
/// randomly per process and thread). Ids need to be unique and unguessable enough for
/// correlation, not secret; aws-lc's generator costs about a microsecond per call here,
/// this one nanoseconds.
fn random_ids() -> ([u8; 16], [u8; 8]) {
    let trace_id = fastrand::u128(1..).to_le_bytes();
    let span_id = fastrand::u64(1..).to_le_bytes();
    (trace_id, span_id)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const VALID: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).expect("ascii"));
        }
        headers
    }

    #[test]
    fn a_valid_traceparent_continues_its_trace_with_a_new_parent() {
        let trace = Trace::from_headers(&headers(&[
            ("traceparent", VALID),
            ("tracestate", "rojo=1"),
            ("tracestate", "congo=2"),
        ]));
        let context = trace.context();
        assert_eq!(
            context.traceparent.trace_id_hex(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_ne!(
            context.traceparent.parent_id(),
            TraceParent::parse(VALID).expect("valid").parent_id()
        );
        assert_eq!(context.tracestate.as_deref(), Some("rojo=1,congo=2"));
        // One hop per request: the same context every time.
        assert_eq!(trace.context(), context);
    }

    #[test]
    fn an_invalid_or_repeated_traceparent_starts_a_new_trace() {
        for pairs in [
            vec![],
            vec![(
                "traceparent",
                "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            )],
            vec![("traceparent", VALID), ("traceparent", VALID)],
            vec![("traceparent", "garbage"), ("tracestate", "rojo=1")],
        ] {
            let trace = Trace::from_headers(&headers(&pairs));
            let context = trace.context();
            assert_ne!(
                context.traceparent.trace_id_hex(),
                "0af7651916cd43dd8448eb211c80319c",
                "{pairs:?}"
            );
            assert_eq!(context.traceparent.flags(), TraceParent::SAMPLED);
            assert_eq!(context.tracestate, None, "{pairs:?}");
            // A fresh, valid value.
            let text = context.traceparent.to_string();
            assert_eq!(TraceParent::parse(&text), Some(context.traceparent));
        }
        let a = Trace::from_headers(&HeaderMap::new());
        let b = Trace::from_headers(&HeaderMap::new());
        assert_ne!(a.context().traceparent, b.context().traceparent);
    }
}
