"""Many jobs at once: parameter sweeps and their tidy tables.

Owns the sweep of ODE or simulation jobs over a grid (:mod:`.sweep`), the streamed CSV/Parquet
tables they write (:mod:`.table`) and the warm-up of the compiled loops before a batch of jobs
(:mod:`.warm`). The top of the numeric side: imports any subpackage above, is imported only by
the CLI and the figures.
"""
