# SPDX-License-Identifier: MIT
"""Every allocator family, exact (issue 11): the accuracy workload
(tests/workloads/families.c: each C allocator function, a realloc chain,
threads, a churn, big blocks) under jemalloc, tcmalloc and mimalloc,
linked directly (with the family's own API too) and through LD_PRELOAD, in
-p, -c and system-wide modes; C++ operator new and delete of each."""
import pytest

from conftest import (expect_row, rows_at, trace_all, trace_command,
                      trace_pid)

MODES = ["pid", "command", "all"]
FAMILIES = {
    "jemalloc": "libjemalloc.so.2",
    "tcmalloc_minimal": "libtcmalloc_minimal.so.4",
    "mimalloc": "libmimalloc.so.2",
}
THREADS, KEEP, CHURN = 4, 2000, 20000

COMMON = {
    "malloc": (1000, 1, 1000, 1),
    "calloc": (200, 1, 200, 1),
    "realloc_null": (300, 1, 300, 1),
    "posix_memalign": (400, 1, 400, 1),
    "aligned_alloc": (512, 1, 512, 1),
    "memalign": (600, 1, 600, 1),
    "valloc": (700, 1, 700, 1),
    "freed": (0, 0, 5000, 1),
    "chain_malloc": (0, 0, 100, 1),
    "chain_grow": (0, 0, 200, 1),
    "chain_shrink": (50, 1, 50, 1),
    "thread_keep": (THREADS * KEEP * 48, THREADS * KEEP,
                    THREADS * KEEP * 48, THREADS * KEEP),
    "thread_churn": (0, 0, THREADS * KEEP * 24, THREADS * KEEP),
    "churn": (0, 0, sum(64 + (i % 4) * 16 for i in range(CHURN)), CHURN),
    "big_keep": (64 << 20, 1, 64 << 20, 1),
    "big_freed": (0, 0, 32 << 20, 1),
}

OWN = {
    "jemalloc": {
        "mallocx": (333, 1, 333, 1),
        "rallocx": (444, 1, 444, 1),
        "xallocx_base": (0, 0, 4096, 1),
        "xallocx": (1000, 1, 1000, 1),
        "sdallocx_freed": (0, 0, 200, 1),
        "dallocx_freed": (0, 0, 210, 1),
    },
    "tcmalloc_minimal": {
        "tc_malloc": (111, 1, 111, 1),
        "tc_calloc": (111, 1, 111, 1),
        "tc_memalign": (130, 1, 130, 1),
        "tc_free_sized_freed": (0, 0, 140, 1),
        "tc_posix_memalign": (150, 1, 150, 1),
    },
    "mimalloc": {
        "mi_malloc": (321, 1, 321, 1),
        "mi_calloc": (21, 1, 21, 1),
        "mi_mallocn": (40, 1, 40, 1),
        "mi_zalloc": (64, 1, 64, 1),
        "mi_malloc_aligned": (256, 1, 256, 1),
        "mi_realloc_base": (0, 0, 90, 1),
        "mi_realloc": (500, 1, 500, 1),
        "mi_free_size_freed": (0, 0, 77, 1),
    },
}


def run(mode, binary, env=None):
    if mode == "pid":
        pid, reps = trace_pid(binary, env=env)
    elif mode == "command":
        p, reps = trace_command(binary, env=env)
        assert p.returncode == 0, p.stderr
        pid = reps[-1]["processes"][0]["pid"] if reps else None
    else:
        pid, reps = trace_all(binary, env=env)
    assert reps, "no report"
    final = reps[-1]
    assert final["final"] is True
    procs = [p for p in final["processes"] if p["pid"] == pid]
    assert procs, f"pid {pid} not in {final['processes']}"
    return final, pid, procs[0]


def check(final, pid, proc, workload, expected):
    rows = rows_at(final, workload, pid)
    for name, want in expected.items():
        expect_row(rows, name, *want)
    assert proc["failed_count"] == (1 if "malloc" in expected else 0)
    assert proc["unmatched_free_count"] == 0
    assert proc["inexact"] is False
    assert not final["lost"].get("probes_late"), final["lost"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_linked(family, mode):
    final, pid, proc = run(mode, f"families-{family}")
    check(final, pid, proc, "families", {**COMMON, **OWN[family]})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_preloaded(family, mode):
    env = {"LD_PRELOAD": FAMILIES[family]}
    final, pid, proc = run(mode, "families", env)
    check(final, pid, proc, "families", COMMON)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_cxx_new_and_delete(family):
    """operator new and delete are the family's own: probed there."""
    final, pid, proc = run("command", f"cxx_new-{family}")
    rows = rows_at(final, "cxx_new", pid)
    expect_row(rows, "new_one", 56, 1, 56, 1)
    expect_row(rows, "new_array", 560, 1, 560, 1)
    expect_row(rows, "new_vector", 24 + 400, 2, 24 + 400, 2)
    expect_row(rows, "push_back", 8192, 1, 8 * 2047, 11)
    assert proc["unmatched_free_count"] == 0
