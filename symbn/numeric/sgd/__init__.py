"""SGD simulation of the teacher-student network.

Owns the update rules of every model (:mod:`.rules`), the per-seed random streams
(:mod:`.noise`), the engines that advance many seeds at once (:mod:`.engines`: direct, in N
dimensions; :mod:`.sampler`: the exact order-parameter sampler, with its compiled loop in
:mod:`.compiled`) and the driver :func:`.simulate.simulate`. Imports :mod:`symbn.numeric.kernels`
and :mod:`symbn.numeric.trajectory`.
"""
