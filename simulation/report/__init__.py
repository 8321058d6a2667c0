"""The report: does the model reproduce the seven patterns of MODEL.md? Run, judge, draw, write.

``samskabelse report`` runs the experiments of ``experiments/*.toml`` through the sweep engine
(on a local process pool or a Dask cluster), judges each pattern against criteria stated in the
report (reproduced / partly / not, with the numbers), and writes a self-contained report::

    OUT/REPORT.md        the report: summary table, one section per pattern, sensitivity
    OUT/figures/*.png    one figure per pattern, labelled in plain language
    OUT/tables/*.csv     the numbers behind every figure and verdict
    OUT/verdicts.json    the verdicts and their numbers, for scripts and tests
    OUT/manifest.json    size, package version, code revision, runs, wall time, and every file it wrote
    OUT/sweeps/          the raw sweep folders (resumable; not meant to be committed)

The package, one job per module:

- :mod:`~simulation.report.patterns`: the registry, one :class:`~simulation.report.patterns.Pattern`
  record per pattern (claim and sources, experiment files, criteria, analysis, figure, caption);
- :mod:`~simulation.report.analyses`: the statistics and each pattern's analysis;
- :mod:`~simulation.report.figures`: each pattern's figure;
- :mod:`~simulation.report.probing`: where each pattern comes from (knock-outs, its status label) and
  robustness (a larger population, ±25 % of every declared parameter), through the pattern probes;
- :mod:`~simulation.report.markdown` and ``templates/report.md.j2``: REPORT.md;
- :mod:`~simulation.report.build`: checking the inputs, running the experiments, writing the folder
  (:func:`~simulation.report.build.build_report`).

Sizes (``--size``): ``default`` runs each experiment as its file says (1,000 citizens,
3-10 seeds, Morris with 10 trajectories, Sobol with 128 base samples) and the probes of
:mod:`~simulation.report.probing` (knock-outs, 5,000 citizens, ±25 % of every parameter);
``small`` uses 400 citizens (the same associations and staff per citizen), at most 3 seeds and
lighter sensitivity and probes; ``tiny`` (for tests) 100 citizens, one seed. The verdict criteria are the same at every size; the small sizes are
noisier, so their verdicts can differ from the committed default-size report.
"""

from simulation.report.analyses import NOT, PARTLY, REPRODUCED, Criterion, Judgement, clearly_greater, half_time, summarise
from simulation.report.build import EXPERIMENT_DIR, SIZES, Size, build_report, load_designs, run_experiments
from simulation.report.patterns import EXPERIMENTS, PATTERN_BY_KEY, PATTERNS, Pattern, Verdict, judge_all

__all__ = [
    "EXPERIMENTS", "EXPERIMENT_DIR", "NOT", "PARTLY", "PATTERNS", "PATTERN_BY_KEY", "REPRODUCED", "SIZES", "Criterion",
    "Judgement", "Pattern", "Size", "Verdict", "build_report", "clearly_greater", "half_time", "judge_all", "load_designs",
    "run_experiments", "summarise",
]
