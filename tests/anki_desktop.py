"""A real Anki desktop with the real AnkiConnect add-on, headless, for the push tests.

`../shared/tools/anki-desktop` starts it (see the comments at its top); the Anki it runs
lives in `.venv-anki`, which `make test` makes from tests/anki-desktop.txt. Without
../shared the tests that need it skip; with it, a missing venv is a failure that says how to
make it, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SHARED

TOOL = SHARED / "tools" / "anki-desktop"
ADDON = SHARED / "anki-connect"
VENV = Path(os.environ.get("NOTEDECK_ANKI_VENV", REPO / ".venv-anki"))

needs_anki_desktop = pytest.mark.skipif(
    not (TOOL.is_file() and (ADDON / "__init__.py").is_file()),
    reason=f"{TOOL} and {ADDON} (the real Anki desktop and AnkiConnect) are not present",
)


@dataclass(frozen=True)
class Desktop:
    """A running Anki: its AnkiConnect URL, process, collection and add-on folder."""

    url: str
    pid: int
    scratch: Path
    collection: Path
    addon: Path  # the add-on's copy inside Anki's base folder (its config lives here)

    def call(self, action: str, **params: Any) -> Any:
        """One AnkiConnect action, straight over HTTP; its result (errors raise)."""
        body = json.dumps({"action": action, "version": 6, "params": params}).encode()
        with urllib.request.urlopen(urllib.request.Request(self.url, body), timeout=30) as reply:
            answer = json.loads(reply.read())
        if answer["error"] is not None:
            raise RuntimeError(f"{action}: {answer['error']}")
        return answer["result"]

    def set_config(self, **settings: Any) -> None:
        """Change the add-on's config as Tools > Add-ons > Config does (meta.json); AnkiConnect
        reads it afresh for every request."""
        meta_path = self.addon / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        config = meta.setdefault("config", {})
        for name, value in settings.items():
            if value is None:
                config.pop(name, None)
            else:
                config[name] = value
        meta_path.write_text(json.dumps(meta))


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _check_venv() -> None:
    if not (VENV / "bin" / "python").is_file():
        pytest.fail(f"no Anki desktop venv at {VENV}: run `make anki-desktop` (make test does)")


def start(scratch: Path, addon: Path = ADDON, hidden: Path | None = None) -> Desktop:
    """Start a fresh Anki in `scratch`. With `hidden`, Anki runs in a mount namespace of its
    own where that folder is an empty tmpfs: like a sandboxed Anki, it does not see what
    notedeck writes there."""
    _check_venv()
    command: Sequence[str] = [
        str(TOOL),
        "start",
        str(VENV),
        str(scratch),
        "--port",
        str(free_port()),
        "--addon",
        str(addon),
        "--fresh",
    ]
    if hidden is not None:
        hidden.mkdir(parents=True, exist_ok=True)
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            'mount -t tmpfs tmpfs "$0" && exec "$@"',
            str(hidden),
            *command,
        ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"anki-desktop start failed: {done.stderr[-2000:]}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    base = Path(values["ANKI_BASE"])
    return Desktop(
        values["ANKI_CONNECT_URL"],
        int(values["ANKI_PID"]),
        scratch,
        Path(values["ANKI_COLLECTION"]),
        base / "addons21" / "AnkiConnect",
    )


def stop(desktop: Desktop) -> None:
    """End Anki as File > Exit does; afterwards the collection can be opened."""
    done = subprocess.run(
        [str(TOOL), "stop", str(desktop.scratch)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"anki-desktop stop failed: {done.stderr[-2000:]}")


@contextmanager
def running(scratch: Path, addon: Path = ADDON, hidden: Path | None = None) -> Iterator[Desktop]:
    """A started Anki, stopped afterwards whatever happens."""
    desktop = start(scratch, addon, hidden)
    try:
        yield desktop
    finally:
        os.kill(desktop.pid, signal.SIGCONT)  # in case a test left it frozen
        stop(desktop)


@contextmanager
def frozen(desktop: Desktop) -> Iterator[None]:
    """Anki stopped in its tracks (SIGSTOP), as when its main thread is held by a dialog or
    a long task: the port still accepts, nothing answers."""
    os.kill(desktop.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(desktop.pid, signal.SIGCONT)


def addon_without(action: str, folder: Path) -> Path:
    """A copy of the real add-on that lacks one action, as an older release of it does."""
    copy = folder / "anki-connect-old"
    shutil.copytree(ADDON, copy, copy_function=shutil.copyfile)  # CI's shared/ is read-only
    source = copy / "__init__.py"
    text = source.read_text(encoding="utf-8")
    exposed = f"    @util.api()\n    def {action}(self"
    assert text.count(exposed) == 1, action
    source.write_text(text.replace(exposed, f"    def {action}(self"), encoding="utf-8")
    return copy


def wait_for(check: Any, timeout: float = 10.0, step: float = 0.02) -> float:
    """Seconds until `check()` is true; fails the test after `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not true after {timeout} s: {check}")
        time.sleep(step)
    return time.monotonic() - started
