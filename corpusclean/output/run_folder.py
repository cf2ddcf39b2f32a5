"""The output folder of a run: the ONE place that knows its layout.

Every reader and writer of a run goes through :class:`RunFolder` (the runner writes through it;
``stats``, ``whatif``, ``report`` and ``inspect`` read through it), so the layout below is spelled
once, and every command works the same on a local folder and on an object store (``s3://…``,
``gs://…``, ``file://…``, fsspec's ``memory://…``; see :mod:`corpusclean.io.storage`)::

    OUTPUT/
      manifest.json              config, fingerprint, inputs, stages, per-segment progress, status
      stats.json                 merged statistics (written when the run finishes)
      report.html                optional (``report: true`` or ``corpusclean report``)
      final/part-FFFFF-CCCCC.parquet                the clean dataset: the last stage's kept documents,
                                                    nothing else in the folder (read it as a directory
                                                    with pandas, pyarrow.dataset, DuckDB, Polars, datasets)
      00_read/rejected/part-FFFFF-CCCCC.parquet     records the reader rejected (read.*)
      NN_<stage>/rejected/part-FFFFF-CCCCC.parquet  documents stage NN rejected (stage/reason/detail)
      NN_<stage>/signals/part-FFFFF-CCCCC.parquet   the kept documents' ``id`` and stage NN's own signal
                                                    columns (``write_kept: final``, the default)
      NN_<stage>/part-FFFFF-CCCCC.parquet           full documents stage NN kept: with ``write_kept: all``,
                                                    or while a later pass still reads them (a global
                                                    stage's input; removed once that pass is complete)
      NN_<stage>/_scan/part-FFFFF-CCCCC.parquet     a global stage's first pass, per shard (removed once
                                                    its second pass is complete, unless ``write_kept: all``)
      NN_<stage>/_global/…                          a global stage's state (written by ``reduce``; split
                                                    by shard for the built-in stages)
      NN_<stage>/_global/_SUCCESS.json              reduce summary; its presence = reduce complete
      _state/segSS/FFFFF-CCCCC.json                 shard marker: the shard's statistics
      _state/segSS/file-FFFFF.json                  every shard of input file FFFFF is complete

The last stage's kept documents live only in ``final/`` (never twice), so ``OUTPUT/*/rejected``
names every stage's rejected parts once. :meth:`RunFolder.kept_parts` answers with whatever a run
stored for a stage's kept documents: full parts, ``final/`` for the last stage, else the signal
parts (``id`` + the stage's columns), so ``inspect``, ``report``, ``whatif`` and resume work with
either ``write_kept`` setting.

``NN`` is the stage's 1-based position (two digits), ``SS`` the segment (see
:mod:`corpusclean.runner.plan`), ``FFFFF-CCCCC`` a shard key: input file index and chunk index.
Every file is written atomically (:mod:`corpusclean.output.writer`, :mod:`corpusclean.io.files`),
and a shard's marker is written last, so *a shard is complete exactly when its marker exists*;
resume reads only markers.

Stages are named either by a stage spec (anything with a ``folder`` attribute, e.g.
:class:`corpusclean.config.StageSpec`) or by the folder name itself (``"03_gopher_quality"``).
Paths returned are :class:`pathlib.Path` for a local root and
:class:`~corpusclean.io.storage.RemotePath` for a URI; both have ``/``, ``name``, ``exists()``,
``is_dir()``, ``glob()``, ``read_text()``; read Parquet with :meth:`RunFolder.read_table` or
:meth:`RunFolder.parquet_file` (they accept either kind).
"""

from __future__ import annotations

import os
import re
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.errors import RunError
from corpusclean.io.storage import AnyPath, RemotePath, as_path, rmtree
from corpusclean.output.writer import parquet_file, read_json, read_parquet, write_json, write_parquet
from corpusclean.stages.base import import_stage_modules, load_stages

#: The reader's folder (only ``rejected/``: what it kept is the first stage's input, not stored).
READ_FOLDER = "00_read"
REJECTED = "rejected"
SIGNALS = "signals"
SCAN = "_scan"
GLOBAL = "_global"
SUCCESS = "_SUCCESS.json"
#: Folder of the shard markers.
STATE_DIR = "_state"
FINAL = "final"
MANIFEST = "manifest.json"
STATS = "stats.json"
REPORT = "report.html"

