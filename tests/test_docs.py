# SPDX-License-Identifier: MIT
"""The man page and README stay in step with the options the tool has."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "build" / "allocsnoop"
MAN = (ROOT / "man" / "allocsnoop.8").read_text()
README = (ROOT / "README.md").read_text()


def long_options(*sub):
    p = subprocess.run([str(TOOL), *sub, "--help"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    opts = set(re.findall(r"--([a-z][a-z-]+)", p.stdout))
    return opts - {"help", "usage"}


@pytest.mark.parametrize("sub", [(), ("show",), ("diff",), ("report",)],
                         ids=["trace", "show", "diff", "report"])
def test_every_option_is_in_the_man_page(sub):
    man = MAN.replace("\\-", "-")
    missing = [o for o in sorted(long_options(*sub)) if f"--{o}" not in man]
    assert not missing, f"not documented in man/allocsnoop.8: {missing}"


def test_readme_keeps_exactly_the_two_setup_commands():
    setup = README.split("## Set up", 1)[1].split("##", 1)[0]
    cmds = re.findall(r"^(sudo make \w+)", setup, re.M)
    assert cmds == ["sudo make demo", "sudo make test"]


def test_group_by_keys_documented():
    p = subprocess.run([str(TOOL), "-g", "bogus", "1"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 2
    for key in ("lineno", "filename", "function", "traceback", "module",
                "process"):
        assert key in p.stderr + MAN
        assert f"\\fB{key}\\fR" in MAN
