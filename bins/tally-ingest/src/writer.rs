//! The writer thread: the one owner of the store's write connection.
//!
//! HTTP handlers and the import command hand it checked batches; it commits every
//! batch waiting at that moment in one transaction (group commit) and answers each
//! only after the commit, so an acknowledged event is in the file.

use std::fmt;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tally_service::error_chain;
use tally_store::{AccountId, AppendOutcome, EventRecord, PendingBatch, Store};
use tokio::sync::oneshot;

/// Why a batch was not written. Nothing of it is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// Whether retrying later may succeed (locked file, full disk).
    pub transient: bool,
    /// The store's error with its causes, for the log.
    pub message: String,
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WriteFailure {}

/// Events in one group commit, at most: bounds the transaction and the memory
/// waiting on it, while a burst of small batches still shares one commit.
const MAX_EVENTS_PER_COMMIT: usize = 50_000;

struct WriteRequest {
    account: AccountId,
    events: Vec<EventRecord>,
    reply: oneshot::Sender<Reply>,
}

/// The outcome, and the events handed back: freeing ten thousand events takes
/// time better spent by the submitter than by the one writer.
struct Reply {
    outcome: Result<AppendOutcome, WriteFailure>,
    events: Vec<EventRecord>,
}

impl Reply {
    /// Frees the events here, on the submitter's thread, and returns the outcome.
    fn into_outcome(self) -> Result<AppendOutcome, WriteFailure> {
        let Reply { outcome, events } = self;
        drop(events);
        outcome
    }
}

/// A handle for submitting batches to the writer thread. Cloning is cheap; the
/// thread stops once every handle is dropped and the queue is empty.
#[derive(Clone)]
pub struct WriterHandle {
    sender: mpsc::SyncSender<WriteRequest>,
}

/// The running writer thread.
pub struct Writer {
    thread: JoinHandle<()>,
}

impl Writer {
    /// Starts the writer thread on an open store. `queue_depth` batches may wait
    /// before submitters are held back.
    pub fn start(store: Store, queue_depth: usize) -> (Writer, WriterHandle) {
        let (sender, receiver) = mpsc::sync_channel(queue_depth);
        let thread = std::thread::Builder::new()
            .name("tally-writer".into())
            .spawn(move || run(store, receiver))
            .expect("spawning the writer thread");
        (Writer { thread }, WriterHandle { sender })
    }

    /// Waits until every submitted batch is committed and the thread has stopped.
    /// Call after dropping every [`WriterHandle`].
    pub fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!("the writer thread panicked");
        }
    }
}

impl WriterHandle {
    /// Submits a batch and waits for its commit.
    pub async fn append(
        &self,
        account: AccountId,
        events: Vec<EventRecord>,
    ) -> Result<AppendOutcome, WriteFailure> {
        let (reply, answer) = oneshot::channel();
        let sender = self.sender.clone();
        let request = WriteRequest { account, events, reply };
        // `send` blocks while the queue is full: that is the back-pressure.
        tokio::task::spawn_blocking(move || sender.send(request))
            .await
            .expect("the send task does not panic")
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?.into_outcome()
    }

    /// Submits a batch and waits for its commit, from a thread outside the runtime.
    pub fn append_blocking(
        &self,
        account: AccountId,
        events: Vec<EventRecord>,
    ) -> Result<AppendOutcome, WriteFailure> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(WriteRequest { account, events, reply }).map_err(|_| stopped())?;
        answer.blocking_recv().map_err(|_| stopped())?.into_outcome()
    }
}

fn stopped() -> WriteFailure {
    WriteFailure { transient: true, message: "the writer thread has stopped".into() }
}

fn run(mut store: Store, receiver: mpsc::Receiver<WriteRequest>) {
    while let Ok(first) = receiver.recv() {
        let mut group = vec![first];
        let mut events = group[0].events.len();
        while events < MAX_EVENTS_PER_COMMIT {
            match receiver.try_recv() {
                Ok(request) => {
                    events += request.events.len();
                    group.push(request);
                }
                Err(_) => break,
            }
        }
        let batches: Vec<PendingBatch<'_>> = group
            .iter()
            .map(|request| PendingBatch { account: request.account, events: &request.events })
            .collect();
        match store.append_batches(&batches) {
            Ok(outcomes) => {
                for (request, outcome) in group.into_iter().zip(outcomes) {
                    // A submitter that went away (client hung up) still had its events committed.
                    let _ =
                        request.reply.send(Reply { outcome: Ok(outcome), events: request.events });
                }
            }
            Err(error) => {
                let failure =
                    WriteFailure { transient: error.is_transient(), message: error_chain(&error) };
                tracing::warn!(batches = group.len(), events, error = %failure, "commit failed; nothing written");
                for request in group {
                    let _ = request
                        .reply
                        .send(Reply { outcome: Err(failure.clone()), events: request.events });
                }
            }
        }
    }
}
