"""Fast subset of the real-page fidelity benchmark (scripts/benches/fidelity.py): two labelled
pages per Debian documentation package, fetched into ~/.cache/corpusclean-bench on first use."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.network

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))


@pytest.mark.skipif(shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None, reason="needs apt-get")
def test_default_backend_on_real_documentation_pages():
    from benches.fidelity import score, truth
    from benches.real_pages import load_pages

    from corpusclean.stages.base import get_stage_class

    pages = load_pages(limit=2)
    if not pages:
        pytest.skip("Debian documentation packages could not be fetched")
    stage = get_stage_class("extract")()
    got = [0, 0, 0]
    want = [0, 0, 0]
    for p in pages:
        t = truth(p)
        for j, (g, w) in enumerate(zip(score(stage.extract_text(p.html), t),
                                       (len(t["items"]), len(t["paras"]), sum(t["words"].values())))):
            got[j] += g
            want[j] += w
    assert got[1] / want[1] >= 0.95  # inline-markup paragraphs on one line
    assert got[2] / want[2] >= 0.80  # main-content words kept
