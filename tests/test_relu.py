"""ReLU kernels (symbn.numeric.kernels.relu, generated/kernels_relu.py) against independent computations.

phi(x) = max(0, x), phi' = H. Every kernel is an orthant moment of its distinct Gaussian
variables y (H on each, powers of y from the relu factors; I3's free v enters through its
regression on them), which is computed here without the kernels' formulas:

* one or two distinct variables: mpmath quadrature at 20 digits over y_1 > 0 (the kink at 0 is a
  domain end) of the conditional partial moments of y_2 given y_1 (closed forms of a normal);
* three or four: a 2-d quadrature over the two relu variables in polar coordinates (tanh-sinh,
  split where the conditional means or the kinks of the conditional bivariate probability cross
  zero) of the conditional orthant probability of the other two (Owen's T), converged to < 1e-13
  (step h vs h/2, asserted);
* Monte Carlo for every kernel and index pattern (fixed seed, 200k samples, |kernel - mean| <=
  4.5 SE), with its power shown against the half-size I2 of some public code and an I4 without
  its Stein terms.
"""
import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import ndtr, owens_t

import symbn
from symbn.generated import kernels_relu
from symbn.numeric.kernels import orthant
from symbn.numeric.kernels import relu
from symbn.symbolic import integrals

ROLES = {"I2": ("phi", "phi"), "J2": ("dphi", "dphi"), "I3": ("dphi", "x", "phi"), "I4": ("dphi", "dphi", "phi", "phi")}


def partitions(n):
    """Set partitions of range(n) as block labels per position (first-occurrence order)."""
    return [lab for lab in itertools.product(range(n), repeat=n)
            if all(lab[k] <= max(lab[:k], default=-1) + 1 for k in range(n))]


def entries(labels, cov):
    n = len(labels)
    return ([cov[labels[a], labels[a]] for a in range(n)]
            + [cov[labels[a], labels[c]] for a in range(n) for c in range(a + 1, n)])


def covariance(d, seed, scale=(0.3, 3.0)):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    C = A @ A.T / d + 0.3 * np.eye(d)
    s = np.sqrt(rng.uniform(*scale, d) / np.diag(C))
    return C * s[:, None] * s[None, :]


# -- independent references -------------------------------------------------------------------

def _partial(b, mu, s):
    """E[H(Y) Y^b], Y ~ N(mu, s^2) (mpmath)."""
    z = mu / s
    P, p = mpmath.ncdf(z), mpmath.npdf(z)
    return [P, mu * P + s * p, (mu**2 + s**2) * P + mu * s * p][b]


def moment_mp(C, b):
    """E[prod_m H(y_m) y_m^b_m] for one or two variables: mpmath quadrature over y_1 > 0."""
    with mpmath.workdps(20):
        C = [[mpmath.mpf(float(x)) for x in row] for row in np.atleast_2d(C)]
        s1 = mpmath.sqrt(C[0][0])
        if len(b) == 1:
            return float(mpmath.quad(lambda y: y**b[0] * mpmath.npdf(y, 0, s1), [0, mpmath.inf]))
        slope, s2 = C[0][1] / C[0][0], mpmath.sqrt(C[1][1] - C[0][1] ** 2 / C[0][0])
        return float(mpmath.quad(lambda y: y**b[0] * mpmath.npdf(y, 0, s1) * _partial(b[1], slope * y, s2),
                                 [0, mpmath.inf]))


def _tanh_sinh(lo, hi, h):
    k = np.arange(-3.2, 3.2 + h / 2, h)
    u = np.pi / 2 * np.sinh(k)
    return lo + (hi - lo) * (np.tanh(u) + 1) / 2, h * np.pi / 2 * np.cosh(k) / np.cosh(u) ** 2 * (hi - lo) / 2


def _bvn(h, k, r):
    """P(X < h, Y < k), corr r (|r| < 1), by Owen's T."""
    s = np.sqrt((1 - r) * (1 + r))
    with np.errstate(divide="ignore", invalid="ignore"):
        th = np.where(h == 0, 0.0, owens_t(h, np.nan_to_num((k - r * h) / (h * s))))
        tk = np.where(k == 0, 0.0, owens_t(k, np.nan_to_num((h - r * k) / (k * s))))
    beta = np.where((h * k < 0) | ((h * k == 0) & (h + k < 0)), 0.5, 0.0)
    return 0.5 * (ndtr(h) + ndtr(k)) - th - tk - beta


