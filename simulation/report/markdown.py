"""REPORT.md from the verdicts, designs and sensitivity result, through the template ``templates/report.md.j2``.

The template holds the report's structure and fixed wording; this module turns the verdicts
and the sensitivity result into the plain strings the template places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from simulation.experiment.probes import KNOCKOUTS, QUICK
from simulation.experiment.sensitivity_figures import outcome_label
from simulation.experiment.sweeps import Design
from simulation.report.analyses import NOT, PARTLY, REPRODUCED
from simulation.report.patterns import FINDING, Verdict
from simulation.report.probing import (
    ASSUMED_LABEL,
    ProbeResults,
    knockout_result,
    knockout_table,
    large_table,
    perturbation_table,
    perturbations,
)

if TYPE_CHECKING:
    from simulation.experiment.sensitivity import SensitivityResult, SensitivitySpec

STATUS_MARK = {REPRODUCED: "reproduced", PARTLY: "partly", ASSUMED_LABEL: "*assumed*", NOT: "**not reproduced**"}

#: Groups of parameters that together make one mechanism, for the sensitivity findings.
MECHANISMS = {
    "the staff-threat feedback (process 8)": ("threat_sensitivity", "threat_rate", "threat_control_weight"),
    "coordination by steering (the rising side of the crowding-out curve)": ("coordination_gain", "coordination_scale"),
    "supplier contracts (process 9)": ("contract_control", "contract_funding"),
    "the cost of control and facilitation to staff output": ("control_cost", "facilitation_cost"),
}

#: mu* below this share of the top factor's, for every outcome, counts as negligible.
NEGLIGIBLE_SHARE = 0.05

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("simulation.report", "templates"), autoescape=False, trim_blocks=True, lstrip_blocks=True,
    keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
)


def md_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A Markdown table of ``frame`` (floats as ``floatfmt``, non-finite as "-")."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            if isinstance(v, (float, np.floating)):
                cells.append("-" if not np.isfinite(v) else format(v, floatfmt))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def design_line(d: Design) -> str:
    """One sentence on an experiment's design: file, scenario, size, seeds, runs, what varies and what is kept."""
    vary = "; ".join(f"{k} = {', '.join(f'{x:g}' if isinstance(x, float) else str(x) for x in v)}" for k, v in d.vary.items())
    keep = {"mean_last_k": f"mean of the last {d.k} months", "every_step": "every month", "final": "the last month"}[d.keep]
    return (f"`experiments/{d.name}.toml`: scenario `{d.scenario}`, {d.base.n_citizens:,} citizens, {d.base.steps} months, "
            f"{d.replicates} seed{'s' if d.replicates != 1 else ''} per point, {d.n_runs} runs"
            + (f"; varied: {vary}" if vary else "") + f"; kept: {keep}.")


def anchor(title: str) -> str:
    """The anchor a Markdown renderer gives a heading's words."""
    keep = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -")
    return keep.replace(" ", "-")


def _table_links(names: Sequence[str]) -> str:
    return ", ".join(f"[`tables/{n}.csv`](tables/{n}.csv)" for n in names)


def verdict_context(v: Verdict, designs: Mapping[str, Design]) -> dict[str, Any]:
    """What the template shows of one pattern's verdict."""
    p, j = v.pattern, v.judgement
    return {
        "number": p.label, "title": p.title, "anchor": f"{p.label.lower()}-{anchor(p.title)}", "mark": STATUS_MARK[v.verdict],
        "criteria_mark": STATUS_MARK[v.status], "origin": p.origin,
        "headline": j.headline, "source": p.source, "claim": p.claim,
        "design": " ".join(design_line(designs[n]) for n in p.experiments if n in designs),
        "figure": v.figure, "caption": p.caption, "criteria": j.criteria, "findings": j.findings,
        "tables": _table_links(list(j.tables)),
    }


def sensitivity_headline(sens: SensitivityResult) -> str:
    """One line: the top three factors per output."""
    return "; ".join(f"{outcome_label(out).split(' (')[0]}: " + ", ".join(f"`{x}`" for x in frame["factor"].head(3))
                     for out, frame in sens.morris.items())


