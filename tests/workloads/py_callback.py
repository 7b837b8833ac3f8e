# SPDX-License-Identifier: MIT
"""Python called back from C: caller() calls the C extension cbext (built
by the test, on PYTHONPATH), which mallocs a block of its own and calls
callback(), which allocates a bytearray(555_555). Its traceback holds two
runs of the eval loop with the extension's C frame between them.
Follows the workloads' --wait protocol and ends with os._exit."""
import os
import sys

import cbext

keep = []


def inner():
    keep.append(bytearray(555_555))  # @cb_inner


def callback():
    inner()  # @cb_callback


def caller():
    cbext.call_back(callback)  # @cb_caller


def main():
    wait = "--wait" in sys.argv
    if wait:
        print("ready", flush=True)
        assert sys.stdin.readline().strip() == "go"
    caller()  # @cb_main
    if wait:
        print("done", flush=True)
        sys.stdin.read()
    sys.stdout.flush()
    os._exit(0)


main()
