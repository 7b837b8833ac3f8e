# SPDX-License-Identifier: MIT
"""Nothing lost silently at the edges (issue 11): a snapshot path that
cannot be written is refused before tracing starts; a snapshot that fails
later is said at once, the trace goes on, and the exit status says so."""
import subprocess
import time

import pytest

from conftest import TOOL, require_root


@pytest.mark.parametrize("bad", ["/no/such/dir/x.pb.gz", "FILE/x.pb.gz"])
def test_bad_path_refused_before_tracing(bad, tmp_path):
    require_root()
    marker = tmp_path / "ran"
    plain = tmp_path / "plain"
    plain.write_text("")
    out = bad.replace("FILE", str(plain))
    p = subprocess.run([str(TOOL), "-c", f"touch {marker}", "-o", out, "1",
                        "1"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "cannot write snapshots to" in lines[0]
    assert "Tracing" not in p.stderr
    assert not marker.exists(), "the command ran"


def test_snapshot_lost_during_trace(tmp_path):
    """A directory made read-only mid-trace (a tmpfs remounted read-only:
    root passes permission bits)."""
    require_root()
    d = tmp_path / "snaps"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs",
                    str(d)], check=True)
    try:
        tr = subprocess.Popen([str(TOOL), "-c", "sleep 4", "-o",
                               str(d / "s-%n.pb.gz"), "--json", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        deadline = time.time() + 30
        while not (d / "s-1.pb.gz").exists() and time.time() < deadline:
            time.sleep(0.05)
        assert (d / "s-1.pb.gz").exists(), "no first snapshot"
        subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True)
        out, err = tr.communicate(timeout=60)
    finally:
        subprocess.run(["umount", "-l", str(d)])
    assert tr.returncode == 1, err
    assert "snapshot 2 lost" in err, err
    assert "tracing goes on" in err
    # the trace went on: every report was printed, the last one final
    reps = [l for l in out.splitlines() if l.startswith("{")]
    assert len(reps) >= 3 and '"final":true' in reps[-1], out
    assert "could not be written" in err.strip().splitlines()[-1], err
