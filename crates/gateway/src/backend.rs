//! The real back ends: [`BackendUpstream`] adapts `hangar_mcp::transport::Backend`
//! (Streamable HTTP and stdio) to [`Upstream`], and [`backend_config`] is the one place a
//! configured `mcp_servers` entry becomes a transport's [`BackendConfig`].

use std::sync::OnceLock;

use hangar_config::{BackendProtocol, McpServer, Transport};
use hangar_mcp::Notification;
use hangar_mcp::transport::{
    Backend, BackendConfig, BackendKind, BackendState, ClientCredentials, ProtocolPreference,
    Reply, TraceContext,
};
use serde_json::value::RawValue;
use tokio::sync::broadcast;

use crate::upstream::{BoxFuture, Upstream, UpstreamError, UpstreamReply, UpstreamStatus};

/// A configured server reached through the real transport.
///
/// The transport is started by [`Upstream::start`] (the gateway does it when it starts
/// serving), or at the latest on first use, so building a gateway needs no runtime and
/// spawns nothing.
#[derive(Debug)]
pub struct BackendUpstream {
    config: BackendConfig,
    backend: OnceLock<Backend>,
    /// The `ca_file`'s contents when this back end was built (see `trust_anchors`).
    trust: Option<Vec<u8>>,
}

impl BackendUpstream {
    /// The back end for one `mcp_servers` entry (not started yet).
    pub fn new(server: &McpServer) -> Self {
        Self::from_config(backend_config(server))
    }

    /// The back end for a transport config (not started yet).
    pub fn from_config(config: BackendConfig) -> Self {
        let trust = match &config.kind {
            BackendKind::Http {
                ca_file: Some(path),
                ..
            } => Some(std::fs::read(path).unwrap_or_default()),
            _ => None,
        };
        Self {
            config,
            backend: OnceLock::new(),
            trust,
        }
    }

    /// The running transport, started now if it was not. Call inside a tokio runtime.
    fn backend(&self) -> &Backend {
        self.backend
            .get_or_init(|| Backend::start(self.config.clone()))
    }

    /// The process id of a running stdio child (`None` for HTTP or before the start).
    pub fn pid(&self) -> Option<u32> {
        self.backend.get().and_then(Backend::pid)
    }
}

/// A configured server as the transport needs it: endpoint, headers (secrets already
/// interpolated at load), OAuth client credentials, protocol preference, timeouts; or the
/// stdio command, arguments and environment.
pub fn backend_config(server: &McpServer) -> BackendConfig {
    let kind = match &server.transport {
        Transport::Remote {
            endpoint,
            headers,
            oauth,
            ca_file,
            ..
        } => BackendKind::Http {
            endpoint: endpoint.clone(),
            headers: headers
                .iter()
                .map(|(name, value)| (name.clone(), value.expose().to_owned()))
                .collect(),
            oauth: oauth.as_ref().map(|oauth| ClientCredentials {
                token_url: oauth.token_url.clone(),
                client_id: oauth.client_id.clone(),
                client_secret: oauth.client_secret.expose().to_owned(),
                scopes: oauth.scopes.clone(),
            }),
            protocol: protocol_preference(server.protocol_version),
            ca_file: ca_file.clone(),
        },
        Transport::Stdio {
            command, args, env, ..
        } => BackendKind::Stdio {
            command: command.clone(),
            args: args.clone(),
            env: env
                .iter()
                .map(|(name, value)| (name.clone(), value.expose().to_owned()))
                .collect(),
        },
        // A transport this gateway does not know yet: an endpoint that refuses every
        // request (the back end is `Failed`, each call answers a transport error).
        _ => BackendKind::Http {
            endpoint: String::new(),
            headers: Vec::new(),
            oauth: None,
            protocol: ProtocolPreference::Auto,
            ca_file: None,
        },
    };
    BackendConfig {
        name: server.name.clone(),
        kind,
        request_timeout: server.timeouts.request,
        connect_timeout: server.timeouts.connect,
    }
}

fn protocol_preference(protocol: BackendProtocol) -> ProtocolPreference {
    protocol
        .version()
        .and_then(|version| version.parse().ok())
        .map_or(ProtocolPreference::Auto, ProtocolPreference::Fixed)
}

/// A transport reply as the gateway's.
fn answer(reply: Reply) -> UpstreamReply {
    match reply {
        Reply::Result(result) => UpstreamReply::Result(result),
        Reply::Error(error) => UpstreamReply::Error(error),
    }
}

impl Upstream for BackendUpstream {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn trust_anchors(&self) -> Option<&[u8]> {
        self.trust.as_deref()
    }

