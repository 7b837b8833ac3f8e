# SPDX-License-Identifier: MIT
"""Lifecycle faults, losses, bad command lines, hostile names and files."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (TOOL, WORKLOADS, Tracer, Workload, expect_row,
                      reports, require_root, rows_at, trace_all,
                      trace_command)


OUR_PROGS = ("alloc_enter", "alloc_exit", "free_enter", "handle_exec",
             "handle_exit")


def our_prog_ids():
    out = subprocess.run(["bpftool", "prog", "show", "-j"],
                         capture_output=True, text=True, check=True)
    return {p["id"] for p in json.loads(out.stdout or "[]")
            if p.get("name") in OUR_PROGS}


def assert_nothing_attached(before):
    """No program loaded since @before is still there (other tracers that
    were already running are not ours to judge)."""
    deadline = time.time() + 10
    while time.time() < deadline:
        left = our_prog_ids() - before
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"BPF programs left loaded: ids {sorted(left)}")


def run_tool(*args, user=None):
    cmd = [str(TOOL), *map(str, args)]
    if user:
        cmd = ["setpriv", f"--reuid={user}", "--regid=65534",
               "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args,code,needle", [
    (["--bogus"], 2, "unrecognized option"),
    (["abc"], 2, "invalid interval 'abc'"),
    (["0"], 2, "invalid interval '0'"),
    (["1", "x"], 2, "invalid count 'x'"),
    (["1", "0"], 2, "invalid count '0'"),
    (["1", "2", "3"], 2, "unexpected argument '3'"),
    (["-p", "abc"], 2, "invalid pid 'abc'"),
    (["-p", "-5"], 2, "invalid pid '-5'"),
    (["-p", "1", "-c", "true"], 2, "-p and -c exclude each other"),
    (["-g", "nope"], 2, "nope"),
    (["-T", "-1"], 2, "-1"),
    (["--format", "xml"], 2,
     "invalid --format 'xml': expected text, json or folded"),
    (["--format", "json", "--folded"], 2,
     "--format json and --folded cannot be used together: pick one"),
    (["--max-allocs", "0"], 2, "invalid map size '0'"),
    (["--stack-depth", "99"], 2, "invalid --stack-depth '99'"),
    (["-p", "2147483647"], 1, "no process with pid 2147483647"),
    (["-c", "/nonexistent/cmd"], 1, "cannot run '/nonexistent/cmd'"),
    (["-c", "no-such-command-xyz"], 1, "cannot run 'no-such-command-xyz'"),
])
def test_bad_command_lines(args, code, needle):
    require_root()
    before = our_prog_ids()
    p = run_tool(*args)
    assert p.returncode == code, (p.returncode, p.stderr)
    assert needle in p.stderr, p.stderr
    assert "Tracing" not in p.stderr
    assert_nothing_attached(before)


def test_pid_exiting_around_attach():
    """Short-lived pids: a clean outcome every time, nothing left behind."""
    require_root()
    before = our_prog_ids()
    for _ in range(10):
        victim = subprocess.Popen(["sleep", "0.05"])
        p = run_tool("-p", victim.pid, "--json", "3600")
        victim.wait()
        assert p.returncode in (0, 1), p.stderr
        if p.returncode == 1:
            lines = [l for l in p.stderr.splitlines() if l]
            assert len(lines) == 1 and str(victim.pid) in lines[0], p.stderr
        else:
            assert reports(p.stdout)[-1]["final"] is True
    assert_nothing_attached(before)


def test_without_privileges_names_missing_capabilities():
    require_root()
    p = run_tool("-p", "1", user="nobody")
    assert p.returncode == 1
    assert "missing capabilities" in p.stderr
    assert "CAP_BPF" in p.stderr and "CAP_PERFMON" in p.stderr
    assert "sudo" in p.stderr


def test_sigkill_leaves_no_probe_behind():
    wl = Workload("churn")
    try:
        before = our_prog_ids()
        tr = Tracer(["-p", str(wl.pid), "3600"])
        assert our_prog_ids() - before
        tr.proc.send_signal(signal.SIGKILL)
        tr.proc.wait(timeout=10)
        assert_nothing_attached(before)
        wl.go()  # still runs, untraced
    finally:
        wl.finish()


def test_sigterm_gives_final_report_and_snapshot(tmp_path):
    wl = Workload("allocators")
    snap = tmp_path / "final.pb.gz"
    before = our_prog_ids()
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-o", str(snap), "3600"])
        wl.go()
        tr.proc.send_signal(signal.SIGTERM)
        out, err = tr.proc.communicate(timeout=30)
        assert tr.proc.returncode == 0, err
    finally:
        wl.finish()
    final = reports(out)[-1]
    assert final["final"] is True
    expect_row(rows_at(final, "allocators"), "malloc", 1000, 1, 1000, 1)
    assert snap.exists()
    assert_nothing_attached(before)


def test_eight_threads_exact():
    env = dict(os.environ, WL_THREADS="8")
    p = subprocess.run([str(TOOL), "-c", str(WORKLOADS / "threads"),
                        "--json", "-T", "0", "3600"], capture_output=True,
                       text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    rows = rows_at(reports(p.stdout)[-1], "threads")
    expect_row(rows, "thread_keep", 8 * 2000 * 48, 8 * 2000,
               8 * 2000 * 48, 8 * 2000)
    expect_row(rows, "thread_churn", 0, 0, 8 * 2000 * 24, 8 * 2000)
    expect_row(rows, "thread_churn2", 0, 0, 8 * 3000 * 24, 8 * 3000)


def test_full_maps_are_counted_and_marked_inexact():
    p, reps = trace_command("threads", extra=("--max-allocs", "100",
                                              "--max-stacks", "2"))
    assert p.returncode == 0, p.stderr
    final = reps[-1]
    assert final["lost"]["alloc_map_full"] > 0
    assert final["lost"]["stack_map_full"] > 0
    proc = final["processes"][0]
    assert proc["inexact"] is True
    # totals stay exact even when live tracking is not: the workload's
    # 28000 plus what pthread_create allocates, and every one in a row
    assert proc["alloc_count"] >= 4 * 5000 + 4 * 2000
    assert proc["alloc_count"] == sum(r["alloc_count"] for r in final["top"]
                                      if r["kind"] == "malloc")
    text = subprocess.run([str(TOOL), "-c", str(WORKLOADS / "threads"),
                           "--max-allocs", "100", "3600"],
                          capture_output=True, text=True, timeout=120)
    assert "inexact" in text.stdout
    assert "alloc_map_full=" in text.stdout


def table_slots_of(pid, buckets, gen=None):
    """Slots of the live-block table (the map named "table" with @buckets
    entries) that hold a block of @pid (of its image @gen, if given)."""
    maps = json.loads(subprocess.run(["bpftool", "map", "show", "-j"],
                                     capture_output=True, text=True,
                                     check=True).stdout)
    ids = [m["id"] for m in maps if m.get("name") == "table"
           and m.get("max_entries") == buckets]
    assert len(ids) == 1, f"expected one tracer's table, found {ids}"
    dump = json.loads(subprocess.run(["bpftool", "map", "dump", "id",
                                      str(ids[0]), "-j"],
                                     capture_output=True, text=True,
                                     check=True).stdout)
    n = 0
    for e in dump:
        v = e["formatted"]["value"]
        n += sum(1 for a, t, r in zip(v["addr"], v["tgid"], v["rec"])
                 if t == pid and a > 1 and gen in (None, r["gen"]))
    return n


def test_exited_process_leaves_no_table_slots():
    """Blocks a process leaves live at exit are purged from the live-block
    table, not just from the hash map behind it."""
    require_root()
    # --max-allocs 1024: a table of 32 buckets (256 slots) that the 8000
    # blocks the threads keep fill up
    tr = Tracer(["--json", "-T", "0", "--max-allocs", "1024", "1"])
    try:
        wl = Workload("threads")
        try:
            wl.go()
            held = table_slots_of(wl.pid, 32)
        finally:
            wl.finish()
        # shown as exited at the next report, purged right after it
        time.sleep(2.5)
        left = table_slots_of(wl.pid, 32)
    finally:
        tr.stop()
    assert held > 100, held
    assert left == 0, left


def test_exec_leaves_no_table_slots_of_the_old_image():
    """The block the old image kept (3333 B) holds a table slot until the
    report after the exec, which purges it; the new image's stay."""
    require_root()
    tr = Tracer(["--json", "-T", "0", "--max-allocs", "1024", "2"])
    wl = None
    try:
        # just after a report: the next purge is ~2 s away
        assert tr.proc.stdout.readline().startswith("{")
        wl = Workload("execer", env={"WL_EXEC": str(WORKLOADS / "threads")})
        wl.go()
        held = table_slots_of(wl.pid, 32, gen=0)
        assert tr.proc.stdout.readline().startswith("{")
        time.sleep(0.5)  # the purge follows the report
        left = table_slots_of(wl.pid, 32, gen=0)
        new = table_slots_of(wl.pid, 32, gen=1)
    finally:
        if wl:
            wl.finish()
        tr.stop()
    assert held == 1, held
    assert left == 0, left
    assert new > 100, new


