"""Print the ODE-vs-simulation plateau exits of docs/escape.md: python scripts/escape_ode_exits.py

K = M = 2, tau = 1, N = 200, eta = 1, b = 10, 8 seeds of base seed 0, order sampler, population
normaliser, alpha <= 400. Per seed: the linear-theory exit (symbn.numeric.analysis.plateau_length.predict),
the exit of the full ODE started from the seed's own initial state, and the simulated exit
(symbn.numeric.analysis.plateau.exits: first alpha with eps_g < eps_g*/2, on a grid of 0.1 in alpha).
Then, for vanilla seed 0 along its ODE, the unstable amplitude |P x(s)| e^{-lambda s} and the
rest |(1 - P) x(s)| (x = state - fixed point, P the projector of plateau_length.unstable_projector),
and the zero-eigenvalue eigenvector of the reduced vanilla Jacobian in (R, S, Q, C).

Measured: 80-87 s (nice -n 10, 2 cores shared with another job).
"""
import time

import numpy as np

import symbn
from symbn.numeric.analysis import escape
from symbn.numeric import jobs
from symbn.numeric.ode.system import System
from symbn.numeric.analysis import plateau
from symbn.numeric.analysis import plateau_length as pl

K, TAU, N, ETA, B, SEEDS, ALPHA = 2, 1.0, 200, 1.0, 10, 8, 400.0
TIMES = np.linspace(0.0, ALPHA, int(ALPHA * 10) + 1)


def exits(model):
    tr = symbn.simulate(model, K, K, N=N, steps=int(ALPHA * N), tau=TAU, eta=ETA, b=B, normalizer="population",
                        method="order", seeds=SEEDS, seed=0, every=N // 10)
    pred = pl.predict(model, K, TAU, tr.initial["Q"], tr.initial["R"], tr.initial.get("g"), eta=ETA)["alpha"]
    height = plateau.plateau_height(model, K, TAU)
    ode_exit = [plateau.plateau(TIMES, symbn.integrate(model, init=tr.initial_state(s), tau=TAU, eta=ETA, b=B,
                                                       times=TIMES).eps_g, height=height).exit_alpha[0]
                for s in range(SEEDS)]
    return pred, np.array(ode_exit), plateau.exits(tr)


t0 = time.perf_counter()
models = ("vanilla", "bn-paper", "bn-exact")
fmt = lambda a: " / ".join(f"{x:.1f}" for x in a)
print("| model | linear prediction, seeds 0-7 | ODE | simulation | median simulation / ODE | median ODE / prediction |")
print("|---|---|---|---|---|---|")
for model, (pred, ode_exit, sim_exit) in zip(models, jobs.run(exits, [{"model": m} for m in models])):
    print(f"| {model} | {fmt(pred)} | {fmt(ode_exit)} | {fmt(sim_exit)} | {np.median(sim_exit / ode_exit):.2f} | "
          f"{np.median(ode_exit / pred):.2f} |")

lam, P, ystar = pl.unstable_projector("vanilla", K, TAU)
start = symbn.simulate("vanilla", K, K, N=N, steps=0, tau=TAU, b=B, normalizer="population", seeds=1, seed=0)
s = np.array([0.0, 15.0, 46.0])
tr = symbn.integrate("vanilla", init=start.initial_state(0), tau=TAU, eta=ETA, b=B, times=s)
x = [System("vanilla", K, K, tau=TAU).pack(Q, R) - ystar for Q, R in zip(tr.Q, tr.R)]
print(f"\nvanilla seed 0 along its ODE, s = eta alpha = {', '.join(f'{v:g}' for v in s)}:")
print("  |P x(s)| exp(-lambda s) =", ", ".join(f"{np.linalg.norm(P @ v) * np.exp(-lam * t):.3f}" for v, t in zip(x, s)))
print("  |(1 - P) x(s)|          =", ", ".join(f"{np.linalg.norm(v - P @ v):.2f}" for v in x))
ev, V = np.linalg.eig(escape.jacobian("vanilla", K, tau=TAU))
zero = V[:, np.argmin(np.abs(ev))].real
zero *= -np.sign(zero[2])          # sign convention: Q component negative
print(f"reduced vanilla Jacobian: eigenvalues {np.round(np.sort(ev.real), 4)}; zero-eigenvalue eigenvector "
      f"(R, S, Q, C) = {np.round(zero, 2)}")
print(f"\n({time.perf_counter() - t0:.0f} s)")
