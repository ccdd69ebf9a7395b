//! Operating the gateway live: reloading the config (admin API, SIGHUP, the file
//! watch), starting and stopping back ends. See docs/operations.md.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use hangar_config::{Config, McpServer, Transport};
use hangar_identity::{Authenticator, HttpClient};
use hangar_projection::ConfigWithdrawals;

use crate::error::Error;
use crate::limits::Limits;
use crate::state::{Gateway, Snapshot, new_upstream};
use crate::upstream::{Upstream, Upstreams};

/// How long a stopped back end gets to end.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a reload did not replace the running config (the old one keeps serving).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReloadError {
    /// The new config is invalid (file, policy, withdrawals or `auth`): every problem
    /// with its file, line and YAML path.
    #[error("{0}")]
    Invalid(String),
    /// The new config changes a key that cannot change while running.
    #[error("{0}")]
    Refused(String),
    /// The gateway was built without a config file to read again.
    #[error("no config file to reload (the gateway was not started from a file)")]
    NoConfigFile,
}

/// What [`Gateway::prepare`] built for a new snapshot.
struct Prepared {
    config: Config,
    policy: hangar_policy::Policy,
    withdrawals: ConfigWithdrawals,
    authenticator: Authenticator,
    tls: Option<crate::tls::Loaded>,
}

/// Why a start or stop did nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// No configured back end has that name.
    #[error("no MCP server named {name:?} (configured: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The configured names, comma-separated.
        known: String,
    },
    /// The back end already is in the state asked for.
    #[error("MCP server {name:?} is already {state}")]
    Already {
        /// The name asked for.
        name: String,
        /// `started` or `stopped`.
        state: &'static str,
    },
}

impl Gateway {
    /// Reads the config file again and applies it ([`Gateway::reload_with`]). What the
    /// admin API's reload, SIGHUP and the file watch call.
    ///
    /// # Errors
    ///
    /// See [`ReloadError`]; the running config is unchanged.
    pub async fn reload(self: &Arc<Self>) -> Result<Vec<String>, ReloadError> {
        let Some(path) = self.config_path.clone() else {
            self.metrics.config_reload(false);
            return Err(ReloadError::NoConfigFile);
        };
        // One reload at a time, from the read on: two reloads (the admin API and the file
        // watch, say) apply the versions of the file in the order they read them.
        let _one = self.reload_lock.lock().await;
        // Read and parsed on a blocking thread: the runtime this runs on also serves
        // connections (a serving thread for the admin API, the accept loop for SIGHUP and
        // the file watch), and a slow disk or a large file must not hold them up.
        let file = path.clone();
        let outcome = match tokio::task::spawn_blocking(move || Config::load(&file)).await {
            Ok(Ok(config)) => self.apply(config).await,
            Ok(Err(error)) => Err(ReloadError::Invalid(error.to_string())),
            Err(_) => Err(ReloadError::Invalid(format!(
                "{}: the config read did not finish",
                path.display()
            ))),
        };
        self.account(&outcome, &path);
        outcome
    }

    /// Applies `config` in place of the running one, once it is fully validated (policy
    /// compiled, withdrawals checked, authenticator built). In-flight requests finish on
    /// the old snapshot; runtime withdrawals are kept; added, removed and changed
    /// `mcp_servers` start, stop and restart their back ends; `tool_access.mode` and
    /// `data_dir` cannot change live. Returns what changed, one line per item.
    ///
    /// # Errors
    ///
    /// See [`ReloadError`]; the running config is unchanged.
    pub async fn reload_with(self: &Arc<Self>, config: Config) -> Result<Vec<String>, ReloadError> {
        let outcome = {
            let _one = self.reload_lock.lock().await;
            self.apply(config).await
        };
        self.account(&outcome, Path::new("(given config)"));
        outcome
    }

    /// How many reloads failed so far.
    pub fn failed_reloads(&self) -> u64 {
        self.metrics.reloads_failed()
    }

    fn account(&self, outcome: &Result<Vec<String>, ReloadError>, path: &Path) {
        self.audit.reloaded(outcome.is_ok());
        self.metrics.config_reload(outcome.is_ok());
        match outcome {
            Ok(changed) => {
                tracing::info!(path = %path.display(), ?changed, "config reloaded");
            }
            Err(error) => tracing::error!(
                path = %path.display(),
                %error,
                "config reload failed: the previous config keeps serving"
            ),
        }
    }

