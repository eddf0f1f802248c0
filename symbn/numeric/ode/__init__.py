"""The order-parameter ODEs.

Owns the state vector (:mod:`.layout`), the right-hand side of the full ODE (:mod:`.system`,
NumPy reference; :mod:`.compiled`, numba), its domain (:mod:`.domain`), the solver protocol
(:mod:`.solver`), initial states (:mod:`.initial`), integration (:mod:`.full`) and the reduced
symmetric ODE (:mod:`.reduced`). Imports :mod:`symbn.numeric.kernels`,
:mod:`symbn.numeric.symmetric`, :mod:`symbn.numeric.sgd.noise` (the random start is the
simulation's) and :mod:`symbn.numeric.trajectory`.
"""
