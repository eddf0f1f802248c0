"""The symmetric phase in closed form (K = M, T = I).

Owns the evaluation of the generated closed forms (:mod:`.closed_form`: fixed point, eps_g*,
gradient, Hessian, spectra) and the stable quartic root finder behind the spectra
(:mod:`.polyroots`). Imports only ``symbn.generated`` and the top-level ``symbn`` helpers.
"""
