//! The writer: a bounded queue in front of one dedicated thread that appends lines.
//!
//! [`AuditLog::record`] never blocks and never fails: it puts the record on a bounded
//! queue with `try_send`. When the queue is full (the disk is slower than the traffic)
//! the record is dropped and counted ([`Stats::dropped`]); the request it belongs to is
//! never held up and the process never crashes for it. When writing resumes, the writer
//! first appends a `notice` record saying how many records were dropped, so the gap is
//! visible in the file itself, inside the chain.
//!
//! The thread writes through a buffer that it flushes whenever the queue is empty: a
//! record reaches the operating system within milliseconds of being made, not at
//! shutdown. It is not fsynced per record (the file is fsynced when it is rotated and
//! when the log is closed).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::chain::{Digest, Link, check_line};
use crate::error::Error;
use crate::record::Record;

/// How much of a file's end is read at start to find its last record (records are a few
/// hundred bytes; each text field is bounded).
const TAIL_WINDOW: u64 = 64 << 10;

/// Where records go.
pub enum Sink {
    /// Standard output (no rotation; a new chain at every start).
    Stdout,
    /// A file, appended to, rotated past [`Options::max_file_bytes`]; the chain continues
    /// across rotations and restarts.
    File(PathBuf),
    /// Any writer (tests, pipes): like `Stdout`.
    Writer(Box<dyn Write + Send>),
}

impl Sink {
    /// [`Sink::Writer`] for `writer`.
    pub fn writer(writer: impl Write + Send + 'static) -> Self {
        Self::Writer(Box::new(writer))
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdout => f.write_str("Stdout"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Writer(_) => f.write_str("Writer(..)"),
        }
    }
}

/// The writer's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Records waiting for the writer at most; past it records are dropped and counted
    /// (default 10 000; at least 1).
    pub queue_size: usize,
    /// Rotate the file before it grows past this many bytes; 0: never (default 100 MiB).
    pub max_file_bytes: u64,
    /// Rotated files kept (`audit.jsonl.1` the newest … `audit.jsonl.N`); older ones are
    /// deleted (default 5; 0 keeps none).
    pub max_files: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            queue_size: 10_000,
            max_file_bytes: 100 << 20,
            max_files: 5,
        }
    }
}

impl Options {
    /// The defaults with `queue_size`, `max_file_bytes` and `max_files`.
    pub fn new(queue_size: usize, max_file_bytes: u64, max_files: usize) -> Self {
        Self {
            queue_size,
            max_file_bytes,
            max_files,
        }
    }
}

/// What [`AuditLog::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Opened {
    /// No earlier record: the chain starts with `seq` 1.
    New,
    /// The file (or the newest rotated file) ends in an intact record: the chain goes
    /// on after it.
    Continued {
        /// The `seq` of that last record.
        seq: u64,
    },
    /// The file ends in a damaged record (a torn write, an edit): a new chain starts,
    /// with a `notice` record that says why; `verify` reports the damaged line.
    Restarted {
        /// What is wrong with the last line.
        reason: String,
    },
}

/// The writer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Records written (notices included).
    pub written: u64,
    /// Records dropped because the queue was full (or the log was closed).
    pub dropped: u64,
    /// Records lost because the sink could not be written.
    pub write_errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    dropped: AtomicU64,
    write_errors: AtomicU64,
}

enum Message {
    Record(Box<Record>),
    /// Write everything queued before, flush, then answer.
    Flush(SyncSender<()>),
    /// Like `Flush`, then the thread ends.
    Close(SyncSender<()>),
}

/// The audit log: hand it records, a thread writes them.
///
/// ```
/// use hangar_audit::{AuditLog, Kind, Options, Record, Sink, Verdict};
///
/// let dir = std::env::temp_dir().join(format!("hangar-audit-doc-{}", std::process::id()));
/// let path = dir.join("audit.jsonl");
/// # let _ = std::fs::remove_dir_all(&dir);
/// let (log, _opened) = AuditLog::open(Sink::File(path.clone()), Options::default())?;
/// log.record(Record::new(Kind::Auth, Verdict::Allow).subject("ops-admin").method("api_key"));
/// log.close();
///
/// let summary = hangar_audit::verify(std::io::BufReader::new(std::fs::File::open(&path)?))?;
/// assert_eq!(summary.records, 1);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AuditLog {
    sender: SyncSender<Message>,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// How long closing waits for the queue to drain.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

