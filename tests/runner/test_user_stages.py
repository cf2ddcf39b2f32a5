"""A stage defined in the user's own module (a folder outside the package, on ``PYTHONPATH``),
named in the config's ``modules:``, runs through ``validate`` and ``run`` with spawned worker
processes, and a later process knows it from the run folder. Each step runs in a fresh process,
so nothing is inherited from this test's imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from corpusclean.output.run_folder import RunFolder

ROOT = Path(__file__).resolve().parents[2]

USER_MODULE = '''
"""A user's stages (not part of corpusclean)."""
from corpusclean import FilterStage, param, register


@register("user_min_chars")
class UserMinChars(FilterStage):
    """Rejects documents shorter than ``min_chars`` characters."""

    min_chars: int = param(10, "Minimum number of characters")

    def reason_for(self, doc):
        return None if len(doc["text"]) >= self.min_chars else ("too_short", str(len(doc["text"])))
'''


def _setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    plug = tmp_path / "plugins"
    plug.mkdir()
    (plug / "my_user_stages.py").write_text(USER_MODULE)
    data = tmp_path / "docs.jsonl"
    with open(data, "w") as f:
        for i in range(12):
            f.write(json.dumps({"id": f"d{i}", "text": "x" * (i * 2)}) + "\n")  # lengths 0, 2, …, 22
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({
        "input": str(data), "output": str(tmp_path / "out"), "shard_size": 4,
        "executor": {"kind": "local", "workers": 2}, "modules": ["my_user_stages"],
        "stages": [{"user_min_chars": {"min_chars": 9}}, {"passthrough": {}}]}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(plug)]))
    return cfg, tmp_path / "out", env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpusclean.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_user_stage_runs_from_yaml_with_spawned_workers(tmp_path: Path) -> None:
    cfg, out, env = _setup(tmp_path)
    done = _cli(env, "validate", str(cfg))
    assert done.returncode == 0, done.stderr
    assert "user_min_chars, passthrough" in done.stdout
    done = _cli(env, "run", str(cfg), "--quiet")
    assert done.returncode == 0, done.stderr
    stats = RunFolder(out).read_stats()
    first = stats["stages"][0]
    assert first["stage"] == "user_min_chars"
    assert (first["in"], first["kept"], first["rejected_by_reason"]) == (12, 7, {"user_min_chars.too_short": 5})
    # a later process (whatif, report) learns the module from the run folder
    probe = ("from corpusclean import RunFolder; import sys; "
             "print(RunFolder(sys.argv[1]).stage_registry()['user_min_chars'].__module__)")
    seen = subprocess.run([sys.executable, "-c", probe, str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert seen.returncode == 0 and seen.stdout.strip() == "my_user_stages", seen.stderr


def test_a_module_that_is_not_importable_is_a_one_line_config_error(tmp_path: Path) -> None:
    cfg, _, env = _setup(tmp_path)
    env["PYTHONPATH"] = str(ROOT)  # the plugin folder is not on the path
    done = _cli(env, "validate", str(cfg))
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: modules[0]: cannot import 'my_user_stages': ModuleNotFoundError: "
                                   "No module named 'my_user_stages' (is its folder on PYTHONPATH?)")
    broken = tmp_path / "plugins" / "my_user_stages.py"
    broken.write_text("import no_such_dependency_xyz\n")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(broken.parent)])
    done = _cli(env, "validate", str(cfg))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "modules[0]: cannot import 'my_user_stages': ModuleNotFoundError" in done.stderr


def test_an_installed_package_declares_its_stages_in_the_entry_point_group(tmp_path: Path) -> None:
    """``[project.entry-points."corpusclean.stages"]`` of an installed distribution: its stage is
    known without ``modules:``, in the driver and in spawned workers."""
    site = tmp_path / "site"
    (site / "ep_user_stages").mkdir(parents=True)
    (site / "ep_user_stages" / "__init__.py").write_text(USER_MODULE.replace("user_min_chars", "ep_min_chars"))
    dist = site / "ep_user_stages-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-user-stages\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[corpusclean.stages]\nmin_chars = ep_user_stages\n")
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps({"id": f"d{i}", "text": "z" * i}) + "\n" for i in range(8)))
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"input": str(data), "output": str(tmp_path / "out"), "shard_size": 3,
                                   "executor": {"workers": 2}, "stages": [{"ep_min_chars": {"min_chars": 5}}]}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(site)]))
    done = _cli(env, "run", str(cfg), "--quiet")
    assert done.returncode == 0, done.stderr
    stage = RunFolder(tmp_path / "out").read_stats()["stages"][0]
    assert (stage["kept"], stage["rejected_by_reason"]) == (3, {"ep_min_chars.too_short": 5})
