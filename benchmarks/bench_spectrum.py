"""Benchmark: Hessian spectra at the symmetric fixed point for 10^6 (K, tau) points.

Run: python benchmarks/bench_spectrum.py [--points 1000000] [--sample 2000]

Compared in the same run, per model:
  ours  symbn.spectrum(model, K, tau=tau): the generated closed-form characteristic polynomial of
        the Hessian at the fixed point, evaluated on the whole grid at once (in cache-sized
        chunks), and its roots by symbn.numeric.symmetric.polyroots (every eigenvalue to a few ulps);
  (h)   the generated closed-form Hessian + a stacked numpy.linalg.eigvalsh (normwise accurate
        only; what spectrum did before the charpoly), for reference;
  (a)   sympy.lambdify (numpy, cse=True) of the UN-reduced Hessian, i.e. sympy.hessian of
        curvature.reduced_eps_g(model) in (R, S, Q, C|g, K, tau) before the fixed point is
        substituted, called point by point with the point's fixed point, then eigvalsh of
        the 4x4; timed on a random sample of points and extrapolated;
  (b)   central finite differences (step h = 1e-4 * |x|, 33 evaluations of the generated
        eps_g for the 4x4 Hessian, C = Q moved together for BN) vectorised over the whole grid
        in numpy, then a stacked eigvalsh; timed on the full grid.
Reports points/s and the speed-up of ours over (a), (b) and (h), plus the max deviation of
(a), (b) and (h) from ours relative to max|lambda| at each point.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def grid(n, seed=0):
    rng = np.random.default_rng(seed)
    K = rng.integers(1, 1001, n).astype(float)
    tau = 10.0 ** rng.uniform(-3, 3, n)
    return K, tau


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def unreduced(model_name):
    import sympy as sp

    from symbn import models
    from symbn.symbolic import curvature
    from symbn.symbolic import symbols as sy

    model = models.get(model_name, "forward")
    omega = curvature.hessian_variables(model)
    H = sp.hessian(curvature.reduced_eps_g(model), omega)
    return tuple(str(v) for v in omega), sp.lambdify(omega + (sy.K, sy.tau), H, modules="numpy", cse=True)


def hessian_eigvalsh(name, K, tau):
    from symbn.numeric.symmetric import closed_form as sym

    hess, chunk = sym.family(name).hessian, 1 << 14
    out = np.empty(K.shape + (4,))
    for s in range(0, K.size, chunk):
        out[s:s + chunk] = np.linalg.eigvalsh(hess(K[s:s + chunk], tau[s:s + chunk]))
    return out


def finite_difference(name, K, tau):
    from symbn.generated import bn, vanilla
    from symbn.numeric.symmetric import closed_form as sym

    gen = {"vanilla": vanilla, "bn": bn}[name]
    fp = sym.fixed_point(name, K, tau=tau)
    omega = list(gen.HESSIAN_VARIABLES)
    x0 = np.stack([fp[v] for v in omega], axis=-1)
    h = 1e-4 * np.abs(x0)

    def eps(x):
        d = dict(zip(omega, np.moveaxis(x, -1, 0)))
        if name == "bn":
            return gen.eps_g(d["R"], d["S"], d["Q"], d["Q"], d["g"], K, tau)   # C = Q
        return gen.eps_g(d["R"], d["S"], d["Q"], d["C"], K, tau)

    H = np.empty(K.shape + (4, 4))
    f0 = eps(x0)
    E = np.eye(4)
    for i in range(4):
        ei = E[i] * h[..., i:i + 1]
        H[..., i, i] = (eps(x0 + ei) - 2 * f0 + eps(x0 - ei)) / h[..., i] ** 2
        for j in range(i + 1, 4):
            ej = E[j] * h[..., j:j + 1]
            H[..., i, j] = H[..., j, i] = (eps(x0 + ei + ej) - eps(x0 + ei - ej) - eps(x0 - ei + ej)
                                           + eps(x0 - ei - ej)) / (4 * h[..., i] * h[..., j])
    return np.linalg.eigvalsh(H)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=2000)
    args = p.parse_args(argv)

    import symbn
    from symbn.numeric.symmetric import closed_form as sym

    K, tau = grid(args.points)
    symbn.spectrum("vanilla", K[:10], tau=tau[:10])   # warm imports
    print(f"{args.points:,} points, K uniform in 1..1000, tau log-uniform in 1e-3..1e3; best of 3\n")
    for name in ("vanilla", "bn"):
        t_ours, eig = best_of(lambda: sym.spectrum(name, K, tau=tau))
        assert eig.shape == (args.points, 4) and np.all(np.isfinite(eig))
        scale = np.abs(eig).max(axis=-1)

        names, hess = unreduced(name)
        idx = np.random.default_rng(1).choice(args.points, args.sample, replace=False)
        fps = sym.fixed_point(name, K[idx], tau=tau[idx])
        fp_rows = [[float(fps[v][n]) for v in names] for n in range(args.sample)]

        def pointwise():
            out = np.empty((args.sample, 4))
            for n, i in enumerate(idx):
                out[n] = np.linalg.eigvalsh(np.array(hess(*fp_rows[n], K[i], tau[i]), dtype=float))
            return out

        t_a, eig_a = best_of(pointwise)
        t_a_full = t_a / args.sample * args.points
        dev_a = np.max(np.abs(eig_a - eig[idx]).max(axis=-1) / scale[idx])

        t_h, eig_h = best_of(lambda: hessian_eigvalsh(name, K, tau))
        dev_h = np.max(np.abs(eig_h - eig).max(axis=-1) / scale)

        t_b, eig_b = best_of(lambda: finite_difference(name, K, tau), repeat=1)
        dev_b = np.max(np.abs(eig_b - eig).max(axis=-1) / scale)

        print(f"[{name}]")
        print(f"  ours   symbn.spectrum, one call     {t_ours:8.3f} s  {args.points / t_ours:12,.0f} points/s")
        print(f"  (a)    lambdify un-reduced, per pt  {t_a_full:8.1f} s  {args.points / t_a_full:12,.0f} points/s"
              f"  (extrapolated from {args.sample} points: {t_a:.3f} s)  ours is {t_a_full / t_ours:,.0f}x faster;"
              f" max |d lambda| / max|lambda| = {dev_a:.1e}")
        print(f"  (b)    finite differences, numpy    {t_b:8.3f} s  {args.points / t_b:12,.0f} points/s"
              f"  ours is {t_b / t_ours:,.1f}x faster; max |d lambda| / max|lambda| = {dev_b:.1e}")
        print(f"  (h)    Hessian + eigvalsh, chunked  {t_h:8.3f} s  {args.points / t_h:12,.0f} points/s"
              f"  ours is {t_h / t_ours:,.1f}x faster; max |d lambda| / max|lambda| = {dev_h:.1e}\n")


if __name__ == "__main__":
    main()
