"""A small client of the Chrome DevTools protocol for the browser tests, over a pipe.

Chromium started with `--remote-debugging-pipe` reads protocol messages (JSON, each ended by
a NUL byte) from its file descriptor 3 and writes answers and events to descriptor 4. That
needs no port, no websocket library and no browser download: it drives Debian's own
`/usr/bin/chromium`, the browser a learner would have.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


class ProtocolError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium and one page in it, driven through the DevTools protocol."""

    def __init__(self, *flags: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="notedeck-cdp-")
        to_browser, self._commands = os.pipe()
        self._events, from_browser = os.pipe()
        # bash hands the pipe ends over as descriptors 3 and 4, then becomes chromium (dash
        # cannot name a descriptor above 9).
        script = f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}'
        self._process = subprocess.Popen(
            [
                *("bash", "-c", script, CHROMIUM, *FLAGS),
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe",
                *flags,
            ],
            pass_fds=(to_browser, from_browser),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": self._profile.name},
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""
        try:
            target = self.send("Target.createTarget", url="about:blank", _session=False)
            attached = self.send(
                "Target.attachToTarget", targetId=target["targetId"], flatten=True, _session=False
            )
            self.session = attached["sessionId"]
            self.send("Page.enable")
        except BaseException:
            self.close()
            raise

    def send(self, method: str, _session: bool = True, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer, keeping the events that came first."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if _session and self.session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ProtocolError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event called `method` not seen before (waiting for it if need be)."""
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(self._read())

    def open(self, url: str) -> None:
        """Load `url` and wait until its load event."""
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        answer = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise ProtocolError(f"script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def colour_scheme(self, scheme: str) -> None:
        """Emulate the system's `prefers-color-scheme` (`light` or `dark`)."""
        self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )

    def screenshot(self, path: Path, width: int, height: int) -> None:
        """A PNG of the page's top `width` × `height` pixels."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._events], [], [], left)[0]:
                raise ProtocolError(f"chromium did not answer within {self.timeout} s")
            chunk = os.read(self._events, 1 << 16)
            if not chunk:
                raise ProtocolError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def close(self) -> None:
        """End this chromium (only the one this object started) and remove its profile."""
        with contextlib.suppress(ProtocolError, OSError):  # it may be gone already
            self.send("Browser.close", _session=False)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._commands)
        os.close(self._events)
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
