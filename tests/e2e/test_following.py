# SPDX-License-Identifier: MIT
"""Probes follow what processes map (issue 11): a library dlopened after
attach, a private allocator loaded later (probed late, and counted so), a
process in its own mount namespace with its own libc, a static binary."""
import shutil
import subprocess
import time

import pytest

from conftest import (WORKLOADS, Tracer, Workload, expect_row, rows_at,
                      trace_all, trace_command, trace_pid)
from test_allocator_families import COMMON

MODES = ["pid", "command", "all"]


def final_of(mode, name, env=None):
    if mode == "pid":
        pid, reps = trace_pid(name, env=env)
    elif mode == "command":
        p, reps = trace_command(name, env=env)
        assert p.returncode == 0, p.stderr
        pid = reps[-1]["processes"][0]["pid"] if reps else None
    else:
        pid, reps = trace_all(name, env=env)
    assert reps and reps[-1]["final"] is True
    return reps[-1], pid


def process(final, pid):
    procs = [p for p in final["processes"] if p["pid"] == pid]
    assert procs, f"pid {pid} not in {final['processes']}"
    return procs[0]


@pytest.mark.parametrize("mode", MODES)
def test_dlopened_library(mode, tmp_path):
    """Its own library (C++: libstdc++ arrives with it) is exact; a private
    copy of mimalloc, a file no process mapped before, is probed when the
    loader says it came: what it allocates after is exact, and the window
    before is counted in probes_late."""
    lib = tmp_path / "libmimalloc.so.2"
    shutil.copy("/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", lib)
    final, pid = final_of(mode, "dlopener", {"WL_PRIVATE_ALLOC": str(lib)})
    rows = rows_at(final, "dlwork", pid)
    expect_row(rows, "dl_new", 777, 1, 777, 1)
    expect_row(rows, "dl_malloc", 888, 1, 888, 1)
    # the vector object and its buffer of 50 longs
    expect_row(rows, "dl_vector", 24 + 400, 2, 24 + 400, 2)
    expect_row(rows_at(final, "dlopener", pid), "private_malloc",
               999, 1, 999, 1)
    assert final["lost"]["probes_late"] == 1, final["lost"]
    assert process(final, pid)["unmatched_free_count"] == 0


def make_root(tmp_path):
    """A small root with its own copies of the loader and libc (other
    inodes than the system's) and the accuracy workload."""
    root = tmp_path / "root"
    for src, dst in (("/lib64/ld-linux-x86-64.so.2", "lib64"),
                     ("/lib/x86_64-linux-gnu/libc.so.6",
                      "lib/x86_64-linux-gnu"),
                     (str(WORKLOADS / "families"), "")):
        (root / dst).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / dst)
    return root


def test_own_mount_namespace_and_libc(tmp_path):
    """System-wide: a process in its own mount namespace whose libc is its
    own copy is exact; so is one started there after attach, which uses
    that libc from its first call."""
    root = make_root(tmp_path)
    argv = ["unshare", "--mount", f"--root={root}", "/families"]
    first = Workload("families", argv=argv)
    second = None
    try:
        tr = Tracer(["--json", "-T", "0", "3600"])
        first.go()
        second = Workload("families", argv=argv)
        second.go()
        reps = tr.stop()
    finally:
        first.finish()
        if second:
            second.finish()
    final = reps[-1]
    for wl in (first, second):
        rows = rows_at(final, "families", wl.pid)
        for name, want in COMMON.items():
            expect_row(rows, name, *want)
        # (glibc's threads return their tcache with free() at exit: those
        # count as unmatched frees, as the README says)
    # the copy was probed at start, through the process's root
    assert not final["lost"].get("probes_late"), final["lost"]


@pytest.mark.parametrize("mode", ["command", "all"])
def test_static_binary(mode):
    """glibc static: malloc and friends are the program's own."""
    final, pid = final_of(mode, "families-static")
    rows = rows_at(final, "families", pid)
    for name, want in COMMON.items():
        expect_row(rows, name, *want)
    assert process(final, pid)["failed_count"] == 1
    assert not final["lost"].get("probes_late"), final["lost"]
