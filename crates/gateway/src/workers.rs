//! Serving threads: one single-threaded tokio runtime per thread, each serving the
//! connections handed to it (thread per core).
//!
//! A connection, its requests and the back-end connections those requests use (each
//! thread has its own back-end pool, see hangar-mcp's HTTP transport) then live on one
//! thread: a call wakes no other thread. On tokio's work-stealing runtime the same call
//! was handed between the two workers and the back-end client's connection task, which
//! cost a fifth of the gateway's CPU per call (docs/performance.md).
//!
//! With no serving threads ([`Options::workers`](crate::Options) 0, the library's
//! default), connections are served on the runtime that calls [`Gateway::serve`]
//! (crate::Gateway::serve), as tests and embedders expect.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// How long a stopping thread waits for its remaining tasks (connections already
/// drained by the graceful shutdown; what is left is dropped).
const STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// The serving threads, or none.
#[derive(Debug, Default)]
pub(crate) struct Workers {
    threads: Vec<Worker>,
    next: AtomicUsize,
}

#[derive(Debug)]
struct Worker {
    handle: Handle,
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Workers {
    /// Starts `count` serving threads (`hangar-worker-N`), each with its own runtime.
    ///
    /// # Errors
    ///
    /// When a thread or its runtime cannot be created (the threads already started are
    /// told to stop, see [`Drop`]).
    pub(crate) fn start(count: usize) -> std::io::Result<Self> {
        let mut workers = Self::default();
        for index in 0..count {
            workers.threads.push(Worker::start(index)?);
        }
        Ok(workers)
    }

    /// Serves `stream` with `serve`: on the next serving thread (round robin), or on the
    /// current runtime when there are none.
    pub(crate) fn serve<F, Fut>(&self, stream: TcpStream, serve: F)
    where
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if self.threads.is_empty() {
            tokio::spawn(serve(stream));
            return;
        }
        // The socket moves to the other runtime's reactor: out of this one as a std
        // socket (still non-blocking), registered again over there.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%error, "cannot hand a connection to a serving thread");
                return;
            }
        };
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.threads.len();
        self.threads[index].handle.spawn(async move {
            match TcpStream::from_std(stream) {
                Ok(stream) => serve(stream).await,
                Err(error) => tracing::warn!(%error, "cannot register a connection"),
            }
        });
    }

    /// How many serving threads run.
    pub(crate) fn len(&self) -> usize {
        self.threads.len()
    }

    /// Stops every serving thread and waits for them (their remaining tasks are
    /// dropped). Blocks: call it off the runtime (`spawn_blocking`).
    pub(crate) fn stop(&mut self) {
        let threads: Vec<JoinHandle<()>> = self
            .threads
            .drain(..)
            .map(|worker| {
                let _ = worker.stop.send(());
                worker.thread
            })
            .collect();
        for thread in threads {
            if thread.join().is_err() {
                tracing::warn!("a serving thread panicked");
            }
        }
    }
}

impl Drop for Workers {
    /// Tells the serving threads to stop without waiting for them: a drop may happen
    /// on a runtime thread (an embedder dropping the `serve` future), where a join
    /// would block it.
    fn drop(&mut self) {
        for worker in self.threads.drain(..) {
            let _ = worker.stop.send(());
        }
    }
}

impl Worker {
    fn start(index: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("hangar-worker-{index}"))
            .spawn(move || {
                // A current-thread runtime runs its tasks only inside `block_on`.
                let _ = runtime.block_on(stopped);
                runtime.shutdown_timeout(STOP_TIMEOUT);
            })?;
        Ok(Self {
            handle,
            stop,
            thread,
        })
    }
}

#[cfg(test)]
mod tests;
