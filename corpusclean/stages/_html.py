"""Helpers shared by the HTML stages (``extract``, ``hidden_text``): a per-page time limit and
an HTML parser that never raises on odd input.

Private module (leading underscore): :func:`corpusclean.stages.base.load_stages` skips it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class PageTimeout(Exception):
    """A page took longer than the per-page time limit."""


def _raise_timeout(signum: int, frame: Any) -> None:
    raise PageTimeout()


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
        raise PageTimeout()
    if "error" in box:
        raise box["error"]
    return box["value"]


def parse_html(html: str) -> Any:
    """Parse a page with lxml's HTML parser (libxml2); returns the root element or None.

    Never raises on malformed markup: libxml2 recovers like a browser does. Two inputs lxml
    refuses are handled here: a ``str`` carrying an XML encoding declaration (re-encoded to UTF-8
    bytes) and a document with no elements at all (``None``).
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not html or not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except ValueError:
        # "Unicode strings with encoding declaration are not supported"
        try:
            parser = lxml_html.HTMLParser(encoding="utf-8")
            return lxml_html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
        except (ValueError, etree.ParserError):
            return None
    except etree.ParserError:  # "Document is empty"
        return None
