//! The SDKs the tests send with, installed from their registries once per
//! target directory: a Python venv from `requirements.txt` and an npm project
//! from `package.json` and `package-lock.json`, all pinned.
//!
//! A machine with only the Rust toolchain, Python 3 (with pip and venv) and
//! Node.js with npm needs nothing more: `cargo test` installs what is missing.
//! An install that fails fails the test that needed it, with the installer's
//! output; no test is skipped for want of an SDK.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const REQUIREMENTS: &str = include_str!("requirements.txt");
const PACKAGE_JSON: &str = include_str!("package.json");
const PACKAGE_LOCK: &str = include_str!("package-lock.json");
const SEGMENT_NODE_SCRIPT: &str = include_str!("segment_send.mjs");

/// The sender scripts, as committed.
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk");

/// The installed SDKs, under `CARGO_TARGET_TMPDIR/sdk`.
pub struct Sdks {
    dir: PathBuf,
}

impl Sdks {
    /// `python SCRIPT` with the venv's Python, which has the SDKs.
    pub fn python(&self, script: &str) -> Command {
        let mut command = Command::new(self.dir.join("venv/bin/python"));
        command.arg(Path::new(SCRIPTS).join(script));
        command
    }

    /// `node segment_send.mjs`, run from the npm project that has the SDK.
    pub fn segment_node(&self) -> Command {
        let mut command = Command::new("node");
        command.arg(self.dir.join("node/segment_send.mjs"));
        command
    }
}

/// The SDKs, installed by the first test of this process that asks.
pub fn sdks() -> &'static Sdks {
    static SDKS: OnceLock<Sdks> = OnceLock::new();
    SDKS.get_or_init(install)
}

/// Installs the SDKs unless the installed ones came from the same pinned
/// lists, which the `installed-from` stamp, written last, holds.
fn install() -> Sdks {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk");
    fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("making {}: {error}", dir.display()));
    // Test binaries of other `cargo test` runs share the directory: one
    // installs while the others wait, then find it done.
    let lock_path = dir.join("install.lock");
    let lock = File::create(&lock_path)
        .unwrap_or_else(|error| panic!("opening {}: {error}", lock_path.display()));
    lock.lock().unwrap_or_else(|error| panic!("locking {}: {error}", lock_path.display()));

    let wanted = [REQUIREMENTS, PACKAGE_JSON, PACKAGE_LOCK].concat();
    let stamp = dir.join("installed-from");
    if fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        // Whatever a failed or older install left is started over.
        let _ = fs::remove_file(&stamp);
        for part in ["venv", "node"] {
            let path = dir.join(part);
            if path.exists() {
                fs::remove_dir_all(&path)
                    .unwrap_or_else(|error| panic!("removing {}: {error}", path.display()));
            }
        }
        write(&dir.join("requirements.txt"), REQUIREMENTS);
        run(Command::new("python3").arg("-m").arg("venv").arg(dir.join("venv")));
        run(Command::new(dir.join("venv/bin/python")).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--requirement",
            &dir.join("requirements.txt").display().to_string(),
        ]));
        let node = dir.join("node");
        fs::create_dir_all(&node)
            .unwrap_or_else(|error| panic!("making {}: {error}", node.display()));
        write(&node.join("package.json"), PACKAGE_JSON);
        write(&node.join("package-lock.json"), PACKAGE_LOCK);
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&node));
        write(&stamp, &wanted);
    }
    // Node resolves a module's imports from the module's own directory, so the
    // script runs from the npm project; copied at every run, so that an edited
    // script is the one run.
    let script = dir.join("node/segment_send.mjs");
    if fs::read_to_string(&script).ok().as_deref() != Some(SEGMENT_NODE_SCRIPT) {
        write(&script, SEGMENT_NODE_SCRIPT);
    }
    drop(lock);
    Sdks { dir }
}

/// Writes `text` to `path` through a file beside it, so that no one reads it
/// half-written.
fn write(path: &Path, text: &str) {
    let partial = path.with_extension("partial");
    fs::write(&partial, text)
        .unwrap_or_else(|error| panic!("writing {}: {error}", partial.display()));
    fs::rename(&partial, path)
        .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
}

/// Runs an installer step; a failure fails the test with the step's output.
fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|error| {
        panic!("cannot run {command:?} to install the SDKs the tests send with: {error}")
    });
    assert!(
        output.status.success(),
        "installing the SDKs the tests send with: {command:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
