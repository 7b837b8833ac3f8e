# SPDX-License-Identifier: MIT
"""The workloads' --wait protocol for the Python workloads (the C ones
have workload.h): with --wait, print "ready", wait for "go" on stdin, work,
print "done", wait for stdin to close. Then os._exit, so that what the work
holds is still live at the exit."""
import os
import sys


def run(work):
    wait = "--wait" in sys.argv
    if wait:
        print("ready", flush=True)
        assert sys.stdin.readline().strip() == "go"
    work()
    if wait:
        print("done", flush=True)
        sys.stdin.read()
    sys.stdout.flush()
    os._exit(0)