    /// The parts of a new snapshot that take work to build: the compiled policy, the
    /// config's withdrawals, the authenticator and the TLS files. Blocking.
    fn prepare(&self, config: Config) -> Result<Prepared, ReloadError> {
        let invalid = |error: Error| ReloadError::Invalid(error.to_string());
        let policy = config.policy().map_err(|e| invalid(e.into()))?;
        let withdrawals = ConfigWithdrawals::new(
            config
                .withdrawals()
                .map(|w| (w.server, w.pattern, w.tenant)),
        )
        .map_err(|e| invalid(e.into()))?;
        let authenticator =
            Authenticator::new(&config.auth, HttpClient::new(self.options.identity_timeout))
                .map_err(|e| invalid(e.into()))?;
        // The certificate and key files are read again even when the text is unchanged.
        let tls = self.prepare_tls(&config, &authenticator)?;
        Ok(Prepared {
            config,
            policy,
            withdrawals,
            authenticator,
            tls,
        })
    }

    /// [`Gateway::reload_with`]'s work; the caller holds `reload_lock`.
    async fn apply(self: &Arc<Self>, config: Config) -> Result<Vec<String>, ReloadError> {
        let old = self.snapshot();
        if config.tool_access.mode != old.config.tool_access.mode {
            return Err(ReloadError::Refused(
                "tool_access.mode cannot change while running (restart mcp-hangar to switch modes)"
                    .to_owned(),
            ));
        }
        if config.metrics.listen != old.config.metrics.listen {
            return Err(ReloadError::Refused(
                "metrics.listen cannot change while running (restart mcp-hangar to move the metrics listener)"
                    .to_owned(),
            ));
        }
        if config.data_dir != old.config.data_dir {
            return Err(ReloadError::Refused(
                "data_dir cannot change while running (stop mcp-hangar, move the data, restart)"
                    .to_owned(),
            ));
        }
        if config.audit != old.config.audit {
            return Err(ReloadError::Refused(
                "restart mcp-hangar to change the audit log".to_owned(),
            ));
        }
        // Compiled and loaded on a blocking thread, like the file's read: a policy of tens
        // of thousands of tenant rules takes a while, and the certificate files are read.
        let gateway = Arc::clone(self);
        let Prepared {
            config,
            policy,
            withdrawals,
            authenticator,
            tls,
        } = tokio::task::spawn_blocking(move || gateway.prepare(config))
            .await
            .map_err(|_| {
                ReloadError::Invalid("checking the new config did not finish".to_owned())
            })??;

        let mut changed = Vec::new();
        if config.tool_access != old.config.tool_access {
            changed.push("tool_access: changed".to_owned());
        }
        if config.auth != old.config.auth {
            changed.push("auth: changed".to_owned());
        }
        if config.metrics != old.config.metrics {
            changed.push("metrics: changed".to_owned());
        }
        let mut upstreams = Upstreams::new();
        let mut fresh: Vec<Arc<dyn Upstream>> = Vec::new();
        let mut retired: Vec<Arc<dyn Upstream>> = Vec::new();
        for server in &config.mcp_servers {
            let name = &server.name;
            let previous = old.config.server(name);
            let running = old.upstreams.get(name);
            match (previous, running) {
                (Some(previous), Some(running))
                    if same_transport(previous, server) && same_trust(server, running.as_ref()) =>
                {
                    upstreams.insert(Arc::clone(running));
                    if previous != server {
                        changed.push(format!("mcp_servers.{name}: rules changed"));
                    }
                }
                (previous, running) => {
                    let upstream = new_upstream(&self.registered, server);
                    if let Some(running) = running
                        && !Arc::ptr_eq(running, &upstream)
                    {
                        retired.push(Arc::clone(running));
                    }
                    changed.push(if previous.is_some() {
                        format!("mcp_servers.{name}: changed (restarted)")
                    } else {
                        format!("mcp_servers.{name}: added")
                    });
                    upstreams.insert(Arc::clone(&upstream));
                    fresh.push(upstream);
                }
            }
        }
        let mut removed = Vec::new();
        for server in &old.config.mcp_servers {
            if config.server(&server.name).is_none() {
                changed.push(format!("mcp_servers.{}: removed", server.name));
                removed.push(server.name.clone());
                if let Some(running) = old.upstreams.get(&server.name) {
                    retired.push(Arc::clone(running));
                }
            }
        }
        if old.config.withdrawals().collect::<Vec<_>>() != config.withdrawals().collect::<Vec<_>>()
        {
            changed.push("withdrawals (tool_projection): changed".to_owned());
        }
        if config.rate_limits != old.config.rate_limits {
            changed.push("rate_limits: changed".to_owned());
        }
        // Buckets and semaphores whose setting is unchanged carry over (limits.rs).
        let limits = Arc::new(Limits::new(&config, Some(&old.limits)));

        if config.tls != old.config.tls {
            changed.push("tls: changed".to_owned());
        }
        // New connections handshake with the new certificate; open ones keep theirs.
        self.install_tls(tls, &mut changed);
        self.store_snapshot(Snapshot {
            config: Arc::new(config),
            policy: Arc::new(policy),
            authenticator: Arc::new(authenticator),
            upstreams,
            limits,
            metrics: Arc::clone(&old.metrics),
            generation: old.generation + 1,
        });
        // Moves the overlay epoch: cached surfaces are rebuilt, open streams recompute
        // theirs and send list_changed where they changed.
        self.overlays().replace_config(withdrawals);
        {
            let mut stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
            for name in &removed {
                stopped.remove(name);
            }
        }
        for name in &removed {
            self.remove_tools(name);
        }
        for upstream in retired {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(STOP_TIMEOUT, upstream.stop()).await;
            });
        }
        if self.serving.load(Ordering::Acquire) {
            for upstream in fresh {
                if !self.is_stopped(upstream.name()) {
                    self.launch(upstream);
                }
            }
        }
        drop(old);
        Ok(changed)
    }

    /// Starts `upstream`, follows it and lists its tools in the background (retrying a
    /// few times).
    fn launch(self: &Arc<Self>, upstream: Arc<dyn Upstream>) {
        upstream.start();
        self.follow_upstream(Arc::clone(&upstream));
        let upstream = Arc::clone(&upstream);
        let gateway = Arc::clone(self);
        let server = upstream.name().to_owned();
        tokio::spawn(async move {
            let mut pause = Duration::from_millis(500);
            for _ in 0..8 {
                let current = gateway.snapshot().upstreams.get(&server).cloned();
                if !current.is_some_and(|current| Arc::ptr_eq(&current, &upstream)) {
                    return; // Replaced or removed since.
                }
                if gateway.refresh_server(&server).await {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        });
    }

    /// Stops back end `name`: its tools leave every surface (list_changed follows), its
    /// state reads `stopped` until [`Gateway::start_server`].
    ///
    /// # Errors
    ///
    /// An unknown name, or a back end already stopped.
    pub async fn stop_server(self: &Arc<Self>, name: &str) -> Result<(), LifecycleError> {
        let _one = self.reload_lock.lock().await;
        let snapshot = self.snapshot();
        known(&snapshot, name)?;
        if !self
            .stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned())
        {
            return Err(LifecycleError::Already {
                name: name.to_owned(),
                state: "stopped",
            });
        }
        self.remove_tools(name);
        if let Some(upstream) = snapshot.upstreams.get(name) {
            let _ = tokio::time::timeout(STOP_TIMEOUT, upstream.stop()).await;
        }
        tracing::info!(server = name, "back end stopped");
        Ok(())
    }

    /// Starts back end `name` again (a fresh connection or child process) and lists its
    /// tools; they come back on the surfaces when it answers.
    ///
    /// # Errors
    ///
    /// An unknown name, or a back end not stopped.
    pub async fn start_server(self: &Arc<Self>, name: &str) -> Result<(), LifecycleError> {
        let _one = self.reload_lock.lock().await;
        let snapshot = self.snapshot();
        let server = known(&snapshot, name)?;
        if !self.is_stopped(name) {
            return Err(LifecycleError::Already {
                name: name.to_owned(),
                state: "started",
            });
        }
        // A fresh back end: a stopped transport is not reused.
        let upstream = new_upstream(&self.registered, server);
        let mut upstreams = snapshot.upstreams.clone();
        upstreams.insert(Arc::clone(&upstream));
        self.store_snapshot(Snapshot {
            config: Arc::clone(&snapshot.config),
            policy: Arc::clone(&snapshot.policy),
            authenticator: Arc::clone(&snapshot.authenticator),
            upstreams,
            limits: Arc::clone(&snapshot.limits),
            metrics: Arc::clone(&snapshot.metrics),
            generation: snapshot.generation + 1,
        });
        self.stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        if self.serving.load(Ordering::Acquire) {
            self.launch(upstream);
        } else {
            let _ = self.refresh_server(name).await;
        }
        tracing::info!(server = name, "back end started");
        Ok(())
    }

    /// Watches the config file and reloads when it changes, once it has been quiet for
    /// `debounce`. The file's directory is watched (the `notify` crate), so an editor
    /// that replaces the file (write elsewhere, rename over) is seen like an in-place
    /// edit; a change that leaves the bytes as they were is ignored. Where no watcher can
    /// be made, the file is polled every second instead. Does nothing without a config
    /// file. The task ends at shutdown.
    pub fn watch_config(self: &Arc<Self>, debounce: Duration) {
        let Some(path) = self.config_path.clone() else {
            return;
        };
        // What the file holds as the watch starts (read here, once, so that an edit made
        // right after this call is a change); later reads are off the runtime.
        let first = std::fs::read(&path).ok();
        let (events, mut changes) = tokio::sync::mpsc::unbounded_channel::<()>();
        let watcher = file_watcher(&path, events.clone());
        if watcher.is_none() {
            // Polling fallback: one tick a second.
            let mut stopping = self.stopping();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stopping.changed() => return,
                    }
                    if events.send(()).is_err() {
                        return;
                    }
                }
            });
        }
        let gateway = Arc::clone(self);
        let mut stopping = self.stopping();
        tokio::spawn(async move {
            // Owned by the task: dropping it stops the watch.
            let _watcher = watcher;
            let mut last = first;
            loop {
                tokio::select! {
                    received = changes.recv() => if received.is_none() { return },
                    _ = stopping.changed() => return,
                }
                // Debounce: wait until no event came for `debounce`.
                while let Ok(Some(())) = tokio::time::timeout(debounce, changes.recv()).await {}
                let Some(now) = read_off_runtime(&path).await else {
                    continue; // Mid-replace, or removed: the next event tells.
                };
                if last.as_deref() == Some(now.as_slice()) {
                    continue;
                }
                last = Some(now);
                tracing::info!(path = %path.display(), "config file changed: reloading");
                let _ = gateway.reload().await;
            }
        });
    }
}

