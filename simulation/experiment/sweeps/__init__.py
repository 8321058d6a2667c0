"""Parameter sweeps: a design file, any executor, results written as runs finish, resumable.

Split by job:

* :mod:`~simulation.experiment.sweeps.design` — the experiment file read into a
  :class:`Design` (grid points times replicate seeds; :class:`PointsDesign` for sampled
  points) and its :class:`Run` list;
* :mod:`~simulation.experiment.sweeps.store` — the output folder: batch files checked row by
  row when read back, the manifest, the lock that keeps a second sweep out;
* :mod:`~simulation.experiment.sweeps.sweep` — :func:`run_sweep`, which runs the missing runs
  on any executor (:mod:`simulation.experiment.executors`) and writes the results.

Import from here: ``from simulation.experiment.sweeps import load_experiment, run_sweep``.
"""

from simulation.experiment.sweeps.design import KEEP_MODES, MAX_RUNS, Design, PointsDesign, Run, load_experiment, replicate_seeds
from simulation.experiment.sweeps.store import load_saved, prepare_output
from simulation.experiment.sweeps.sweep import SweepFailed, SweepInterrupted, plot_design, replot_sweep, run_batch, run_sweep

__all__ = [
    "KEEP_MODES", "MAX_RUNS", "Design", "PointsDesign", "Run", "SweepFailed", "SweepInterrupted", "load_experiment", "load_saved",
    "plot_design", "prepare_output", "replicate_seeds", "replot_sweep", "run_batch", "run_sweep",
]
