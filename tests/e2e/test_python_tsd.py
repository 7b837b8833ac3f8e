# SPDX-License-Identifier: MIT
"""CPython's thread state found through the process's own glibc: a TSS key
past glibc's first block of 32 (the interpreter embedded in a program
that made 40 keys first) is read through struct pthread's specific[] as
that glibc's thread_db descriptors lay it out, also when that glibc is a
copy in the process's own root."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import WORKLOADS, Tracer, Workload
from test_python import SCRIPT, check_rows

PYKEYS = WORKLOADS / "pykeys"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"


def trace_pykeys(nkeys, argv_prefix=(), root="/"):
    """-p -v on the script run by pykeys after @nkeys keys: the final
    report, the pid and allocsnoop's stderr."""
    wl = Workload("pykeys", argv=[*argv_prefix, str(PYKEYS) if root == "/"
                                  else "/pykeys", str(nkeys), str(SCRIPT)])
    try:
        tr = Tracer(["-p", str(wl.pid), "-v", "--json", "-T", "0", "3600"])
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    assert reps, tr.stderr
    return reps[-1], wl.pid, tr.stderr


def walked_line(stderr, pid):
    m = re.search(rf"allocsnoop: pid {pid}: CPython 3\.11, offsets from "
                  r"[^\n]*, thread state from TSS key (\d+)([^\n]*): "
                  r"Python frames walked", stderr)
    assert m, stderr
    return int(m.group(1)), m.group(2)


def descriptors_file(how):
    """The file -v says the descriptors were read from."""
    m = re.fullmatch(r" through struct pthread's specific\[\], as its "
                     r"glibc's thread_db descriptors lay it out \((.*)\)",
                     how)
    assert m, how
    return m.group(1)


def test_first_block_key_one_read():
    """No keys before Python's: its key is in the first block and this
    glibc's, so its place is the fixed one (one read, nothing said)."""
    final, pid, stderr = trace_pykeys(0)
    key, how = walked_line(stderr, pid)
    assert key < 32
    assert how == ""
    check_rows(final, "/usr/bin/python3.11", pid)


def test_key_past_first_block():
    """40 keys before Python's: its key is 40, in specific[1]'s block;
    the rows are exact."""
    final, pid, stderr = trace_pykeys(40)
    key, how = walked_line(stderr, pid)
    assert key == 40
    assert os.path.samefile(descriptors_file(how), LIBC)
    check_rows(final, "/usr/bin/python3.11", pid)


def link_tree(src, dst):
    """@src's files hard-linked under @dst (the same filesystem here)."""
    subprocess.run(["cp", "-al", src, str(dst)], check=True)


def make_root(tmp_path):
    """A root of its own for pykeys and the script: its libc a copy (an
    inode of its own, as a container's), the rest linked."""
    root = tmp_path / "root"
    libs = root / "lib/x86_64-linux-gnu"
    libs.mkdir(parents=True)
    (root / "lib64").mkdir()
    (root / "usr/lib").mkdir(parents=True)
    shutil.copy(LIBC, libs)
    for name in ("libpython3.11.so.1.0", "libm.so.6", "libz.so.1",
                 "libexpat.so.1", "libffi.so.8"):
        os.link(os.path.realpath(f"/lib/x86_64-linux-gnu/{name}"),
                libs / name)
    os.link(os.path.realpath("/lib64/ld-linux-x86-64.so.2"),
            root / "lib64/ld-linux-x86-64.so.2")
    link_tree("/usr/lib/python3.11", root / "usr/lib/python3.11")
    # (python3-numpy's part there is not numpy without the rest)
    shutil.rmtree(root / "usr/lib/python3.11/dist-packages")
    os.link(PYKEYS, root / "pykeys")
    (root / SCRIPT.parent.relative_to("/")).mkdir(parents=True)
    os.link(SCRIPT, root / SCRIPT.relative_to("/"))
    assert os.stat(libs / "libc.so.6").st_ino != os.stat(LIBC).st_ino
    return root


def test_key_past_first_block_own_root(tmp_path):
    """The same in a mount namespace whose root has its own copy of libc:
    the descriptors are read from that copy, not from the system's libc.
    (Only this machine's glibc is at hand: another glibc's layout is not
    tested here.)"""
    root = make_root(tmp_path)
    final, pid, stderr = trace_pykeys(
        40, ["unshare", "--mount", f"--root={root}"], root=root)
    key, how = walked_line(stderr, pid)
    assert key == 40
    read = descriptors_file(how)
    assert os.path.samefile(read, root / LIBC.lstrip("/")), read
    assert not os.path.samefile(read, LIBC)
    # pykeys runs Debian's libpython3.11; no numpy in that root
    check_rows(final, "python3.11", pid, numpy=False)
