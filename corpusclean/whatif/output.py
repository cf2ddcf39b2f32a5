"""A finished run, read-only: what ``whatif``, ``report`` and ``inspect`` read.

A view over :class:`~corpusclean.output.run_folder.RunFolder`, the one owner of the output
layout, so the folder may be local (a path) or remote (``file://``, ``s3://``, any fsspec
protocol such as ``memory://``); no path of the layout is spelled here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from corpusclean.config import ConfigError, coerce
from corpusclean.io.storage import AnyPath, RemotePath
from corpusclean.output.run_folder import READ_FOLDER, RunFolder
from corpusclean.stages.base import Stage, load_stages


@dataclass
class StageInfo:
    """One stage of a finished run, as the manifest recorded it."""

    index: int  # 1-based
    name: str
    folder: str
    params: dict[str, Any]
    cls: type[Stage] | None

    def build(self, **changes: Any) -> Stage | None:
        """The stage with the run's parameters (plus ``changes``); None if it cannot be built here.

        Raises ``ValueError`` / ``TypeError`` / ``ConfigError`` when ``changes`` are invalid.
        """
        if self.cls is None:
            return None
        try:
            return self.cls(**{**self._coerced(), **changes})
        except (ValueError, TypeError, OSError, ConfigError):
            if changes:
                raise
            return None

    def declared(self) -> Stage | None:
        """The stage for reading its declarations (``replay``, ``columns``): :meth:`build`, or,
        when it cannot be built here (a test set file missing on this machine), an instance
        holding the run's parameters without the checks of ``__post_init__``."""
        stage = self.build()
        if stage is not None or self.cls is None:
            return stage
        bare = object.__new__(self.cls)
        for f in self.cls.params():
            if f.default is not dataclasses.MISSING:
                setattr(bare, f.name, f.default)
            elif f.default_factory is not dataclasses.MISSING:
                setattr(bare, f.name, f.default_factory())
        try:
            values = self._coerced()
        except ConfigError:
            values = dict(self.params)
        for k, v in values.items():
            setattr(bare, k, v)
        return bare

    def _coerced(self) -> dict[str, Any]:
        assert self.cls is not None
        hints = self.cls.param_types()
        return {k: coerce(v, hints[k], k) if k in hints else v for k, v in self.params.items()}

    def columns(self) -> dict[str, pa.DataType]:
        """The signal columns of the stage as the run built it (the class's when it cannot be built)."""
        stage = self.build()
        if stage is not None:
            return dict(stage.columns)
        return dict(self.cls.columns) if self.cls is not None else {}


def stage_columns(info: StageInfo) -> dict[str, pa.DataType]:
    """``info.columns()`` (kept as a function: the report and ``whatif`` map over stages)."""
    return info.columns()


@dataclass
class RunOutput:
    """A finished run, read-only: a view over its :class:`~corpusclean.output.run_folder.RunFolder`
    (the one owner of the layout) with the manifest's stages resolved to stage classes."""

    folder: RunFolder
    manifest: dict[str, Any]
    stats: dict[str, Any]
    stages: list[StageInfo]

    @classmethod
    def open(cls, output: str | Path | RemotePath | RunFolder, *, need_stats: bool = True,
             need_modules: bool = True) -> RunOutput:
        """Read the manifest and statistics of ``output`` (a folder or an object-store URI).

        The user's stage modules the run named (the manifest's ``config.modules``) are imported
        first, by the one loader (:meth:`RunFolder.stage_registry`), so ``whatif`` and ``report``
        know a user's stages as the run did.

        Raises :class:`~corpusclean.errors.RunError` (exit code 1) when there is no manifest (not
        an output folder) or, with ``need_stats``, no statistics (the run has not finished);
        :class:`~corpusclean.errors.ConfigError` (exit code 2) when, with ``need_modules``, one of
        the run's modules cannot be imported here (without it such stages are left unresolved).
        """
        folder = RunFolder(output)
        manifest = folder.read_manifest()
        stats = folder.read_stats() if need_stats or folder.stats_path.exists() else {}
        try:
            registry = folder.stage_registry()
        except ConfigError:
            if need_modules:
                raise
            registry = load_stages()
        infos = []
        for s in manifest.get("stages", []):
            klass: type[Stage] | None = registry.get(s["name"])
            infos.append(StageInfo(int(s["index"]), s["name"], s["folder"], dict(s.get("params") or {}), klass))
        return cls(folder, manifest, stats, infos)

    @property
    def path(self) -> AnyPath:
        """The folder's root (a ``Path`` or a ``RemotePath``)."""
        return self.folder.root

    @property
    def name(self) -> str:
        """The output folder's own name (for titles)."""
        return self.folder.root.name

    def folders(self) -> list[str]:
        """Every stage folder of the run, ``00_read`` first."""
        return [READ_FOLDER, *(s.folder for s in self.stages)]

    def kept_files(self, folder: str) -> list[AnyPath]:
        """The kept documents' Parquet parts of a stage folder, in shard order."""
        return self.folder.kept_parts(folder)

    def rejected_files(self, folder: str) -> list[AnyPath]:
        """The rejected documents' Parquet parts of a stage folder (``00_read`` too), in shard order."""
        return self.folder.rejected_parts(folder)

    def stage_stats(self, folder: str) -> dict[str, Any]:
        """The ``stats.json`` entry of a stage folder (``{}`` if absent)."""
        for s in self.stats.get("stages", []):
            if s["folder"] == folder:
                return s
        return {}


#: A ``ParquetFile`` on a local or remote part (the run folder's own reader).
parquet_file = RunFolder.parquet_file


def read_columns(files: list[AnyPath], columns: list[str], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """``columns`` of every file, concatenated in file order (Parquet column projection).

    A column a file lacks comes back as nulls (of ``types[column]`` when given), so callers can
    ask for a signal column of a stage that some rows never reached.
    """
    types = types or {}
    out: dict[str, list[pa.Array]] = {c: [] for c in columns}
    for f in files:
        pf = parquet_file(f)
        names = set(pf.schema_arrow.names)
        present = [c for c in columns if c in names]
        t = pf.read(columns=present) if present else None
        n = pf.metadata.num_rows
        for c in columns:
            if t is not None and c in names:
                arr = t.column(c).combine_chunks() if t.num_rows else pa.array([], t.schema.field(c).type)
                out[c].append(arr)
            else:
                out[c].append(pa.nulls(n, types.get(c, pa.null())))
    arrays = []
    for c in columns:
        chunks = out[c]
        want = types.get(c)
        if want is None:
            non_null = [a.type for a in chunks if a.type != pa.null()]
            want = non_null[0] if non_null else pa.null()
        chunks = [a.cast(want) if a.type != want else a for a in chunks]
        arrays.append(pa.chunked_array(chunks, want).combine_chunks() if chunks else pa.array([], want))
    return pa.table(dict(zip(columns, arrays))) if columns else pa.table({})