_STAGE_FOLDER = re.compile(r"^\d\d_.+")


class HasFolder(Protocol):
    """A stage spec: anything with the stage's output folder name (``"03_gopher_quality"``)."""

    @property
    def folder(self) -> str: ...


StageRef = str | HasFolder


def shard_key(file_index: int, chunk: int) -> str:
    """The key of shard (file ``file_index``, chunk ``chunk``): ``"FFFFF-CCCCC"`` (zero-padded)."""
    return f"{file_index:05d}-{chunk:05d}"


def part_name(key: str) -> str:
    """The Parquet file name of shard ``key`` in any stage folder: ``part-<key>.parquet``."""
    return f"part-{key}.parquet"


def _folder(stage: StageRef) -> str:
    return stage if isinstance(stage, str) else stage.folder


class RunFolder:
    """A run's output folder at ``root`` (a local path or an object-store URI).

    Cheap to build (no I/O) and picklable (it is rebuilt from its URI in worker processes).
    Methods that read raise :class:`~corpusclean.errors.RunError` with a one-line message when
    the folder is not (yet) what they need; writes are atomic.
    """

    def __init__(self, root: str | os.PathLike[str] | AnyPath | RunFolder):
        self.root: AnyPath = root.root if isinstance(root, RunFolder) else as_path(root)

    def __str__(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunFolder) and str(self.root) == str(other.root)

    def __hash__(self) -> int:
        return hash(str(self.root))

    def __reduce__(self) -> tuple[Any, ...]:
        return RunFolder, (str(self.root),)

    @property
    def is_remote(self) -> bool:
        """True when the folder is on an object store (or a ``file://``/``memory://`` URI)."""
        return isinstance(self.root, RemotePath)

    # ------------------------------------------------------------------------- stage folders
    def stage_dir(self, stage: StageRef) -> AnyPath:
        """``NN_<stage>/``: the stage's kept parts (and its ``rejected/``, ``_scan/``, ``_global/``)."""
        return self.root / _folder(stage)

    @property
    def read_dir(self) -> AnyPath:
        """``00_read/``: holds only ``rejected/`` (records the reader turned away)."""
        return self.root / READ_FOLDER

    def rejected_dir(self, stage: StageRef) -> AnyPath:
        """``NN_<stage>/rejected/`` (``00_read/rejected/`` for ``READ_FOLDER``)."""
        return self.stage_dir(stage) / REJECTED

    def kept_part(self, stage: StageRef, key: str) -> AnyPath:
        """The kept Parquet part of shard ``key`` of ``stage``."""
        return self.stage_dir(stage) / part_name(key)

    def rejected_part(self, stage: StageRef, key: str) -> AnyPath:
        """The rejected Parquet part of shard ``key`` of ``stage`` (or of the reader)."""
        return self.rejected_dir(stage) / part_name(key)

    def signals_part(self, stage: StageRef, key: str) -> AnyPath:
        """``NN_<stage>/signals/part-<key>.parquet``: ``id`` + the stage's columns of its kept documents."""
        return self.stage_dir(stage) / SIGNALS / part_name(key)

    def final_part(self, key: str) -> AnyPath:
        """``final/part-<key>.parquet``: the last stage's kept documents of shard ``key``."""
        return self.final / part_name(key)

    def kept_parts(self, stage: StageRef) -> list[AnyPath]:
        """What the run stored of ``stage``'s kept documents, sorted by shard key ([] if nothing).

        Full documents when stored (``write_kept: all``, or ``final/`` for the last stage);
        otherwise the signal parts: ``id`` and the stage's own columns, one row per kept document.
        """
        full = self._parts(self.stage_dir(stage))
        if full:
            return full
        if _folder(stage) == self.last_stage_folder():
            return self._parts(self.final)
        return self._parts(self.stage_dir(stage) / SIGNALS)

    def kept_is_full(self, stage: StageRef) -> bool:
        """True when :meth:`kept_parts` of ``stage`` are full documents (not only signals)."""
        return bool(self._parts(self.stage_dir(stage))) or _folder(stage) == self.last_stage_folder()

    def last_stage_folder(self) -> str | None:
        """The folder name of the run's last stage (from the manifest; None without one)."""
        if not hasattr(self, "_last"):
            try:
                stages = self.read_manifest().get("stages") or []
            except RunError:
                return None
            self._last = stages[-1]["folder"] if stages else None
        return self._last

    def remove_kept_parts(self, stage: StageRef) -> None:
        """Delete the full kept parts of ``stage`` (a hand-off between passes, once consumed)."""
        for p in self._parts(self.stage_dir(stage)):
            p.unlink()

    def remove_scans(self, stage: StageRef) -> None:
        """Delete a global stage's ``_scan/`` (once its second pass is complete)."""
        if self.scan_dir(stage).is_dir():
            rmtree(self.scan_dir(stage))

    def rejected_parts(self, stage: StageRef) -> list[AnyPath]:
        """Every rejected part of ``stage`` (or of ``READ_FOLDER``), sorted by shard key."""
        return self._parts(self.rejected_dir(stage))

    @staticmethod
    def _parts(folder: AnyPath) -> list[AnyPath]:
        if not folder.is_dir():
            return []
        return sorted(folder.glob("part-*.parquet"), key=lambda p: p.name)

    def stage_folders(self) -> list[str]:
        """Names of the stage folders present (``00_read``, ``01_extract``…), sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if _STAGE_FOLDER.match(p.name) and p.is_dir())

    # ----------------------------------------------------------------------- global stages
    def scan_dir(self, stage: StageRef) -> AnyPath:
        """``NN_<stage>/_scan/``: a global stage's per-shard first-pass tables."""
        return self.stage_dir(stage) / SCAN

    def scan_part(self, stage: StageRef, key: str) -> AnyPath:
        """The scan table of shard ``key`` for global ``stage``."""
        return self.scan_dir(stage) / part_name(key)

    def state_dir(self, stage: StageRef) -> AnyPath:
        """``NN_<stage>/_global/``: the state a global stage's ``reduce`` writes and workers load."""
        return self.stage_dir(stage) / GLOBAL

    def global_done(self, stage: StageRef) -> AnyPath:
        """``NN_<stage>/_global/_SUCCESS.json``: present exactly when ``reduce`` completed."""
        return self.state_dir(stage) / SUCCESS

    def read_global_summary(self, stage: StageRef) -> dict[str, Any] | None:
        """The reduce summary (``{"summary", "seconds", "shards"}``), or None if not reduced yet."""
        done = self.global_done(stage)
        return read_json(done) if done.exists() else None

    def write_global_summary(self, stage: StageRef, summary: dict[str, Any]) -> None:
        """Mark ``stage``'s reduce complete (written after the state itself)."""
        write_json(summary, self.global_done(stage))

    # ----------------------------------------------------------------------------- markers
    @property
    def markers_dir(self) -> AnyPath:
        """``_state/``: every shard and file marker."""
        return self.root / STATE_DIR

    def segment_dir(self, segment: int) -> AnyPath:
        """``_state/segSS/``: the markers of one segment."""
        return self.markers_dir / f"seg{segment:02d}"

    def marker(self, segment: int, key: str) -> AnyPath:
        """Path of the marker of shard ``key`` in ``segment`` (its statistics, as JSON)."""
        return self.segment_dir(segment) / f"{key}.json"

    def file_marker(self, segment: int, file_index: int) -> AnyPath:
        """Path of the marker saying every shard of input file ``file_index`` is complete."""
        return self.segment_dir(segment) / f"file-{file_index:05d}.json"

    def write_marker(self, segment: int, key: str, shard_stats: dict[str, Any]) -> None:
        """Mark shard ``key`` of ``segment`` complete; call after every file of the shard is written."""
        write_json(shard_stats, self.marker(segment, key))

    def write_file_marker(self, segment: int, file_index: int, path: str) -> None:
        """Mark input file ``file_index`` (at ``path``) complete in ``segment``."""
        write_json({"file": path}, self.file_marker(segment, file_index))

    def completed(self, segment: int) -> dict[str, dict[str, Any]]:
        """The shards complete in ``segment``: shard key → its statistics, sorted by key."""
        folder = self.segment_dir(segment)
        if not folder.is_dir():
            return {}
        return {p.stem: read_json(p) for p in sorted(folder.glob("*.json"), key=lambda p: p.name)
                if not p.stem.startswith("file-")}

    def files_completed(self, segment: int) -> set[int]:
        """Indexes of the input files whose every shard is complete in ``segment``."""
        folder = self.segment_dir(segment)
        if not folder.is_dir():
            return set()
        return {int(p.stem[5:]) for p in folder.glob("file-*.json")}

    # --------------------------------------------------------------------------- run files
    @property
    def manifest_path(self) -> AnyPath:
        return self.root / MANIFEST

    @property
    def stats_path(self) -> AnyPath:
        return self.root / STATS

    @property
    def report_path(self) -> AnyPath:
        return self.root / REPORT

    def has_manifest(self) -> bool:
        return self.manifest_path.exists()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest; :class:`RunError` if absent ("not a corpusclean output folder") or unreadable."""
        try:
            return read_json(self.manifest_path)
        except FileNotFoundError:
            raise RunError(f"{self.root}: no {MANIFEST} here (not a corpusclean output folder)") from None
        except (OSError, ValueError) as e:
            raise RunError(f"{self.manifest_path}: unreadable manifest ({e})") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(manifest, self.manifest_path)

    def stage_registry(self) -> dict[str, type[Any]]:
        """The stage registry with this run's user modules imported (the manifest's
        ``config.modules``), so post-run commands know a user's stages as the run did.

        Raises :class:`RunError` (no manifest) or :class:`~corpusclean.errors.ConfigError`
        (``modules[i]: cannot import …``: the module is not importable in this process).
        """
        modules = (self.read_manifest().get("config") or {}).get("modules") or []
        import_stage_modules(modules, where="manifest config.modules")
        return load_stages()

    def read_stats(self) -> dict[str, Any]:
        """The statistics; :class:`RunError` if absent ("not a finished corpusclean output folder")."""
        try:
            return read_json(self.stats_path)
        except FileNotFoundError:
            raise RunError(f"{self.root}: no {STATS} here (not a finished corpusclean output folder)") from None
        except (OSError, ValueError) as e:
            raise RunError(f"{self.stats_path}: unreadable statistics ({e})") from None

    def write_stats(self, stats: dict[str, Any]) -> None:
        write_json(stats, self.stats_path)

    # ------------------------------------------------------------------------------ final
    @property
    def final(self) -> AnyPath:
        """``final/``: the clean dataset (the last stage's kept parts, and nothing else)."""
        return self.root / FINAL

    # ------------------------------------------------------------------------- life cycle
    def exists(self) -> bool:
        return self.root.exists()

    def is_empty(self) -> bool:
        """True when the folder does not exist or holds nothing."""
        return not self.root.is_dir() or not any(True for _ in self.root.iterdir())

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        """Delete the whole folder (callers check :meth:`has_manifest` first)."""
        rmtree(self.root)

    def remove_leftovers(self) -> None:
        """Delete temporary files a killed worker left behind (``.<name>.<pid>…tmp``; local disks only).

        They never look like output (hidden names, ``.tmp``), so this is tidiness, not correctness.
        """
        if self.is_remote:
            return
        for root, _dirs, names in os.walk(self.root):
            for name in names:
                if name.startswith(".") and name.endswith(".tmp"):
                    try:
                        os.unlink(os.path.join(root, name))
                    except OSError:
                        pass

    # ------------------------------------------------------------------------ Parquet I/O
    @staticmethod
    def read_table(path: AnyPath, columns: list[str] | None = None) -> pa.Table:
        """One Parquet part (local or remote), all columns or only ``columns``."""
        return read_parquet(path, columns)

    @staticmethod
    def parquet_file(path: AnyPath) -> pq.ParquetFile:
        """A ``ParquetFile`` on a local or remote part (schema, row count, column projection)."""
        return parquet_file(path)

    @staticmethod
    def write_table(table: pa.Table, path: AnyPath) -> None:
        """Write a part atomically (zstd; parents created)."""
        write_parquet(table, path)


__all__ = ["FINAL", "GLOBAL", "MANIFEST", "READ_FOLDER", "REJECTED", "REPORT", "SCAN", "SIGNALS", "STATE_DIR", "STATS",
           "SUCCESS", "RunFolder", "part_name", "shard_key"]