impl AuditLog {
    /// Opens `sink` (a file: created with its directory if needed; its last record read
    /// so the chain continues) and starts the writer thread.
    ///
    /// # Errors
    ///
    /// The file cannot be created, opened or read; the thread cannot be started.
    pub fn open(sink: Sink, options: Options) -> Result<(Self, Opened), Error> {
        let (out, file, start) = match sink {
            Sink::Stdout => (boxed(io::stdout()), None, Start::new()),
            Sink::Writer(writer) => (BufWriter::new(writer), None, Start::new()),
            Sink::File(path) => {
                let (file, start) =
                    open_file(&path, options.max_files).map_err(|source| Error::Open {
                        path: path.clone(),
                        source,
                    })?;
                let out = boxed(file.handle.try_clone().map_err(|source| Error::Open {
                    path: path.clone(),
                    source,
                })?);
                (out, Some(file), start)
            }
        };
        let (sender, receiver) = sync_channel(options.queue_size.max(1));
        let counters = Arc::new(Counters::default());
        let opened = start.opened.clone();
        let writer = Writer {
            out,
            file,
            max_file_bytes: options.max_file_bytes,
            max_files: options.max_files,
            seq: start.seq,
            head: start.head,
            counters: Arc::clone(&counters),
            reported_drops: 0,
            lost: 0,
            batch: 0,
            failing: None,
            notice: start.notice,
        };
        let thread = std::thread::Builder::new()
            .name("hangar-audit".into())
            .spawn(move || writer.run(&receiver))
            .map_err(Error::Thread)?;
        Ok((
            Self {
                sender,
                counters,
                thread: Mutex::new(Some(thread)),
            },
            opened,
        ))
    }

    /// Queues `record`; never blocks. When the queue is full the record is dropped and
    /// counted (see the module docs).
    pub fn record(&self, record: Record) {
        if self
            .sender
            .try_send(Message::Record(Box::new(record)))
            .is_err()
        {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        Stats {
            written: self.counters.written.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            write_errors: self.counters.write_errors.load(Ordering::Relaxed),
        }
    }

    /// Blocks until every record queued before is written and flushed (tests, or before
    /// reading the file); `false` when that took longer than 10 s or the log is closed.
    pub fn flush(&self) -> bool {
        let (ack, done) = sync_channel(1);
        self.control(Message::Flush(ack), &done)
    }

    /// Drains the queue, flushes and fsyncs, and stops the writer (waiting at most 10 s);
    /// records made afterwards are counted as dropped. Also done on drop.
    pub fn close(&self) -> Stats {
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let (ack, done) = sync_channel(1);
            if self.control(Message::Close(ack), &done) {
                let _ = thread.join();
            }
        }
        self.stats()
    }

