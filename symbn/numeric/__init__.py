"""The numeric side: NumPy, SciPy and numba only (never SymPy), running the generated code.

Subpackages, each importing only those above it in this list (and ``symbn.generated``,
``symbn.models``, ``symbn.validate``, ``symbn.errors``):

- :mod:`~symbn.numeric.kernels` -- activations and their Gaussian averages (erf, linear, ReLU
  with its orthant probabilities), eps_g and the primed covariances of the order parameters;
- :mod:`~symbn.numeric.symmetric` -- the symmetric phase in closed form (fixed point, Hessian,
  spectra from the generated code; the stable quartic roots);
- :mod:`~symbn.numeric.sgd` -- SGD simulation: update rules, random streams, the direct and
  the exact order-parameter engines (NumPy and compiled), the driver ``simulate``;
- :mod:`~symbn.numeric.ode` -- the order-parameter ODEs: state layout, right-hand side (NumPy
  and compiled), domain, solver, initial states, the reduced symmetric system;
- :mod:`~symbn.numeric.analysis` -- what the dynamics means: escape rates, plateaus and their
  lengths, the phase of any activation, finite learning rates, exit studies;
- :mod:`~symbn.numeric.runs` -- many jobs at once: sweeps, their tables, the warm-up of the
  compiled loops.

Three modules every layer may use: :mod:`~symbn.numeric.trajectory` (the result type),
:mod:`~symbn.numeric.jobs` (the job runner: local processes or dask) and
:mod:`~symbn.numeric.grid` (parameter grids such as ``1:50`` or ``1e-3:1e3:log25``).
"""