def moment_2d(C, b, h=1 / 32):
    """E[prod_m H(y_m) y_m^b_m], d = 3 or 4: polar quadrature over the two variables with b > 0
    (or the first ones), the others by their conditional orthant probability."""
    d = len(b)
    iv = ([m for m in range(d) if b[m] > 0] + [m for m in range(d) if b[m] == 0])[:2]
    rest = [m for m in range(d) if m not in iv]
    L = np.linalg.cholesky(C[np.ix_(iv, iv)])
    G = np.linalg.solve(L, C[np.ix_(iv, rest)]).T            # conditional means = G xi
    S = C[np.ix_(rest, rest)] - G @ G.T
    sd = np.sqrt(np.diag(S))
    lo, hi = np.arctan2(-L[1, 0], L[1, 1]), np.pi / 2          # the wedge y_iv > 0
    lines = list(G) + ([G[0] / sd[0] - G[1] / sd[1], G[0] / sd[0] + G[1] / sd[1]] if len(rest) == 2 else [])
    cuts = sorted(t for g in lines for t in np.arctan2(-g[0], g[1]) + np.array([-np.pi, 0, np.pi]) if lo < t < hi)
    r, wr = _tanh_sinh(0.0, 14.0, h)
    total = 0.0
    for a, c in zip([lo] + cuts, cuts + [hi]):
        th, wt = _tanh_sinh(a, c, h)
        x1, x2 = np.cos(th)[:, None] * r, np.sin(th)[:, None] * r
        y = (L[0, 0] * x1, L[1, 0] * x1 + L[1, 1] * x2)
        f = r * np.exp(-r**2 / 2) / (2 * np.pi) * y[0] ** b[iv[0]] * y[1] ** b[iv[1]]
        mu = [g[0] * x1 + g[1] * x2 for g in G]
        if len(rest) == 1:
            f = f * ndtr(mu[0] / sd[0])
        else:
            f = f * _bvn(mu[0] / sd[0], mu[1] / sd[1], S[0, 1] / (sd[0] * sd[1]))
        total += np.sum(wt[:, None] * wr[None, :] * f)
    return total


def moment_ref(C, b):
    if len(b) <= 2:
        return moment_mp(C, b)
    fine, coarse = moment_2d(C, b), moment_2d(C, b, h=1 / 16)
    assert abs(fine - coarse) < 1e-11, "2-d reference not converged"   # h = 1/32: error ~ (that)^2
    return fine


def reference(kind, labels, C):
    """The kernel as orthant moments of its distinct variables (roles: ROLES[kind])."""
    roles = ROLES[kind]
    hv = sorted({labels[k] for k, r in enumerate(roles) if r != "x"})      # variables under H
    power = [sum(1 for k, r in enumerate(roles) if r == "phi" and labels[k] == m) for m in hv]
    Ch = C[np.ix_(hv, hv)]
    if "x" not in roles:
        return moment_ref(Ch, power)
    v = labels[roles.index("x")]                                            # I3: regress v on y_hv
    beta = np.linalg.solve(Ch, C[hv, v])
    return sum(beta[i] * moment_ref(Ch, [p + (i == j) for j, p in enumerate(power)]) for i in range(len(hv)))


def monte_carlo(kind, labels, C, n=200_000, seed=7):
    """(mean, standard error) of the kernel's integrand over n samples."""
    x = np.random.default_rng(seed).multivariate_normal(np.zeros(len(C)), C, size=n, method="cholesky")
    f = np.ones(n)
    for role, lab in zip(ROLES[kind], labels):
        f *= {"phi": relu.phi, "dphi": relu.dphi, "x": lambda z: z}[role](x[:, lab])
    return f.mean(), f.std() / np.sqrt(n)


