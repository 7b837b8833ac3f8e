# SPDX-License-Identifier: MIT
"""Helpers for the end-to-end tests: run the real allocsnoop, as root, with
real BPF attached, on the workloads in tests/workloads, and read its JSON."""
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TOOL = BUILD / "allocsnoop"
WORKLOADS = BUILD / "workloads"
WL_SRC = ROOT / "tests" / "workloads"


def require_root():
    # Tests that need BPF fail loudly without it; they never skip.
    if os.geteuid() != 0:
        pytest.fail("end-to-end tests need root (CAP_BPF, CAP_PERFMON): "
                    "run `sudo make test`")


def markers(workload):
    """{marker: line number} from the '@name' comments of a workload."""
    out = {}
    for src in (WL_SRC / f"{workload}.c", WL_SRC / f"{workload}.cc",
                WL_SRC / "lib" / f"{workload}.cc"):
        if src.exists():
            break
    for n, line in enumerate(src.read_text().splitlines(), 1):
        m = re.search(r"/\* @(\w+) \*/", line)
        if m:
            out[m.group(1)] = n
    return out


def reports(stdout):
    return [json.loads(l) for l in stdout.splitlines() if l.startswith("{")]


def rows_at(report, workload, pid=None):
    """{marker: row} for the rows of a report at a workload's markers."""
    lines = {v: k for k, v in markers(workload).items()}
    out = {}
    for row in report["top"]:
        if pid is not None and row["pid"] not in (pid, None):
            continue
        if row["file"] and row["file"].rsplit("/", 1)[-1] in \
                (f"{workload}.c", f"{workload}.cc") and row["line"] in lines:
            out[lines[row["line"]]] = row
    return out


def expect_row(rows, name, size, count, alloc_size, alloc_count):
    assert name in rows, f"no row at @{name}; rows: {sorted(rows)}"
    r = rows[name]
    got = (r["size"], r["count"], r["alloc_size"], r["alloc_count"])
    assert got == (size, count, alloc_size, alloc_count), \
        f"@{name}: (size, count, alloc_size, alloc_count) = {got}"


class Tracer:
    """allocsnoop running in the background, stopped with SIGINT."""

    def __init__(self, args, timeout=30):
        require_root()
        assert TOOL.exists(), f"{TOOL} is not built: run make"
        self.proc = subprocess.Popen([str(TOOL), *args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        LIVE.add(self)
        self.stderr = ""
        deadline = time.time() + timeout
        # Wait for the attach banner on stderr.
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.stderr += line
            if line.startswith("Tracing"):
                return
        self.kill()
        out, err = self.proc.communicate(timeout=10)
        pytest.fail(f"allocsnoop did not attach: {self.stderr}{err}")

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGINT)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        finally:
            self.kill()
        self.stderr += err
        assert self.proc.returncode == 0, \
            f"allocsnoop exited {self.proc.returncode}: {self.stderr}"
        return reports(out)


    def kill(self):
        """Never leave a tracer behind, whatever failed."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        LIVE.discard(self)


# Tracers still running when a test ends are killed by the fixture below.
LIVE = set()


@pytest.fixture(autouse=True)
def _no_stray_tracers():
    yield
    for tr in list(LIVE):
        tr.kill()


class Workload:
    """A workload run with --wait: ready -> go -> done -> (stdin closed)."""

    def __init__(self, name, env=None, argv=None):
        """@argv: the command that runs it (e.g. inside a chroot), else
        the built workload @name."""
        argv = argv or [str(WORKLOADS / name)]
        self.proc = subprocess.Popen([*argv, "--wait"],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, **(env or {})))
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), line
        self.pid = self.proc.pid

    def go(self, timeout=60):
        """Starts the work; returns what the workload printed before done."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        said = []
        while True:
            line = self.proc.stdout.readline()
            assert line, f"workload ended early after {said}"
            if line.strip() == "done":
                return said
            said.append(line.strip())

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def trace_pid(name, extra=(), env=None):
    """Final JSON report of `allocsnoop -p PID` around a workload's work."""
    wl = Workload(name, env)
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", *extra, "3600"])
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    return wl.pid, reps


def trace_command(name, extra=(), args="", env=None):
    """Reports of `allocsnoop -c WORKLOAD` and its exit status; @env is
    added to the command's environment."""
    require_root()
    cmd = f"{WORKLOADS / name} {args}".strip()
    p = subprocess.run([str(TOOL), "-c", cmd, "--json", "-T", "0", *extra,
                        "3600"], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, **(env or {})))
    return p, reports(p.stdout)


def trace_all(name, extra=(), env=None):
    """Final report of system-wide allocsnoop around one workload run."""
    wl = Workload(name, env)
    try:
        tr = Tracer(["--json", "-T", "0", *extra, "3600"])
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    return wl.pid, reps
