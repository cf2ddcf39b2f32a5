"""A per-page time limit for the HTML stages (``extract``, ``hidden_text``).

:func:`call_with_timeout` raises :class:`PageTimeout`, a plain picklable exception holding only a
string, so whatever process boundary it crosses it arrives as itself and the stage turns it into
the page's rejection (``extract.timeout``).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class PageTimeout(BaseException):
    """A page took longer than the per-page time limit (picklable: its only argument is a str).

    A :class:`BaseException`, like :class:`KeyboardInterrupt`: parsers wrap their work in
    ``except Exception`` (trafilatura does), which would swallow the limit and hand back a
    partial text as if the page were done.
    """


def _raise_timeout(signum: int, frame: Any) -> None:
    raise PageTimeout("page time limit")


def call_with_timeout(fn: Callable[[], T], seconds: float) -> T:
    """Run ``fn()`` and raise :class:`PageTimeout` if it runs longer than ``seconds``.

    Why two mechanisms: runner workers are processes and call stages on their main thread, where
    ``SIGALRM`` (``signal.setitimer``) interrupts pure-Python work cheaply and leaves nothing
    behind. Signals can only be installed from the main thread, so when a stage is driven from
    another thread (a Ray actor thread, a user's thread pool) the page runs in a helper daemon
    thread that we stop *waiting* for after ``seconds``: the caller moves on and rejects the page,
    and the abandoned thread finishes in the background (Python threads cannot be killed).
    Any timer already armed by the caller is restored afterwards. ``seconds <= 0`` disables the
    limit.
    """
    if seconds is None or seconds <= 0:
        return fn()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _call_with_alarm(fn, seconds)
    return _call_in_thread(fn, seconds)


def _call_with_alarm(fn: Callable[[], T], seconds: float) -> T:
    t0 = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, _raise_timeout)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:  # someone else's timer was running: re-arm what is left of it
            left = max(old_delay - (time.monotonic() - t0), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


def _call_in_thread(fn: Callable[[], T], seconds: float) -> T:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="corpusclean-page", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise PageTimeout(f"> {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
