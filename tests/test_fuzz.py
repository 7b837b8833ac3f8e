# SPDX-License-Identifier: MIT
"""A bounded fuzzing pass for CI: builds the libFuzzer targets with
fuzz/run and runs each for 20 seconds on its seed corpus. It fails (never
skips) when the toolchain is missing, when a target finds a crash, leak or
timeout, or when a target did not really run."""
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("snapshot", "symbolizer")
MIN_EXECUTIONS = 1000


def test_toolchain_present():
    for tool in ("clang", "pkg-config", "protoc-c"):
        assert shutil.which(tool), f"{tool} is missing: run ./scripts/install-deps"
    p = subprocess.run(["clang", "-print-file-name=libclang_rt.fuzzer-x86_64.a"],
                       capture_output=True, text=True)
    lib = p.stdout.strip()
    # clang prints the bare name back when it has no such runtime
    assert os.path.isabs(lib) and os.path.exists(lib), \
        ("clang has no libFuzzer runtime (libclang_rt.fuzzer): install "
         "Debian's libclang-rt-14-dev")


def test_fuzz_targets_bounded_run():
    env = dict(os.environ, FUZZ_SECONDS="20")
    env.pop("FUZZ_TARGETS", None)
    p = subprocess.run([str(ROOT / "fuzz" / "run"), "build"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=1200)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    for t in TARGETS:
        m = re.search(rf"^fuzz_{t}: executions=(\d+) corpus=(\d+) units",
                      p.stdout, re.M)
        assert m, f"fuzz_{t} reported no executions:\n{out}"
        assert int(m.group(1)) > MIN_EXECUTIONS, out
        assert int(m.group(2)) > 0, out
        assert re.search(rf"^fuzz_{t}: no findings$", p.stdout, re.M), out
