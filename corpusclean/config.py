"""YAML → a validated pipeline configuration.

A config file looks like::

    input: crawl/*.warc.gz          # or a list, or {paths: [...], format: warc, text_field: body}
    output: out/
    executor: {kind: local, workers: 4}   # or {kind: ray, address: auto}
    shard_size: 10000
    modules: [my_pkg.my_stages]     # optional: your own stage modules, imported before `stages:`
    stages:
      - extract: {}
      - gopher_quality: {min_doc_words: 50}
      - gopher_quality: {min_doc_words: 100}   # the same stage type may appear twice

YAML is read by :func:`corpusclean.yaml_strict.load_yaml` (the safe constructor; a repeated key,
an alias bomb or absurd nesting is refused). Every error names the key path, what was expected and what was
found (``stages[2].gopher_quality.min_doc_words: expected an integer, got 'fifty'``) and is
raised as :class:`ConfigError`, which the CLI prints as one line with exit code 2.

The top-level ``workers: N`` of earlier versions is a deprecated alias of ``executor.workers``
(accepted with a ``FutureWarning``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import xxhash

from corpusclean.executors import executor_names
from corpusclean.extras import check_packages
from corpusclean.stages.base import Stage, import_stage_modules, load_stages
from corpusclean.typecheck import build_dataclass, coerce  # noqa: F401  (coerce re-exported)
from corpusclean.yaml_strict import load_yaml

PACKAGE_DIR = Path(__file__).resolve().parent


from corpusclean.errors import ConfigError  # noqa: E402,F401  (re-exported)


@dataclass
class InputConfig:
    """Where documents come from and how to read them."""

    paths: list[str] = field(default_factory=list)
    #: auto = from the file extension.
    format: Literal["auto", "warc", "wet", "jsonl", "parquet"] = "auto"
    id_field: str = "id"
    text_field: str = "text"
    url_field: str = "url"
    #: Records larger than this many bytes are rejected (read.too_large), never loaded.
    max_record_bytes: int = 10_000_000


@dataclass
class ExecutorConfig:
    """Where tasks run: ``kind`` names a registered executor (:mod:`corpusclean.executors`)."""

    kind: str = "local"
    #: Worker processes of the local executor (default: the cores this process may use).
    workers: int | None = None
    #: Ray cluster address (``auto``, ``ray://host:10001``); None starts a local Ray instance.
    address: str | None = None


@dataclass
class StageSpec:
    """One entry of ``stages:``: the registry name, its validated parameters, its position."""

    name: str
    params: dict[str, Any]
    index: int  # 1-based position in the pipeline

    @property
    def folder(self) -> str:
        return f"{self.index:02d}_{self.name}"

    def build(self) -> Stage:
        return load_stages()[self.name](**self.params)

    @property
    def plain_params(self) -> dict[str, Any]:
        """The parameters as plain JSON values (nested dataclasses as mappings), for the manifest."""
        return _plain(self.params)

    @property
    def resolved_params(self) -> dict[str, Any]:
        """:attr:`plain_params` with every parameter left out filled with its default: what the
        stage runs with. The fingerprint is made of these, so a run written under other defaults
        (``extract: {}`` meant ``backend: trafilatura`` before version 0.2.0) is not resumed with
        this code's."""
        return _plain({**_defaults(load_stages()[self.name]), **self.params})

    def input_digest(self) -> str | None:
        """Digest of the contents of files named in the parameters (test sets, lists, models).

        Part of the config fingerprint, so a resumed run notices that a file it read changed
        even though its path did not.
        """
        paths = sorted({p for p in _strings(self.params) if os.path.exists(os.path.expanduser(p))})
        if not paths:
            return None
        h = xxhash.xxh3_128()
        for p in paths:
            p = os.path.expanduser(p)
            files = [p] if os.path.isfile(p) else sorted(
                os.path.join(root, f) for root, _, fs in os.walk(p) for f in fs)
            for f in files:
                h.update(f.encode())
                with open(f, "rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        h.update(block)
        return h.hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _strings(dataclasses.asdict(value))
    return []


@dataclass
class PipelineConfig:
    input: InputConfig = field(default_factory=InputConfig)
    output: str | None = None
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    shard_size: int = 10_000
    strict: bool = False
    report: bool = False
    #: What each stage stores of the documents it keeps (issue 17): ``final`` (default) — only
    #: ``final/`` holds full documents; every other stage stores its rejected documents and its
    #: signal columns keyed by id (``NN_<stage>/signals/``); ``all`` — every stage also stores its
    #: full kept documents (``NN_<stage>/part-*.parquet``, the corpus once per stage).
    write_kept: Literal["final", "all"] = "final"
    #: The user's stage modules (dotted names), imported before stage names are resolved and in
    #: every worker process.
    modules: list[str] = field(default_factory=list)
    stages: list[StageSpec] = field(default_factory=list)

    @property
    def workers(self) -> int | None:
        """Deprecated alias of ``executor.workers``."""
        return self.executor.workers

    @workers.setter
    def workers(self, value: int | None) -> None:
        self.executor.workers = value

    def require_stages(self) -> None:
        """The one check that a pipeline has something to run (``run`` and ``validate`` both ask).

        Raises :class:`ConfigError` (exit code 2) when ``stages:`` is missing or empty.
        """
        if not self.stages:
            raise ConfigError("stages: the pipeline has no stages (add at least one, e.g. '- passthrough: {}')")

    def fingerprint_data(self) -> dict[str, Any]:
        """What determines the output (not where it goes or how many workers compute it).

        The input *paths* are not part of it: how they are spelled (``crawl/`` or
        ``crawl/*.warc.gz``) does not matter; the runner compares the files they name, and
        their content, separately (:mod:`corpusclean.runner.inputs`).
        """
        data: dict[str, Any] = {
            "input": {k: v for k, v in dataclasses.asdict(self.input).items() if k != "paths"},
            "shard_size": self.shard_size,
            "stages": [{s.name: s.resolved_params} for s in self.stages],
        }
        if self.write_kept != "final":  # the layout of the output (absent by default: old fingerprints hold)
            data["write_kept"] = self.write_kept
        digests = {s.folder: d for s in self.stages if (d := s.input_digest()) is not None}
        if digests:
            data["stage_files"] = digests
        return data

    def fingerprint(self) -> str:
        blob = json.dumps(self.fingerprint_data(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        data = self.fingerprint_data()
        data.update(input=dataclasses.asdict(self.input), output=self.output, executor=dataclasses.asdict(self.executor), strict=self.strict,
                    report=self.report, modules=list(self.modules))
        return data


def parse_stage(entry: Any, position: int) -> StageSpec:
    """Validate one ``- <stage_type>: {params}`` entry (``position`` is 0-based)."""
    where = f"stages[{position}]"
    if isinstance(entry, str):
        entry = {entry: {}}
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ConfigError(f"{where}: expected a mapping with one stage name, like '- extract: {{}}', got {entry!r}")
    (name, params), = entry.items()
    stages = load_stages()
    if name not in stages:
        raise ConfigError(f"{where}: unknown stage {name!r}; known stages: {', '.join(sorted(stages))}")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}.{name}: expected a mapping of parameters, got {params!r}")
    cls = stages[name]
    hints = cls.param_types()
    checked = {}
    for key, value in params.items():
        if key not in hints:
            raise ConfigError(f"{where}.{name}.{key}: unknown parameter; valid parameters: "
                              f"{', '.join(hints) or '(none)'}")
        checked[key] = coerce(value, hints[key], f"{where}.{name}.{key}")
    check_packages(cls.requires_packages, {**_defaults(cls), **checked}, f"{where}.{name}")
    spec = StageSpec(name=name, params=checked, index=position + 1)
    try:
        spec.build()
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{where}.{name}: {e}") from None
    return spec


def _defaults(cls: type[Stage]) -> dict[str, Any]:
    return {f.name: f.default for f in cls.params() if f.default is not dataclasses.MISSING}


def check_executor_packages(executor: ExecutorConfig) -> None:
    """Raise :class:`ConfigError` if the executor needs a package that is not installed."""
    from corpusclean.executors import executor_class

    names = executor_names()
    if executor.kind not in names:
        raise ConfigError(f"executor.kind: expected one of {', '.join(map(repr, names))}, got {executor.kind!r}")
    cls = executor_class(executor.kind)
    check_packages(getattr(cls, "requires_packages", ()), dataclasses.asdict(executor),
                   f"executor.kind: {executor.kind}")


def parse_input(raw: Any, where: str = "input") -> InputConfig:
    """``input:`` — a path/URI/glob, a list of them, or a mapping of :class:`InputConfig` keys."""
    if isinstance(raw, InputConfig):
        return raw
    if isinstance(raw, (str, os.PathLike)):
        raw = [raw]
    if isinstance(raw, (list, tuple)):
        raw = {"paths": [os.fspath(p) if isinstance(p, os.PathLike) else p for p in raw]}
    return coerce(raw, InputConfig, where)


def parse_config(data: Any) -> PipelineConfig:
    """Validate a loaded YAML document into a :class:`PipelineConfig`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config: expected a mapping at the top level, got {type(data).__name__}")
    data = dict(data)
    top = {f.name for f in dataclasses.fields(PipelineConfig)} | {"workers"}
    for key in data:
        if key not in top:
            raise ConfigError(f"{key}: unknown key; valid keys: {', '.join(sorted(top - {'workers'}))}")
    raw_input = data.pop("input", None)
    raw_stages = data.pop("stages", None)
    raw_executor = data.pop("executor", None)
    raw_workers = data.pop("workers", None)
    cfg = build_dataclass(PipelineConfig, data, "")
    if raw_input is not None:
        cfg.input = parse_input(raw_input)
    if raw_executor is not None:
        if isinstance(raw_executor, str):
            raw_executor = {"kind": raw_executor}
        cfg.executor = coerce(raw_executor, ExecutorConfig, "executor")
    names = executor_names()
    if cfg.executor.kind not in names:
        raise ConfigError(f"executor.kind: expected one of {', '.join(map(repr, names))}, got {cfg.executor.kind!r}")
    if cfg.executor.workers is not None and cfg.executor.workers < 1:
        raise ConfigError(f"executor.workers: expected a positive integer, got {cfg.executor.workers}")
    if raw_workers is not None:
        workers = coerce(raw_workers, int, "workers")
        if workers < 1:
            raise ConfigError(f"workers: expected a positive integer, got {workers}")
        if cfg.executor.workers is not None and cfg.executor.workers != workers:
            raise ConfigError(f"workers: {workers} contradicts executor.workers: {cfg.executor.workers} "
                              "(keep only executor.workers)")
        warnings.warn("config key 'workers' is deprecated; write 'executor: {kind: local, workers: N}'",
                      FutureWarning, stacklevel=2)
        cfg.executor.workers = workers
    check_executor_packages(cfg.executor)
    import_stage_modules(cfg.modules)
    if raw_stages is not None:
        if not isinstance(raw_stages, list):
            raise ConfigError(f"stages: expected a list of '- <stage>: {{params}}' entries, got {raw_stages!r}")
        cfg.stages = [parse_stage(e, i) for i, e in enumerate(raw_stages)]
    if cfg.shard_size < 1:
        raise ConfigError(f"shard_size: expected a positive integer, got {cfg.shard_size}")
    return cfg


def load_config(path: str | Path) -> PipelineConfig:
    """Read and validate a YAML config file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from None
    data = load_yaml(text, str(path))
    return parse_config(data)


def builtin_config(name: str = "gopher") -> Path:
    """Path of a config shipped with the package (``configs/<name>.yaml``)."""
    return PACKAGE_DIR / "configs" / f"{name}.yaml"


def diff_configs(old: Any, new: Any, path: str = "") -> list[str]:
    """Key paths where two JSON-like configs differ (for 'the config changed' messages)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append(f"{sub} (not recorded -> {new[key]!r})")
            elif key not in new:
                out.append(f"{sub} ({old[key]!r} -> not set)")
            else:
                out.extend(diff_configs(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path} (length {len(old)} -> {len(new)})"]
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out.extend(diff_configs(a, b, f"{path}[{i}]"))
        return out
    return [] if old == new else [f"{path} ({old!r} -> {new!r})"]
