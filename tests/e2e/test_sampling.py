# SPDX-License-Identifier: MIT
"""--sample-bytes: Poisson sampling by bytes keeps totals unbiased, blocks far
above the interval stay exact, malloc/calloc/realloc run as uprobe sessions,
and exact mode is unchanged.

The bounds are wide in units of the estimator's own spread: at 64 KiB per
sample the workload's standard deviations are at most 0.8% (bytes) and 1.5%
(counts) per line, so 5% / 10% is 6.5 sigma or more; and no block is under
256 bytes, so no single sample moves a count by more than 1.1% (one sample
of a 16-byte block would stand for 4096 allocations: a heavy tail that
once put a count 11% off)."""
import pytest

from conftest import rows_at, trace_all, trace_command, trace_pid

N = 65536
WL = "sample_mix"
NKEEP, NCALLOC, NCHURN, NCHAIN, NSTEPS = 24000, 24000, 64000, 12000, 4


def size_of(i):
    return 256 + i * 2654435761 % 65281


def expected():
    """{marker: (size, count, alloc_size, alloc_count)}, as the workload
    computes its sizes."""
    keep = [size_of(i) for i in range(NKEEP)]
    zeroed = [size_of(i + NKEEP) for i in range(NCALLOC)]
    churn = [size_of(i + 100000) for i in range(NCHURN)]
    kept = churn[::64]
    bases = [256 + (i + 200000) * 2654435761 % 16140 for i in range(NCHAIN)]
    grown = [b * s for b in bases for s in range(1, NSTEPS + 1)]
    return {
        "keep": (sum(keep), NKEEP, sum(keep), NKEEP),
        "calloc": (sum(zeroed), NCALLOC, sum(zeroed), NCALLOC),
        "churn": (sum(kept), len(kept), sum(churn), NCHURN),
        "grow": (sum(NSTEPS * b for b in bases), NCHAIN, sum(grown),
                 NCHAIN * NSTEPS),
        "big": (64 << 20, 1, 64 << 20, 1),
        "big_edge": (2 << 20, 1, 2 << 20, 1),
    }


def run(mode, extra):
    if mode == "pid":
        pid, reps = trace_pid(WL, extra)
    elif mode == "command":
        p, reps = trace_command(WL, extra)
        assert p.returncode == 0, p.stderr
        pid = reps[-1]["processes"][0]["pid"] if reps else None
    else:
        pid, reps = trace_all(WL, extra)
    assert reps, "no report"
    final = reps[-1]
    assert final["final"] is True
    procs = [p for p in final["processes"] if p["pid"] == pid]
    assert procs, f"pid {pid} not in {final['processes']}"
    return final, rows_at(final, WL, pid), procs[0]


def within(name, what, got, want, rel):
    assert abs(got - want) <= rel * want, \
        f"@{name} {what}: {got} vs exact {want} ({got / want - 1:+.2%}, " \
        f"bound {rel:.0%})"


@pytest.mark.parametrize("mode", ["pid", "command", "all"])
def test_sampled_estimates(mode):
    final, rows, proc = run(mode, ["--sample-bytes", str(N)])
    exp = expected()
    assert set(exp) <= set(rows), f"rows: {sorted(rows)}"
    for name in ("keep", "calloc", "grow"):
        r, (size, count, asize, acount) = rows[name], exp[name]
        within(name, "size", r["size"], size, 0.05)
        within(name, "count", r["count"], count, 0.10)
        within(name, "alloc_size", r["alloc_size"], asize, 0.05)
        within(name, "alloc_count", r["alloc_count"], acount, 0.10)
    r, (size, count, asize, acount) = rows["churn"], exp["churn"]
    within("churn", "alloc_size", r["alloc_size"], asize, 0.05)
    within("churn", "alloc_count", r["alloc_count"], acount, 0.10)
    # 1000 blocks kept: a 3.8% spread
    within("churn", "size", r["size"], size, 0.25)
    # Far above the interval a block is always recorded and weighs itself.
    for name in ("big", "big_edge"):
        r = rows[name]
        got = (r["size"], r["count"], r["alloc_size"], r["alloc_count"])
        assert got == exp[name], f"@{name}: {got}"
    live = sum(e[0] for e in exp.values())
    within("process", "current_bytes", proc["current_bytes"], live, 0.05)
    # Frees of blocks sampling passed by are expected, not unmatched.
    assert proc["unmatched_free_count"] == 0
    assert final["lost"].get("stale_allocs", 0) == 0


def test_sampled_uses_sessions():
    p, reps = trace_command(WL, ["-v", "--sample-bytes", str(N)])
    assert p.returncode == 0, p.stderr
    # libc's hot functions; the other allocator libraries have their own
    sess = [l for l in p.stderr.splitlines() if l.endswith(
        ": uprobe session") and "/libc.so" in l]
    funcs = {l.split(": ")[2].split(" ")[0] for l in sess}
    assert funcs == {"malloc", "calloc", "realloc"}, p.stderr
    assert "no uprobe sessions" not in p.stderr
    assert reps and reps[-1]["final"] is True


def test_exact_mode_unchanged():
    final, rows, proc = run("command", [])
    exp = expected()
    for name, want in exp.items():
        assert name in rows, f"no row at @{name}; rows: {sorted(rows)}"
        r = rows[name]
        got = (r["size"], r["count"], r["alloc_size"], r["alloc_count"])
        assert got == want, f"@{name}: {got} vs {want}"
    assert proc["alloc_count"] == sum(e[3] for e in exp.values())
    # realloc ends the record of the block it moves
    assert proc["free_count"] == NCHURN - NCHURN // 64 + NCHAIN * (NSTEPS - 1)
    assert proc["unmatched_free_count"] == 0


def test_exact_mode_has_no_sessions():
    p, reps = trace_command(WL, ["-v"])
    assert p.returncode == 0, p.stderr
    assert "uprobe session" not in p.stderr
