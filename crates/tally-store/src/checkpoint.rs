//! Checkpoints on a thread of their own, so that appends do not wait for them.
//!
//! In WAL mode a commit only appends pages to the `-wal` file; a checkpoint later
//! copies them into the database and syncs it. Run by the writer after a commit
//! (SQLite's default), that copy and sync stall the next append: at 5 million
//! events they took about 40% of the writer's time. Here a second connection
//! checkpoints while the writer goes on. The writer keeps its own automatic
//! checkpoint as a backstop: it finds the pages already copied and only finishes
//! the job, which lets the WAL start over from its beginning.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// At most one checkpoint starts in this interval: each one syncs the file, and
/// a longer interval lets a page the writer changes often be copied once.
const INTERVAL: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Signal {
    /// A commit happened since the last checkpoint started.
    committed: bool,
    stop: bool,
}

/// The checkpointing thread of one store; stops when dropped.
pub(crate) struct Checkpointer {
    signal: Arc<(Mutex<Signal>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection of its own on `path` and starts the thread.
    pub(crate) fn start(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Checkpointer> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(busy_timeout)?;
        let signal = Arc::new((Mutex::new(Signal::default()), Condvar::new()));
        let thread = std::thread::Builder::new()
            .name("tally-checkpoint".into())
            .spawn({
                let signal = Arc::clone(&signal);
                move || run(&connection, &signal)
            })
            .expect("spawning the checkpoint thread");
        Ok(Checkpointer { signal, thread: Some(thread) })
    }

    /// Tells the thread there are new pages to copy.
    pub(crate) fn committed(&self) {
        let (state, wake) = &*self.signal;
        state.lock().expect("checkpoint signal").committed = true;
        wake.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (state, wake) = &*self.signal;
        state.lock().expect("checkpoint signal").stop = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(connection: &Connection, signal: &(Mutex<Signal>, Condvar)) {
    let (state, wake) = signal;
    loop {
        {
            let mut state = state.lock().expect("checkpoint signal");
            while !state.committed && !state.stop {
                state = wake.wait(state).expect("checkpoint signal");
            }
            if state.stop {
                return;
            }
            state.committed = false;
        }
        let started = Instant::now();
        // PASSIVE never waits for the writer or readers: it copies what it can. A
        // failure (the file is busy or gone) is left for the next commit to retry
        // and for the writer's own checkpoint to cover.
        let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        std::thread::sleep(INTERVAL.saturating_sub(started.elapsed()));
    }
}
