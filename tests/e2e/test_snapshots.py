# SPDX-License-Identifier: MIT
"""Snapshots from the live tracer: -o files, SIGUSR1, show == live report,
diff between two phases, filters and folded output, go tool pprof."""
import gzip
import json
import os
import signal
import stat
import subprocess
import time

from conftest import (TOOL, WORKLOADS, Tracer, Workload, expect_row, markers,
                      reports, rows_at, trace_command)

FIELDS = ("function", "file", "line", "size", "count", "alloc_size",
          "alloc_count", "average")


def run_tool(*args, check=True):
    p = subprocess.run([str(TOOL), *map(str, args)], capture_output=True,
                       text=True, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def wait_file(path, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def test_output_file_is_private_gzip_and_shows_like_live(tmp_path):
    snap = tmp_path / "snap.pb.gz"
    p, reps = trace_command("allocators", extra=("-o", str(snap)))
    assert p.returncode == 0, p.stderr
    mode = stat.S_IMODE(os.stat(snap).st_mode)
    assert mode == 0o600, oct(mode)
    with open(snap, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    assert not [f for f in os.listdir(tmp_path) if f != "snap.pb.gz"], \
        "temp files left behind"
    live = reps[-1]
    shown = json.loads(run_tool("show", snap, "--json", "-T", "0").stdout)
    assert shown["processes"] == live["processes"]
    assert shown["lost"] == live["lost"]
    assert [{k: r[k] for k in FIELDS} for r in shown["top"]] == \
        [{k: r[k] for k in FIELDS} for r in live["top"]]


def snapshots_of_two_phases(tmp_path):
    """Snapshots after phase 1 and after phase 2 of the same process."""
    wl = Workload("phases")
    pattern = tmp_path / "snap-%n.pb.gz"
    try:
        tr = Tracer(["-p", str(wl.pid), "-o", str(pattern), "3600"])
        wl.proc.stdin.write("go\n")
        wl.proc.stdin.flush()
        assert wl.proc.stdout.readline().strip() == "phase1"
        tr.proc.send_signal(signal.SIGUSR1)
        wait_file(tmp_path / "snap-1.pb.gz")
        wl.go()
        tr.proc.send_signal(signal.SIGUSR1)
        wait_file(tmp_path / "snap-2.pb.gz")
        tr.stop()
    finally:
        wl.finish()
    return tmp_path / "snap-1.pb.gz", tmp_path / "snap-2.pb.gz"


def test_numbered_snapshots_on_sigusr1_and_diff(tmp_path):
    """diff of snapshots taken between two phases: exact diffs at lines."""
    old, new = snapshots_of_two_phases(tmp_path)
    d = json.loads(run_tool("diff", old, new, "--json",
                            "-T", "0").stdout)
    rows = rows_at(d, "phases")
    r = rows["phase1_keep"]
    assert (r["size"], r["size_diff"], r["count"], r["count_diff"]) == \
        (60 * 1000, -40 * 1000, 60, -40)
    r = rows["phase2_new"]
    assert (r["size"], r["size_diff"], r["count"], r["count_diff"]) == \
        (50 * 2048, 50 * 2048, 50, 50)
    # the final snapshot at SIGINT is the third
    assert (tmp_path / "snap-3.pb.gz").exists()


def test_filters_and_folded(tmp_path):
    snap = tmp_path / "s.pb.gz"
    p, reps = trace_command("phases", extra=("-o", str(snap)))
    assert p.returncode == 0, p.stderr
    only = json.loads(run_tool("show", snap, "--json", "-T", "0",
                               "--include", "*/phases.c").stdout)
    assert only["top"] and all(r["file"].endswith("/phases.c")
                               for r in only["top"])
    none = json.loads(run_tool("show", snap, "--json", "-T", "0",
                               "--exclude", "*/phases.c").stdout)
    assert not [r for r in none["top"] if (r["file"] or "").endswith(
        "/phases.c")]
    big = json.loads(run_tool("show", snap, "--json", "-T", "0",
                              "--min-size", "80K").stdout)
    assert [r["line"] for r in big["top"]] == [markers("phases")["phase2_new"]]
    folded = run_tool("show", snap, "--folded").stdout.splitlines()
    keep = [l for l in folded if ";phase1 " in l or l.split(";")[-1]
            .startswith("phase1 ")]
    assert keep, folded
    assert keep[0].rsplit(" ", 1)[1] == str(60 * 1000)
    assert keep[0].split(";")[0].startswith("main") or "main" in keep[0]
    counts = run_tool("show", snap, "--folded", "--folded-value",
                      "alloc_count").stdout.splitlines()
    assert any(l.endswith(" 100") and "phase1" in l for l in counts)


def test_go_tool_pprof_reads_live_snapshot(tmp_path):
    snap = tmp_path / "s.pb.gz"
    p, reps = trace_command("phases", extra=("-o", str(snap)))
    assert p.returncode == 0, p.stderr
    env = dict(os.environ, HOME=str(tmp_path), GOCACHE=str(tmp_path / "gc"),
               GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod")
    out = subprocess.run(["go", "tool", "pprof", "-raw", str(snap)],
                         capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    # -raw prints "values: a b c d" per sample in sample_type order.
    text = out.stdout
    assert "alloc_objects/count alloc_space/bytes inuse_objects/count " \
        "inuse_space/bytes" in text, text[:500]
    sums = [0, 0, 0, 0]
    in_samples = False
    for line in text.splitlines():
        if line.startswith("Samples:"):
            in_samples = True
            continue
        if in_samples and line.startswith("Locations"):
            break
        if in_samples and line.strip() and line.strip()[0].isdigit():
            vals = line.split(":")[0].split()
            for i in range(4):
                sums[i] += int(vals[i])
    proc = reps[-1]["processes"][0]
    shown = json.loads(run_tool("show", snap, "--json", "-T", "0").stdout)
    # every sample: the heap's blocks and the regions mapped with mmap
    assert sums[3] == sum(r["size"] for r in shown["top"]) == \
        proc["current_bytes"] + proc["mmap_bytes"]
    assert sums[1] == sum(r["alloc_size"] for r in shown["top"])
    assert "phase1" in text and "phase2" in text
