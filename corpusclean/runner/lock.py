"""One run per output folder: an advisory lock file, ``OUTPUT/.corpusclean.lock``.

The driver holds an exclusive ``flock`` on the file for the whole run and writes who holds it
(``{"pid", "host", "started"}``) into it. The kernel drops the lock when the holder exits or is
killed, so a stale lock (a SIGKILLed run) never blocks the next one, and no clean-up is needed;
a second run on the same folder while the first is alive stops at once with a one-line
:class:`~corpusclean.errors.RunError` naming the holder. On NFS, Linux implements ``flock`` with
byte-range locks, which NFSv4 servers honour across machines. Object-store outputs
(``s3://…``) cannot be locked: they are not (see ``docs/reliability.md``).
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any

from corpusclean.errors import RunError

#: The lock file's name inside the output folder (hidden; never taken for output).
LOCK_NAME = ".corpusclean.lock"


class OutputLock:
    """The exclusive lock on output folder ``root`` (a local folder that exists).

    Use as a context manager or call :meth:`acquire` / :meth:`release`. :meth:`acquire` raises
    :class:`RunError` when another live process holds it.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.path = os.path.join(os.fspath(root), LOCK_NAME)
        self._fd: int | None = None

    def holder(self) -> dict[str, Any]:
        """What the lock file says about its holder (``{}`` if unreadable)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            h = self.holder()
            who = (f"process {h.get('pid')} on host {h.get('host')}, running since {h.get('started')}"
                   if h else "another process")
            raise RunError(f"{os.path.dirname(self.path)}: another corpusclean run is using this output "
                           f"folder ({who}); wait for it to finish or stop it, or choose another folder") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays (it is harmless)
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


__all__ = ["LOCK_NAME", "OutputLock"]