    /// Sends a control message (waiting for room in the queue) and waits for its answer.
    fn control(&self, message: Message, done: &Receiver<()>) -> bool {
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        let mut message = message;
        loop {
            match self.sender.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    message = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn boxed(writer: impl Write + Send + 'static) -> BufWriter<Box<dyn Write + Send>> {
    BufWriter::new(Box::new(writer))
}

/// Where the chain stands when the writer starts.
struct Start {
    seq: u64,
    head: Digest,
    opened: Opened,
    notice: Option<String>,
}

impl Start {
    fn new() -> Self {
        Self {
            seq: 0,
            head: Digest::ZERO,
            opened: Opened::New,
            notice: None,
        }
    }

    fn after(tail: Tail, path: &Path) -> Self {
        match tail {
            Tail::Empty => Self::new(),
            Tail::Intact(link) => Self {
                seq: link.seq,
                head: link.hash,
                opened: Opened::Continued { seq: link.seq },
                notice: None,
            },
            Tail::Damaged(reason) => Self {
                notice: Some(format!(
                    "the last line of {} is damaged ({reason}); a new chain starts here",
                    path.display()
                )),
                opened: Opened::Restarted { reason },
                ..Self::new()
            },
        }
    }
}

/// The live file.
struct FileState {
    path: PathBuf,
    /// Bytes in the file (for rotation).
    size: u64,
    /// The open file (the buffer writes to a clone of it), for `sync_data`.
    handle: File,
}

/// Opens (creating) the live file for appending and finds where the chain stands: its
/// last line, or the newest rotated file's when the live one is empty.
fn open_file(path: &Path, max_files: usize) -> io::Result<(FileState, Start)> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut handle = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let mut size = handle.metadata()?.len();
    let tail = if size > 0 {
        let (tail, torn) = read_tail(&mut handle, size)?;
        if torn {
            // The new chain starts on a line of its own.
            handle.write_all(b"\n")?;
            size += 1;
        }
        (tail, path.to_path_buf())
    } else {
        let rotated = rotated_path(path, 1);
        match File::open(&rotated) {
            Ok(mut older) if max_files > 0 => {
                let len = older.metadata()?.len();
                (read_tail(&mut older, len)?.0, rotated)
            }
            _ => (Tail::Empty, rotated),
        }
    };
    let start = Start::after(tail.0, &tail.1);
    Ok((
        FileState {
            path: path.to_path_buf(),
            size,
            handle,
        },
        start,
    ))
}

/// The last line of a file.
enum Tail {
    Empty,
    Intact(Link),
    Damaged(String),
}

/// The last line of the `size`-byte file, and whether the file lacks its final newline.
fn read_tail(file: &mut File, size: u64) -> io::Result<(Tail, bool)> {
    if size == 0 {
        return Ok((Tail::Empty, false));
    }
    let window = size.min(TAIL_WINDOW);
    file.seek(SeekFrom::Start(size - window))?;
    let mut bytes = Vec::with_capacity(usize::try_from(window).unwrap_or(0));
    file.take(window).read_to_end(&mut bytes)?;
    let Some(body) = bytes.strip_suffix(b"\n") else {
        let reason = "no newline at the end: a torn write".to_owned();
        return Ok((Tail::Damaged(reason), true));
    };
    let line = match body.iter().rposition(|&b| b == b'\n') {
        Some(i) => &body[i + 1..],
        None if window == size => body,
        None => return Ok((Tail::Damaged("the last line is too long".into()), false)),
    };
    Ok(match check_line(line) {
        Ok(link) => (Tail::Intact(link), false),
        Err(reason) => (Tail::Damaged(reason), false),
    })
}

/// `audit.jsonl.N` for `audit.jsonl` (`N` = 0: the live file).
pub(crate) fn rotated_path(path: &Path, n: usize) -> PathBuf {
    if n == 0 {
        return path.to_path_buf();
    }
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The writer thread's state.
struct Writer {
    out: BufWriter<Box<dyn Write + Send>>,
    /// `Some` for a file sink.
    file: Option<FileState>,
    max_file_bytes: u64,
    max_files: usize,
    /// The last `seq` written (0: none yet in this chain).
    seq: u64,
    /// The last record's hash.
    head: Digest,
    counters: Arc<Counters>,
    /// Drops already told in a notice.
    reported_drops: u64,
    /// Records lost to write errors, not yet told in a notice.
    lost: u64,
    /// Records in the buffer since the last successful flush.
    batch: u64,
    /// The last write error, while writes fail (logged once, told in the next notice).
    failing: Option<String>,
    /// A notice to write before the next record (a restarted chain).
    notice: Option<String>,
}

impl Writer {
    fn run(mut self, receiver: &Receiver<Message>) {
        while let Ok(message) = receiver.recv() {
            let mut next = Some(message);
            while let Some(message) = next.take() {
                match message {
                    Message::Record(record) => self.append(&record),
                    Message::Flush(ack) => {
                        self.flush();
                        let _ = ack.send(());
                    }
                    Message::Close(ack) => {
                        self.notices();
                        self.flush();
                        if let Some(file) = &self.file {
                            let _ = file.handle.sync_data();
                        }
                        let _ = ack.send(());
                        return;
                    }
                }
                // Empty or disconnected: flush, then wait (or end).
                next = receiver.try_recv().ok();
            }
            // The queue is empty: what was written reaches the file now.
            self.flush();
        }
        // Every sender is gone (the log was dropped without closing).
        self.notices();
        self.flush();
    }

    /// Appends a record, after the notices that must come first.
    fn append(&mut self, record: &Record) {
        self.notices();
        self.write(record);
    }

    /// Writes the pending notices: a restarted chain, dropped records, lost records.
    fn notices(&mut self) {
        if let Some(reason) = self.notice.take() {
            self.write(&Record::notice(reason));
        }
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        if dropped > self.reported_drops {
            let count = dropped - self.reported_drops;
            self.reported_drops = dropped;
            self.write(&Record::notice(format!(
                "{count} record{} dropped: the audit queue was full",
                plural(count)
            )));
        }
        if self.lost > 0 {
            let count = std::mem::take(&mut self.lost);
            self.write(&Record::notice(format!(
                "{count} record{} lost: the audit log could not be written",
                plural(count)
            )));
        }
    }

    fn write(&mut self, record: &Record) {
        let (line, hash) = record.encode(self.seq + 1, &self.head);
        self.rotate_for(line.len() as u64);
        match self.out.write_all(&line) {
            Ok(()) => {
                self.seq += 1;
                self.head = hash;
                self.batch += 1;
                if let Some(file) = &mut self.file {
                    file.size += line.len() as u64;
                }
            }
            Err(error) => self.failed(&error, 1),
        }
    }

    fn flush(&mut self) {
        match self.out.flush() {
            Ok(()) => {
                self.counters
                    .written
                    .fetch_add(std::mem::take(&mut self.batch), Ordering::Relaxed);
                if let Some(error) = self.failing.take() {
                    tracing::info!(%error, "audit log writable again");
                }
            }
            Err(error) => self.failed(&error, 0),
        }
    }

    /// A write failed: the buffered records (and `extra` more) are lost. A file is opened
    /// again and the chain goes on from what the file really ends with.
    fn failed(&mut self, error: &io::Error, extra: u64) {
        let lost = std::mem::take(&mut self.batch) + extra;
        self.counters
            .write_errors
            .fetch_add(lost, Ordering::Relaxed);
        self.lost += lost;
        if self.failing.is_none() {
            tracing::warn!(%error, "cannot write the audit log: records are lost");
        }
        self.failing = Some(error.to_string());
        // Drop the buffer without writing it.
        let old = std::mem::replace(&mut self.out, boxed(io::sink()));
        let (inner, _unwritten) = old.into_parts();
        let Some(file) = &self.file else {
            self.out = BufWriter::new(inner);
            return;
        };
        drop(inner);
        let path = file.path.clone();
        if let Err(error) = self.reopen(&path) {
            tracing::warn!(%error, path = %path.display(), "cannot reopen the audit log");
        }
    }

    /// Opens the live file again and continues the chain from its last line.
    fn reopen(&mut self, path: &Path) -> io::Result<()> {
        let (file, start) = open_file(path, self.max_files)?;
        self.out = boxed(file.handle.try_clone()?);
        self.file = Some(file);
        self.seq = start.seq;
        self.head = start.head;
        if start.notice.is_some() {
            self.notice = start.notice;
        }
        Ok(())
    }

    /// Rotates the file when `len` more bytes would take it past the limit.
    fn rotate_for(&mut self, len: u64) {
        let Some(file) = &self.file else {
            return;
        };
        if self.max_file_bytes == 0 || file.size == 0 || file.size + len <= self.max_file_bytes {
            return;
        }
        let path = file.path.clone();
        self.flush();
        if let Some(file) = &self.file {
            let _ = file.handle.sync_data();
        }
        if let Err(error) = self.rotate(&path) {
            tracing::warn!(%error, path = %path.display(), "cannot rotate the audit log");
            // Keep appending to whatever file is there now.
            let _ = self.reopen_keeping_chain(&path);
        }
    }

    /// `audit.jsonl.(N-1)` → `.N` … `audit.jsonl` → `.1` (the oldest is replaced), then a
    /// new live file; the chain goes on in it.
    fn rotate(&mut self, path: &Path) -> io::Result<()> {
        if self.max_files == 0 {
            std::fs::remove_file(path)?;
        }
        for n in (1..=self.max_files).rev() {
            let from = rotated_path(path, n - 1);
            if from.exists() {
                std::fs::rename(&from, rotated_path(path, n))?;
            }
        }
        self.reopen_keeping_chain(path)
    }

    fn reopen_keeping_chain(&mut self, path: &Path) -> io::Result<()> {
        let handle = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let size = handle.metadata()?.len();
        self.out = boxed(handle.try_clone()?);
        self.file = Some(FileState {
            path: path.to_path_buf(),
            size,
            handle,
        });
        Ok(())
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}
