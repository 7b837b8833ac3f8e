# SPDX-License-Identifier: MIT
"""The tracemalloc tutorial's case on pandas: load orders from a CSV
file, then add a discounted-amount and an order-year column.

py_orders.py CSV [--wait] [--tracemalloc]: with --wait it loads, prints
"ready", waits for "go" on stdin, processes, prints "done" and waits for
stdin to close (so a tracer attached at "ready" sees the processing
phase only). With --tracemalloc it traces the processing phase itself and
prints, for the top lines of compare_to(before, 'lineno'), a line
"TM file line size count" and the sizes of that line's new traces
"TS file line size...". With --count DIR it counts every allocation call
of the object and mem domains in the processing phase with the pyalloc
extension in DIR (an allocator hook, no probe) and prints "PYCOUNT small
large": the calls of 1..512 bytes, which pymalloc serves from its arenas,
and the others. Ends with os._exit: nothing is freed on the way out."""
import os
import sys
import tracemalloc

import pandas as pd


def process(df):
    df["discounted"] = df["amount"] * 0.9
    df["year"] = pd.to_datetime(df["date"]).dt.year
    return df


def report(before, after, top=2):
    # tracing started just before @before: after's traces are the
    # processing phase's
    for st in after.compare_to(before, "lineno")[:top]:
        fr = st.traceback[0]
        print("TM", fr.filename, fr.lineno, st.size, st.count)
        sizes = [t.size for t in after.traces
                 if (t.traceback[0].filename, t.traceback[0].lineno) ==
                 (fr.filename, fr.lineno)]
        print("TS", fr.filename, fr.lineno, *sizes)


def main():
    wait = "--wait" in sys.argv
    trace = "--tracemalloc" in sys.argv
    count = None
    if "--count" in sys.argv:
        sys.path.insert(0, sys.argv[sys.argv.index("--count") + 1])
        import pyalloc as count
    df = pd.read_csv(sys.argv[1])
    if wait:
        print("ready", flush=True)
        assert sys.stdin.readline().strip() == "go"
    if trace:
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
    if count:
        count.count_start()
    df = process(df)
    if count:
        print("PYCOUNT %d %d" % count.count_stop(), flush=True)
    if trace:
        report(before, tracemalloc.take_snapshot())
    if wait:
        print("done", flush=True)
        sys.stdin.read()
    sys.stdout.flush()
    os._exit(0)


main()
