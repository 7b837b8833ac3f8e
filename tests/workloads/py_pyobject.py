# SPDX-License-Identifier: MIT
"""CPython's object allocator called at known lines, through the pyalloc
extension (build/workloads/pyalloc.so, the directory in argv[1]): small
blocks that pymalloc serves from its arenas, large ones it hands to
malloc, PyMem_Malloc, PyObject_Calloc and PyObject_Realloc, some freed
again; enough small blocks at @arena that new arenas are mapped inside
PyObject_Malloc. Nothing else is allocated at the marked lines (the
blocks stay in the module's slots). Ends with os._exit: what is live
stays live."""
import os
import sys

sys.path.insert(0, sys.argv[1])
import pyalloc  # noqa: E402

SMALL, LARGE, MEM, ARENA = 0, 100, 200, 1000


# the slots come from range() on the for line: an int made on a marked
# line would be an allocation there
def small():
    for slot in range(SMALL, SMALL + 10):
        pyalloc.obj_malloc(slot, 200)  # @small


def large():
    for slot in range(LARGE, LARGE + 3):
        pyalloc.obj_malloc(slot, 100_000)  # @large


def mem():
    for slot in range(MEM, MEM + 4):
        pyalloc.mem_malloc(slot, 48)  # @mem


def others():
    pyalloc.obj_calloc(300, 4, 25)  # @calloc
    pyalloc.obj_malloc(301, 64)
    pyalloc.obj_realloc(301, 300)  # @realloc


def frees():
    for slot in range(SMALL, SMALL + 4):
        pyalloc.obj_free(slot)  # @free_small
    pyalloc.obj_free(LARGE)  # @free_large
    pyalloc.mem_free(MEM)  # @free_mem


def grow():
    """A list's items grow by realloc, which the interpreter inlines:
    list_resize calls pymalloc's out-of-line copy (_PyObject_Malloc.lto_priv
    in Debian's build) for 32, 64, 128, 192, 256, 320, 416 and 512 bytes,
    and frees each block before through its copy of _PyObject_Free."""
    items = []
    for _ in range(64):
        items.append(None)  # @grow
    return items


def arenas():
    for slot in range(ARENA, ARENA + 8192):
        pyalloc.obj_malloc(slot, 512)  # @arena


small()
large()
mem()
others()
frees()
kept = grow()
arenas()
sys.stdout.flush()
os._exit(0)
