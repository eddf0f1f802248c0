"""Initial conditions for the order-parameter ODEs.

An :class:`InitialState` holds Q (K x K), R (K x M), T (M x M), the gains g (K, or None for
"all ones") and the second layers w (K, student) and v (M, teacher), None for all ones.
Ways to make one:

* :func:`from_matrices` -- explicit matrices (validated);
* :func:`load` / :func:`save` -- a JSON file with keys ``Q``, ``R``, ``T`` and
  optionally ``g``, ``w``, ``v`` (nested lists);
* :func:`random` -- the paper's initialisation: J_il, B_nl iid N(0, 1/N), g = 1,
  for a given N and seed. It draws the weights exactly as
  :func:`symbn.numeric.sgd.simulate.simulate` does for (seed, index), so the ODE can
  start from a simulation's actual initial state;
* :func:`symmetric` -- the symmetric-phase ansatz (K = M, T = I, Q_ii = Q,
  Q_ij = C, R_ii = R, R_in = S, g_i = g);
* :func:`near_fixed_point` -- the symmetric fixed point (generated code) plus a
  perturbation of the reduced order parameters.

Validity (checked once, at construction): finite entries, Q and T symmetric,
Q_ii > 0, T_nn > 0, every correlation |C_ab| / sqrt(C_aa C_bb) <= 1 (raw
overlaps; the BN primed covariances share the correlations), [[Q, R], [R^T, T]]
positive semi-definite (it is a Gram matrix) and g_i > 0.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.files import write_atomic
from symbn.numeric.symmetric import closed_form as symmetric_phase
from symbn.numeric.sgd.noise import STREAMS, init_weights, seed_streams

KEYS = ("Q", "R", "T", "g", "w", "v")
REDUCED = ("R", "S", "Q", "C", "g")
CORRELATION_SLACK = 1e-9  # |correlation| may exceed 1 by this much (round-off in a Gram matrix)


@dataclass(frozen=True)
class InitialState:
    """Order parameters at t = 0; build with the functions of this module (they validate)."""

    Q: np.ndarray
    R: np.ndarray
    T: np.ndarray
    g: np.ndarray | None = None
    w: np.ndarray | None = None
    v: np.ndarray | None = None

    @property
    def K(self) -> int:
        return self.Q.shape[0]

    @property
    def M(self) -> int:
        return self.T.shape[0]

    def to_dict(self):
        """Plain lists under keys Q, R, T (and g, w, v when set), as written by :func:`save`."""
        out = {"Q": self.Q.tolist(), "R": self.R.tolist(), "T": self.T.tolist()}
        for k in ("g", "w", "v"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k).tolist()
        return out


def matrix(name, value, shape=None):
    """``value`` as a finite 2-d float array (of ``shape`` if given)."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a matrix of real numbers, got {value!r}") from None
    if arr.ndim != 2 or (shape is not None and arr.shape != shape):
        want = f"shape {shape}" if shape is not None else "a 2-d matrix"
        raise ParameterError(f"{name} must be {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must be finite")
    return arr


def symmetric_matrix(name, value, shape=None):
    """``value`` as a symmetric matrix (symmetrised to round-off) with a positive diagonal."""
    arr = matrix(name, value, shape)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] < 1:
        raise ParameterError(f"{name} must be a non-empty square matrix, got shape {arr.shape}")
    scale = max(1.0, float(np.abs(arr).max()))
    asym = float(np.abs(arr - arr.T).max())
    if asym > 1e-10 * scale:
        raise ParameterError(f"{name} must be symmetric, max |{name} - {name}^T| = {asym:.3g}")
    out = (arr + arr.T) / 2
    d = np.diag(out)
    if np.any(d <= 0):
        i = int(np.argmin(d))
        raise ParameterError(f"{name}[{i},{i}] must be > 0, got {d[i]!r}")
    return out


