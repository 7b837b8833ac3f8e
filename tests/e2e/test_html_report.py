# SPDX-License-Identifier: MIT
"""`allocsnoop report`: the HTML page of real and synthetic snapshots,
opened in headless Chromium (see chromium.py). Nothing may leave the page,
nothing may log an error, the flame graph's frames carry the snapshot's
numbers, clicking zooms, search highlights, a diff shows growth and
shrinkage where they are. Screenshots go to build/test-artifacts/."""
import json
import re
import subprocess

import pytest

from chromium import Browser
from conftest import (BUILD, TOOL, Tracer, Workload, markers, require_root,
                      trace_command)
from pprof_comments import processes
from test_snapshots import run_tool, snapshots_of_two_phases

ARTIFACTS = BUILD / "test-artifacts"
SYNTH = BUILD / "tools" / "synthsnap"
DATA_RE = re.compile(r'(<script type="application/json" '
                     r'id="allocsnoop-data">)(.*?)(</script>)', re.S)


def synth(path, n, *args):
    assert SYNTH.exists(), f"{SYNTH} is not built: run make"
    p = subprocess.run([str(SYNTH), str(path), str(n), *map(str, args)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def report(*args):
    return run_tool("report", *args)


def page_data(html_path):
    m = DATA_RE.search(html_path.read_text())
    assert m, "no data element in the page"
    return json.loads(m.group(2))


def write_page_data(html_path, data):
    """Replaces the page's data, escaped as allocsnoop escapes it."""
    text = json.dumps(data, ensure_ascii=True)
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(c, esc)
    html = DATA_RE.sub(lambda m: m.group(1) + text + m.group(3),
                       html_path.read_text(), count=1)
    html_path.write_text(html)


def frames(b, selector=".frame"):
    return b.evaluate(
        "Array.from(document.querySelectorAll(%s)).map(e => ({"
        "name: e.dataset.name, depth: Number(e.dataset.depth), "
        "node: e.dataset.node, value: Number(e.dataset.value), "
        "size: Number(e.dataset.size), count: Number(e.dataset.count), "
        "allocSize: Number(e.dataset.allocSize), "
        "allocCount: Number(e.dataset.allocCount), "
        "oldSize: Number(e.dataset.oldSize), "
        "cls: e.className, width: e.getBoundingClientRect().width, "
        "colour: getComputedStyle(e).backgroundColor}))"
        % json.dumps(selector))


def frame_named(b, name):
    found = [f for f in frames(b) if f["name"] == name]
    assert found, f"no frame {name!r}: {[f['name'] for f in frames(b)]}"
    return found[0]


def rgb(colour):
    return tuple(int(v) for v in re.findall(r"\d+", colour)[:3])


def assert_clean(b, page):
    """Only the page itself was requested; nothing logged an error."""
    url = page.resolve().as_uri()
    assert [u for u in b.requests() if u != url] == [], b.requests()
    assert b.errors() == []


def select_metric(b, name):
    b.evaluate("""(() => { const s = document.getElementById('metric');
        const o = Array.from(s.options).find(o => o.text === %s);
        s.value = o.value; s.dispatchEvent(new Event('change')); })()"""
               % json.dumps(name))


def search(b, text):
    b.evaluate("document.getElementById('search').value = ''")
    b.type_text("#search", text)
    b.press("Enter", keycode=13)


def test_report_of_a_real_snapshot(tmp_path):
    snap = tmp_path / "s.pb.gz"
    p, reps = trace_command("phases", extra=("-o", str(snap)))
    assert p.returncode == 0, p.stderr
    page = tmp_path / "report.html"
    report(snap, "-o", page)
    shown = json.loads(run_tool("show", snap, "--json", "-T", "0").stdout)
    size = sum(r["size"] for r in shown["top"])
    proc = shown["processes"][0]
    assert size == proc["current_bytes"] + proc["mmap_bytes"]
    lines = markers("phases")
    phase1 = f"phase1 (phases.c:{lines['phase1_keep']})"
    phase2 = f"phase2 (phases.c:{lines['phase2_new']})"
    with Browser() as b:
        b.open(page)
        root = frame_named(b, "all")
        assert root["depth"] == 0
        assert (root["size"], root["count"], root["allocSize"],
                root["allocCount"]) == (
            size, sum(r["count"] for r in shown["top"]),
            sum(r["alloc_size"] for r in shown["top"]),
            sum(r["alloc_count"] for r in shown["top"]))
        assert frame_named(b, phase1)["size"] == 60 * 1000
        assert frame_named(b, phase1)["allocSize"] == 100 * 1000
        assert frame_named(b, phase2)["size"] == 50 * 2048
        rows = b.evaluate("Array.from(document.querySelectorAll('#rows tr'))"
                          ".slice(1).map(r => [r.cells[0].textContent, "
                          "Number(r.cells[1].dataset.value)])")
        assert rows[0] == [f"phases.c:{lines['phase2_new']} (phase2)",
                           50 * 2048]
        # a run this short may end before the timeline's first point
        assert b.evaluate("document.getElementById('no-timeline') !== null"
                          ) == (not processes(snap)[proc["pid"]].get(
                              "timeline"))
        # a tooltip with the frame's numbers and place
        box = b.evaluate("(() => { const r = Array.from(document."
                         "querySelectorAll('.frame')).find(e => e.dataset."
                         "name === %s).getBoundingClientRect(); return "
                         "[r.left + 5, r.top + 5]; })()" % json.dumps(phase1))
        b.call("Input.dispatchMouseEvent",
               {"type": "mouseMoved", "x": box[0], "y": box[1]})
        tip = b.evaluate("document.getElementById('tip').hidden ? null : "
                         "document.getElementById('tip').textContent")
        assert tip and "58.6 KiB" in tip and "97.7 KiB" in tip, tip
        assert f"/phases.c:{lines['phase1_keep']}" in tip, tip
        b.screenshot(ARTIFACTS / "html-report.png")
        # clicking a frame zooms into it: it fills the width, the rest goes
        full = root["width"]
        b.click_selector(".frame[data-name=%s]" % json.dumps(phase1))
        zoomed = frame_named(b, phase1)
        assert abs(zoomed["width"] - full) < 1, (zoomed, full)
        assert not [f for f in frames(b) if f["name"] == phase2]
        assert phase1 in b.evaluate(
            "document.getElementById('crumbs').textContent")
        b.press("Escape", keycode=27)
        assert frame_named(b, phase2)["width"] > 0
        # search: the matching frames are marked, with their share
        search(b, "phase2")
        assert "match" in frame_named(b, phase2)["cls"]
        assert "match" not in frame_named(b, phase1)["cls"]
        share = b.evaluate("document.getElementById('match').dataset.value")
        assert int(share) == 50 * 2048
        pct = 100 * 50 * 2048 / size
        assert f"{pct:.1f}%" in b.evaluate(
            "document.getElementById('match').textContent")
        b.screenshot(ARTIFACTS / "html-report-search.png")
        # widths by allocated bytes: phase1 allocated more than it holds
        select_metric(b, "allocated bytes")
        assert frame_named(b, "all")["value"] == root["allocSize"]
        assert frame_named(b, phase1)["value"] == 100 * 1000
        assert_clean(b, page)


def test_diff_report_shows_growth_and_shrinkage(tmp_path):
    old, new = snapshots_of_two_phases(tmp_path)
    page = tmp_path / "diff.html"
    report(old, new, "-o", page)
    lines = markers("phases")
    phase1 = f"phase1 (phases.c:{lines['phase1_keep']})"
    phase2 = f"phase2 (phases.c:{lines['phase2_new']})"
    with Browser() as b:
        b.open(page)
        grew, shrank = frame_named(b, phase2), frame_named(b, phase1)
        assert (grew["size"], grew["oldSize"]) == (50 * 2048, 0)
        assert (shrank["size"], shrank["oldSize"]) == (60 * 1000, 100 * 1000)
        r, g, bl = rgb(grew["colour"])
        assert r > bl + 60, grew["colour"]
        r, g, bl = rgb(shrank["colour"])
        assert bl > r + 30, shrank["colour"]
        # widths are NEW's live bytes
        root = frame_named(b, "all")
        assert abs(grew["width"] / root["width"] -
                   grew["size"] / root["size"]) < 0.01
        rows = b.evaluate("Array.from(document.querySelectorAll('#rows tr'))"
                          ".slice(1, 3).map(r => [r.cells[0].textContent, "
                          "Number(r.cells[2].dataset.value), "
                          "r.cells[2].className])")
        assert rows == [
            [f"phases.c:{lines['phase2_new']} (phase2)", 50 * 2048, "grow"],
            [f"phases.c:{lines['phase1_keep']} (phase1)", -40 * 1000,
             "shrink"]]
        b.screenshot(ARTIFACTS / "html-diff.png")
        assert_clean(b, page)


def test_diff_keeps_stacks_gone_since_old_visible(tmp_path):
    """Stacks 200..299 exist only in OLD: their subtree (d0_2) is drawn
    with its OLD width, in blue, holding nothing in NEW."""
    synth(tmp_path / "old.pb.gz", 300, "--levels", 3)
    synth(tmp_path / "new.pb.gz", 200, "--levels", 3)
    page = tmp_path / "gone.html"
    report(tmp_path / "old.pb.gz", tmp_path / "new.pb.gz", "-o", page)
    d = page_data(page)
    assert d["old"]["totals"]["size"] > d["now"]["totals"]["size"]
    with Browser() as b:
        b.open(page)
        gone = frame_named(b, "d0_2 (level0.c:102)")
        assert gone["size"] == 0 and gone["oldSize"] > 0
        root = frame_named(b, "all")
        # drawn with its OLD width, out of NEW's plus what is gone
        assert abs(gone["width"] / root["width"] - gone["oldSize"] /
                   (root["size"] + gone["oldSize"])) < 0.01
        r, g, bl = rgb(gone["colour"])
        assert bl > r + 60, gone["colour"]
        kept = frame_named(b, "d0_1 (level0.c:101)")
        assert kept["size"] == kept["oldSize"]
        assert rgb(kept["colour"])[0] == rgb(kept["colour"])[2]
        assert_clean(b, page)


def test_hostile_names_stay_text(tmp_path):
    """Function, file and command names with </script>, <!--, U+2028 and
    invalid UTF-8 end up as text: no element, no script, no error."""
    synth(tmp_path / "h.pb.gz", 50, "--hostile")
    page = tmp_path / "hostile.html"
    report(tmp_path / "h.pb.gz", "-o", page)
    html = page.read_text(errors="replace")
    assert html.lower().count("</script") == 2
    assert "\u2028" not in html and "\u2029" not in html
    with Browser() as b:
        b.open(page)
        names = [f["name"] for f in frames(b)]
        assert "d1_3</script><script>alert(1)</script> (level1.c:103)" \
            in names, names
        assert any("\u2028<!--\ufffd" in n for n in names), names
        assert b.evaluate("document.scripts.length") == 2
        assert "\u2029</script>" in b.evaluate("document.title")
        assert_clean(b, page)


def test_timeline_and_temporary_allocations_from_the_data(tmp_path):
    """The page takes the timeline and the temporary counts from its data
    (snapshots get them from the tracer): a chart with the peak where the
    data puts it, and a temporary-allocations view."""
    synth(tmp_path / "t.pb.gz", 100)
    page = tmp_path / "timeline.html"
    report(tmp_path / "t.pb.gz", "-o", page)
    d = page_data(page)
    proc = d["now"]["processes"][0]
    # grows to the peak at 2.5 s, then shrinks
    proc["timeline"] = [[i * 0.1, min(i, 50 - i) * 4096 + 1000,
                         1000.0 - i, 10.0 * i] for i in range(51)]
    proc["peak_time"] = 2.5
    proc["peak_bytes"] = 25 * 4096 + 1000
    d["stack_fields"].append("temporary")
    for i, st in enumerate(d["stacks"]):
        st.append(i % 4)
    temporary = sum(i % 4 for i in range(len(d["stacks"])))
    write_page_data(page, d)
    with Browser() as b:
        b.open(page)
        peak = b.evaluate("(() => { const g = document.querySelector("
                          "'#timeline .peak'); return [Number(g.dataset."
                          "time), Number(g.dataset.bytes), g.textContent]; "
                          "})()")
        assert peak[:2] == [2.5, 25 * 4096 + 1000]
        assert "peak 101 KiB at 2.50 s" == peak[2]
        points = b.evaluate("document.querySelector('#timeline polyline')"
                            ".getAttribute('points').split(' ').length")
        assert points == 51
        assert b.evaluate("document.getElementById('no-timeline')") is None
        select_metric(b, "temporary allocations")
        assert frame_named(b, "all")["value"] == temporary
        b.screenshot(ARTIFACTS / "html-timeline.png")
        assert_clean(b, page)


def test_timeline_and_temporary_of_real_traces(tmp_path):
    """Snapshots of the tracer carry both: the timeline workload's chart
    peaks at 10 MiB where the kernel saw the peak, and the lifetimes
    workload's 200 temporary allocations are the temporary view's root."""
    snaps = {}
    for wl_name in ("timeline", "lifetimes"):
        snaps[wl_name] = tmp_path / f"{wl_name}.pb.gz"
        wl = Workload(wl_name)
        try:
            tr = Tracer(["-p", str(wl.pid), "-o", str(snaps[wl_name]),
                         "--json", "3600"])
            wl.go()
            tr.stop()
        finally:
            wl.finish()
    page = tmp_path / "timeline.html"
    report(snaps["timeline"], "-o", page)
    proc = list(processes(snaps["timeline"]).values())[0]
    start = page_data(page)["now"]["start_unix"]
    with Browser() as b:
        b.open(page)
        peak = b.evaluate("(() => { const g = document.querySelector("
                          "'#timeline .peak'); return [Number(g.dataset."
                          "time), Number(g.dataset.bytes)]; })()")
        assert peak[1] == 10 << 20
        assert abs(start + peak[0] - proc["peak_time_ns"] / 1e9) < 0.01
        assert b.evaluate("document.querySelector('#timeline polyline')"
                          ".getAttribute('points').split(' ').length") == \
            len(proc["timeline"])
        b.screenshot(ARTIFACTS / "html-real-timeline.png")
        assert_clean(b, page)
    page = tmp_path / "lifetimes.html"
    report(snaps["lifetimes"], "-o", page)
    with Browser() as b:
        b.open(page)
        select_metric(b, "temporary allocations")
        assert frame_named(b, "all")["value"] == 200
        assert_clean(b, page)


def test_report_refuses_bad_usage(tmp_path):
    p = run_tool("report", check=False)
    assert p.returncode == 2 and "missing the snapshot FILE" in p.stderr
    p = run_tool("report", "a", "b", "c", check=False)
    assert p.returncode == 2 and "unexpected argument 'c'" in p.stderr
    p = run_tool("report", tmp_path / "none.pb.gz", "-o",
                 tmp_path / "r.html", check=False)
    assert p.returncode == 1 and "none.pb.gz" in p.stderr
    assert not list(tmp_path.iterdir()), "a failed report left a file"
    synth(tmp_path / "s.pb.gz", 10)
    p = run_tool("report", tmp_path / "s.pb.gz", "-o",
                 tmp_path / "no" / "dir" / "r.html", check=False)
    assert p.returncode == 1 and "cannot create" in p.stderr


# Time to first render of the 100k-stack report below: from navigation to
# the end of the first flame graph, as the page measures it
# (performance.now() in report.js). Measured on the 2-vCPU VM these tests
# run on: median 0.38 s, at most 0.82 s in 10 loads with the load average
# at 3-6; a real trace of bench/stacks.c (131,072 stacks, 655k call-tree
# nodes, 4.4 MB page) takes 1.0 s (at most 1.3 s). The bound leaves room
# for a busier machine; the best of three loads is held to it.
RENDER_BOUND_S = 2.0
INTERACTION_BOUND_S = 1.0


def test_100k_stacks_render_within_the_bound(tmp_path):
    snap = tmp_path / "100k.pb.gz"
    synth(snap, 100000, "--base", 2)
    page = tmp_path / "100k.html"
    report(snap, "-o", page)
    d = page_data(page)
    assert len(d["stacks"]) == 100000
    times = []
    with Browser() as b:
        for _ in range(3):
            b.open(page, timeout=120)
            t = b.evaluate("window.allocsnoopReport.timings")
            times.append(t["ready"] / 1000)
            if times[-1] < RENDER_BOUND_S:
                break
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "render-100k.txt").write_text(
            f"time to first render of 100,000 stacks: {times} s "
            f"(bound {RENDER_BOUND_S} s); last load: {json.dumps(t)}\n")
        assert min(times) < RENDER_BOUND_S, times
        assert b.evaluate("window.allocsnoopReport.onePass")
        # what is drawn is bounded by the width, not by the stacks
        drawn = frames(b)
        assert len(drawn) < 3000, len(drawn)
        root = frame_named(b, "all")
        assert root["size"] == d["now"]["totals"]["size"]
        assert root["allocCount"] == d["now"]["totals"]["alloc_count"]
        small = [f for f in drawn if "small" in f["cls"]]
        assert small, "no 'small frames' box in a 100k-stack graph"
        note = b.evaluate("document.getElementById('flame-note')"
                          ".textContent")
        assert re.search(r"narrower than 2 px .* are merged: [\d,]+ "
                         r'"small frames" boxes hold', note), note
        b.screenshot(ARTIFACTS / "html-100k.png")

        def timed(action):
            return b.evaluate("(() => { const t = performance.now(); %s; "
                              "return (performance.now() - t) / 1000; })()"
                              % action)

        fg = "window.allocsnoopReport.flame"
        # zoom into the deepest drawn frame, search, switch the metric
        deep = max((f for f in drawn if "small" not in f["cls"]),
                   key=lambda f: f["depth"])
        assert timed(f"{fg}.setZoom({deep['node']})") < INTERACTION_BOUND_S
        assert frame_named(b, deep["name"])["width"] > \
            frame_named(b, "all")["width"] - 1
        assert timed(f"{fg}.setZoom(0); {fg}.setSearch('d16_1')") < \
            INTERACTION_BOUND_S
        # the frames matched hold what the stacks ending in them hold
        level16 = d["frames"].index(next(
            f for f in d["frames"] if f["function"] == "d16_1"))
        held = 0
        keys = []
        for st in d["stacks"]:
            keys = keys[:st[1]] + st[2]
            if level16 in keys:
                held += st[3]
        assert int(b.evaluate("document.getElementById('match')"
                              ".dataset.value")) == held
        assert timed(f"{fg}.setMetric({fg}.metrics[1])") < \
            INTERACTION_BOUND_S
        assert frame_named(b, "all")["value"] == \
            d["now"]["totals"]["alloc_size"]
        assert_clean(b, page)


def test_speedscope_of_a_real_snapshot(tmp_path):
    """speedscope's file format (its schema's required fields and types)
    with weights that add up to the snapshot's totals exactly."""
    snap = tmp_path / "s.pb.gz"
    p, reps = trace_command("phases", extra=("-o", str(snap)))
    assert p.returncode == 0, p.stderr
    out = tmp_path / "s.speedscope.json"
    report(snap, "--format", "speedscope", "-o", out)
    doc = json.loads(out.read_text())
    shown = json.loads(run_tool("show", snap, "--json", "-T", "0").stdout)
    totals = {k: sum(r[k] for r in shown["top"])
              for k in ("size", "count", "alloc_size", "alloc_count")}
    proc = shown["processes"][0]
    assert totals["size"] == proc["current_bytes"] + proc["mmap_bytes"]
    assert doc["$schema"] == \
        "https://www.speedscope.app/file-format-schema.json"
    assert doc["activeProfileIndex"] == 0
    assert doc["exporter"].startswith("allocsnoop ")
    frames = doc["shared"]["frames"]
    assert all(isinstance(f["name"], str) and f["name"] for f in frames)
    for f in frames:
        assert set(f) <= {"name", "file", "line", "col"}
        if "line" in f:
            assert isinstance(f["line"], int) and isinstance(f["file"], str)
    profiles = doc["profiles"]
    assert [(p["name"], p["unit"]) for p in profiles] == [
        ("live bytes", "bytes"), ("live allocations", "none"),
        ("allocated bytes", "bytes"), ("allocations", "none")]
    for prof, key in zip(profiles, ("size", "count", "alloc_size",
                                    "alloc_count")):
        assert prof["type"] == "sampled"
        assert prof["startValue"] == 0
        assert len(prof["samples"]) == len(prof["weights"])
        assert all(isinstance(w, int) and w > 0 for w in prof["weights"])
        assert all(s and all(isinstance(i, int) and 0 <= i < len(frames)
                             for i in s) for s in prof["samples"])
        assert sum(prof["weights"]) == prof["endValue"] == totals[key]
    lines = markers("phases")
    names = {frames[s[-1]]["name"]: w for s, w in
             zip(profiles[0]["samples"], profiles[0]["weights"])}
    assert names[f"phase2 (phases.c:{lines['phase2_new']})"] == 50 * 2048
    assert names[f"phase1 (phases.c:{lines['phase1_keep']})"] == 60 * 1000
    # root first: the outermost frame of every sample is the same
    assert len({s[0] for s in profiles[0]["samples"]}) == 1
    assert "main" in frames[profiles[0]["samples"][0][1]]["name"]
    p = run_tool("report", snap, "--format", "pdf", check=False)
    assert p.returncode == 2 and "expected html or speedscope" in p.stderr
