# SPDX-License-Identifier: MIT
"""Exact bytes at exact lines, for every allocator function, in -p, -c and
system-wide modes (DESIGN.md: what a byte means)."""
import pytest

from conftest import (expect_row, rows_at, trace_all, trace_command,
                      trace_pid)

MODES = ["pid", "command", "all"]


def final_rows(mode, workload):
    if mode == "pid":
        pid, reps = trace_pid(workload)
    elif mode == "command":
        p, reps = trace_command(workload)
        assert p.returncode == 0, p.stderr
        pid = reps[-1]["processes"][0]["pid"] if reps else None
    else:
        pid, reps = trace_all(workload)
    assert reps, "no report"
    final = reps[-1]
    assert final["final"] is True
    return final, rows_at(final, workload, pid), pid


def process(final, pid):
    procs = [p for p in final["processes"] if p["pid"] == pid]
    assert procs, f"pid {pid} not in {final['processes']}"
    return procs[0]


@pytest.mark.parametrize("mode", MODES)
def test_each_allocator(mode):
    final, rows, pid = final_rows(mode, "allocators")
    expect_row(rows, "malloc", 1000, 1, 1000, 1)
    expect_row(rows, "calloc", 200, 1, 200, 1)
    expect_row(rows, "realloc_null", 300, 1, 300, 1)
    expect_row(rows, "reallocarray", 77, 1, 77, 1)
    expect_row(rows, "posix_memalign", 400, 1, 400, 1)
    expect_row(rows, "posix_memalign_small", 440, 1, 440, 1)
    expect_row(rows, "aligned_alloc", 512, 1, 512, 1)
    expect_row(rows, "memalign", 600, 1, 600, 1)
    expect_row(rows, "valloc", 700, 1, 700, 1)
    expect_row(rows, "pvalloc", 800, 1, 800, 1)
    expect_row(rows, "freed", 0, 0, 5000, 1)
    assert "failed" not in rows or rows["failed"]["alloc_count"] == 0
    p = process(final, pid)
    assert p["failed_count"] == 1
    assert p["current_bytes"] >= 1000 + 200 + 300 + 77 + 400 + 440 + 512 \
        + 600 + 700 + 800


@pytest.mark.parametrize("mode", MODES)
def test_realloc_chain(mode):
    final, rows, pid = final_rows(mode, "realloc_chain")
    expect_row(rows, "chain_malloc", 0, 0, 100, 1)
    expect_row(rows, "chain_grow", 0, 0, 200, 1)
    expect_row(rows, "chain_shrink", 50, 1, 50, 1)
    expect_row(rows, "zero_base", 0, 0, 10, 1)
    assert "zero_free" not in rows
    expect_row(rows, "fail_base", 30, 1, 30, 1)
    assert "fail_realloc" not in rows
    assert process(final, pid)["failed_count"] == 1


@pytest.mark.parametrize("mode", MODES)
def test_churn_exact_totals(mode):
    final, rows, pid = final_rows(mode, "churn")
    n = 20000
    total = sum(64 + (i % 4) * 16 for i in range(n))
    expect_row(rows, "churn", 0, 0, total, n)


@pytest.mark.parametrize("mode", MODES)
def test_four_threads(mode):
    final, rows, pid = final_rows(mode, "threads")
    expect_row(rows, "thread_keep", 4 * 2000 * 48, 4 * 2000,
               4 * 2000 * 48, 4 * 2000)
    expect_row(rows, "thread_churn", 0, 0, 4 * 2000 * 24, 4 * 2000)
    expect_row(rows, "thread_churn2", 0, 0, 4 * 3000 * 24, 4 * 3000)
    assert final["lost"].get("thread_map_full", 0) == 0


def test_blocks_beyond_the_table_stay_exact():
    """--max-allocs 16384 gives a table of 4096 slots (a quarter), fewer
    than the 8000 blocks the threads keep: the rest go to the hash map, and
    counts stay exact with nothing lost."""
    p, reps = trace_command("threads", extra=("--max-allocs", "16384"))
    assert p.returncode == 0, p.stderr
    final = reps[-1]
    pid = final["processes"][0]["pid"]
    rows = rows_at(final, "threads", pid)
    expect_row(rows, "thread_keep", 4 * 2000 * 48, 4 * 2000,
               4 * 2000 * 48, 4 * 2000)
    expect_row(rows, "thread_churn", 0, 0, 4 * 2000 * 24, 4 * 2000)
    expect_row(rows, "thread_churn2", 0, 0, 4 * 3000 * 24, 4 * 3000)
    assert not any(final["lost"].values()), final["lost"]
    assert final["processes"][0]["inexact"] is False


@pytest.mark.parametrize("mode", MODES)
def test_mmap_backed_block(mode):
    final, rows, pid = final_rows(mode, "bigblock")
    expect_row(rows, "big_keep", 64 << 20, 1, 64 << 20, 1)
    expect_row(rows, "big_freed", 0, 0, 32 << 20, 1)
    assert process(final, pid)["peak_bytes"] >= (64 << 20) + (32 << 20)


@pytest.mark.parametrize("mode", ["pid", "all"])
def test_frees_of_blocks_from_before_attach(mode):
    final, rows, pid = final_rows(mode, "prefree")
    expect_row(rows, "after_attach", 4242, 1, 4242, 1)
    p = process(final, pid)
    assert p["unmatched_free_count"] == 100
    # never subtracted from anyone
    assert p["current_bytes"] == 4242
    assert all(r["size"] >= 0 for r in rows.values())


@pytest.mark.parametrize("mode", MODES)
def test_runtime_wrappers_charged_to_caller(mode):
    """strdup/asprintf/fopen allocate inside libc, which keeps no frame
    pointers: the tracer steps through libc's frames with its CFI."""
    final, rows, pid = final_rows(mode, "runtime")
    expect_row(rows, "strdup", 16, 1, 16, 1)
    expect_row(rows, "strndup", 6, 1, 6, 1)
    # glibc's asprintf mallocs 100 bytes, then shrinks them with realloc
    expect_row(rows, "asprintf", 12, 1, 112, 2)
    assert rows["fopen"]["count"] == 1 and rows["fopen"]["size"] > 0
    libc_rows = [r for r in final["top"] if r["pid"] in (pid, None)
                 and (r["module"] or "").endswith("libc.so.6")]
    assert not libc_rows, libc_rows


@pytest.mark.parametrize("mode", MODES)
def test_cxx_new_charged_to_new_expression(mode):
    final, rows, pid = final_rows(mode, "cxx_new")
    expect_row(rows, "new_one", 56, 1, 56, 1)
    expect_row(rows, "new_array", 560, 1, 560, 1)
    # the vector object and, from libstdc++'s inlined header code, its
    # buffer: both charged to the new-expression
    expect_row(rows, "new_vector", 24 + 400, 2, 24 + 400, 2)
    # push_back doubles the buffer (1, 2, 4 ... 1024 longs), each growth
    # freeing the last: only the final 8 KiB is live
    expect_row(rows, "push_back", 8192, 1, 8 * 2047, 11)
