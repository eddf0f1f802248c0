"""The model registry: every model symbn knows, described once, as data.

The student's hidden unit i sees x_i = J_i . xi and feeds phi with h_i. A model fixes

* the **forward map** (``normalized``, ``centered``):
  h_i = x_i (vanilla) or h_i = g_i (x_i - mu_i) / sd_i [+ beta_i] (batch norm, gain g_i;
  ``centered``: batch mean mu_i subtracted and a learned bias beta_i, the usual BN layer);
* the **update rule** (``project``): the exact gradient through the normaliser sd_i removes
  the J_i direction from the update; the paper's Eq. 2 treats sd_i as a constant.

Every layer reads this table: the symbolic derivation (``symbn.symbolic``), the generated
code's function names (``family`` module, ``suffix`` of ``rhs``/``jacobian``), the ODEs, the
simulators, escape rates, figures and the CLI. Where a model is accepted is its ``scopes``:

=============  ====================================================================
``forward``    eps_g and the symmetric-phase closed forms: fixed point, Hessian, spectra
``ode``        order-parameter ODEs (full and reduced), escape rates, symbolic rhs/Jacobian
``simulate``   SGD simulation (direct and order-parameter sampler)
=============  ====================================================================

``bn`` names batch norm's forward map alone (both update rules share it), so it is
accepted only where the forward map is all that matters. The network around the
hidden units (activation, second layers, noise, weight decay) is not part of a model's
name: it is given beside it (``symbn.numeric`` keywords, CLI flags); :class:`Network` bundles
what the equations' form depends on (model, activation, whether the second layer learns).
"""
from __future__ import annotations

from dataclasses import dataclass

from symbn.errors import ParameterError

SCOPES = {"forward": "eps_g and the symmetric-phase closed forms (fixed point, Hessian, spectra)",
          "ode": "the order-parameter ODEs and escape rates",
          "simulate": "SGD simulation"}


@dataclass(frozen=True)
class Model:
    """One entry of the registry (see the module docstring)."""

    name: str
    normalized: bool          # h_i = g_i x_i / sd_i (gain g_i)
    project: bool             # exact gradient through sd_i: the update of J_i loses its J_i part
    centered: bool            # batch mean subtracted and a bias beta_i (simulation only)
    family: str               # generated module with its symmetric-phase closed forms
    suffix: str | None        # generated rhs/jacobian name suffix (None: no update rule of its own)
    scopes: frozenset
    description: str


def _model(name, normalized, project, centered, suffix, scopes, description):
    return Model(name, normalized, project, centered, "bn" if normalized else "vanilla", suffix,
                 frozenset(scopes), description)


MODELS = {m.name: m for m in (
    _model("vanilla", False, False, False, "", ("forward", "ode", "simulate"),
           "no normalization, h_i = x_i (Saad & Solla 1995)"),
    _model("bn", True, False, False, None, ("forward",),
           "batch norm's forward map h_i = g_i x_i / sd_i alone (shared by bn-paper and bn-exact)"),
    _model("bn-paper", True, False, False, "_paper", ("forward", "ode", "simulate"),
           "batch norm with the paper's update (Eq. 2: the normaliser treated as a constant)"),
    _model("bn-exact", True, True, False, "_exact", ("forward", "ode", "simulate"),
           "batch norm with the exact gradient through the normaliser"),
    _model("bn-full", True, True, True, None, ("simulate",),
           "the usual BN layer: centring, gain and bias, exact gradient (simulation only)"),
)}


def names(scope: str | None = None) -> tuple:
    """Model names accepted in ``scope`` (all names if None), in registry order."""
    return tuple(n for n, m in MODELS.items() if scope is None or scope in m.scopes)


def family(name: str, scope: str = "ode") -> tuple:
    """The models of one generated family (``vanilla`` or ``bn``) accepted in ``scope``."""
    return tuple(m for m in MODELS.values() if m.family == name and scope in m.scopes)


def get(name, scope: str | None = None) -> Model:
    """The model called ``name``, checked to be accepted in ``scope``; one error message otherwise.

    The message names the valid choices for ``scope``; for a known model used outside its
    scopes it also says where that model is accepted.
    """
    if isinstance(name, Model):
        name = name.name
    valid = names(scope)
    if name in valid:
        return MODELS[name]
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    if name in MODELS:
        m = MODELS[name]
        where = "; ".join(SCOPES[s] for s in SCOPES if s in m.scopes)
        raise ParameterError(f"model {name!r} ({m.description}) is accepted only for {where}; "
                           f"for {SCOPES[scope]} choose one of {', '.join(valid)}")
    raise ParameterError(f"unknown model {name!r}; choose one of {', '.join(valid)}")


ACTIVATIONS = {
    "erf": "phi(x) = erf(x / sqrt 2), the paper's (Saad & Solla 1995)",
    "linear": "phi(x) = x, a linear network (every Gaussian average is polynomial in the covariances)",
    "relu": "phi(x) = max(0, x), phi' = Heaviside with phi'(0) = 0 (I4 numeric: a one-dimensional integral)",
}
"""Activations phi, the same for teacher and student. Each layer supplies their Gaussian averages
I2, I3, I4 and J2 (symbn.symbolic.integrals, symbn.generated kernels, symbn.numeric.kernels.activations)."""


def activation(name) -> str:
    """A known activation name; one error message listing them otherwise."""
    if name not in ACTIVATIONS:
        raise ParameterError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


@dataclass(frozen=True)
class Network:
    """What the form of the dynamics depends on besides widths and numbers: the registry model,
    the activation, and whether the student's second layer w learns (its rate eta_w, the output
    noise and the weight decay are numbers given beside it)."""

    model: Model
    activation: str = "erf"
    learn_w: bool = False

    def __getattr__(self, name):      # the model's fields: normalized, project, family, suffix, ...
        return getattr(self.__dict__["model"], name)


def network(model, activation_name="erf", learn_w=False, scope=None) -> Network:
    """A :class:`Network` (``model`` may be a name, a Model or a Network, checked in ``scope``)."""
    if isinstance(model, Network):
        return model
    return Network(get(model, scope), activation(activation_name), bool(learn_w))
