"""Progress of a run: what workers report, and how the driver shows it.

Workers report :class:`Tick` values (documents done, input bytes read) through the executor's
``on_docs`` callback; a ``Tick`` adds like an int, so executors that sum what a task reports (Ray)
or forward each value (the local pool's queue) need not know its shape. Pass 1 reads input files:
:class:`InputTicker` reports how far into its file a task has read (the open file's position,
:func:`corpusclean.io.storage.input_position`, sampled every second while the shard is read), so
the total is the input size in bytes and the estimate of time left moves within a shard. Later
passes count documents against the previous stage's kept documents.

:class:`Progress` shows one pass: a ``tqdm`` bar when stderr is a terminal; otherwise (a log file,
a CI job) one plain line per interval (``CORPUSCLEAN_PROGRESS_SECONDS``, default 30) and one when
the pass ends — never a carriage return. Python warnings and log records printed while it is open
go on lines of their own (:func:`lines_for_warnings`), and a warning is always one line
(:func:`one_line_warning`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from tqdm import tqdm

from corpusclean.io.storage import getsize, input_position

#: Seconds between two plain progress lines when stderr is not a terminal.
DEFAULT_INTERVAL = float(os.environ.get("CORPUSCLEAN_PROGRESS_SECONDS", "30"))


@dataclass(frozen=True)
class Tick:
    """Work done since the last report: ``docs`` documents (rows), ``bytes`` input bytes read."""

    docs: int = 0
    bytes: int = 0

    def __add__(self, other: Tick | int) -> Tick:
        if isinstance(other, Tick):
            return Tick(self.docs + other.docs, self.bytes + other.bytes)
        return Tick(self.docs + int(other), self.bytes)

    __radd__ = __add__


def as_tick(value: Tick | int) -> Tick:
    return value if isinstance(value, Tick) else Tick(docs=int(value))


class InputTicker:
    """Reports ``Tick(bytes=…)`` as a worker reads input file ``path`` (a context manager).

    Every ``interval`` seconds a thread samples the file's read position; on exit the rest of
    the file's size is reported, so a finished file always counts in full (formats read without
    a position, such as Parquet, count when the file ends).
    """

    def __init__(self, path: str, report: Callable[[Tick], None], interval: float = 1.0):
        self.path, self.report, self.interval = path, report, interval
        self.sent = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _send_upto(self, position: int) -> None:
        with self._lock:
            if position > self.sent:
                self.report(Tick(bytes=position - self.sent))
                self.sent = position

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            pos = input_position(self.path)
            if pos is not None:
                self._send_upto(pos)

    def __enter__(self) -> InputTicker:
        self._thread = threading.Thread(target=self._loop, name="corpusclean-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if exc[0] is None:
            try:
                self._send_upto(getsize(self.path))
            except OSError:
                pass


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """One pass's progress, shown on ``stream`` (stderr by default).

    ``total_bytes``: input bytes of the pass (pass 1), the unit of the bar and the estimate;
    else ``total_docs``: documents expected (later passes). ``done`` (a :class:`Tick`): work
    already complete before this run (resume). ``update(Tick | int)`` may be called from any
    thread. ``tty``: force the terminal (True) or plain-line (False) form; default: whether
    ``stream`` is a terminal. ``enabled=False`` shows nothing.
    """

    def __init__(self, desc: str, *, total_docs: int | None = None, total_bytes: int | None = None,
                 done: Tick = Tick(), stream: IO[str] | None = None, enabled: bool = True,
                 tty: bool | None = None, interval: float | None = None):
        self.desc = desc
        self.total_docs, self.total_bytes = total_docs, total_bytes
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = tty if tty is not None else _isatty(self.stream)
        self.interval = DEFAULT_INTERVAL if interval is None else interval
        self.start = time.monotonic()
        self.base = done
        self.new = Tick()
        self._lock = threading.Lock()
        self._last_line = self.start
        self._bar: tqdm | None = None
        if enabled and self.tty:
            by_bytes = total_bytes is not None
            self._bar = tqdm(total=total_bytes if by_bytes else total_docs, desc=desc, file=self.stream,
                             unit="B" if by_bytes else "doc", unit_scale=by_bytes, dynamic_ncols=True,
                             smoothing=0.1, initial=done.bytes if by_bytes else done.docs)

    @property
    def done(self) -> Tick:
        return self.base + self.new

    def update(self, value: Tick | int) -> None:
        tick = as_tick(value)
        with self._lock:
            self.new = self.new + tick
            if self._bar is not None:
                self._bar.update(tick.bytes if self.total_bytes is not None else tick.docs)
                self._bar.set_postfix_str(f"{self.done.docs:,} docs", refresh=False)
            elif self.enabled and time.monotonic() - self._last_line >= self.interval:
                self._write_line()

    def line(self, final: bool = False) -> str:
        """The plain progress line: documents, rate, input read, elapsed, time left."""
        elapsed = max(time.monotonic() - self.start, 1e-9)
        done = self.done
        parts = [f"{done.docs:,} docs", f"{self.new.docs / elapsed:,.0f} docs/s"]
        frac = None
        if self.total_bytes is not None:
            frac = done.bytes / self.total_bytes if self.total_bytes else 1.0
            parts.append(f"input {_fmt_bytes(done.bytes)} of {_fmt_bytes(self.total_bytes)} ({100 * frac:.0f}%)")
            rate_frac = (done.bytes - self.base.bytes) / self.total_bytes if self.total_bytes else 0
        elif self.total_docs:
            frac = done.docs / self.total_docs
            parts[0] = f"{done.docs:,} of {self.total_docs:,} docs ({100 * frac:.0f}%)"
            rate_frac = (done.docs - self.base.docs) / self.total_docs
        parts.append(f"elapsed {_fmt_seconds(elapsed)}")
        if final:
            parts.append("done")
        elif frac is not None and 0 < rate_frac and frac < 1:
            parts.append(f"left ~{_fmt_seconds(elapsed * (1 - frac) / rate_frac)}")
        return f"{self.desc}: " + ", ".join(parts)

    def _write_line(self, final: bool = False) -> None:
        self.stream.write(self.line(final) + "\n")
        self.stream.flush()
        self._last_line = time.monotonic()

    def write(self, text: str) -> None:
        """Print ``text`` on a line of its own (above the bar on a terminal)."""
        with self._lock:
            if self._bar is not None:
                self._bar.write(text, file=self.stream)
            else:
                self.stream.write(text + "\n")
                self.stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            elif self.enabled:
                self._write_line(final=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def pass_progress(desc: str, config: Any, out: Any, seg: Any, files: list[tuple[str, str]],
                  done: dict[str, dict[str, Any]], enabled: bool = True) -> Progress:
    """The :class:`Progress` of pass ``seg`` of a run: input bytes for the pass that reads the
    files (files complete from an earlier run count as read), else documents against the previous
    stage's kept total; ``done``: the pass's shards already complete (key → marker)."""
    docs_done = sum(int(v.get("docs", 0)) for v in done.values())
    if seg.source == -1:
        finished = out.files_completed(seg.index)
        sizes = [_size(p) for p, _ in files]
        return Progress(desc, total_bytes=sum(sizes), enabled=enabled,
                        done=Tick(docs_done, sum(s for i, s in enumerate(sizes) if i in finished)))
    source = config.stages[seg.source].folder
    total = sum(int(s["stages"][source]["kept"]) for s in out.completed(seg.index - 1).values())
    return Progress(desc, total_docs=total, done=Tick(docs=docs_done), enabled=enabled)


def _size(path: str) -> int:
    try:
        return int(getsize(path))
    except OSError:
        return 0


@contextlib.contextmanager
def progress_line(desc: str, enabled: bool = True, stream: IO[str] | None = None) -> Iterator[None]:
    """A step without a count (a global stage's middle step): a line when it starts and one with
    its duration when it ends (a spinner-free form that reads the same on a terminal and in a log)."""
    stream = stream if stream is not None else sys.stderr
    t0 = time.monotonic()
    if enabled:
        stream.write(f"{desc} ...\n")
        stream.flush()
    with lines_for_warnings():
        yield
    if enabled:
        stream.write(f"{desc}: done in {_fmt_seconds(time.monotonic() - t0)}\n")
        stream.flush()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                     line: str | None = None) -> str:
    """``warnings.formatwarning`` replacement: ``warning: <message> (<Category>)``, one line, no source."""
    text = " ".join(str(message).split())
    return f"warning: {text} ({category.__name__})\n"


@contextlib.contextmanager
def lines_for_warnings(progress: Progress | None = None) -> Iterator[None]:
    """While open: Python warnings are one line each and, with ``progress``, printed above its
    bar; so are records of the ``corpusclean`` loggers (no handler of the user's is replaced)."""
    old_show, old_format = warnings.showwarning, warnings.formatwarning

    def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        text = one_line_warning(message, category, filename, lineno).rstrip("\n")
        if progress is not None:
            progress.write(text)
        else:
            (file or sys.stderr).write(text + "\n")

    warnings.showwarning, warnings.formatwarning = show, one_line_warning  # type: ignore[assignment]
    logger = logging.getLogger("corpusclean")
    handler: logging.Handler | None = None
    if not logger.handlers and not logging.getLogger().handlers:
        handler = _LineHandler(progress)
        logger.addHandler(handler)
    try:
        yield
    finally:
        warnings.showwarning, warnings.formatwarning = old_show, old_format
        if handler is not None:
            logger.removeHandler(handler)


class _LineHandler(logging.Handler):
    def __init__(self, progress: Progress | None):
        super().__init__(logging.WARNING)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.levelname.lower()}: {' '.join(record.getMessage().split())}"
        if self.progress is not None:
            self.progress.write(text)
        else:
            sys.stderr.write(text + "\n")


__all__ = ["InputTicker", "Progress", "Tick", "as_tick", "lines_for_warnings", "one_line_warning", "pass_progress",
           "progress_line"]
