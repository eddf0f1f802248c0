"""Speed of the direct simulation vs the exact order-parameter sampler (not a test).

    python benchmarks/bench_simulate.py [--model bn-exact] [--seconds 1.0]

K = M = 2, tau = 1, eta = 1; N = 100, 1000, 10000; b = 1 and 100. For each cell: steps/s
with one seed, and seed-steps/s vectorised over 100 seeds (fewer for the direct simulation
when S b N floats per step would exceed 2e7 = 160 MB; the seed count used is shown).
Only the SGD loop is timed (Trajectory.elapsed), not drawing the initial weights.
Prints a markdown table with the order/direct ratios measured in the same run.
Reference: a published C++ simulator takes 8.4 s for 2e5 single-sample steps at
N = 1000, K = M = 2, i.e. about 2.4e4 steps/s.
"""
from __future__ import annotations

import argparse
import platform

import numpy as np

from symbn.numeric.sgd.simulate import simulate

MAX_FLOATS = 2e7


def rate(model, method, N, b, seeds, seconds):
    """Seed-steps per second, calibrated to run for about ``seconds``."""
    steps = 20
    while True:
        tr = simulate(model, 2, 2, N=N, steps=steps, b=b, seeds=seeds, method=method, every=steps, normalizer="batch")
        if tr.elapsed >= 0.2 * seconds or steps >= 10**7:
            break
        steps *= 4
    steps = max(steps, int(steps * seconds / max(tr.elapsed, 1e-9)))
    tr = simulate(model, 2, 2, N=N, steps=steps, b=b, seeds=seeds, method=method, every=steps, normalizer="batch")
    return seeds * steps / tr.elapsed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="bn-exact")
    p.add_argument("--seconds", type=float, default=1.0, help="target time per measurement")
    p.add_argument("--seeds", type=int, default=100)
    a = p.parse_args(argv)
    print(f"model {a.model}, K = M = 2, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}\n")
    print("| N | b | direct steps/s | order steps/s | ratio | direct seed-steps/s (seeds) "
          "| order seed-steps/s (seeds) | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for N in (100, 1000, 10000):
        for b in (1, 100):
            d1 = rate(a.model, "direct", N, b, 1, a.seconds)
            o1 = rate(a.model, "order", N, b, 1, a.seconds)
            sd = int(max(1, min(a.seeds, MAX_FLOATS // (b * N))))
            dv = rate(a.model, "direct", N, b, sd, a.seconds)
            ov = rate(a.model, "order", N, b, a.seeds, a.seconds)
            print(f"| {N} | {b} | {d1:,.0f} | {o1:,.0f} | {o1 / d1:,.1f}x | {dv:,.0f} ({sd}) "
                  f"| {ov:,.0f} ({a.seeds}) | {ov / dv:,.1f}x |", flush=True)


if __name__ == "__main__":
    main()