/// The file's bytes, read on a blocking thread (the watch runs on the thread that accepts
/// connections); `None` when it cannot be read.
async fn read_off_runtime(path: &Path) -> Option<Vec<u8>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || std::fs::read(path).ok())
        .await
        .ok()
        .flatten()
}

/// A watcher on `path`'s directory that sends on `events` for every change naming the
/// file (not for reads); `None` when the system refuses.
fn file_watcher(
    path: &Path,
    events: tokio::sync::mpsc::UnboundedSender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    let name = path.file_name()?.to_owned();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event
            .paths
            .iter()
            .any(|p| p.file_name() == Some(name.as_os_str()))
        {
            let _ = events.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(error) => {
            tracing::warn!(%error, "cannot watch the config file: polling it");
            return None;
        }
    };
    if let Err(error) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
        tracing::warn!(%error, dir = %dir.display(), "cannot watch the config directory: polling it");
        return None;
    }
    Some(watcher)
}

/// Whether only the rules of a server changed (no restart needed).
fn same_transport(old: &McpServer, new: &McpServer) -> bool {
    old.transport == new.transport
        && old.timeouts == new.timeouts
        && old.protocol_version == new.protocol_version
}

/// Whether a back end's `ca_file` still holds what the running back end was built with
/// (read again on every reload, like the listener's certificate files).
fn same_trust(server: &McpServer, running: &dyn Upstream) -> bool {
    match &server.transport {
        Transport::Remote {
            ca_file: Some(path),
            ..
        } => std::fs::read(path).ok().as_deref() == running.trust_anchors(),
        _ => true,
    }
}

fn known<'a>(snapshot: &'a Snapshot, name: &str) -> Result<&'a McpServer, LifecycleError> {
    snapshot
        .config
        .server(name)
        .ok_or_else(|| LifecycleError::Unknown {
            name: name.to_owned(),
            known: {
                let names: Vec<&str> = snapshot
                    .config
                    .mcp_servers
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            },
        })
}
