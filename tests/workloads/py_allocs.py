# SPDX-License-Identifier: MIT
"""Allocations of known sizes at marked lines, through malloc-backed
Python objects (bytes and bytearray buffers above pymalloc's 512 bytes,
numpy arrays): a nested call chain, a class method, a generator, a
Python thread, and a native thread with no Python frame on it.

With --wait it follows the workloads' protocol: prints "ready", waits
for "go" on stdin, works, prints "done", waits for stdin to close. It
ends with os._exit so that what it holds is still live at its exit."""
import ctypes
import os
import sys
import threading

try:
    import numpy
except ImportError:  # a pyenv build: no numpy
    numpy = None

keep = []


def leaf(n):
    keep.append(bytearray(n))  # @leaf


def middle(n):
    leaf(n)  # @middle


def outer():
    for _ in range(5):
        middle(1_000_000)  # @outer


class Buffers:
    def make(self):
        keep.append(bytes(300_000))  # @method


def chunks():
    for _ in range(3):
        yield bytes(100_000)  # @generator


def worker():
    keep.append(bytearray(400_000))  # @thread


def native_thread():
    """malloc(123457) as the start routine of a thread Python never saw."""
    libc = ctypes.CDLL(None)
    libc.pthread_create.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_void_p, ctypes.c_void_p]
    libc.pthread_join.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
    tid = ctypes.c_ulong()
    start = ctypes.cast(libc.malloc, ctypes.c_void_p)
    assert libc.pthread_create(ctypes.byref(tid), None, start, 123457) == 0
    libc.pthread_join(tid.value, None)


def work():
    outer()
    Buffers().make()
    keep.extend(chunks())
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    if numpy:
        keep.append(numpy.empty(2_000_000, dtype=numpy.uint8))  # @numpy
    native_thread()


def main():
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


main()
