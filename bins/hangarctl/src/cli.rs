//! Command-line definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Hangar's admin CLI.
#[derive(Debug, Parser)]
#[command(name = "hangarctl", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Work with a configuration file offline.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Show, for one tenant, every tool with visible/hidden and the rule or overlay that decided.
    ///
    /// Offline: reads the config (and, with --data-dir, the runtime overlay store); no back
    /// end is contacted. Give the back ends' tools with --tools FILE.json
    /// ({"payments": ["charge", "refund"]}) or a single --server S --tool T.
    Explain(ExplainArgs),
    /// Work with audit log files offline.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Online commands, through the gateway's admin API.
    #[command(flatten)]
    Online(OnlineCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate a config file: exit 0 when valid, 1 with every error (YAML path and line) when not.
    Check {
        /// The config file [default: ~/.config/mcp-hangar/config.yaml].
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check an audit log's hash chain: exit 0 with a summary, 1 naming the first broken line.
    ///
    /// Give rotated files oldest first, the live file last
    /// (audit.jsonl.2 audit.jsonl.1 audit.jsonl): the links between them are checked too.
    Verify {
        /// The audit files, in chain order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// A record hash kept somewhere else earlier (a chain head from a previous
        /// verify): the chain must still hold that record. Repeatable.
        #[arg(long, value_name = "HASH")]
        anchor: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The config file [default: ~/.config/mcp-hangar/config.yaml].
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The tenant to explain; omit it to see what a caller without a tenant gets.
    #[arg(long, short = 't', value_name = "TENANT")]
    pub(crate) tenant: Option<String>,
    /// The back ends' tool names as JSON: {"server": ["tool", ...], ...}.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["server", "tool"], required_unless_present = "server")]
    pub(crate) tools: Option<PathBuf>,
    /// One server (with --tool).
    #[arg(long, value_name = "SERVER", requires = "tool")]
    pub(crate) server: Option<String>,
    /// One tool (with --server).
    #[arg(long, value_name = "TOOL", requires = "server")]
    pub(crate) tool: Option<String>,
    /// Also apply the runtime withdrawals stored in this data directory (read only).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Print JSON for scripts: {"tenant": …, "tools": [{"server", "tool", "visible", "reason"}, …]}.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The commands that talk to a running gateway (docs/admin-api.md).
#[derive(Debug, Subcommand)]
pub(crate) enum OnlineCommand {
    /// Withdraw a tool at runtime, for one tenant (--tenant) or for every tenant.
    ///
    /// Persisted by the gateway before it answers; connected clients of the affected
    /// tenants get notifications/tools/list_changed.
    Withdraw(TargetArgs),
    /// Clear a runtime withdrawal (a config-declared withdrawal stays; the answer says so).
    Restore(TargetArgs),
    /// List every withdrawal: config-declared and runtime (who, when), global and per tenant.
    Withdrawals(OnlineArgs),
    /// Show a tenant's effective tools, with the reason for each hidden one.
    Tools {
        /// The tenant (e.g. tenant:b).
        #[arg(long, short = 't', value_name = "TENANT")]
        tenant: String,
        #[command(flatten)]
        online: OnlineArgs,
    },
    /// List the configured MCP servers: state, transport, tool count, last error.
    Servers(OnlineArgs),
    /// Show one MCP server.
    Server {
        /// The server's name in mcp_servers.
        server: String,
        #[command(flatten)]
        online: OnlineArgs,
    },
    /// Start a stopped MCP server again; its tools come back on the surfaces.
    Start {
        /// The server's name in mcp_servers.
        server: String,
        #[command(flatten)]
        online: OnlineArgs,
    },
    /// Stop an MCP server: its tools leave every surface until `start`.
    Stop {
        /// The server's name in mcp_servers.
        server: String,
        #[command(flatten)]
        online: OnlineArgs,
    },
    /// Reload the gateway's config file (validated first; an invalid file changes nothing).
    Reload(OnlineArgs),
    /// Show the gateway's counters: uptime, requests, tool calls, denials, reloads.
    Stats(OnlineArgs),
}

/// `SERVER/TOOL [--tenant T]`.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// The tool, as SERVER/TOOL (e.g. payments/refund).
    #[arg(value_name = "SERVER/TOOL")]
    pub(crate) target: String,
    /// The tenant; omit it to act for every tenant.
    #[arg(long, short = 't', value_name = "TENANT")]
    pub(crate) tenant: Option<String>,
    #[command(flatten)]
    pub(crate) online: OnlineArgs,
}

/// Where the gateway is and how to authenticate.
#[derive(Debug, Args)]
pub(crate) struct OnlineArgs {
    /// The gateway's base URL.
    #[arg(
        long,
        env = "HANGAR_URL",
        default_value = "http://127.0.0.1:8000",
        value_name = "URL"
    )]
    pub(crate) url: String,
    /// An admin API key (sent as X-API-Key).
    #[arg(
        long,
        env = "HANGAR_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub(crate) api_key: Option<String>,
    /// For an https:// URL: trust only the CA certificates in this PEM file (default:
    /// the system's roots).
    #[arg(long, env = "HANGAR_CACERT", value_name = "FILE")]
    pub(crate) cacert: Option<std::path::PathBuf>,
    /// For a gateway that requires client certificates: this certificate (PEM)…
    #[arg(
        long,
        env = "HANGAR_CLIENT_CERT",
        value_name = "FILE",
        requires = "key"
    )]
    pub(crate) cert: Option<std::path::PathBuf>,
    /// …and its private key (PEM).
    #[arg(
        long,
        env = "HANGAR_CLIENT_KEY",
        value_name = "FILE",
        requires = "cert"
    )]
    pub(crate) key: Option<std::path::PathBuf>,
    /// Print the admin API's JSON answer instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}