def negligible_factors(sens: SensitivityResult) -> list[str]:
    """Factors whose mu* is below :data:`NEGLIGIBLE_SHARE` of the top factor's for every outcome."""
    return [f.name for f in sens.factors if all(
        float(frame.loc[frame["factor"] == f.name, "mu_star_norm"].iloc[0]) < NEGLIGIBLE_SHARE for frame in sens.morris.values())]


def sensitivity_context(sens: SensitivityResult, spec: SensitivitySpec) -> dict[str, Any]:
    """What the template shows of the sensitivity analysis."""
    design = (
        f"`experiments/sensitivity.toml`: Morris elementary effects (SALib; {spec.trajectories} trajectories, "
        f"{spec.levels} levels) over every behavioural parameter (default x {1 - spec.behaviour_range:g} to "
        f"x {1 + spec.behaviour_range:g}, within its declared range) and every lever but `governance_mode` (whole range), "
        f"on the Danish baseline under npg; {spec.base.n_citizens:,} citizens, {spec.base.steps} months, outputs the mean of "
        f"the last {spec.k} months, {spec.replicates} seed{'s' if spec.replicates != 1 else ''} per point (the same at every "
        f"point); " + (f"then Sobol indices (Saltelli sampling, {spec.sobol_samples} base samples, {spec.sobol_replicates} "
                       f"seed{'s' if spec.sobol_replicates != 1 else ''} per point) for the "
                       f"{len(sens.sobol_factors)} factors with the largest normalised mu*; " if sens.sobol else "")
        + f"{sens.n_runs:,} runs through the sweep engine.")
    top = [(outcome_label(out), ", ".join(f"`{r.factor}` {r.mu_star:.3g} ({r.mu_star_norm:.2f})" for r in frame.head(5).itertuples()))
           for out, frame in sens.morris.items()]
    negligible = negligible_factors(sens)
    names = {f.name for f in sens.factors}
    quiet = [m for m, members in MECHANISMS.items() if all(n in negligible for n in members if n in names)]
    sobol_table = ""
    if sens.sobol:
        rows = [{"outcome": out, "factor": r.factor, "S1": r.S1, "S1 ±": r.S1_conf, "ST": r.ST, "ST ±": r.ST_conf}
                for out, frame in sens.sobol.items() for r in frame.itertuples()]
        sobol_table = md_table(pd.DataFrame(rows), ".2f")
    return {
        "headline": sensitivity_headline(sens), "n_factors": len(sens.factors), "design": design, "top": top,
        "negligible": f"{len(negligible)} of {len(sens.factors)} factors have mu* below {100 * NEGLIGIBLE_SHARE:.0f} % of the top "
                      "factor for every outcome: " + (", ".join(f"`{n}`" for n in negligible) if negligible else "none") + ".",
        "quiet": "; ".join(f"{m} ({', '.join(f'`{n}`' for n in MECHANISMS[m])})" for m in quiet),
        "sobol_table": sobol_table,
        "tables": _table_links(["sensitivity_morris", "sensitivity_factors"] + (["sensitivity_sobol"] if sens.sobol else [])),
    }


def _settings(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"`{k} = {v:g}`" if isinstance(v, float) else f"`{k} = {v}`" for k, v in settings.items())


def origins_context(verdicts: Sequence[Verdict], probes: ProbeResults) -> list[dict[str, Any]]:
    """Per primary pattern: its named cause, its status, and the knock-out table (section "Where each pattern comes from")."""
    table = knockout_table(probes.knockouts)
    out = []
    for v in verdicts:
        key = v.pattern.key
        if v.pattern.secondary or key not in KNOCKOUTS:
            continue
        ko, k = knockout_result(key, probes.knockouts), KNOCKOUTS[key]
        rows = table[table["pattern"] == key].drop(columns=["pattern"]).assign(
            holds=lambda f: f["holds"].map({True: "holds", False: "fails"}),
            as_expected=lambda f: f["as_expected"].map({True: "yes", False: "**no**"}))
        if ko.emerges:
            reading = "the pattern holds at baseline, goes with its cause switched off, and stays with every other single term off"
        else:
            parts = []
            if not ko.base_holds:
                parts.append("the probe does not hold at baseline")
            if ko.base_holds and not ko.cause_removes:
                parts.append("the pattern stays with its named cause switched off")
            broken = [t for t, ok in ko.others_keep.items() if not ok]
            if broken and ko.base_holds:
                parts.append("it goes when " + " or ".join(broken) + " is switched off")
            reading = "; ".join(parts)
        if k.note:
            reading += f". {k.note}"
        out.append({"number": v.pattern.label, "title": v.pattern.title, "cause": k.cause, "cause_off": _settings(k.cause_off),
                    "condition": _settings(k.condition), "origin": v.pattern.origin, "mark": STATUS_MARK[v.verdict],
                    "reading": reading, "table": md_table(rows.rename(columns={"as_expected": "as expected"}))})
    return out


