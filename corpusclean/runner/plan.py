"""The run plan: segments cut at global stages, and the tasks of one segment.

A pipeline is cut at its global stages into *segments*. Segment 0 reads the input files; a
segment that starts with a global stage runs that stage's second pass and then the streaming
stages after it. A segment that is followed by a global stage also runs that stage's first pass
(``scan``) on its last output, so the corpus is not read again for it. :meth:`Pipeline.apply
<corpusclean.pipeline.Pipeline.apply>` uses the same cut in memory.

Shards are ``(file index, chunk index)`` pairs named ``part-FFFFF-CCCCC``: input files in sorted
order, each cut into chunks of ``shard_size`` records. They depend only on the input and the
config, never on the number of workers or the executor.

A :class:`Task` processes the shards of one input file (segment 0) or one shard (later
segments); :class:`~corpusclean.runner.worker.ShardRunner` runs it in whatever process the
executor chose, writing through :class:`~corpusclean.output.run_folder.RunFolder`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Segment:
    """One pass over the corpus."""

    index: int
    #: Stage positions (0-based) run in this segment, in order. The first may be a global stage
    #: running its second pass.
    stages: list[int]
    #: Position of the global stage whose scan this segment runs at its end, if any.
    scan_for: int | None
    #: Position of the stage whose kept output feeds this segment (-1: the input files).
    source: int


def plan_segments(kinds: Sequence[str]) -> list[Segment]:
    """Cut a pipeline whose stages have ``kinds`` (``"streaming"``/``"global"``) into segments.

    ``[s, s, g, s]`` → ``[Segment(0, [0, 1], scan_for=2, source=-1), Segment(1, [2, 3], None, 1)]``.
    There is always at least one segment (an empty pipeline gives one empty segment).
    """
    segments: list[Segment] = []
    current: list[int] = []
    source = -1
    for i, kind in enumerate(kinds):
        if kind == "global":
            segments.append(Segment(len(segments), current, i, source))
            source = i - 1
            current = [i]
        else:
            current.append(i)
    segments.append(Segment(len(segments), current, None, source))
    return segments


def stage_kinds(specs: Sequence[Any]) -> list[str]:
    """The kind of each stage spec (``spec.name`` looked up in the stage registry)."""
    from corpusclean.stages.base import load_stages

    registry = load_stages()
    return [registry[s.name].kind for s in specs]


@dataclass
class Task:
    """One unit of work: the shards of one input file, or one shard, through one segment."""

    #: The output folder (a path or URI string: tasks travel to other processes and machines).
    output: str
    segment: int
    #: (file index, path, format) for tasks that read input files.
    file: tuple[int, str, str] | None = None
    #: Shard key for tasks that read a previous stage's Parquet part.
    shard: str | None = None
    #: Shards of this file already complete (skipped when the file is read again on resume).
    done: list[str] = field(default_factory=list)
    #: The run's extra input columns (the manifest's ``input_schema``,
    #: :func:`corpusclean.readers.schema.schema_to_json`), for tasks that read input files.
    columns: dict[str, Any] | None = None


__all__ = ["Segment", "Task", "plan_segments", "stage_kinds"]
