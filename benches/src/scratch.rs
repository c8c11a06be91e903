//! Where the benchmarks find the build and keep their SQLite files.

use std::path::{Path, PathBuf};

/// Cargo's target directory for this workspace, as it was when this crate was built.
pub fn target_dir() -> PathBuf {
    match option_env!("CARGO_TARGET_DIR") {
        Some(target) => PathBuf::from(target),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// The directory under which benchmark files are made: `TALLY_BENCH_DIR` if set,
/// else [`target_dir`]. Files of several GiB go there, more than a RAM-backed
/// `/tmp` may hold, and a RAM disk would not measure the disk anyway.
pub fn scratch_dir() -> PathBuf {
    match std::env::var_os("TALLY_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => target_dir(),
    }
}

/// A release binary the load tools run was not found.
#[derive(Debug, thiserror::Error)]
#[error("{} does not exist; build it with `cargo build --release -p {name}`", binary.display())]
pub struct MissingBinary {
    /// Where it was looked for.
    pub binary: PathBuf,
    /// The binary's package.
    pub name: String,
}

/// The release binary `name`: `given`, or the workspace's `release/NAME`,
/// which must exist.
pub fn release_binary(name: &str, given: Option<&Path>) -> Result<PathBuf, MissingBinary> {
    let binary = given.map_or_else(|| target_dir().join("release").join(name), Path::to_path_buf);
    if binary.is_file() { Ok(binary) } else { Err(MissingBinary { binary, name: name.to_owned() }) }
}

/// A new directory `PREFIX…` under [`scratch_dir`] (made when missing),
/// removed with what it holds when dropped.
pub fn scratch_tempdir(prefix: &str) -> std::io::Result<tempfile::TempDir> {
    let scratch = scratch_dir();
    std::fs::create_dir_all(&scratch)?;
    tempfile::Builder::new().prefix(prefix).tempdir_in(&scratch)
}
