"""The process pool that extracts notes, whose workers never outlive the build.

A worker waits for its next batch on a pipe that it holds both ends of (fork gives it the
parent's too), so when the build is killed outright (`kill -9`, the OOM killer) nothing ever
wakes it: each would sleep forever, re-parented to init, holding its memory. So a worker asks
the kernel to kill it when its parent dies (Linux's PR_SET_PDEATHSIG) and, where that is not
to be had, a thread of its own checks every second that its parent is still the process
that started it. A build that is told to stop (SIGTERM, SIGINT) kills its workers first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

# From <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1
# How often a worker without PR_SET_PDEATHSIG looks whether its parent is still there.
PARENT_CHECK_SECONDS = 1.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes that die with this one."""
    # Imported here: a rebuild that reads a few notes starts no pool.
    import multiprocessing

    # fork starts a worker in milliseconds with notedeck already imported; it is only safe while
    # this process runs no other thread, so otherwise fall back to a fresh interpreter per worker.
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )


def start_worker(parent: int) -> None:
    """Run in each worker as it starts: die with `parent`, leave Ctrl-C to it."""
    # The terminal sends Ctrl-C to every process of the build: the parent stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the parent's handler (stopped_on_signals): SIGTERM just ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not _kill_me_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the kernel was asked
        os._exit(1)


def _kill_me_with_parent() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """End this process once `parent` is gone (it is then re-parented to another)."""
    stopped = threading.Event()
    while not stopped.wait(PARENT_CHECK_SECONDS):
        if os.getppid() != parent:
            os._exit(1)


@contextlib.contextmanager
def stopped_on_signals(executor: ProcessPoolExecutor) -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT kill the pool's workers first; then SIGTERM
    ends this process as it would have, and SIGINT raises KeyboardInterrupt as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; the workers still die with us
        return
    interrupted: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        kill_workers(executor)
        if signum == signal.SIGINT:
            # Not raised here: a handler may run inside a fork hook, where an exception is
            # printed and dropped. The pool, its workers gone, fails in the block instead.
            interrupted.append(signum)
            return
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = {signum: signal.signal(signum, stop) for signum in _STOP_SIGNALS}
    try:
        yield
    except BrokenProcessPool:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if interrupted:
        raise KeyboardInterrupt


def kill_workers(executor: ProcessPoolExecutor) -> None:
    """SIGKILL the pool's workers (what they were doing is thrown away)."""
    # The pool's own list of its processes: ProcessPoolExecutor has no public kill before
    # Python 3.14 (`kill_workers`).
    processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()


__all__ = ["kill_workers", "pool", "start_worker", "stopped_on_signals"]