KERNEL = {"I2": relu.I2, "J2": relu.J2, "I3": relu.I3, "I4": relu.I4}
CASES = [(kind, labels) for kind in ("I2", "J2", "I3", "I4") for labels in partitions(len(ROLES[kind]))]


@pytest.mark.parametrize("k", range(len(CASES)), ids=[f"{kd}-{''.join(map(str, l))}" for kd, l in CASES])
def test_kernel_matches_quadrature_and_sampling(k):
    """Every kernel and index pattern (2, 2, 5 and 15 set partitions), each at its own covariance."""
    kind, labels = CASES[k]
    C = covariance(max(labels) + 1, seed=k)
    value = float(KERNEL[kind](*entries(labels, C)))
    assert value == pytest.approx(reference(kind, labels, C), abs=1e-12, rel=0)
    mean, se = monte_carlo(kind, labels, C)
    assert abs(value - mean) <= 4.5 * se


def test_sampling_settles_the_convention_and_has_power():
    """<relu(u) relu(v)> is the full arc-cosine kernel, not half of it (as some public code has),
    and I4 needs its Stein terms: both wrong versions are rejected by > 50 standard errors."""
    C = covariance(2, seed=3)
    mean, se = monte_carlo("I2", (0, 1), C)
    good = relu.I2(C[0, 0], C[1, 1], C[0, 1])
    assert abs(good - mean) < 4.5 * se and abs(good / 2 - mean) > 50 * se
    C4 = covariance(4, seed=4)
    mean, se = monte_carlo("I4", (0, 1, 2, 3), C4)
    e = entries((0, 1, 2, 3), C4)
    U, _ = orthant.gram(C4 / np.sqrt(np.outer(np.diag(C4), np.diag(C4))), pivots=True)
    no_stein = C4[2, 3] * orthant.p4(U[None] / np.linalg.norm(U, axis=-1)[None, :, None])[0]
    assert abs(relu.I4(*e) - mean) < 4.5 * se and abs(no_stein - mean) > 50 * se


def near_singular(structure, eps, seed):
    """4 x 4 covariances (variances in [0.05, 20]) with a near dependency of size eps."""
    rng = np.random.default_rng(seed)
    A, p = rng.normal(size=(4, 4)), rng.permutation(4)
    if structure == "pair":
        A[p[1]] = A[p[0]] * rng.choice([-1, 1]) + eps * rng.normal(size=4)
    elif structure == "two pairs":
        A[p[2]] = A[p[0]] + eps * rng.normal(size=4)
        A[p[3]] = -A[p[1]] + eps * rng.normal(size=4)
    elif structure == "triple":
        A[p[1]] = A[p[0]] + eps * rng.normal(size=4)
        A[p[2]] = A[p[0]] + eps * rng.normal(size=4)
    elif structure == "rank 3":
        A[:, 3] *= eps
    else:                                   # rank 2
        A[:, 2:] *= eps
    C = A @ A.T
    s = np.sqrt(np.exp(rng.uniform(np.log(0.05), np.log(20), 4)) / np.diag(C))
    return C * s[:, None] * s[None, :]


STRUCTURES = ["pair", "two pairs", "triple", "rank 3", "rank 2"]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_I4_near_singular(structure):
    """<= 1e-10 down to correlations 1 - 1e-12 (lambda_min of the correlation matrix ~ 1e-12),
    against the 2-d quadrature."""
    for k, eps in enumerate([1e-1, 1e-3, 1e-5, 2e-6]):
        C = near_singular(structure, eps, seed=100 + k)
        R = C / np.sqrt(np.outer(np.diag(C), np.diag(C)))
        assert np.linalg.eigvalsh(R)[0] > 1e-14
        assert relu.I4(*entries((0, 1, 2, 3), C)) == pytest.approx(moment_ref(C, [0, 0, 1, 1]), abs=1e-10, rel=0)