    fn request<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        Box::pin(async move { Ok(answer(self.backend().request(method, params).await?)) })
    }

    fn request_traced<'a>(
        &'a self,
        method: &'a str,
        params: Option<&'a RawValue>,
        trace: &'a TraceContext,
    ) -> BoxFuture<'a, Result<UpstreamReply, UpstreamError>> {
        Box::pin(async move {
            Ok(answer(
                self.backend().request_traced(method, params, trace).await?,
            ))
        })
    }

    fn list_tools(&self) -> BoxFuture<'_, Result<Vec<Box<RawValue>>, UpstreamError>> {
        Box::pin(async move {
            // A listing (handshake included) never hangs discovery: past this bound it
            // fails, is logged, and the gateway's retry asks again.
            let bound = 3 * (self.config.connect_timeout + self.config.request_timeout);
            match tokio::time::timeout(bound, self.backend().list_tools()).await {
                Ok(listed) => Ok(listed?),
                Err(_) => Err(UpstreamError::Timeout {
                    server: self.config.name.clone(),
                }),
            }
        })
    }

    fn status(&self) -> UpstreamStatus {
        let Some(backend) = self.backend.get() else {
            return UpstreamStatus::Starting;
        };
        match backend.status().state {
            BackendState::Starting => UpstreamStatus::Starting,
            BackendState::Ready => UpstreamStatus::Ready,
            BackendState::Degraded => UpstreamStatus::Degraded,
            _ => UpstreamStatus::Down,
        }
    }

    fn last_error(&self) -> Option<String> {
        self.backend
            .get()
            .and_then(|backend| backend.status().last_error)
    }

    fn restarts(&self) -> u32 {
        self.backend
            .get()
            .map_or(0, |backend| backend.status().restarts)
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Notification>> {
        Some(self.backend().subscribe())
    }

    fn start(&self) {
        let _ = self.backend();
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(backend) = self.backend.get() {
                backend.stop().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hangar_config::{Config, MapEnvironment};

    use super::*;

    fn config(yaml: &str, env: &[(&str, &str)]) -> Config {
        let mut environment = MapEnvironment::new();
        for (name, value) in env {
            environment = environment.with(*name, *value);
        }
        Config::from_yaml_str(yaml, "config.yaml", &environment).expect("valid config")
    }

    #[test]
    fn a_remote_server_maps_with_its_secrets_timeouts_and_protocol() {
        let config = config(
            r#"
mcp_servers:
  payments:
    mode: remote
    endpoint: http://127.0.0.1:9/mcp
    headers: { X-Api-Key: "${PAYMENTS_KEY}" }
    protocol_version: "2025-06-18"
    timeout_seconds: 7
    connect_timeout_seconds: 2
"#,
            &[("PAYMENTS_KEY", "s3cret")],
        );
        let mapped = backend_config(&config.mcp_servers[0]);
        assert_eq!(mapped.name, "payments");
        assert_eq!(mapped.request_timeout, Duration::from_secs(7));
        assert_eq!(mapped.connect_timeout, Duration::from_secs(2));
        let BackendKind::Http {
            endpoint,
            headers,
            oauth,
            protocol,
            ..
        } = mapped.kind
        else {
            panic!("http")
        };
        assert_eq!(endpoint, "http://127.0.0.1:9/mcp");
        assert_eq!(headers, [("X-Api-Key".to_owned(), "s3cret".to_owned())]);
        assert!(oauth.is_none());
        assert_eq!(
            protocol,
            ProtocolPreference::Fixed(hangar_mcp::ProtocolVersion::V2025_06_18)
        );
    }

    #[test]
    fn a_stdio_server_maps_its_command() {
        let config = config(
            r#"
mcp_servers:
  demo:
    mode: stdio
    command: hangar-demo-backend
    args: [--flag]
    env: { HANGAR_DEMO_IDENTITY: "${WHO:-demo}" }
"#,
            &[],
        );
        let mapped = backend_config(&config.mcp_servers[0]);
        let BackendKind::Stdio { command, args, env } = mapped.kind else {
            panic!("stdio")
        };
        assert_eq!(command, "hangar-demo-backend");
        assert_eq!(args, ["--flag"]);
        assert_eq!(
            env,
            [("HANGAR_DEMO_IDENTITY".to_owned(), "demo".to_owned())]
        );
    }

    #[tokio::test]
    async fn an_unreachable_back_end_is_a_transport_error() {
        let config = config(
            r#"
mcp_servers:
  gone:
    mode: remote
    endpoint: http://127.0.0.1:1/mcp
"#,
            &[],
        );
        let upstream = BackendUpstream::new(&config.mcp_servers[0]);
        assert_eq!(upstream.status(), UpstreamStatus::Starting);
        let error = upstream.list_tools().await.expect_err("nothing listens");
        assert!(matches!(error, UpstreamError::Transport(_)), "{error}");
        assert_eq!(upstream.status(), UpstreamStatus::Down);
        upstream.stop().await;
    }
}
