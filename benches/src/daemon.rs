//! The real daemons as the load tools run them: an account made with
//! `tally-ingest`'s command line, and `tally-ingest serve` or `tally-api serve`
//! on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};

/// Why the daemon or its account could not be set up, or its memory read.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The binary could not be started.
    #[error("running {binary}: {source}")]
    Run {
        /// The `tally-ingest` binary.
        binary: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `account create` failed, or printed no write key.
    #[error("{binary} account create gave no write key ({status}); it printed {output:?}")]
    NoWriteKey {
        /// The `tally-ingest` binary.
        binary: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// Its standard output and error.
        output: String,
    },
    /// `serve` did not print the address it listens on.
    #[error("{binary} serve did not say where it listens; its first line was {line:?}")]
    NoAddress {
        /// The `tally-ingest` binary.
        binary: PathBuf,
        /// What it printed first.
        line: String,
    },
    /// `/proc/PID/status` could not be read or lacked a field.
    #[error("reading {field} from {path}: {reason}")]
    Memory {
        /// The status file.
        path: String,
        /// The field looked for.
        field: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// Creates the account `slug` with one subscription `term` in `db`, with the
/// binary's `account create`; returns its write key.
pub fn create_account(
    binary: &Path,
    db: &Path,
    slug: &str,
    term: &str,
) -> Result<String, DaemonError> {
    let output = Command::new(binary)
        .arg("--db")
        .arg(db)
        .args(["account", "create", "--slug", slug, "--name", slug, "--term", term])
        .output()
        .map_err(|source| DaemonError::Run { binary: binary.to_owned(), source })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let key = stdout
        .lines()
        .find_map(|line| line.strip_prefix("write key (shown once, store it now): "))
        .map(|key| key.trim().to_owned());
    match key {
        Some(key) if output.status.success() => Ok(key),
        _ => Err(DaemonError::NoWriteKey {
            binary: binary.to_owned(),
            status: output.status,
            output: format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
        }),
    }
}

/// A running `tally-ingest serve` or `tally-api serve`, killed when dropped.
pub struct Daemon {
    child: Child,
    /// Where it listens, `http://127.0.0.1:PORT`.
    pub address: String,
    /// Held open so that the daemon never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

/// The daemon's resident memory, from `/proc/PID/status`.
pub struct Memory {
    /// `VmRSS`.
    pub rss_bytes: u64,
    /// `VmHWM`.
    pub high_water_bytes: u64,
}

impl Daemon {
    /// Starts `tally-ingest serve` (`binary`) on `db` with `arguments` on a free
    /// loopback port, and waits for the line saying it listens, which it prints
    /// once the port accepts connections.
    pub fn start(binary: &Path, db: &Path, arguments: &[&str]) -> Result<Daemon, DaemonError> {
        Daemon::start_program(binary, "tally-ingest", db, arguments)
    }

    /// Starts `tally-api serve` (`binary`) as [`Daemon::start`] does the ingest daemon.
    pub fn start_api(binary: &Path, db: &Path, arguments: &[&str]) -> Result<Daemon, DaemonError> {
        Daemon::start_program(binary, "tally-api", db, arguments)
    }

    fn start_program(
        binary: &Path,
        program: &str,
        db: &Path,
        arguments: &[&str],
    ) -> Result<Daemon, DaemonError> {
        let mut child = Command::new(binary)
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(arguments)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|source| DaemonError::Run { binary: binary.to_owned(), source })?;
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let address = line
            .strip_prefix(program)
            .and_then(|rest| rest.strip_prefix(" listening on "))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        match (read, address) {
            (Ok(_), Some(address)) => Ok(Daemon { child, address, _stdout: stdout }),
            (read, _) => {
                let _ = child.kill();
                let _ = child.wait();
                if let Err(source) = read {
                    return Err(DaemonError::Run { binary: binary.to_owned(), source });
                }
                Err(DaemonError::NoAddress { binary: binary.to_owned(), line })
            }
        }
    }

    /// The ingest daemon's batch endpoint, `http://127.0.0.1:PORT/v1/batch`.
    pub fn batch_url(&self) -> String {
        format!("{}/v1/batch", self.address)
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The daemon's resident memory now, and its peak.
    pub fn memory(&self) -> Result<Memory, DaemonError> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).map_err(|error| DaemonError::Memory {
            path: path.clone(),
            field: "status",
            reason: error.to_string(),
        })?;
        let field = |name: &'static str| -> Result<u64, DaemonError> {
            let kib = status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().strip_suffix("kB"))
                .and_then(|number| number.trim().parse::<u64>().ok())
                .ok_or_else(|| DaemonError::Memory {
                    path: path.clone(),
                    field: name,
                    reason: "absent or not a size in kB".into(),
                })?;
            Ok(kib * 1024)
        };
        Ok(Memory { rss_bytes: field("VmRSS:")?, high_water_bytes: field("VmHWM:")? })
    }
}

impl Drop for Daemon {
    /// Every acknowledged batch is committed already, so killing loses nothing.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