def plackett_reference(R, dps=40):
    """P4 by mpmath quadrature along Plackett's original path R(t) = (1 - t) I + t R (six terms,
    base 1/16): a different path and base from symbn.numeric.kernels.orthant. 15-50 s per matrix, so its
    values for the table below are stored, not recomputed."""
    with mpmath.workdps(dps):
        R = mpmath.matrix([[mpmath.mpf(float(R[i][j])) for j in range(4)] for i in range(4)])
        pairs = list(itertools.combinations(range(4), 2))

        def integrand(t):
            Rt = mpmath.matrix(4, 4)
            for a in range(4):
                for b in range(4):
                    Rt[a, b] = 1 if a == b else t * R[a, b]
            total = 0
            for i, j in pairs:
                k, m = [x for x in range(4) if x not in (i, j)]
                P = mpmath.matrix([[Rt[a, b] for b in (i, j, k, m)] for a in (i, j, k, m)]) ** -1
                r = max(-1, min(1, -P[2, 3] / mpmath.sqrt(P[2, 2] * P[3, 3])))
                total += R[i, j] / mpmath.sqrt(1 - (t * R[i, j]) ** 2) * mpmath.asin(r)
            return total

        value = mpmath.quad(integrand, [0, 0.5, 0.9, 0.99, 0.999, 1])
        return float(mpmath.mpf(1) / 16 + sum(mpmath.asin(R[i, j]) for i, j in pairs) / (8 * mpmath.pi)
                     + value / (4 * mpmath.pi**2))


# Correlations (upper triangle, exact doubles) with lambda_min 1e-13 .. 3e-13 (rank 3, rank 2,
# rank 1, two pairs, a pair, a triple, a three-variable dependency) and plackett_reference(R, 40).
P4_TABLE = [
    (["-0x1.63b843983d618p-1", "-0x1.ce90b8ad9ea73p-1", "-0x1.1d4ff0f0b3fa2p-1", "0x1.d52d070d1b19ep-1",
      "0x1.f5b39ffe9296bp-1", "0x1.a348452bcb2eep-1"], 0.06457638079436497),
    (["0x1.e863df04d0517p-1", "-0x1.55876b8d62a62p-1", "-0x1.e986df3c67e3bp-1", "-0x1.a690a906d5302p-2",
      "-0x1.fffc53ebbe4c5p-1", "0x1.ad89085514597p-2"], 2.060005493709518e-14),
    (["0x1.fffffffffc978p-1", "-0x1.fffffffff7f74p-1", "0x1.fffffffff8a71p-1", "-0x1.fffffffff8b6fp-1",
      "0x1.fffffffff718dp-1", "-0x1.ffffffffff346p-1"], 4.373926077360833e-08),
    (["-0x1.fffffffffda64p-1", "0x1.fffffffff3a65p-1", "0x1.fffffffffda74p-1", "-0x1.fffffffff2e23p-1",
      "-0x1.ffffffffffa3dp-1", "0x1.fffffffff2acap-1"], 2.591919853026167e-08),
    (["0x1.5d3ea7f9027e4p-2", "0x1.5d3e98ac057dbp-2", "-0x1.ffffffffffa5ep-1", "0x1.ffffffffff0c0p-1",
      "-0x1.5d3eb2332ae53p-2", "-0x1.5d3ea2e62d9f8p-2"], 3.2128422339982604e-08),
    (["-0x1.c4789e062494fp-1", "0x1.4b7dc792d819ap-3", "0x1.c478a3aeaa5dep-1", "0x1.8b639c81c6b89p-5",
      "-0x1.ffffffffff440p-1", "-0x1.8b629c3223456p-5"], 7.876758732532515e-08),
    (["0x1.fffffffff9118p-1", "-0x1.0c5ed9f1cfa92p-1", "0x1.fffffffffb476p-1", "-0x1.0c5ee6b369741p-1",
      "0x1.ffffffffff840p-1", "-0x1.0c5ee72c81d3dp-1"], 0.1621892250765871),
    (["-0x1.8cb999c02d159p-4", "0x1.e50ca2d65a91cp-2", "0x1.098df107d868ap-1", "0x1.66948086692d8p-2",
      "0x1.50286632c2236p-3", "0x1.f6819adf432d3p-1"], 0.1737938059745957),
]


