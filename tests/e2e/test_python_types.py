# SPDX-License-Identifier: MIT
"""CPython whose interpreter has no DWARF: the code object and string
layouts come from its type objects (PyCode_Type.tp_members and the
types' basic sizes), checked against the built-in table, and its Python
lines come out exact (DESIGN.md: Language runtimes, the third source)."""
import subprocess
from pathlib import Path

import pytest

from conftest import Tracer, Workload
from test_python import SCRIPT, check_rows, pyenv


def stripped_lib(python, version, tmp_path):
    """A copy of @python's libpython without its DWARF, in @tmp_path."""
    lib = Path(python).parents[1] / "lib" / f"libpython3.{version}.so.1.0"
    out = tmp_path / lib.name
    subprocess.run(["objcopy", "--strip-debug", str(lib), str(out)],
                   check=True)
    sections = subprocess.run(["readelf", "-SW", str(out)], check=True,
                              capture_output=True, text=True).stdout
    assert ".debug_info" not in sections
    # nor one to find elsewhere: pyenv installs no separate debug file
    assert ".gnu_debuglink" not in sections
    return out


def wait_for(tr, text):
    while True:
        line = tr.proc.stderr.readline()
        assert line, tr.stderr
        tr.stderr += line
        if text in line:
            return line


# 3.13 has _Py_DebugOffsets, which come first: the types are not read
@pytest.mark.parametrize("version", [
    pytest.param(v, id=f"pyenv-3.{v}",
                 marks=pytest.mark.skipif(pyenv(v) is None,
                                          reason=f"no pyenv 3.{v} build"))
    for v in (11, 12)])
def test_types_without_dwarf(tmp_path, version):
    """The pyenv interpreter run on a libpython stripped of its DWARF:
    -v names the type objects and the table as the offsets' sources, says
    the DWARF check found none, and the rows are exact."""
    python = pyenv(version)
    lib = stripped_lib(python, version, tmp_path)
    wl = Workload("py_allocs", argv=[python, str(SCRIPT)],
                  env={"LD_LIBRARY_PATH": str(tmp_path)})
    try:
        maps = Path(f"/proc/{wl.pid}/maps").read_text()
        assert str(lib) in maps, "the stripped copy is not the one mapped"
        tr = Tracer(["-p", str(wl.pid), "-v", "--json", "-T", "0", "3600"])
        wait_for(tr, f"pid {wl.pid}: CPython 3.{version}: its interpreter "
                 "has no DWARF layout")
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    assert reps, tr.stderr
    assert (f"allocsnoop: pid {wl.pid}: CPython 3.{version}, offsets from "
            "the type objects and the built-in table, thread state from "
            "TSS key") in tr.stderr, tr.stderr
    assert (f"pid {wl.pid}: CPython 3.{version}: its interpreter has no "
            "DWARF layout (No such file or directory): offsets stay from "
            "the type objects and the built-in table") in tr.stderr
    assert "checked against the interpreter's DWARF" not in tr.stderr
    check_rows(reps[-1], python, wl.pid)
