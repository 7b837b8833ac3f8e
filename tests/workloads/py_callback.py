# SPDX-License-Identifier: MIT
"""Python called back from C: caller() calls the C extension cbext (built
by the test, on PYTHONPATH), which mallocs a block of its own and calls
callback(), which allocates a bytearray(555_555). Its traceback holds two
runs of the eval loop with the extension's C frame between them.
Follows the workloads' --wait protocol (py_protocol.py)."""
import cbext
import py_protocol

keep = []


def inner():
    keep.append(bytearray(555_555))  # @cb_inner


def callback():
    inner()  # @cb_callback


def caller():
    cbext.call_back(callback)  # @cb_caller


def main():
    caller()  # @cb_main


py_protocol.run(main)