def test_P4_near_singular_against_40_digits():
    """Measured <= 2.4e-11 (the inputs' round-off: 1e-16 / sqrt(lambda_min) ~ 3e-10)."""
    R = np.tile(np.eye(4), (len(P4_TABLE), 1, 1))
    iu = np.triu_indices(4, 1)
    for n, (upper, _) in enumerate(P4_TABLE):
        R[n][iu] = R[n].T[iu] = [float.fromhex(x) for x in upper]
    U = orthant.gram(R)
    U /= np.linalg.norm(U, axis=-1, keepdims=True)
    np.testing.assert_allclose(orthant.p4(U), [v for _, v in P4_TABLE], rtol=0, atol=1e-10)


def test_P4_paths_and_node_counts_agree():
    """The path from each of the four variables, with 80 nodes, gives the same P4 (rank 3 and
    rank 2 structures, down to lambda_min ~ 1e-16): the quadrature has converged."""
    C = np.array([near_singular(s, eps, seed=200 + k) for s in STRUCTURES for k, eps in enumerate([1e-2, 1e-5, 1e-8])])
    sd = np.sqrt(np.diagonal(C, axis1=1, axis2=2))
    U = orthant.gram(C / sd[:, :, None] / sd[:, None, :])
    U /= np.linalg.norm(U, axis=-1, keepdims=True)
    best = orthant.p4(U)
    for a in range(4):
        np.testing.assert_allclose(orthant.p4(U, a=np.full(len(U), a), n2=80), best, rtol=0, atol=2e-10)


@pytest.mark.parametrize("labels", partitions(4))
def test_I4_repeated_arguments_are_the_limit_of_distinct_ones(labels):
    """An exact index pattern (reduced exactly) = the same pattern perturbed by 1e-7 (general
    path), to O(1e-7); a pair with correlation -1 gives 0."""
    d = max(labels) + 1
    C = covariance(d, seed=5)
    eps = 1e-7
    A = np.linalg.cholesky(C)[list(labels)]
    A = np.c_[A, eps * np.random.default_rng(6).normal(size=(4, 1))]
    near = A @ A.T
    exact = relu.I4(*entries(labels, C))
    assert relu.I4(*[near[a, a] for a in range(4)], *[near[a, b] for a, b in itertools.combinations(range(4), 2)]) \
        == pytest.approx(exact, abs=20 * eps)
    if d < 4:
        m = labels.index(max(labels))                   # flip one member of a repeated block: 0
        first = labels.index(labels[m]) if labels.count(labels[m]) > 1 else None
        if first is not None and first != m:
            flip = np.ones(4)
            flip[m] = -1
            Cf = np.array([[C[labels[a], labels[b]] for b in range(4)] for a in range(4)]) * np.outer(flip, flip)
            assert relu.I4(*np.diag(Cf), *Cf[np.triu_indices(4, 1)]) == 0


def test_float_evaluation_is_continuous_at_the_boundary():
    """rho = +-1 exactly and one ulp inside: no NaN, no jump beyond the sqrt(ulp) the kernel has."""
    c11, c22 = 0.7, 2.3
    g = np.sqrt(c11 * c22)
    c12 = np.array([g, np.nextafter(g, 0), -g, np.nextafter(-g, 0)])
    for f in (relu.I2, relu.J2, kernels_relu.I2, kernels_relu.J2):
        v = f(c11, c22, c12)
        assert np.all(np.isfinite(v)) and abs(v[0] - v[1]) < 1e-7 and abs(v[2] - v[3]) < 1e-7
    assert relu.I2(c11, c22, g) == pytest.approx(g / 2, rel=1e-15) and relu.J2(c11, c22, g) == 0.5
    assert relu.I2(c11, c22, -g) == 0.0 and relu.J2(c11, c22, -g) == 0.0
    assert relu.I3(c11, 1.0, c11, 0.3, c11, 0.3) == pytest.approx(0.15, rel=1e-15)   # <H(u) v relu(u)> = C12/2


ARGS = {"I2": 3, "I3": 6, "J2": 3}


