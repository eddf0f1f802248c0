"""Defaults shared by the Python API and the command line, in one place so they cannot drift.

Plain data (no NumPy): the CLI builds its parser from these without importing the numeric layer.
"""
NETWORK = dict(activation="erf", eta_w=0.0, noise=0.0, weight_decay=0.0)
"""The network around the model, for the ODEs and the simulators: the paper's soft committee
machine (erf; second layers fixed to 1 (eta_w = 0); no output noise; no weight decay)."""

SIMULATE = dict(N=100, steps=1000, tau=1.0, eta=1.0, b=1, normalizer="batch", method="order", seeds=1, seed=0,
                **NETWORK)
"""``symbn.simulate`` and ``symbn simulate``."""
SIMULATION_METHODS = ("order", "direct")
NORMALIZERS = ("batch", "population")

ODE = dict(tau=1.0, eta=1.0, b=1, N=1000, seed=0, method="RK45", rtol=1e-8, atol=1e-10, **NETWORK)
"""``symbn.integrate`` and ``symbn ode`` (N, seed: the paper's random start, as ``simulate``'s;
method, rtol, atol: the solve_ivp defaults, see :mod:`symbn.numeric.ode.solver`)."""

SWEEP = dict(tau=1.0, eta=1.0, b=1, seeds=1, base=0, N=500, t=200.0, points=201, steps=100_000, method="order",
             normalizer="batch", **NETWORK)
"""``symbn sweep``: one value per axis (the paper's K = 2 teacher-student pair at eta = tau = 1), the
paper's random start at N = 500, alpha = 200 (ODE; 100,000 steps = alpha 200 simulated)."""
