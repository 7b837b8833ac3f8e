#!/usr/bin/python3.11
# SPDX-License-Identifier: MIT
"""bench/pyalloc.py N DEPTH - Debian's CPython allocating and freeing a
bytearray(1000) (malloc + free: over pymalloc's 512 bytes) N times, DEPTH
Python frames deep. Prints the bench line of bench.h's programs; with
--wait first, waits for "go" like them (make bench's -p mode)."""
import os
import resource
import sys
import time


def inner(n):
    for _ in range(n):
        bytearray(1000)


def nest(depth, n):
    if depth <= 1:
        inner(n)
    else:
        nest(depth - 1, n)


def main():
    args = sys.argv[1:]
    wait = args[:1] == ["--wait"]
    if wait:
        args = args[1:]
        print("ready %d" % os.getpid(), flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit(1)
    n, depth = int(args[0]), int(args[1])
    c0, t0 = time.process_time(), time.perf_counter_ns()
    nest(depth - 1, n)  # the module's frame is one
    dt = time.perf_counter_ns() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("bench: ops=%d ns_per_op=%.1f seconds=%.6f cpu_s=%.3f "
          "maxrss_kib=%d" % (n, dt / n, dt / 1e9, time.process_time() - c0,
                             ru.ru_maxrss), flush=True)
    if wait:
        print("done", flush=True)
        sys.stdin.read()


main()
