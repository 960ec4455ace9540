"""A real headless Chromium driven over the DevTools protocol (CDP), for the report's tests.

Debian's ``/usr/bin/chromium`` is started with a fresh profile, no network services of its own
(no sync, no component updates, no background networking, no QUIC) and
``--remote-debugging-port=0``; the port it picked is read from ``DevToolsActivePort``. One page
is opened; every console error, uncaught exception, log error, network request and JavaScript
dialog (``alert``, ``confirm``, ``prompt``: dismissed at once, so a page cannot hang the test) is
recorded, so a test can fail on any of them. Everything is bounded by deadlines, and the browser
is killed (by its own process id) when the context exits.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-port=0",
]


@dataclass
class Page:
    """One browser tab over a flat CDP session; events are kept as they arrive."""

    socket: ClientConnection
    session: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    _next_id: int = 0

    def _post(self, method: str, params: dict[str, Any] | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        return self._next_id

    def _keep(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if event["method"] == "Page.javascriptDialogOpening":
            # An open dialog blocks the page (and every evaluate): dismiss it, keep the record.
            self._post("Page.handleJavaScriptDialog", {"accept": False})

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        wanted = self._post(method, params)
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if reply.get("id") == wanted:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._keep(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if "method" in event:
                self._keep(event)
                if event["method"] == method:
                    return event

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def poll(self, expression: str, expected: Any, timeout: float = 60) -> Any:
        """Evaluate ``expression`` until it equals ``expected`` or time is up; the last value."""
        deadline = time.monotonic() + timeout
        value = self.evaluate(expression)
        while value != expected and time.monotonic() < deadline:
            time.sleep(0.2)
            value = self.evaluate(expression)
        return value

    def screenshot(self, path: Path, width: int = 1280, height: int = 2000) -> Path:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        shot = self.send("Page.captureScreenshot", {"format": "png"}, timeout=60)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    @property
    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    @property
    def dialogs(self) -> list[str]:
        """The message of every JavaScript dialog the page opened (each dismissed)."""
        return [
            e["params"]["message"]
            for e in self.events
            if e["method"] == "Page.javascriptDialogOpening"
        ]

    @property
    def errors(self) -> list[str]:
        """Console errors and asserts, uncaught exceptions, and the browser's error log entries."""
        found = []
        for event in self.events:
            params = event["params"]
            if event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "assert",
            ):
                words = (str(a.get("value", a.get("description"))) for a in params["args"])
                found.append(" ".join(words))
            elif event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(str(details.get("exception", {}).get("description", details)))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")
        return found


@contextmanager
def chromium(startup_timeout: float = 30) -> Iterator[Page]:
    """A fresh headless Chromium with one blank page, recording console, log and network."""
    profile = Path(tempfile.mkdtemp(prefix="dw-chromium-"))
    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + startup_timeout
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit code {process.poll()})")
            time.sleep(0.1)
        port, browser_path = port_file.read_text().splitlines()[:2]
        with connect(f"ws://127.0.0.1:{port}{browser_path}", max_size=None) as socket:
            page = Page(socket)
            target = page.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            page.session = page.send(
                "Target.attachToTarget", {"targetId": target, "flatten": True}
            )["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                page.send(f"{domain}.enable")
            yield page
    finally:
        process.kill()  # our own process, by its id
        process.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


def open_file(page: Page, path: Path, timeout: float = 60) -> None:
    """Navigate to ``path`` and wait for its load event."""
    page.events.clear()
    page.send("Page.navigate", {"url": path.resolve().as_uri()})
    page.wait_for("Page.loadEventFired", timeout=timeout)
