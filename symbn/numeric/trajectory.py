"""One result type for trajectories, from the ODEs and from SGD simulations.

Time is alpha = steps / N (the ODE time t). Arrays put the times axis after any run axes:
an ODE trajectory has none, a simulation has the seeds first:

==========  ==========================  ===================================
field       ODE                         simulation (S seeds)
==========  ==========================  ===================================
alpha       (n,)                        (n,)
eps_g       (n,)                        (S, n)
Q           (n, K, K)                   (S, n, K, K)
R           (n, K, M)                   (S, n, K, M)
T           (n, M, M)                   (S, n, M, M)
g           (n, K) or None (no gains)   (S, n, K) or None
w           (n, K) or None (fixed)      (S, n, K) or None
==========  ==========================  ===================================

``params`` holds every input that defines the run (K, M, tau, eta, b and the method's
own: N, method, normalizer, seed / solver, rtol, atol); they are also attributes
(``tr.tau``, ``tr.N``). ``initial`` is the state at alpha = 0 (same keys, no times axis).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

STATE = ("Q", "R", "T", "g", "beta", "w")


@dataclass
class Trajectory:
    model: str
    alpha: np.ndarray
    eps_g: np.ndarray
    state: Mapping
    params: dict
    initial: Mapping
    seeds: np.ndarray | None = None          # seed indices (simulations); None for the ODE
    eps_test: np.ndarray | None = None       # test-set estimate of the trained network (simulations)
    reduced: dict | None = None              # reduced symmetric ODE: R, S, Q, C[, g] over time
    nfev: int = 0                            # right-hand side evaluations (ODE)
    elapsed: float = field(default=0.0, compare=False)   # wall time of the integration / SGD loop

    Q = property(lambda self: self.state["Q"], doc="Q_ij = J_i . J_j")
    R = property(lambda self: self.state["R"], doc="R_in = J_i . B_n")
    T = property(lambda self: self.state["T"], doc="T_nm = B_n . B_m (constant in time)")
    g = property(lambda self: self.state.get("g"), doc="BN gains g_i, None for models without")
    beta = property(lambda self: self.state.get("beta"), doc="BN biases (bn-full), else None")
    w = property(lambda self: self.state.get("w"),
                 doc="the student's second layer when it learns (eta_w > 0), else None (fixed: params['w'])")

    def __getattr__(self, name):
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def t(self):
        """The ODE time t, the same numbers as ``alpha``."""
        return self.alpha

    @property
    def K(self):
        return self.params["K"]

    @property
    def M(self):
        return self.params["M"]

    @property
    def steps(self):
        """SGD steps at the recorded times, alpha N (simulations)."""
        return np.rint(self.alpha * self.params["N"]).astype(int)

    def to_json(self, order_params=True) -> dict:
        """The JSON document: model, params, alpha, eps_g; ``t`` (ODE) or ``seeds`` and ``steps``
        (simulations); eps_test if recorded; the reduced values R, S, Q, C[, g] of a reduced
        integration, else (with ``order_params``) Q, R, T, g (None without gains), beta and w
        (when present); ``elapsed_s``, the wall time of the integration or of the SGD loop alone.
        NaN and inf are written as null."""
        doc = {"model": self.model, "params": {"model": self.model, **self.params},
               "alpha": self.alpha.tolist()}
        if self.seeds is None:
            doc["t"] = self.alpha.tolist()
        else:
            doc["params"]["steps"] = int(self.steps[-1])
            doc["seeds"] = [int(k) for k in self.seeds]
            doc["steps"] = self.steps.tolist()
        doc["eps_g"] = finite_lists(self.eps_g)
        doc["elapsed_s"] = float(self.elapsed)
        if self.eps_test is not None:
            doc["eps_test"] = finite_lists(self.eps_test)
        if self.reduced is not None:
            doc.update({k: finite_lists(v) for k, v in self.reduced.items()})
        elif order_params:
            for k in STATE:
                v = self.state.get(k)
                if v is not None or k == "g":
                    doc[k] = None if v is None else finite_lists(v)
        return doc

    def initial_state(self, seed=0) -> dict:
        """The state at alpha = 0 as plain lists {Q, R, T[, g][, beta]}, of seed position ``seed``
        for simulations: the ``symbn ode --init`` JSON document of the same start."""
        lead = () if self.seeds is None else (seed,)
        return {k: np.asarray(v)[lead].tolist() for k, v in self.initial.items() if v is not None}


class SymmetricState(Mapping):
    """Full order parameters of reduced values {R, S, Q, C[, g]: (n,)} on the symmetric ansatz
    (K = M, T = I), built on first access (n K^2 floats each)."""

    def __init__(self, reduced, K):
        self.reduced, self.K, self._built = reduced, K, {}

    def _keys(self):
        return ("Q", "R", "T") + (("g",) if "g" in self.reduced else ())

    def __getitem__(self, key):
        if key not in self._keys():
            raise KeyError(key)
        if key not in self._built:
            r, n, eye = self.reduced, len(self.reduced["R"]), np.eye(self.K)
            if key == "g":
                value = np.repeat(np.asarray(r["g"])[:, None], self.K, axis=1)
            elif key == "T":
                value = np.broadcast_to(eye, (n, self.K, self.K))
            else:
                diag, off = (r["Q"], r["C"]) if key == "Q" else (r["R"], r["S"])
                value = (np.asarray(diag) - off)[:, None, None] * eye + np.asarray(off)[:, None, None]
            self._built[key] = value
        return self._built[key]

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())


def finite_lists(a):
    """Nested lists of floats with NaN/inf as None (valid JSON)."""
    a = np.asarray(a, dtype=float)
    if np.all(np.isfinite(a)):
        return a.tolist()
    return np.where(np.isfinite(a), a, None).tolist()