def test_exit_mid_interval_marked_then_purged():
    require_root()
    tr = Tracer(["--json", "-T", "0", "1"])
    try:
        wl = subprocess.run([str(WORKLOADS / "allocators")], timeout=30)
        assert wl.returncode == 0
        time.sleep(3.5)
    finally:
        reps = tr.stop()
    pid_reports = []
    for r in reps:
        mine = [p for p in r["processes"] if p["comm"] == "allocators"]
        pid_reports.append(mine[0] if mine else None)
    seen = [i for i, p in enumerate(pid_reports) if p]
    assert seen, "the workload never appeared"
    first = seen[0]
    assert pid_reports[first]["exited"] is True
    assert pid_reports[first]["current_bytes"] >= 5029
    # shown once, then purged from the maps and from later reports
    assert all(p is None for p in pid_reports[first + 1:]), pid_reports


def test_hostile_comm_is_escaped():
    p, reps = trace_command("hostile")
    assert p.returncode == 0, p.stderr
    comm = reps[-1]["processes"][0]["comm"]
    assert comm == "\x1b[31mevil\x07"  # JSON carries it exactly
    text = subprocess.run([str(TOOL), "-c", str(WORKLOADS / "hostile"),
                           "3600"], capture_output=True, timeout=60)
    assert b"\x1b" not in text.stdout and b"\x07" not in text.stdout
    assert b"\\x1b[31mevil\\x07" in text.stdout