def check_correlations(Q, R, T, slack=CORRELATION_SLACK):
    """None if every |C_ab| <= sqrt(C_aa C_bb) (1 + slack) in the raw overlaps, else a message."""
    C = np.block([[Q, R], [R.T, T]])
    d = np.sqrt(np.diag(C))
    rho = np.abs(C) / (d[:, None] * d[None, :])
    a, b = np.unravel_index(int(np.argmax(rho)), rho.shape)
    if rho[a, b] > 1 + slack:
        K = Q.shape[0]
        name = lambda u: f"student {u}" if u < K else f"teacher {u - K}"  # noqa: E731
        return f"|correlation| of {name(a)} and {name(b)} is {rho[a, b]:.12g} > 1"
    return None


def from_matrices(Q, R, T=None, g=None, w=None, v=None) -> InitialState:
    """A validated :class:`InitialState`; T defaults to the identity, g, w, v to None (= all ones)."""
    Q = symmetric_matrix("Q", Q)
    K = Q.shape[0]
    R = matrix("R", R)
    if R.shape[0] != K or R.shape[1] < 1:
        raise ParameterError(f"R must have shape ({K}, M) to match Q, got {R.shape}")
    M = R.shape[1]
    T = np.eye(M) if T is None else symmetric_matrix("T", T, (M, M))
    if g is not None:
        g = np.array(validate.positive("g", g), dtype=float)
        if g.shape != (K,):
            raise ParameterError(f"g must have shape ({K},), got {g.shape}")
    w = None if w is None else validate.vector("w", w, K)
    v = None if v is None else validate.vector("v", v, M)
    msg = check_correlations(Q, R, T) or check_gram(Q, R, T)
    if msg:
        raise ParameterError(f"initial state is not a Gram matrix: {msg}")
    return InitialState(Q, R, T, g, w, v)


def check_gram(Q, R, T, tol=1e-10):
    """None if [[Q, R], [R^T, T]] is positive semi-definite (to tol times its largest diagonal)."""
    G = np.block([[Q, R], [R.T, T]])
    low = float(np.linalg.eigvalsh(G)[0])
    if low < -tol * float(np.max(np.diag(G))):
        return f"[[Q, R], [R^T, T]] has a negative eigenvalue {low:.6g}"
    return None


def from_dict(d) -> InitialState:
    """From a mapping with keys Q, R and optionally T, g (e.g. parsed JSON)."""
    if not isinstance(d, dict):
        raise ParameterError(f"initial state must be a JSON object with keys {', '.join(KEYS)}")
    unknown = sorted(set(d) - set(KEYS))
    if unknown:
        raise ParameterError(f"unknown initial-state keys {unknown}; allowed: {', '.join(KEYS)}")
    missing = [k for k in ("Q", "R") if k not in d]
    if missing:
        raise ParameterError(f"initial state needs keys Q and R; missing {', '.join(missing)}")
    return from_matrices(d["Q"], d["R"], d.get("T"), d.get("g"), d.get("w"), d.get("v"))


