#!/usr/bin/env python
"""Benchmarks: every section in scripts/benches/<name>.py prints a table.

    python scripts/bench.py                 # all sections
    python scripts/bench.py --only readers,quality
    python scripts/bench.py --quick         # smaller inputs, for a fast look

Each section module defines ``run(args)``; ``args`` carries ``quick``, ``executor``, ``sizes`` and ``workers``.
Ratios are measured inside one run (this machine is noisy).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benches  # noqa: E402

from corpusclean.executors import executor_names  # noqa: E402


def main() -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(benches.__path__) if not m.name.startswith("_"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help=f"comma-separated sections among: {', '.join(names)}")
    ap.add_argument("--quick", action="store_true", help="smaller inputs")
    ap.add_argument("--executor", default="local", choices=executor_names())
    ap.add_argument("--sizes", help="scale: corpus sizes in millions of documents, e.g. 0.25,1 (default 0.25,1,4)")
    ap.add_argument("--workers", type=int, help="scale: worker processes (default 2)")
    args = ap.parse_args()
    chosen = names if not args.only else [n.strip() for n in args.only.split(",")]
    for name in chosen:
        if name not in names:
            ap.error(f"unknown section {name!r}; known: {', '.join(names)}")
    for name in chosen:
        t0 = time.perf_counter()
        importlib.import_module(f"benches.{name}").run(args)
        print(f"({name}: {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
