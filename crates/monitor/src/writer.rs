//! The monitor's writer: owns the order and the durability of what the monitor stores.
//!
//! While the monitor's state is locked, each accepted batch of readings (as one telemetry-log
//! entry) and the alarm transitions its rules made are handed over in rule order; one task commits
//! whatever is waiting in one transaction (group commit) and only then answers, and announces the
//! alarms touched to live listeners. The state lock is therefore never held across a disk write,
//! and concurrent batches share one fsync instead of queueing for one each.
//!
//! Compaction hands over its chunks the same way, a slice at a time, so that moving the log into
//! chunks never holds the database's write lock for long and never makes a batch wait behind a
//! busy database.
//!
//! The queue needs no bound of its own: a batch is handed over with one of the monitor's ingest
//! slots (`INGEST_QUEUE_MAX`), which it gives back only once answered here, and the silence check
//! and compaction each hand over one thing at a time and wait for it.

use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use store::{AlarmChange, NewChunk, NewLogEntry, Store};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::AlarmNotice;
use crate::state::{MonitorState, SensorSnapshot};

/// The monitor's state, which the writer locks to roll back writes it could not store.
type SharedState = std::sync::Arc<tokio::sync::Mutex<MonitorState>>;

/// Most writes committed in one transaction.
const GROUP_MAX: usize = 64;

/// What one batch (or one silence check) stores.
#[derive(Debug, Default)]
pub(crate) struct MonitorWrite {
    /// The batch as one telemetry-log entry, being compressed.
    pub log_entry: Option<tokio::task::JoinHandle<Result<NewLogEntry, crate::MonitorError>>>,
    pub changes: Vec<AlarmChange>,
    /// Transitions held back per shelving or maintenance window id.
    pub held: HashMap<i64, i64>,
    /// The sensors this write moved, as they were before it.
    pub before: Vec<SensorSnapshot>,
}

impl MonitorWrite {
    pub(crate) fn is_empty(&self) -> bool {
        self.log_entry.is_none() && self.changes.is_empty() && self.held.is_empty() && self.before.is_empty()
    }
}

enum Work {
    Write(MonitorWrite),
    /// Chunks compacted from the log (with the last slice of a step, the log entries to delete), or
    /// merged from the smaller chunks they replace.
    Chunks {
        chunks: Vec<NewChunk>,
        replacing: Vec<(i64, i64)>,
        delete_log_through: Option<i64>,
    },
}

/// Chunks to store in one transaction, the chunks (sensor id, start) they replace, and the
/// telemetry-log entries (up to an id) they empty.
#[derive(Debug, Default)]
pub(crate) struct ChunkSlice {
    pub chunks: Vec<NewChunk>,
    pub replacing: Vec<(i64, i64)>,
    pub delete_log_through: Option<i64>,
}

