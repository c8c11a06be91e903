//! Where the benchmarks find the build and keep their SQLite files.

use std::path::PathBuf;

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