@pytest.mark.parametrize("kind", ["I2", "I3", "J2"])
def test_generated_equals_sympy_at_30_digits(kind):
    rng = np.random.default_rng(8)
    sym = getattr(integrals.KERNELS["relu"], kind)
    for _ in range(5):
        d = 2 if ARGS[kind] == 3 else 3
        args = entries(tuple(range(d)), covariance(d, seed=int(rng.integers(1000))))
        exact = float(sp.N(sym(*[sp.Float(a, 30) for a in args]), 30))
        assert float(getattr(kernels_relu, kind)(*args)) == pytest.approx(exact, rel=1e-14, abs=1e-16)


@pytest.mark.parametrize("call,message", [
    (lambda: relu.I2(1.0, 1.0, 1.01), "correlation"),
    (lambda: relu.J2(0.0, 1.0, 0.0), "variances must be > 0"),
    (lambda: relu.I2(1.0, np.nan, 0.0), "finite"),
    (lambda: relu.I4(1, 1, 1, -1, 0, 0, 0, 0, 0, 0), "variances must be > 0"),
])
def test_bad_input_raises(call, message):
    with pytest.raises(symbn.ParameterError, match=message):
        call()


def test_round_off_beyond_the_boundary_is_clipped():
    """|rho| up to 1 + 1e-6 (the ODE's domain slack) is the boundary, not an error or a NaN."""
    assert relu.I2(2.0, 2.0, 2.0 * (1 + 1e-9)) == 1.0
    assert relu.I4(1, 1, 1, 1, 1 + 1e-9, 1, 1, 1, 1, 1) == 0.5
    assert relu.J2([1.0, 1.0], 1.0, [1 + 5e-7, -1 - 5e-7]).tolist() == [0.5, 0.0]


def test_jointly_indefinite_input_is_projected():
    """Valid pairs, indefinite as a whole (an ODE trial stage): I4 is the value at the projection
    on the positive semidefinite cone (continuous: a matrix 1e-9 outside gives the boundary value
    to ~1e-9), I3 its closed form (pairs only); finite either way."""
    R = np.full((4, 4), -0.6) + 1.6 * np.eye(4)                 # eigenvalue -0.8
    lam, V = np.linalg.eigh(R)
    P = (V * np.maximum(lam, 0)) @ V.T
    P /= np.sqrt(np.outer(np.diag(P), np.diag(P)))
    iu = np.triu_indices(4, 1)
    assert relu.I4(*np.diag(R), *R[iu]) == pytest.approx(relu.I4(*np.diag(P), *P[iu]), abs=1e-15)
    B = near_singular("rank 3", 0.0, seed=9)                    # exactly singular, then pushed outside
    lam, V = np.linalg.eigh(B)
    outside = B - 1e-9 * np.outer(V[:, 0], V[:, 0]) * np.sqrt(np.outer(np.diag(B), np.diag(B)))[0, 0]
    assert relu.I4(*np.diag(outside), *outside[iu]) == pytest.approx(relu.I4(*np.diag(B), *B[iu]), abs=1e-7)
    assert np.isfinite(relu.I3(1, 1, 1, -0.6, -0.6, -0.6))


def test_symbolic_side_has_no_I4_and_says_so():
    from symbn import symbolic
    with pytest.raises(symbn.ParameterError, match="no closed form.*numeric ODE"):
        symbolic.general_rhs("vanilla", 1, 1, activation="relu")
    assert symbolic.eps_g("vanilla", 1, 1, activation="relu").has(sp.atan2)


def test_api_shapes_and_activation():
    k = symbn.kernels("relu")
    assert k is relu and symbn.kernels("erf").I2(1.0, 1.0, 0.0) == 0.0
    c = np.linspace(0.5, 2, 6).reshape(2, 3)
    assert k.I2(c, 1.0, 0.1).shape == (2, 3) and k.J2(c, 1.0, 0.1).shape == (2, 3)
    assert k.I3(c, 1.0, 1.0, 0.1, 0.2, 0.3).shape == (2, 3)
    assert k.I4(c[:, :, None], 1, 1, 1, 0.1, 0.2, 0.1, 0.1, 0.2, np.zeros(4)).shape == (2, 3, 4)
    assert relu.dphi(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(symbn.ParameterError, match="unknown activation"):
        symbn.kernels("tanh")
