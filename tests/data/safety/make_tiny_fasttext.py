"""Write the tiny fastText classifier the safety tests use (``tiny_toxic.bin``).

Why a hand-written file: training needs the full ``fasttext`` package, which has no wheel here
(only ``fasttext-predict``, which can load and predict but not train). So this script trains a
fastText-style supervised model itself — a softmax over the mean of word vectors, exactly what
fastText's ``predict`` computes for ``-loss softmax -wordNgrams 1 -maxn 0`` — with numpy
gradient descent on a toy corpus, and writes it in fastText's binary format (version 12):

    magic, version | args | dictionary | quant flag, input matrix | qout flag, output matrix

so the stage is tested through the real fastText loader and predictor. Deterministic (fixed
seed); re-run with ``python tests/data/safety/make_tiny_fasttext.py``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

MAGIC, VERSION = 793712314, 12
LOSS_SOFTMAX, MODEL_SUP = 3, 3

TOXIC = "idiot stupid moron loser trash dumb hate pathetic worthless disgusting".split()
CLEAN = ("river garden window history science market report energy village station journey "
         "library mountain winter summer teacher student council project harvest kitchen recipe "
         "festival museum bridge the a of and to in is was for on with").split()
LABELS = ["__label__clean", "__label__toxic"]


def corpus(rng: np.random.Generator, n: int = 400) -> list[tuple[list[str], int]]:
    out = []
    for i in range(n):
        label = i % 2
        k = int(rng.integers(4, 12))
        words = list(rng.choice(CLEAN, size=k))
        if label:
            words[: max(1, k // 3)] = list(rng.choice(TOXIC, size=max(1, k // 3)))
        out.append((words, label))
    return out


def train(dim: int = 8, epochs: int = 300, lr: float = 0.5, seed: int = 0
          ) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # No EOS entry: fastText skips words it does not know, so a line of unknown words has no
    # prediction at all (the stage scores it 0) instead of whatever EOS's vector learned.
    vocab = sorted(set(TOXIC) | set(CLEAN))
    index = {w: i for i, w in enumerate(vocab)}
    data = corpus(rng)
    inp = (rng.random((len(vocab), dim)) - 0.5) / dim
    out = np.zeros((len(LABELS), dim))
    bags = np.zeros((len(data), len(vocab)))
    for r, (words, _) in enumerate(data):
        for w in words:
            bags[r, index[w]] += 1
    bags /= bags.sum(1, keepdims=True)
    y = np.array([lab for _, lab in data])
    for _ in range(epochs):
        hidden = bags @ inp
        logits = hidden @ out.T
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = p.copy()
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        grad_out = g.T @ hidden
        grad_inp = bags.T @ (g @ out)
        out -= lr * grad_out * 10
        inp -= lr * grad_inp * 10
    return vocab, inp.astype(np.float32), out.astype(np.float32)


def write_bin(path: Path, vocab: list[str], inp: np.ndarray, out: np.ndarray) -> None:
    dim = inp.shape[1]
    with open(path, "wb") as f:
        f.write(struct.pack("<ii", MAGIC, VERSION))
        # args: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
        f.write(struct.pack("<12id", dim, 5, 5, 1, 5, 1, LOSS_SOFTMAX, MODEL_SUP, 0, 0, 0, 100, 1e-4))
        entries = [(w, 0) for w in vocab] + [(lab, 1) for lab in LABELS]
        # dictionary: size nwords nlabels ntokens pruneidx_size(-1: not pruned)
        f.write(struct.pack("<iiiqq", len(entries), len(vocab), len(LABELS), 1000, -1))
        for word, kind in entries:
            f.write(word.encode() + b"\0")
            f.write(struct.pack("<qb", 10, kind))
        f.write(struct.pack("<?", False))
        f.write(struct.pack("<qq", *inp.shape))
        f.write(np.ascontiguousarray(inp, "<f4").tobytes())
        f.write(struct.pack("<?", False))
        f.write(struct.pack("<qq", *out.shape))
        f.write(np.ascontiguousarray(out, "<f4").tobytes())


def main(path: Path | None = None) -> Path:
    path = path or Path(__file__).resolve().parent / "tiny_toxic.bin"
    write_bin(path, *train())
    return path


if __name__ == "__main__":
    print(main())
