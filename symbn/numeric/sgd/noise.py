"""Random streams of the simulations: per-seed generators, initial weights, blocked draws.

Seed k of base seed s owns its generators (children of SeedSequence(s, spawn_key=(k,))),
so its run does not depend on which or how many other seeds run beside it, nor on the
process that runs it.
"""
from __future__ import annotations

import math

import numpy as np

STREAMS = ("init", "train", "test", "normal", "chisquare", "label")
"""Children of a seed's SeedSequence: initial weights, training batches, test sets, the order
sampler's Wishart normals and chi-squares (one kind per stream, so blocking never interleaves
kinds), and the teacher's output noise. SeedSequence.spawn numbers its children, so adding a
stream at the end leaves the others' numbers unchanged."""


def seed_streams(seed, index, n=len(STREAMS)):
    """``n`` independent Generators for seed ``index``: children of SeedSequence(seed).spawn(index+1)[index]."""
    parent = np.random.SeedSequence(seed, spawn_key=(int(index),))
    return [np.random.default_rng(s) for s in parent.spawn(n)]


def init_weights(rng, N, K, M):
    """J (K x N) then B (M x N), iid N(0, 1/N) entries, drawn from ``rng``."""
    J = rng.standard_normal((K, N)) / math.sqrt(N)
    B = rng.standard_normal((M, N)) / math.sqrt(N)
    return J, B


class Noise:
    """Per-seed standard normals (or chi-squares) in blocks of steps: ``next()`` -> (S, *shape).

    Drawing a block of c steps from a Generator gives the same numbers as c single
    draws, so results do not depend on the block size (hence on the number of seeds).
    """

    BUDGET = 1 << 23  # floats held per block across all seeds (64 MB)

    def __init__(self, rngs, shape, scale=1.0, kind="normal", df=None, max_block=4096):
        self.rngs, self.shape, self.scale, self.kind, self.df = rngs, tuple(shape), scale, kind, df
        per = max(1, int(np.prod(self.shape)) * len(rngs))
        self.block = max(1, min(max_block, self.BUDGET // per))
        self.buf, self.pos = None, 0

    def keep(self, mask):
        """Only the seeds where ``mask`` (S,) is True from now on; each keeps its own future draws."""
        self.rngs = [rng for rng, k in zip(self.rngs, mask) if k]
        if self.buf is not None:
            self.buf = self.buf[np.asarray(mask, dtype=bool)]

    def limit(self, steps):
        """Never prefetch more than ``steps`` steps (block size does not change the numbers)."""
        if self.buf is None:
            self.block = max(1, min(self.block, int(steps)))

    def _fill(self):
        if self.buf is None:
            self.buf = np.empty((len(self.rngs), self.block) + self.shape)
        for s, rng in enumerate(self.rngs):
            if self.kind == "normal":
                rng.standard_normal(out=self.buf[s])
            else:
                self.buf[s] = rng.chisquare(self.df, size=(self.block,) + self.shape)
        if self.scale != 1.0:
            self.buf *= self.scale
        self.pos = 0

    def next(self):
        if self.buf is None or self.pos == self.block:
            self._fill()
        out = self.buf[:, self.pos]
        self.pos += 1
        return out

    def take(self, n):
        """The next ``n`` steps' draws, (S, n, *shape): the numbers ``n`` calls of ``next()`` give
        (a view of the block when it holds them, valid until the next draw)."""
        parts = []
        while n > 0:
            if self.buf is None or self.pos == self.block:
                self._fill()
            m = min(n, self.block - self.pos)
            parts.append(self.buf[:, self.pos:self.pos + m])
            self.pos += m
            n -= m
        if not parts:
            return np.empty((len(self.rngs), 0) + self.shape)
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
