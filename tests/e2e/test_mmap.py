# SPDX-License-Identifier: MIT
"""mmap'd regions (issue 11): live from mmap until all of them is
unmapped, a partial munmap ends just that part, mremap moves and grows,
bytes charged to the line that mapped them, marked kind "mmap"; a malloc
glibc serves with its own mmap counts once, as a malloc."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import (TOOL, WORKLOADS, Tracer, markers, require_root,
                      trace_command)

PG = 4096
MARK = markers("mmaps")


def rows_of(report, pid):
    """{(marker, kind): row} at the workload's marked lines."""
    lines = {v: k for k, v in MARK.items()}
    out = {}
    for r in report["top"]:
        if r["pid"] not in (pid, None) or not r["file"] or \
                not r["file"].endswith("/mmaps.c") or r["line"] not in lines:
            continue
        out[(lines[r["line"]], r["kind"])] = (
            r["size"], r["count"], r["alloc_size"], r["alloc_count"])
    return out


EXPECTED = {
    1: {("map_a", "mmap"): (64 * PG, 1, 64 * PG, 1),
        ("map_b", "mmap"): (32 * PG, 1, 32 * PG, 1)},
    # head, tail and middle unmapped: one region in two pieces
    2: {("map_a", "mmap"): (32 * PG, 1, 64 * PG, 1),
        ("map_b", "mmap"): (32 * PG, 1, 32 * PG, 1)},
    # grown by mremap (the grown part is allocated at its line); the
    # malloc is glibc's own mmap, a malloc row only
    3: {("map_a", "mmap"): (32 * PG, 1, 64 * PG, 1),
        ("map_b", "mmap"): (48 * PG, 1, 48 * PG, 1),
        ("big_malloc", "malloc"): (64 << 20, 1, 64 << 20, 1)},
    4: {("map_a", "mmap"): (0, 0, 64 * PG, 1),
        ("map_b", "mmap"): (48 * PG, 1, 48 * PG, 1),
        ("big_malloc", "malloc"): (0, 0, 64 << 20, 1)},
}


def show(path):
    p = subprocess.run([str(TOOL), "show", str(path), "--json", "-T", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def wait_file(path, timeout=20):
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"no snapshot {path}"
    time.sleep(0.2)  # written atomically: exists means whole


@pytest.mark.parametrize("mode", ["pid", "all"])
def test_regions_after_each_step(mode, tmp_path):
    require_root()
    wl = subprocess.Popen([str(WORKLOADS / "mmaps"), "--wait"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
    try:
        assert wl.stdout.readline().startswith("ready")
        target = ["-p", str(wl.pid)] if mode == "pid" else []
        tr = Tracer([*target, "-o", str(tmp_path / "s-%n.pb.gz"), "3600"])
        for n in range(1, 5):
            wl.stdin.write("go\n")
            wl.stdin.flush()
            assert wl.stdout.readline().strip() == f"step {n}"
            os.kill(tr.proc.pid, signal.SIGUSR1)
            snap = tmp_path / f"s-{n}.pb.gz"
            wait_file(snap)
            rep = show(snap)
            got = rows_of(rep, wl.pid)
            for key, want in EXPECTED[n].items():
                assert got.get(key) == want, (n, key, got)
            # the 64 MiB block is never an mmap row
            assert ("big_malloc", "mmap") not in got, got
            proc = [p for p in rep["processes"] if p["pid"] == wl.pid][0]
            mapped = sum(v[0] for k, v in EXPECTED[n].items()
                         if k[1] == "mmap")
            assert proc["mmap_bytes"] >= mapped
        tr.stop()
    finally:
        wl.stdin.close()
        wl.wait(timeout=30)


def test_command_final_and_no_mmap():
    p, reps = trace_command("mmaps")
    assert p.returncode == 0, p.stderr
    final = reps[-1]
    pid = final["processes"][0]["pid"]
    got = rows_of(final, pid)
    for key, want in EXPECTED[4].items():
        assert got.get(key) == want, (key, got)
    # text marks the rows
    t = subprocess.run([str(TOOL), "-c", str(WORKLOADS / "mmaps"), "-T",
                        "0", "3600"], capture_output=True, text=True,
                       timeout=120)
    assert t.returncode == 0, t.stderr
    assert any(f"mmaps.c:{MARK['map_b']} (step) [mmap]:" in l
               for l in t.stdout.splitlines()), t.stdout
    # --no-mmap: no region is traced or shown, the malloc still is
    p, reps = trace_command("mmaps", ["--no-mmap"])
    assert p.returncode == 0, p.stderr
    got = rows_of(reps[-1], pid=None)
    assert not [k for k in got if k[1] == "mmap"], got
    assert got[("big_malloc", "malloc")] == (0, 0, 64 << 20, 1)
