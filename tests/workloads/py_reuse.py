# SPDX-License-Identifier: MIT
"""Code objects that live one after another at the same address: each
round compiles a function at another first line of a file of its own,
calls it to allocate bytearray(20_000 + round), then drops it, so that
the next round's code object is allocated where it was. Each round's
bytes must stay at its own file:line. Prints each code object's address.
Follows the workloads' --wait protocol (py_protocol.py)."""
import gc
import time

import py_protocol

# first lines whose guards (bpf/allocsnoop.h: as_py_guard, 3 bits) all
# differ: code objects of these lines at one address are told apart
LINES = [1, 2, 3, 4, 5, 6, 7, 9]
keep = []


def one_round(i):
    line = LINES[i]
    src = "\n" * (line - 1) + "def f(n):\n    return bytearray(n)\n"
    glb = {}
    exec(compile(src, f"<reuse-{i}>", "exec"), glb)
    f = glb.pop("f")
    print(hex(id(f.__code__)), flush=True)
    keep.append(f(20_000 + i))  # @reuse_call
    time.sleep(0.3)  # the tracer reads the code object while it lives
    del f
    gc.collect()


def work():
    for i in range(len(LINES)):
        one_round(i)


py_protocol.run(work)