def test_stripped_and_deleted_binaries_degrade(tmp_path):
    exe = tmp_path / "stripped\x1bname"
    shutil.copy(WORKLOADS / "allocators", exe)
    subprocess.run(["strip", str(exe)], check=True)
    p = subprocess.run([str(TOOL), "-c", f"'{exe}'", "-g", "traceback",
                        "3600"], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert b"\x1b" not in p.stdout
    assert b"size=1000 B" in p.stdout
    # deleted while traced: symbolized through /proc/PID/map_files
    exe2 = tmp_path / "gone"
    shutil.copy(WORKLOADS / "allocators", exe2)
    wl = subprocess.Popen([str(exe2), "--wait"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
    try:
        assert wl.stdout.readline().startswith("ready")
        os.unlink(exe2)
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", "3600"])
        wl.stdin.write("go\n")
        wl.stdin.flush()
        assert wl.stdout.readline().strip() == "done"
        final = tr.stop()[-1]
    finally:
        wl.stdin.close()
        wl.wait(timeout=30)
    rows = [r for r in final["top"] if r["size"] == 1000]
    assert rows and rows[0]["line"] is not None
    assert rows[0]["module"].endswith("(deleted)")


def test_exec_drops_old_image_and_traces_new():
    env = dict(os.environ, WL_EXEC=str(WORKLOADS / "allocators"))
    p = subprocess.run([str(TOOL), "-c", str(WORKLOADS / "execer"),
                        "--json", "-T", "0", "3600"], capture_output=True,
                       text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    final = reports(p.stdout)[-1]
    assert "before_exec" not in rows_at(final, "execer")
    rows = rows_at(final, "allocators")
    expect_row(rows, "malloc", 1000, 1, 1000, 1)
    proc = final["processes"][0]
    assert proc["comm"] == "allocators"
    # only the new image's blocks are live (allocators keeps 5029 bytes)
    assert proc["current_bytes"] == 5029
    assert not [r for r in final["top"] if r["size"] == 3333]


@pytest.mark.parametrize("follow", [False, True])
def test_fork_in_pid_mode(follow):
    wl = Workload("forker")
    try:
        extra = ["--follow-forks"] if follow else []
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", *extra,
                     "3600"])
        wl.proc.stdin.write("go\n")
        wl.proc.stdin.flush()
        child = int(wl.proc.stdout.readline().split()[1])
        assert wl.proc.stdout.readline().strip() == "done"
        final = tr.stop()[-1]
    finally:
        wl.finish()
    pids = {p["pid"] for p in final["processes"]}
    assert wl.pid in pids
    assert (child in pids) == follow, final["processes"]
    parent_rows = rows_at(final, "forker", wl.pid)
    expect_row(parent_rows, "parent", 1111, 1, 1111, 1)
    if follow:
        child_rows = {r["line"]: r for r in final["top"]
                      if r["pid"] == child}
        assert any(r["size"] == 2222 for r in child_rows.values())


def test_fork_system_wide_child_has_own_counts():
    pid, reps = trace_all("forker")
    final = reps[-1]
    kids = [p for p in final["processes"]
            if p["comm"] == "forker" and p["pid"] != pid]
    assert kids, final["processes"]
    rows = [r for r in final["top"] if r["pid"] == kids[0]["pid"]
            and r["file"] and r["file"].endswith("/forker.c")]
    assert [r["size"] for r in rows] == [2222]
    parent = rows_at(final, "forker", pid)
    expect_row(parent, "parent", 1111, 1, 1111, 1)


def test_followed_child_exit_is_reported_once_then_purged():
    wl = Workload("forker")
    try:
        tr = Tracer(["-p", str(wl.pid), "--follow-forks", "--json", "-T",
                     "0", "1"])
        said = wl.go()
        child = int(said[0].split()[1])
        time.sleep(3.5)
        reps = tr.stop()
    finally:
        wl.finish()
    seen = [[p for p in r["processes"] if p["pid"] == child]
            for r in reps]
    shown = [i for i, procs in enumerate(seen) if procs]
    assert len(shown) == 1, seen
    assert seen[shown[0]][0]["exited"] is True
    assert seen[shown[0]][0]["current_bytes"] == 2222
    # afterwards the child's rows show once as gone (size 0, negative
    # diff, like tracemalloc's compare_to), then not at all
    after = [[r for r in rep["top"] if r["pid"] == child]
             for rep in reps[shown[0] + 1:]]
    assert after and all(r["size"] == 0 and r["size_diff"] == -2222
                         for r in after[0])
    assert all(not rows for rows in after[1:])
