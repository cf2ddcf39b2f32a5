"""Real pages for the fidelity benchmark, fetched at benchmark time and never committed.

Debian documentation packages (``apt-get download``, unpacked with ``dpkg-deb -x``) into
``~/.cache/corpusclean-bench/fidelity/`` (``CORPUSCLEAN_BENCH_CACHE`` overrides the parent). The
truth file (``fidelity_truth.json``, next to this module) names each page by package, path and
SHA-256 and says, with our own labels, where its main content is; a page whose bytes differ from
the labelled hash is skipped with a note (a new package version is not what we labelled).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

TRUTH = Path(__file__).with_name("fidelity_truth.json")


def cache_dir() -> Path:
    """``$CORPUSCLEAN_BENCH_CACHE`` or ``~/.cache/corpusclean-bench``, plus ``fidelity/``."""
    base = Path(os.environ.get("CORPUSCLEAN_BENCH_CACHE", Path.home() / ".cache" / "corpusclean-bench"))
    return base / "fidelity"


@dataclass(frozen=True)
class Page:
    """One labelled real page: ``main`` is an XPath to its main content, ``exclude`` XPaths
    (relative to ``main``) of parts inside it that are not content; ``html`` the decoded page."""

    package: str
    path: str
    kind: str
    main: str
    exclude: tuple[str, ...]
    html: str


def _unpack(package: str, root: Path) -> Path | None:
    out = root / "x" / package
    if out.is_dir():
        return out
    root.mkdir(parents=True, exist_ok=True)
    debs = sorted(root.glob(f"{package}_*.deb"))
    if not debs:
        r = subprocess.run(["apt-get", "download", package], cwd=root, capture_output=True, text=True)
        debs = sorted(root.glob(f"{package}_*.deb"))
        if not debs:
            print(f"  could not fetch {package}: {r.stderr.strip().splitlines()[-1:] or r.returncode}")
            return None
    tmp = out.with_suffix(".tmp")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(tmp)], check=True)
    tmp.rename(out)
    return out


def load_pages(limit: int | None = None) -> list[Page]:
    """The labelled pages, fetching their packages when missing; ``limit`` pages per package."""
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    root = cache_dir()
    pages: list[Page] = []
    for pkg in truth["packages"]:
        where = _unpack(pkg["package"], root)
        if where is None:
            continue
        for entry in pkg["pages"][:limit]:
            f = where / pkg["prefix"] / entry["path"]
            if not f.is_file():
                print(f"  missing {pkg['package']}:{entry['path']}")
                continue
            data = f.read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                print(f"  skipped {pkg['package']}:{entry['path']} (not the labelled version)")
                continue
            pages.append(Page(pkg["package"], entry["path"], pkg["kind"], entry.get("main", pkg["main"]),
                              tuple(entry.get("exclude", pkg["exclude"])), data.decode("utf-8", "replace")))
    return pages