def robustness_context(probes: ProbeResults) -> dict[str, Any]:
    """The robustness section: every probe at the large size, and the perturbations kept and broken per pattern."""
    sz = probes.sizes
    large = large_table(probes.large).assign(holds=lambda f: f["holds"].map({True: "holds", False: "**fails**"}))
    pert = perturbation_table(probes.perturbed)
    done, skipped = perturbations(sz.perturbation_share)
    if sz.perturbed is not None:
        done = [d for d in done if d[0] in sz.perturbed]
    shown = pert.assign(baseline_holds=lambda f: f["baseline_holds"].map({True: "holds", False: "**fails**", None: "-"}),
                        breaking=lambda f: f["breaking"].replace("", "-"))
    return {
        "large_citizens": f"{sz.large_citizens:,}", "large_seeds": ", ".join(map(str, sz.large_seeds)),
        "knockout_citizens": f"{sz.knockout_citizens:,}", "knockout_seeds": ", ".join(map(str, sz.knockout_seeds)),
        "large_table": md_table(large), "perturbation_table": md_table(shown.rename(columns={"baseline_holds": "baseline (same size)"})),
        "n_perturbations": len(done), "n_parameters": len({d[0] for d in done}), "share": f"{100 * sz.perturbation_share:.0f} %",
        "perturbation_citizens": f"{sz.perturbation_citizens:,}", "perturbation_seeds": ", ".join(map(str, sz.perturbation_seeds)),
        "skipped": "; ".join(f"`{name}` ({why})" for name, why in skipped),
        "quick": ", ".join(f"`{q}`" for q in QUICK), "only": None if sz.perturbed is None else ", ".join(f"`{p}`" for p in sz.perturbed),
        "counts": "; ".join(f"{r.pattern} {r.keep} of {r.perturbations}" for r in pert.itertuples()),
    }


def render_markdown(verdicts: Sequence[Verdict], designs: Mapping[str, Design], sens: SensitivityResult | None,
                    sens_spec: SensitivitySpec | None, meta: Mapping[str, Any], probes: ProbeResults | None = None) -> str:
    """The text of REPORT.md."""
    workers = meta["workers"]
    primary = [v for v in verdicts if not v.pattern.secondary]
    context = {
        "meta": {**meta, "runs_text": f"{meta['runs']:,}", "minutes": f"{meta['wall_time_seconds'] / 60:.1f}",
                 "workers_text": f"{workers} worker process{'es' if workers != 1 else ''}"},
        "verdicts": [verdict_context(v, designs) for v in primary],
        "secondary": [verdict_context(v, designs) for v in verdicts if v.pattern.secondary and v.pattern.origin != FINDING],
        "contests": [verdict_context(v, designs) for v in verdicts if v.pattern.origin == FINDING],
        "origins": origins_context(primary, probes) if probes is not None else [],
        "robust": robustness_context(probes) if probes is not None else None,
        "sens": sensitivity_context(sens, sens_spec) if sens is not None and sens_spec is not None else None,
    }
    return _ENVIRONMENT.get_template("report.md.j2").render(context)


def write_markdown(path: Path, verdicts: Sequence[Verdict], designs: Mapping[str, Design], sens: SensitivityResult | None,
                   sens_spec: SensitivitySpec | None, meta: Mapping[str, Any], probes: ProbeResults | None = None) -> Path:
    """Write REPORT.md to ``path``."""
    path.write_text(render_markdown(verdicts, designs, sens, sens_spec, meta, probes), encoding="utf-8")
    return path
