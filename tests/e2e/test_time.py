# SPDX-License-Identifier: MIT
"""Time: blocks' ages (--older-than, --ages), lifetimes and temporary
allocations (--lifetimes, --temporary, --sort temporary), on a workload
whose blocks have known ages and lifetimes (tests/workloads/lifetimes.c)."""
import time

from conftest import Tracer, Workload, rows_at
from pprof_comments import meta, processes

MIB = 1 << 20

WL = "lifetimes"
# The buckets are [2^b us, 2^(b+1) us): bucket 15 is 32.8-65.5 ms, 18 is
# 262-524 ms, 20 is 1.05-2.10 s.
BUCKET_US = [1 << b for b in range(32)]


def bucket_of(ns):
    us, b = ns // 1000, 0
    while us > 1 and b < 31:
        us >>= 1
        b += 1
    return b


def traced(extra):
    """The final JSON report of -p around one run, and the seconds from
    the end of the work to the report."""
    wl = Workload(WL)
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", *extra,
                     "3600"])
        wl.go()
        done = time.monotonic()
        reps = tr.stop()
        took = time.monotonic() - done
    finally:
        wl.finish()
    return rows_at(reps[-1], WL), took


def hist(row, key):
    return {bucket_of(lo): n for lo, hi, n in row[key]}


def test_older_than_keeps_only_the_old_blocks():
    rows, took = traced(["--older-than", "1s"])
    assert rows["old"]["size"] == 30000 and rows["old"]["count"] == 10
    # the young blocks were 0-`took` s old at the report
    assert "young" not in rows or rows["young"]["count"] == 0
    # regions mapped with mmap directly have ages too
    assert (rows["old_map"]["kind"], rows["old_map"]["size"],
            rows["old_map"]["count"]) == ("mmap", 5 << 12, 1)
    assert rows["old_map"]["oldest_age_ns"] / 1e9 >= 1.8
    assert "young_map" not in rows or rows["young_map"]["count"] == 0
    # allocated 1.5 s (plus the churn's 0.35 s) before the end of the work
    age = rows["old"]["oldest_age_ns"] / 1e9
    assert 1.8 <= age <= 1.85 + took + 0.5, age
    assert sum(n for _, _, n in rows["old"]["ages"]) == 10


def test_ages_of_every_live_block():
    rows, took = traced(["--ages"])
    assert rows["young"]["size"] == 3500 and rows["young"]["count"] == 5
    assert rows["young"]["oldest_age_ns"] / 1e9 <= took + 0.5
    assert rows["old"]["oldest_age_ns"] > rows["young"]["oldest_age_ns"]
    assert hist(rows["old"], "ages").keys() == {20}  # 1.05-2.10 s
    assert rows["young_map"]["size"] == 3 << 12
    assert hist(rows["young_map"], "ages") == {bucket_of(
        rows["young_map"]["oldest_age_ns"]): 1}
    assert hist(rows["old_map"], "ages") == {20: 1}


def test_lifetimes_and_temporary_counts_are_exact():
    rows, _ = traced(["--lifetimes"])
    short, mid, lng = rows["short"], rows["medium"], rows["long"]
    assert (short["temporary"], short["freed"]) == (200, 200)
    assert max(hist(short, "lifetimes")) <= 9  # all under 1 ms
    assert (mid["temporary"], mid["freed"]) == (0, 4)
    assert hist(mid, "lifetimes") == {15: 4}  # 45 ms
    assert (lng["temporary"], lng["freed"]) == (0, 3)
    assert hist(lng, "lifetimes") == {18: 3}  # 300 ms
    assert (rows["old"]["freed"], rows["old"]["temporary"]) == (0, 0)
    assert rows["old"]["lifetimes"] == []


def test_temporary_threshold_and_sort():
    rows, _ = traced(["--temporary", "100ms", "--sort", "temporary"])
    assert rows["short"]["temporary"] == 200
    assert rows["medium"]["temporary"] == 4  # 45 ms < 100 ms
    assert rows["long"]["temporary"] == 0


def test_sort_temporary_puts_the_churn_first():
    wl = Workload(WL)
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", "--sort",
                     "temporary", "3600"])
        wl.go()
        rep = tr.stop()[-1]
    finally:
        wl.finish()
    temps = [r["temporary"] for r in rep["top"]]
    assert temps == sorted(temps, reverse=True)
    assert rep["top"][0]["temporary"] == 200


def test_reports_unchanged_without_the_new_options():
    rows, _ = traced([])
    for key in ("temporary", "freed", "lifetimes", "oldest_age_ns", "ages"):
        assert key not in rows["old"]


def test_timeline_shows_growth_shrink_and_peak(tmp_path):
    snap = tmp_path / "tl.pb.gz"
    wl = Workload("timeline")
    try:
        tr = Tracer(["-p", str(wl.pid), "-o", str(snap), "--json", "3600"])
        said = wl.go()
        tr.stop()
    finally:
        wl.finish()
    peak_ns = int(said[-1].split()[1])
    proc = processes(snap)[wl.pid]
    start = meta(snap)
    start_ns = start["start_sec"] * 10**9 + start["start_nsec"]
    assert proc["peak_bytes"] == 10 * MIB
    # the kernel's time of the peak: the allocation that reached it
    assert abs(proc["peak_time_ns"] - peak_ns) < 50e6
    levels = [cur for _, cur, _, _ in proc["timeline"]]
    assert all(v % MIB == 0 for v in levels)
    top = levels.index(10 * MIB)
    rise, fall = levels[:top + 1], levels[top:]
    assert rise == sorted(rise) and fall == sorted(fall, reverse=True)
    # sampled 10 times a second: most steps of each phase are seen
    assert len(set(rise)) >= 6 and len(set(fall)) >= 6 and fall[-1] == 0
    # the first point at the peak comes within a sampling period of it
    t_top = start_ns + proc["timeline"][top][0] * 10**6
    assert peak_ns - 1e6 <= t_top <= peak_ns + 100e6 + 50e6
    counts = [(a, f) for _, _, a, f in proc["timeline"]]
    assert counts[-1] == (10, 10)
