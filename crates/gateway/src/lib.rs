//! Hangar's data plane: the listener, the router and the MCP request pipeline that stand
//! between AI agents and the MCP servers behind the gateway.
//!
//! A [`Gateway`] is built from a loaded [`Config`] ([`Gateway::builder`]) and serves
//! HTTP ([`Gateway::serve`] on a listener from [`bind`]). `POST /mcp` runs, in order:
//! the `Origin` check, identity ([`hangar_identity::Authenticator`]), the bounded body
//! read, decoding ([`hangar_mcp::Message::decode`]), the 2026-07-28 header check, the
//! session (≤ 2025-11-25, bound to the principal), then the method. In front_door mode
//! `tools/list` and `tools/call` use the caller's flat surface
//! ([`hangar_projection::visible_surface`], cached per tenant and epoch) and unknown,
//! denied and withdrawn tools all answer `-32602 Unknown tool: <name>`; in egress mode
//! the gateway offers its `hangar_*` management tools. Prompts, resources, completion
//! and `logging/setLevel` pass through to the one back end that owns what they name,
//! among those the caller reaches (front_door: a back end with a tool on the caller's
//! surface); unknown and unreachable both answer `-32602 Unknown prompt` / `Unknown
//! resource`. Back ends are [`Upstream`]s: for
//! every configured server the real transport ([`BackendUpstream`]), unless a test
//! registers its own ([`FakeUpstream`]).
//!
//! ```
//! use std::sync::Arc;
//!
//! use hangar_config::{Config, MapEnvironment};
//! use hangar_gateway::{FakeUpstream, Gateway};
//! use hangar_projection::WithdrawalKey;
//!
//! let yaml = r#"
//! tool_access: { mode: front_door }
//! mcp_servers:
//!   payments:
//!     mode: remote
//!     endpoint: http://localhost:8080/mcp
//!     tool_access:
//!       member:
//!         "tenant:b": { allow_list: [charge, refund] }
//! "#;
//! let config = Config::from_yaml_str(yaml, "config.yaml", &MapEnvironment::new())?;
//! let payments = Arc::new(FakeUpstream::new("payments", ["charge", "refund"]));
//! let gateway = Gateway::builder(config).in_memory_overlays().upstream(payments).build()?;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(gateway.refresh_catalog());
//! assert!(gateway.is_ready());
//! gateway.overlays().withdraw(&WithdrawalKey::for_tenant("payments", "refund", "tenant:b"), "ops")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admin;
mod audit;
mod backend;
mod egress;
mod error;
mod limits;
mod methods;
mod metrics;
mod passthrough;
mod pipeline;
mod reload;
mod server;
mod session;
mod signal;
mod state;
mod stats;
mod stream;
mod tls;
mod trace;
mod upstream;
mod wire;
mod workers;

pub use backend::{BackendUpstream, backend_config};
pub use error::Error;
pub use hangar_config::Config;
pub use reload::{LifecycleError, ReloadError};
pub use server::{MCP_PATH, bind};
pub use signal::shutdown_signal;
pub use state::{Gateway, GatewayBuilder, Options};
pub use upstream::{
    BoxFuture, FakeUpstream, Received, Unconnected, Upstream, UpstreamError, UpstreamReply,
    UpstreamStatus, Upstreams,
};
