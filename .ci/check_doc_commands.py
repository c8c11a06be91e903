#!/usr/bin/env python3
"""Run every shell command README.md and docs/*.md show, against a copy of the demo database.

The convention the docs follow, so that a command a reader copies runs as written:

- Every ```sh fenced block (also indented, as in a list item) holds commands; other
  blocks (```text, ```json, ...) are not run. A line ending in `\\` continues on the
  next; a line starting with `#` is a comment; text after a `#` on a command line is
  left to bash, which ignores it.
- A block whose first line is `# not run in CI: <reason>` is skipped whole, and a
  command whose line carries that comment is skipped alone; the checker lists each
  with its reason. For what cannot run here: a server in the foreground, a release
  build, `cargo bench`.
- A command ending in `&` runs in the background and must print
  `listening on http://` within 10 seconds (both daemons do once they accept); it
  is stopped when its file is done.
- A command `VAR=$(...)` (or `export VAR=$(...)`) also fails when it sets VAR to
  nothing, since `export` hides the exit status of what it runs.
- A `curl` command fails unless the HTTP status of its (last) answer is the one its
  line ends with as a comment (`curl ... # 403`), or 200 without such a comment.

Each file runs in order in one bash, so later commands use the variables earlier
ones set, in a scratch directory of its own holding a fresh copy of the demo
database as `tally-demo.sqlite` (with its audit key), with the binaries' directory
first on PATH and no TALLY_* or other variables from the caller's environment.
Files a command writes land in that directory.

Usage: check_doc_commands.py --db DEMO.sqlite --bin DIR [FILE.md ...]
Prints a failing command's file, line, exit status and output, then
`N commands run, M failed, K skipped`; exits 1 when any failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>.*)$")
NOT_RUN = re.compile(r"#\s*not run in CI:\s*(?P<reason>.+?)\s*$")
BACKGROUND = re.compile(r"(?<![&|])&\s*(#.*)?$")
ASSIGNMENT = re.compile(r"^(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=\$\(")
READY = "listening on http://"
CURL = re.compile(r"^curl\s")
EXPECTED_STATUS = re.compile(r"#\s*(?P<status>[1-5][0-9]{2})\s*$")
# `curl` in the scripts: also writes the answer's status to standard error, to be
# found in the command's output.
CURL_STATUS_LINE = "[http status %{http_code}]"
CURL_WRAPPER = f"curl() {{ command curl --write-out '%{{stderr}}\\n{CURL_STATUS_LINE}\\n' \"$@\"; }}"
READY_TENTHS = 100
FILE_TIMEOUT_SECS = 60
OUTPUT_LINES_SHOWN = 40
# The demo database's name in the docs, and the files beside it that belong to it.
DEMO_NAME = "tally-demo.sqlite"
DEMO_SUFFIXES = ("", ".audit-key", "-wal", "-shm")


@dataclass
class Command:
    path: Path
    line: int
    text: str
    skip_reason: str | None


def commands_in(path: Path, shown_as: str) -> list[Command]:
    """The commands of the file's ```sh blocks, in order, with their first line's number."""
    commands: list[Command] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        indent = len(opening["indent"])
        info = opening["info"].split()
        block: list[tuple[int, str]] = []
        while index < len(lines):
            closing = FENCE.match(lines[index])
            if closing and closing["fence"] == opening["fence"] and not closing["info"].strip():
                index += 1
                break
            line = lines[index]
            # The fence's indentation (a block in a list item) is not part of the commands.
            block.append((index + 1, line[indent:] if not line[:indent].strip() else line.lstrip()))
            index += 1
        if info[:1] == ["sh"]:
            commands.extend(block_commands(shown_as, block))
    return commands


def block_commands(shown_as: str, block: list[tuple[int, str]]) -> list[Command]:
    first = next((text.strip() for _, text in block if text.strip()), "")
    block_skip = NOT_RUN.match(first)
    commands: list[Command] = []
    position = 0
    while position < len(block):
        line_number, text = block[position]
        position += 1
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        parts = [text]
        while parts[-1].endswith("\\") and position < len(block):
            parts.append(block[position][1])
            position += 1
        command = "\n".join(parts)
        own_skip = NOT_RUN.search(command)
        reason = block_skip["reason"] if block_skip else own_skip["reason"] if own_skip else None
        commands.append(Command(Path(shown_as), line_number, command, reason))
    return commands


def script_for(commands: list[Command], log_dir: Path) -> str:
    """One bash script running the commands in order, each one's output to `<n>.out`
    and its outcome to `status` as `<n> <exit status or why>`."""
    log = shlex.quote(str(log_dir))
    parts = ["set -o pipefail", "__background=()", CURL_WRAPPER]
    for number, command in enumerate(commands):
        parts.append(f"echo {number} >>{log}/started")
        parts.append(f"{{\n{command.text}\n}} >{log}/{number}.out 2>&1 </dev/null")
        parts.append("__status=$?")
        if BACKGROUND.search(command.text):
            parts.append(
                f"__background+=($!)\n"
                f"for __tenth in $(seq {READY_TENTHS}); do\n"
                f"    grep -q {shlex.quote(READY)} {log}/{number}.out && break\n"
                f"    kill -0 $! 2>/dev/null || break\n"
                f"    sleep 0.1\n"
                f"done\n"
                f"grep -q {shlex.quote(READY)} {log}/{number}.out || __status=not-listening"
            )
        if CURL.match(command.text):
            expected = EXPECTED_STATUS.search(command.text)
            pattern = expected["status"] if expected else "200"
            parts.append(
                f"__http=$(sed -n 's/^\\[http status \\([0-9]*\\)\\]$/\\1/p' {log}/{number}.out | tail -n 1)\n"
                f"[[ $__status == 0 && $__http != {pattern} ]] && __status=http-$__http"
            )
        assignment = ASSIGNMENT.match(command.text)
        if assignment:
            name = assignment["name"]
            parts.append(f'[[ $__status == 0 && -z "${{{name}-}}" ]] && __status=empty-{name}')
        parts.append(f"echo {number} $__status >>{log}/status")
    parts.append('if (( ${#__background[@]} )); then kill "${__background[@]}" 2>/dev/null; wait; fi')
    return "\n".join(parts) + "\n"


def outcome_text(status: str) -> str:
    if status == "not-listening":
        return f"did not print {READY!r} within {READY_TENTHS / 10:g} seconds"
    if status.startswith("http-"):
        return f"answered HTTP {status.removeprefix('http-') or 'nothing'}, not the status documented"
    if status.startswith("empty-"):
        return f"set {status.removeprefix('empty-')} to nothing"
    return f"exited {status}"


def run_file(commands: list[Command], demo_db: Path, bin_dir: Path) -> list[tuple[Command, str | None, str]]:
    """Runs one file's commands; returns each as (command, why it failed or None, output)."""
    with tempfile.TemporaryDirectory(prefix="tally-doc-commands-") as scratch_name:
        scratch = Path(scratch_name)
        work = scratch / "work"
        logs = scratch / "logs"
        work.mkdir()
        logs.mkdir()
        for suffix in DEMO_SUFFIXES:
            source = Path(f"{demo_db}{suffix}")
            if source.exists():
                shutil.copyfile(source, work / f"{DEMO_NAME}{suffix}")
        (scratch / "script.sh").write_text(script_for(commands, logs), encoding="utf-8")
        # Only what a person's shell would have: none of the caller's TALLY_* or tokens.
        environment = {
            name: os.environ[name] for name in ("HOME", "LANG", "LC_ALL", "USER", "TMPDIR") if name in os.environ
        }
        environment["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
        process = subprocess.Popen(
            ["bash", str(scratch / "script.sh")],
            cwd=work,
            env=environment,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        timed_out = False
        try:
            process.wait(timeout=FILE_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # Whatever the script left running (it started them in its own session).
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        statuses = {}
        status_file = logs / "status"
        if status_file.exists():
            for line in status_file.read_text(encoding="utf-8").splitlines():
                number, status = line.split(" ", 1)
                statuses[int(number)] = status
        results = []
        for number, command in enumerate(commands):
            output_file = logs / f"{number}.out"
            output = output_file.read_text(encoding="utf-8", errors="replace") if output_file.exists() else ""
            if number in statuses:
                outcome = None if statuses[number] == "0" else outcome_text(statuses[number])
            elif timed_out:
                started = (logs / "started").exists() and str(number) in (logs / "started").read_text().split()
                outcome = f"still running after {FILE_TIMEOUT_SECS} s" if started else "not reached (time out)"
            else:
                outcome = "not reached (the script stopped)"
            results.append((command, outcome, output))
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the demo database, which is copied, never changed")
    parser.add_argument("--bin", type=Path, required=True, help="directory holding tally-ingest, tally-api, tally-export")
    parser.add_argument("--verbose", action="store_true", help="show every command's output, not only failures")
    parser.add_argument("files", nargs="*", type=Path, help="default: README.md and docs/*.md")
    arguments = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    files = arguments.files or [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    demo_db = arguments.db.resolve()
    bin_dir = arguments.bin.resolve()
    for binary in ("tally-ingest", "tally-api", "tally-export"):
        if not (bin_dir / binary).is_file():
            print(f"{bin_dir / binary}: missing; build it first", file=sys.stderr)
            return 2
    if not demo_db.is_file():
        print(f"{demo_db}: missing; build the demo database first", file=sys.stderr)
        return 2

    run = failed = skipped = 0
    for path in files:
        shown_as = os.path.relpath(path.resolve(), root)
        commands = commands_in(path, shown_as)
        for command in commands:
            if command.skip_reason:
                print(f"{command.path}:{command.line}: skipped ({command.skip_reason}): {command.text}")
        to_run = [command for command in commands if not command.skip_reason]
        skipped += len(commands) - len(to_run)
        if not to_run:
            continue
        run += len(to_run)
        for command, outcome, output in run_file(to_run, demo_db, bin_dir):
            if outcome:
                failed += 1
            elif not arguments.verbose:
                continue
            print(f"{command.path}:{command.line}: {outcome or 'ran'}: {command.text}")
            shown = output.rstrip("\n").splitlines()[-OUTPUT_LINES_SHOWN:]
            for line in shown:
                print(f"    | {line}")
    print(f"{run} commands run, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
