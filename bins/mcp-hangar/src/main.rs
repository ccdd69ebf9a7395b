//! `mcp-hangar`: the Hangar MCP gateway.
//!
//! `mcp-hangar --config FILE serve --http --host H --port P` loads the config (default
//! `~/.config/mcp-hangar/config.yaml`), prints `mcp-hangar listening on http://H:P`
//! (`https://` with a `tls` section) once it accepts connections (the back ends start
//! and list their tools in the background), and on SIGTERM or ctrl-c drains in-flight
//! requests, then stops the back ends (stdio children are killed). SIGHUP, a change of
//! the config file (watched unless `--no-watch`) and `POST /api/admin/reload` reload the
//! config: validated first, an invalid file keeps the running config; the TLS
//! certificate and key files are read again on every reload (docs/operations.md).
//!
//! Exit codes: 0 clean shutdown, 2 bad arguments, 64 invalid configuration (every problem
//! printed with its file, line and YAML path), 69 the address cannot be bound, 70 any
//! other failure.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use hangar_gateway::{Config, Error, Gateway};

/// The Hangar MCP gateway.
#[derive(Debug, Parser)]
#[command(name = "mcp-hangar", version, about)]
struct Cli {
    /// The config file [default: ~/.config/mcp-hangar/config.yaml].
    #[arg(long, short, global = true, env = "HANGAR_CONFIG")]
    config: Option<PathBuf>,
    /// Where runtime state (withdrawals) is kept; overrides `data_dir` in the config.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log lines as `text`, or `json` (one JSON object per line, for log collectors).
    #[arg(long, global = true, env = "HANGAR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line: timestamp, level, target, fields, the current span.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve MCP clients.
    Serve(Serve),
}

#[derive(Debug, Args)]
struct Serve {
    /// Serve over HTTP (Streamable HTTP at /mcp); the only transport for now.
    #[arg(long)]
    http: bool,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Do not reload when the config file changes (SIGHUP and the admin API still do).
    #[arg(long)]
    no_watch: bool,
    /// Serving threads, each with its own single-threaded runtime, that connections are
    /// spread over [default: one per CPU]. 0: one work-stealing runtime serves
    /// everything (tokio's `TOKIO_WORKER_THREADS` sizes it).
    #[arg(long, env = "HANGAR_WORKERS", value_parser = clap::value_parser!(u16).range(0..=1024))]
    workers: Option<u16>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANGAR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        // Colour codes only for a terminal: log files and collectors get plain text.
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs.json().with_ansi(false).with_current_span(true).init(),
    }
    // One rustls crypto provider for the whole process (aws-lc-rs), before any TLS use.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let Command::Serve(serve) = &cli.command;
    let path = cli.config.clone().unwrap_or_else(default_config_path);
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(error) => {
            eprintln!(
                "mcp-hangar: invalid configuration {}:\n{error}",
                path.display()
            );
            return ExitCode::from(64);
        }
    };
    // Thread per core: the serving threads run the connections (hangar-gateway's
    // workers.rs); this thread's runtime keeps the rest (accept loop, signals, reload,
    // back-end discovery). With --workers 0, a work-stealing runtime does everything.
    let workers = serve.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        usize::from,
    );
    let runtime = if workers == 0 {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcp-hangar: cannot start the runtime: {error}");
            return ExitCode::from(70);
        }
    };
    match runtime.block_on(run(config, path, cli.data_dir.clone(), serve, workers)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mcp-hangar: {error:#}");
            let code = match error.downcast_ref::<Error>() {
                Some(error) if error.is_config() => 64,
                Some(Error::Bind { .. }) => 69,
                _ => 70,
            };
            ExitCode::from(code)
        }
    }
}

async fn run(
    config: Config,
    path: PathBuf,
    data_dir: Option<PathBuf>,
    serve: &Serve,
    workers: usize,
) -> anyhow::Result<()> {
    if !serve.http {
        tracing::info!("no transport flag given: serving HTTP (--http is the default)");
    }
    let metrics_listen = config.metrics.listen;
    let mut options = hangar_gateway::Options::default();
    options.workers = workers;
    let mut builder = Gateway::builder(config).config_path(&path).options(options);
    if let Some(dir) = data_dir {
        builder = builder.data_dir(dir);
    }
    // Every configured server is a real back end (HTTP or a stdio child), started by
    // `serve` without delaying the ready line, stopped after the drain.
    let gateway = Arc::new(builder.build()?);
    let listener = hangar_gateway::bind(&serve.host, serve.port).await?;
    // `metrics.listen`: /metrics (and /health) without authentication, on an internal address.
    if let Some(address) = metrics_listen {
        let metrics = hangar_gateway::bind(&address.ip().to_string(), address.port()).await?;
        tokio::spawn(Arc::clone(&gateway).serve_metrics(metrics));
    }
    // Handlers first, then the ready line: a SIGTERM right after it still drains.
    let shutdown = hangar_gateway::shutdown_signal();
    // Live reload: SIGHUP, and the config file watch (debounced).
    reload_on_hangup(&gateway);
    if !serve.no_watch {
        gateway.watch_config(std::time::Duration::from_millis(300));
    }
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let host = match local.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    {
        let mut out = std::io::stdout().lock();
        // TLS comes from the config's `tls` section (`--http` names the transport).
        let scheme = if gateway.is_tls() { "https" } else { "http" };
        writeln!(
            out,
            "mcp-hangar listening on {scheme}://{host}:{}",
            local.port()
        )?;
        out.flush()?;
    }
    gateway.serve(listener, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUP reloads the config file (the same function as `POST /api/admin/reload`).
fn reload_on_hangup(gateway: &Arc<Gateway>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot install the SIGHUP handler: reload through the admin API");
            return;
        };
        let gateway = Arc::clone(gateway);
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading the config");
                let _ = gateway.reload().await;
            }
        });
    }
    #[cfg(not(unix))]
    let _ = gateway;
}

/// `$XDG_CONFIG_HOME/mcp-hangar/config.yaml`, else `~/.config/mcp-hangar/config.yaml`.
fn default_config_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("mcp-hangar").join("config.yaml")
}
