//! The shutdown signal: SIGTERM (what orchestrators send) or ctrl-c.

use std::future::Future;

/// A future that completes on the first SIGTERM or ctrl-c (SIGINT).
///
/// The handlers are installed when this function is called (inside a tokio runtime),
/// not when the future is first polled: call it before announcing readiness, so a signal
/// sent right after the announcement is never lost to the default action. If a handler
/// cannot be installed the other one still works; if neither can, it never completes.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).ok();
        let mut interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let terminate = async {
                match terminate.as_mut() {
                    Some(stream) => stream.recv().await,
                    None => std::future::pending().await,
                }
            };
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(stream) => stream.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = terminate => tracing::info!("SIGTERM: shutting down"),
                _ = interrupt => tracing::info!("ctrl-c: shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("ctrl-c: shutting down");
            } else {
                std::future::pending::<()>().await;
            }
        }
    }
}
