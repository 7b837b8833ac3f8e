# SPDX-License-Identifier: MIT
"""--on-oom: a snapshot of a traced process when the kernel picks it as the
OOM killer's victim. The test makes a memory cgroup with a 64 MiB limit,
runs tests/workloads/oomer.c in it (1 MiB blocks until killed), and reads
the snapshot back with `allocsnoop show`."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import TOOL, WORKLOADS, Tracer, markers, require_root

LIMIT = 64 << 20
MIB = 1 << 20


@pytest.fixture
def memcg():
    """A memory cgroup limited to LIMIT (v1, else v2); removed after."""
    require_root()
    v1 = Path("/sys/fs/cgroup/memory")
    if v1.is_dir():
        cg, limit = v1 / f"allocsnoop-oom-{os.getpid()}", "memory.limit_in_bytes"
    else:
        v2 = Path("/sys/fs/cgroup")
        assert "memory" in (v2 / "cgroup.controllers").read_text(), \
            "no memory cgroup controller: the OOM test needs one"
        cg, limit = v2 / f"allocsnoop-oom-{os.getpid()}", "memory.max"
    cg.mkdir()
    try:
        (cg / limit).write_text(str(LIMIT))
        yield cg
    finally:
        for _ in range(50):
            try:
                cg.rmdir()
                break
            except OSError:  # its last process is still exiting
                time.sleep(0.1)


def in_cgroup(cg):
    """A shell script that moves itself into @cg and becomes the oomer."""
    return f"echo $$ > {cg}/cgroup.procs; exec {WORKLOADS}/oomer"


def rows_of(snapshot):
    p = subprocess.run([str(TOOL), "show", "--json", "-T", "0",
                        str(snapshot)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    lines = {v: k for k, v in markers("oomer").items()}
    rows = {lines[r["line"]]: r for r in rep["top"]
            if r["file"] and r["file"].endswith("/oomer.c")
            and r["line"] in lines}
    return rep, rows


def check_victim(snapshot, pid):
    rep, rows = rows_of(snapshot)
    assert [p["pid"] for p in rep["processes"]] == [pid]
    assert (rows["keep"]["size"], rows["keep"]["count"]) == (3 * 4096, 3)
    hog = rows["hog"]
    assert hog["size"] == hog["count"] * MIB
    # killed near the limit: the blocks touched plus the one being touched
    assert LIMIT - 16 * MIB <= hog["size"] <= LIMIT + MIB, hog
    assert rep["top"][0] is hog


def test_on_oom_writes_the_victims_snapshot(memcg, tmp_path):
    out = tmp_path / "oom-%p.pb.gz"
    p = subprocess.run([str(TOOL), "-c", f"sh -c '{in_cgroup(memcg)}'",
                        "--on-oom",
                        str(out), "--json", "3600"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 128 + 9, p.stderr  # the command's: SIGKILL
    files = list(tmp_path.glob("oom-*.pb.gz"))
    assert len(files) == 1, (files, p.stderr)
    pid = int(files[0].name[4:-6])
    assert f"chose pid {pid} (oomer) as the OOM killer's victim" in p.stderr
    assert f"wrote the OOM victim's snapshot {files[0]}" in p.stderr
    check_victim(files[0], pid)


def test_on_oom_system_wide_names_the_file_by_pid(memcg, tmp_path):
    tr = Tracer(["--on-oom", str(tmp_path / "oom-%p.pb.gz"), "--json",
                 "3600"])
    try:
        victim = subprocess.Popen(["sh", "-c", in_cgroup(memcg)])
        assert victim.wait(timeout=60) == -9
        path = tmp_path / f"oom-{victim.pid}.pb.gz"
        deadline = time.time() + 30
        while not path.exists() and time.time() < deadline:
            time.sleep(0.1)
        tr.stop()
    finally:
        tr.kill()
    assert path.exists(), tr.stderr
    check_victim(path, victim.pid)


def test_on_oom_path_checked_before_tracing():
    require_root()
    p = subprocess.run([str(TOOL), "-c", "true", "--on-oom",
                        "/no/such/dir/oom.pb.gz"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1
    assert "cannot write snapshots to /no/such/dir" in p.stderr
    assert "Tracing" not in p.stderr
