"""A driver killed while its pool starts leaves no worker alive and nothing written after it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml

SLOW_IMPORT = textwrap.dedent('''
    """A user stage module that takes seconds to import in worker processes (a big model, say)."""
    import multiprocessing, os, time
    from corpusclean.stages.base import register
    from corpusclean.stages.utility import PassThrough

    if multiprocessing.parent_process() is not None:
        open(os.path.join(os.environ["STARTED_DIR"], f"started-{os.getpid()}"), "w").close()
        time.sleep(4)

    @register("slow_import_passthrough")
    class SlowImportPassThrough(PassThrough):
        """Pass-through whose module is slow to import."""
''')


def session_processes(sid: int) -> list[int]:
    """Pids of live (not zombie) processes in session ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def test_a_driver_killed_while_its_workers_start_leaves_none_behind(tmp_path: Path) -> None:
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "slow_import_stage.py").write_text(SLOW_IMPORT)
    (tmp_path / "in").mkdir()
    for f in range(4):
        (tmp_path / "in" / f"{f}.jsonl").write_text(
            "".join(json.dumps({"id": f"{f}-{i}", "text": f"doc {i}"}) + "\n" for i in range(5)))
    out = tmp_path / "out"
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"input": str(tmp_path / "in"), "output": str(out), "shard_size": 5,
                                   "modules": ["slow_import_stage"], "executor": {"kind": "local", "workers": 2},
                                   "stages": [{"slow_import_passthrough": {}}]}))
    env = {**os.environ, "STARTED_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "mods"), *sys.path])}
    driver = subprocess.Popen([sys.executable, "-m", "corpusclean.cli", "run", str(cfg), "--quiet"], env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not list(tmp_path.glob("started-*")):
            time.sleep(0.01)
        assert list(tmp_path.glob("started-*")), "no worker started"
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.time() + 2.0
        while time.time() < deadline and session_processes(driver.pid):
            time.sleep(0.05)
        left = session_processes(driver.pid)
        assert not left, f"workers still alive after the driver was killed: {left}"
        time.sleep(3.5)  # past the end of the slow import: a surviving worker would run tasks now
        assert not list(out.glob("01_*/part-*.parquet"))
    finally:
        for pid in session_processes(driver.pid):
            os.kill(pid, signal.SIGKILL)
