"""What the dynamics means: plateaus, escapes, learning rates.

Owns escape rates and Jacobians at the plateau (:mod:`.escape`), plateau detection and exits
(:mod:`.plateau`), predicted vs measured plateau lengths (:mod:`.plateau_length`), the
symmetric phase of any activation (:mod:`.phase`), finite learning rates (:mod:`.learning_rate`,
:mod:`.autorate`) and the exit-time studies (:mod:`.exits`). Imports :mod:`symbn.numeric.ode`,
:mod:`symbn.numeric.sgd`, :mod:`symbn.numeric.symmetric`, :mod:`symbn.numeric.kernels` and the
shared top-level modules.
"""