struct Pending {
    work: Work,
    committed: oneshot::Sender<Result<(), String>>,
    /// The ingest slot of the batch, freed when it is answered.
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Hands writes to the committing task, started on first use.
#[derive(Default)]
pub(crate) struct MonitorWriter {
    queue: OnceLock<mpsc::UnboundedSender<Pending>>,
}

/// Resolves once the write it was given for is durable (or failed).
pub(crate) struct Commit(oneshot::Receiver<Result<(), String>>);

impl Commit {
    pub(crate) async fn durable(self) -> Result<(), String> {
        self.0.await.unwrap_or_else(|_| Err("the monitor's writer stopped".into()))
    }
}

impl MonitorWriter {
    /// Queues `write` behind everything handed over before it. Call it while holding the monitor's
    /// state lock, so that the order of commits is the order in which the rules ran.
    pub(crate) fn hand_over(
        &self,
        store: &Store,
        notices: &broadcast::Sender<AlarmNotice>,
        state: &SharedState,
        write: MonitorWrite,
        slot: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Commit {
        self.queue(store, notices, state, Work::Write(write), slot)
    }

    /// Queues a slice of compacted or merged chunks (committed in a transaction of its own), with
    /// the chunks they replace and the log entries they empty.
    pub(crate) fn hand_over_chunks(&self, store: &Store, notices: &broadcast::Sender<AlarmNotice>, state: &SharedState, slice: ChunkSlice) -> Commit {
        self.queue(store, notices, state, Work::Chunks { chunks: slice.chunks, replacing: slice.replacing, delete_log_through: slice.delete_log_through }, None)
    }

    fn queue(
        &self,
        store: &Store,
        notices: &broadcast::Sender<AlarmNotice>,
        state: &SharedState,
        work: Work,
        slot: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Commit {
        let (committed, done) = oneshot::channel();
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(commit_in_order(store.clone(), notices.clone(), state.clone(), receiver));
            sender
        });
        if let Err(mpsc::error::SendError(pending)) = queue.send(Pending { work, committed, _slot: slot }) {
            let _ = pending.committed.send(Err("the monitor's writer stopped".into()));
        }
        Commit(done)
    }
}

/// Commits what is waiting in the order handed over: consecutive writes together, up to
/// `GROUP_MAX` at a time, and each slice of chunks alone.
async fn commit_in_order(store: Store, notices: broadcast::Sender<AlarmNotice>, state: SharedState, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let mut received: Vec<Pending> = Vec::with_capacity(GROUP_MAX);
    let mut group: Vec<Pending> = Vec::with_capacity(GROUP_MAX);
    while queue.recv_many(&mut received, GROUP_MAX).await > 0 {
        let mut waiting: VecDeque<Pending> = received.drain(..).collect();
        while let Some(pending) = waiting.pop_front() {
            if let Work::Chunks { chunks, replacing, delete_log_through } = &pending.work {
                commit_writes(&store, &notices, &state, &mut waiting, &mut queue, &mut group).await;
                let outcome = store.store_chunks(chunks, replacing, *delete_log_through).await.map_err(|error| {
                    tracing::error!(%error, chunks = chunks.len(), "could not store compacted chunks");
                    error.to_string()
                });
                let _ = pending.committed.send(outcome);
            } else {
                group.push(pending);
            }
        }
        commit_writes(&store, &notices, &state, &mut waiting, &mut queue, &mut group).await;
    }
}

/// Commits a group of writes in one transaction and answers each of them. If the commit fails,
/// the group fails, and so does everything handed over behind it (`waiting`, then the queue:
/// their rules ran on top of the failed writes): with the monitor's state locked, so that no batch
/// is ruled meanwhile, the writes are rolled back, newest first, before all are answered.
async fn commit_writes(
    store: &Store,
    notices: &broadcast::Sender<AlarmNotice>,
    state: &SharedState,
    waiting: &mut VecDeque<Pending>,
    queue: &mut mpsc::UnboundedReceiver<Pending>,
    group: &mut Vec<Pending>,
) {
    if group.is_empty() {
        return;
    }
    let mut changes: Vec<AlarmChange> = Vec::new();
    let mut held: HashMap<i64, i64> = HashMap::new();
    for pending in group.iter_mut() {
        if let Work::Write(write) = &mut pending.work {
            changes.append(&mut write.changes);
            for (&window, &n) in &write.held {
                *held.entry(window).or_default() += n;
            }
        }
    }
    let mut entries: Vec<NewLogEntry> = Vec::new();
    let mut unencoded = None;
    for pending in group.iter_mut() {
        if let Work::Write(write) = &mut pending.work
            && let Some(encoding) = write.log_entry.take()
        {
            match encoding.await {
                Ok(Ok(entry)) => entries.push(entry),
                Ok(Err(error)) => unencoded = Some(error.to_string()),
                Err(error) => unencoded = Some(error.to_string()),
            }
        }
    }
    let held: Vec<(i64, i64)> = held.into_iter().collect();
    let committed = match unencoded {
        Some(error) => Err(error),
        // Writes with nothing to store (batches whose readings were all refused) are answered in
        // their turn without a transaction.
        None if entries.is_empty() && changes.is_empty() && held.is_empty() => Ok(Vec::new()),
        None => store.commit_monitoring(&entries.iter().collect::<Vec<_>>(), &changes, &held).await.map_err(|error| error.to_string()),
    };
    match committed {
        Ok(alarm_ids) => {
            if !alarm_ids.is_empty() {
                // Nobody listening is fine.
                let _ = notices.send(AlarmNotice { alarm_ids });
            }
            for pending in group.drain(..) {
                let _ = pending.committed.send(Ok(()));
            }
        }
        Err(reason) => {
            tracing::error!(error = %reason, writes = group.len(), "could not store the monitor's writes; rolling them back");
            let mut state = state.lock().await;
            state.rollbacks += 1;
            let mut failed: Vec<Pending> = std::mem::take(group);
            failed.extend(waiting.drain(..));
            while let Ok(pending) = queue.try_recv() {
                failed.push(pending);
            }
            for pending in failed.iter().rev() {
                if let Work::Write(write) = &pending.work {
                    state.roll_back(&write.before);
                }
            }
            drop(state);
            for pending in failed {
                let outcome = match pending.work {
                    Work::Write(_) => Err(reason.clone()),
                    // Queued compaction is not rolled back: its log entries are still there.
                    Work::Chunks { .. } => Err(format!("not attempted after a failed commit: {reason}")),
                };
                let _ = pending.committed.send(outcome);
            }
        }
    }
}