def load(path) -> InitialState:
    """Read a JSON file with keys Q, R, T (optional, identity) and g, w, v (optional, ones)."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ParameterError(f"cannot read initial state {str(path)!r}: {e.strerror}") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParameterError(f"initial state {str(path)!r} is not valid JSON: {e}") from None
    return from_dict(d)


def save(state: InitialState, path):
    """Write ``state`` as JSON, atomically (floats with repr precision, so load(save(s)) == s)."""
    try:
        write_atomic(path, json.dumps(state.to_dict(), indent=1) + "\n")
    except OSError as e:
        raise ParameterError(f"cannot write {str(path)!r}: {e.strerror or e}") from None


def random(K, M, N, seed=0, index=0, g=None) -> InitialState:
    """The paper's random start: J (K x N), B (M x N) iid N(0, 1/N); Q = J J^T, R = J B^T, T = B B^T.

    The weights come from the same stream as ``simulate.simulate(..., seed=seed)``
    uses for seed index ``index``, so both start from identical order parameters.
    ``g`` defaults to None (all ones, as in the paper).
    """
    K, M, N = validate.count("K", K), validate.count("M", M), validate.count("N", N)
    seed, index = validate.count("seed", seed, low=0), validate.count("index", index, low=0)
    J, B = init_weights(seed_streams(seed, index)[STREAMS.index("init")], N, K, M)
    return from_matrices(J @ J.T, J @ B.T, B @ B.T, g)


def symmetric(K, R, S, Q, C, g=None) -> InitialState:
    """Symmetric-phase state: K = M, T = I, Q_ii = Q, Q_ij = C, R_ii = R, R_in = S, g_i = g."""
    K = validate.count("K", K)
    eye, ones = np.eye(K), np.ones((K, K))
    vals = [float(validate.finite(n, v)) for n, v in zip("RSQC", (R, S, Q, C))]
    R_, S_, Q_, C_ = vals
    gv = None if g is None else np.full(K, float(validate.positive("g", g)))
    return from_matrices((Q_ - C_) * eye + C_ * ones, (R_ - S_) * eye + S_ * ones, eye, gv)


def near_fixed_point(model, K, tau, perturbation=1e-3) -> InitialState:
    """Symmetric start at the fixed point of ``model`` (K = M, T = I) plus a perturbation.

    At the fixed point every student is J* = r sum_n B_n (R* = S* = r, Q* = C* = K r^2).
    A number ``delta`` moves each student towards its own teacher, J_i = J* + delta B_i:
    R += delta, Q += 2 r delta + delta^2, C += 2 r delta (S unchanged) -- a valid Gram
    matrix, in the direction in which the students specialise. A dict of offsets
    for the reduced parameters R, S, Q, C (and g for BN) is applied as given (and
    must still give a Gram matrix). Vanilla: Q* = C* = 1/(K + (K-1) tau),
    R* = S* = 1/sqrt(K (K + (K-1) tau)); BN: the closure Q = 1/g^2 member of the
    fixed-point family.
    """
    K, tau = validate.count("K", K), float(validate.positive("tau", tau))
    fp = {k: float(v) for k, v in symmetric_phase.fixed_point(model, K, tau=tau).items()}
    if isinstance(perturbation, dict):
        unknown = sorted(set(perturbation) - set(fp))
        if unknown:
            raise ParameterError(f"cannot perturb {unknown}; reduced parameters of {model}: {', '.join(fp)}")
        offsets = {k: float(validate.finite(f"perturbation[{k}]", v)) for k, v in perturbation.items()}
    else:
        delta, r = float(validate.finite("perturbation", perturbation)), fp["R"]
        offsets = {"R": delta, "Q": 2 * r * delta + delta**2, "C": 2 * r * delta}
    for k, v in offsets.items():
        fp[k] += v
    return symmetric(K, fp["R"], fp["S"], fp["Q"], fp["C"], fp.get("g"))


def reduced(state: InitialState, atol=1e-12):
    """The reduced parameters (R, S, Q, C[, g]) of a symmetric-phase state; ParameterError if not symmetric."""
    K = state.K
    if state.M != K or not np.allclose(state.T, np.eye(K), rtol=0, atol=atol):
        raise ParameterError("a symmetric-phase state needs M = K and T = identity")
    Q, R = state.Q, state.R
    off = ~np.eye(K, dtype=bool)
    out = {"R": R[0, 0], "S": R[off][0] if K > 1 else 0.0, "Q": Q[0, 0], "C": Q[off][0] if K > 1 else 0.0}
    ok = (np.allclose(np.diag(R), out["R"], rtol=0, atol=atol) and np.allclose(np.diag(Q), out["Q"], rtol=0, atol=atol)
          and (K == 1 or (np.allclose(R[off], out["S"], rtol=0, atol=atol)
                          and np.allclose(Q[off], out["C"], rtol=0, atol=atol))))
    if state.g is not None:
        out["g"] = state.g[0]
        ok = ok and np.allclose(state.g, out["g"], rtol=0, atol=atol)
    if not ok:
        raise ParameterError("state is not of the symmetric form Q_ii = Q, Q_ij = C, R_ii = R, R_in = S, g_i = g")
    return {k: float(v) for k, v in out.items()}


__all__ = ["InitialState", "from_matrices", "from_dict", "load", "save", "random", "symmetric",
           "near_fixed_point", "reduced", "check_correlations", "check_gram"]
