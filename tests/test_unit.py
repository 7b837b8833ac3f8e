# SPDX-License-Identifier: MIT
"""Runs every cmocka unit binary (built with ASan/UBSan) so that one pytest
summary covers unit and end-to-end tests."""
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "tests" / "unit").glob("test_*.c"))


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_unit_binary(src):
    binary = ROOT / "build" / "tests" / src.stem
    assert binary.exists(), f"{binary} is not built: run make"
    p = subprocess.run([str(binary)], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "[  PASSED  ]" in p.stdout + p.stderr
