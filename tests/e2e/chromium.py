# SPDX-License-Identifier: MIT
"""Headless Chromium driven through the DevTools protocol over
--remote-debugging-pipe: JSON messages separated by NUL bytes, commands
written to the browser's fd 3, replies and events read from its fd 4. No
websocket library, nothing but Debian's chromium package."""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

# The browser itself rather than Debian's wrapper script, when present.
BINARIES = ("/usr/lib/chromium/chromium", "chromium")


def chromium_binary():
    for b in BINARIES:
        path = b if os.path.isabs(b) else shutil.which(b)
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail("chromium is not installed: run ./scripts/install-deps "
                "(Debian package chromium)")


class DevToolsError(AssertionError):
    pass


class Browser:
    """One headless Chromium with a fresh profile, one page attached."""

    def __init__(self, width=1400, height=1000, timeout=60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="allocsnoop-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()
        # Above 10, so that moving them to 3 and 4 cannot clobber them.
        cmd_r, res_w = (self._high(fd) for fd in (cmd_r, res_w))
        args = [chromium_binary(), "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe", "about:blank"]
        # bash (dash takes no fd above 9) moves the pipes to fds 3 and 4, where the browser
        # expects them, whatever numbers they have here.
        script = (f'exec "$0" "$@" 3<&{cmd_r} 4>&{res_w} '
                  f'{cmd_r}<&- {res_w}>&-')
        # Its chatter goes to a file: a pipe nobody reads would fill up.
        self.log = tempfile.TemporaryFile(prefix="allocsnoop-chromium-log-")
        self.proc = subprocess.Popen(["/bin/bash", "-c", script, *args],
                                     pass_fds=(cmd_r, res_w),
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        try:
            target = self.call("Target.createTarget",
                               {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget",
                                     {"targetId": target,
                                      "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Network", "Log"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height,
                       "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _high(fd):
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    # -- protocol ----------------------------------------------------------

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise DevToolsError("no answer from chromium in time")
            ready, _, _ = select.select([self.res_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace")
                raise DevToolsError(f"chromium closed its pipe: {err[-2000:]}")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=None):
        """Sends a command and returns its result; events met on the way
        are kept in self.events."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.cmd_w, data):]
        deadline = time.time() + (timeout or self.timeout)
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise DevToolsError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    send = call

    def pump(self, seconds):
        """Collects events for @seconds."""
        deadline = time.time() + seconds
        while True:
            try:
                m = self._read_message(deadline)
            except DevToolsError:
                if time.time() >= deadline and self.proc.poll() is None:
                    return
                raise
            if "method" in m:
                self.events.append(m)

    # -- page helpers ------------------------------------------------------

    def evaluate(self, expr, timeout=None):
        r = self.call("Runtime.evaluate", {"expression": expr,
                                           "returnByValue": True,
                                           "awaitPromise": True},
                      timeout=timeout)
        if "exceptionDetails" in r:
            raise DevToolsError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def open(self, path, timeout=None):
        """Navigates to the file and waits until the report says it is
        drawn (body[data-ready]); returns the seconds that took."""
        url = Path(path).resolve().as_uri()
        start = time.time()
        self.call("Page.navigate", {"url": url})
        deadline = start + (timeout or self.timeout)
        while time.time() < deadline:
            state = self.evaluate("document.readyState + ' ' + "
                                  "(document.body && "
                                  "document.body.dataset.ready)")
            if state.startswith("complete") and state.endswith(" 1"):
                return time.time() - start
            if state.endswith(" error"):
                raise DevToolsError("the page reported an error: " +
                                    self.evaluate("document.getElementById"
                                                  "('error').textContent"))
            time.sleep(0.02)
        raise DevToolsError(f"{url} was not drawn within the timeout")

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent",
                      {"type": kind, "x": x, "y": y, "button": "left",
                       "clickCount": 1})

    def click_selector(self, selector):
        # in view first: a click outside the viewport reaches nothing
        box = self.evaluate(
            "(() => { const e = document.querySelector(%s); "
            "e.scrollIntoView({block: 'center', inline: 'center'}); "
            "const r = e.getBoundingClientRect(); return [r.left + "
            "r.width / 2, r.top + r.height / 2]; })()" % json.dumps(selector))
        self.click(*box)

    def type_text(self, selector, text):
        self.evaluate("document.querySelector(%s).focus()" %
                      json.dumps(selector))
        self.call("Input.insertText", {"text": text})

    def press(self, key, code=None, keycode=0):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent",
                      {"type": kind, "key": key, "code": code or key,
                       "windowsVirtualKeyCode": keycode})

    def screenshot(self, path):
        png = self.call("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True})
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(base64.b64decode(png["data"]))
        # capturing beyond the viewport resizes it and back: let the page's
        # debounced redraw (150 ms after a resize) happen before the next
        # step measures or clicks frames
        time.sleep(0.4)

    def requests(self):
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def errors(self):
        """Console errors, uncaught exceptions and browser log errors
        (a Content-Security-Policy violation is one)."""
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p["exceptionDetails"])[:500])
            elif m == "Runtime.consoleAPICalled" and p["type"] in \
                    ("error", "assert"):
                out.append(json.dumps(p["args"])[:500])
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(p["entry"]["text"])
        return out

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", session=False, timeout=5)
                except (DevToolsError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            for fd in (self.cmd_w, self.res_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
