"""Activations and their Gaussian averages.

Owns the activation registry (:mod:`.activations`: phi, phi' and the kernels I2, I3, I4, J2 of
each activation), ReLU's kernels (:mod:`.relu`) with the orthant probabilities they need
(:mod:`.orthant`), and the averages of whole networks in order parameters (:mod:`.orderparams`:
primed covariances, eps_g). Imports only ``symbn.generated`` and the top-level ``symbn`` helpers.
"""
