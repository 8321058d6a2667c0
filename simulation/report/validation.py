"""The report's section "Validation: countries the model never saw", read from the committed calibration.

The report does not calibrate: it reads what ``samskabelse calibrate --out docs/calibration``
wrote (:data:`simulation.experiment.calibration.CALIBRATION_DIR`): the leave-one-out metrics
beside the two baselines, the per-country predictions, the temporal check and the calibration's
manifest, and copies the predicted-vs-observed figure into the report's figures. Every
comparison in the text is computed from those tables.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pandas as pd

from simulation.errors import display
from simulation.experiment.calibration import CALIBRATION_DIR
from simulation.report.markdown import md_table

FIGURE = "validation_predicted_observed.png"
NEEDED = ("manifest.json", "validation_metrics.csv", "validation_countries.csv")
LABELS = {"model": "model (calibrated without the country)", "training_mean": "baseline: mean of the other countries",
          "regression": "baseline: regression on trust (other countries)",
          "model_spread_only": "model, interval without the country discrepancy"}


def _same_trust_pairs(loo: pd.DataFrame, within: float = 0.2, n: int = 2) -> str:
    """The ``n`` pairs of countries whose trust differs by at most ``within`` and whose volunteering differs most, in words."""
    rows = list(loo.itertuples())
    pairs = sorted(((abs(a.observed - b.observed), a, b) for i, a in enumerate(rows) for b in rows[i + 1:]
                    if abs(a.trust_in_others_2013 - b.trust_in_others_2013) <= within), key=lambda t: -t[0])
    used: set[str] = set()
    words = []
    for _, a, b in pairs:
        if a.country_code in used or b.country_code in used:
            continue
        used |= {a.country_code, b.country_code}
        hi, lo = (a, b) if a.observed > b.observed else (b, a)
        words.append(f"{hi.country} {hi.observed:.0f} % and {lo.country} {lo.observed:.0f} % at trust "
                     f"{hi.trust_in_others_2013:.1f} and {lo.trust_in_others_2013:.1f}")
        if len(words) == n:
            break
    return "; ".join(words)


@dataclasses.dataclass
class ValidationSection:
    """The section's Markdown and the files it put into the report folder (relative to it)."""

    markdown: str
    files: list[str]


def validation_section(figures_dir: Path, calibration_dir: Path = CALIBRATION_DIR) -> ValidationSection:
    """The report's section from the calibration in ``calibration_dir``; the figure is copied into ``figures_dir``."""
    head = "## Validation: countries the model never saw\n\n"
    missing = [n for n in NEEDED if not (calibration_dir / n).is_file()]
    if missing:
        return ValidationSection(head + f"No calibration in {display(calibration_dir)} (missing {', '.join(missing)}); "
                                 "`samskabelse calibrate --out docs/calibration` makes it.\n", [])
    files = []
    source = calibration_dir / "figures" / "predicted_observed.png"
    if source.is_file():
        figures_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, figures_dir / FIGURE)
        files.append(f"{figures_dir.name}/{FIGURE}")
    note = f"*Read from the committed calibration ({display(calibration_dir)}); the report does not re-run it.*\n\n"
    return ValidationSection(head + note + _validation_text(calibration_dir, f"figures/{FIGURE}" if files else None), files)


def write_summary(calibration_dir: Path) -> Path:
    """``SUMMARY.md`` of a calibration folder: posterior, validation and temporal check in words, tables and figures."""
    summary = pd.read_csv(calibration_dir / "posterior_summary.csv")
    manifest = json.loads((calibration_dir / "manifest.json").read_text(encoding="utf-8"))
    shown = summary[["parameter", "kind", "prior_low", "prior_high", "median", "q05", "q95", "width_share_of_prior"]].rename(
        columns={"q05": "5 %", "q95": "95 %", "width_share_of_prior": "90 % width / prior's"})
    text = [
        "# Calibration results", "",
        f"Written by `{manifest.get('command') or 'samskabelse calibrate'}` (size {manifest['settings']['size']}, code "
        f"{manifest.get('code_revision')}, {manifest.get('finished', '')[:16]}, {manifest.get('wall_time_seconds', 0) / 60:.1f} "
        "minutes); how and why in docs/calibration.md. Regenerated, never edited by hand.", "",
        "## Posterior", "", "![Posterior marginals](figures/posterior.png)", "", md_table(shown, ".4g"), "",
        f"Effective sample size of the importance weights: {manifest['posterior']['effective_sample_size']:.0f} "
        f"(smallest leave-one-out: {manifest['posterior']['loo_effective_sample_size_min']:.0f}); emulator error for a new run "
        f"(cross-validated, logit scale): {manifest['emulator']['run_sd']:.3f}.", "",
        "## Validation: countries the model never saw", "",
        _validation_text(calibration_dir, "figures/predicted_observed.png"),
    ]
    if (calibration_dir / "temporal.csv").is_file():
        t = pd.read_csv(calibration_dir / "temporal.csv")
        text += ["![Temporal check](figures/temporal.png)", "", md_table(t, ".1f"), ""]
    path = calibration_dir / "SUMMARY.md"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def _validation_text(calibration_dir: Path, figure: str | None) -> str:
    """The validation's words, tables and (when ``figure`` is given) figure link, from a calibration folder."""
    manifest = json.loads((calibration_dir / "manifest.json").read_text(encoding="utf-8"))
    scores = pd.read_csv(calibration_dir / "validation_metrics.csv").set_index("method")
    loo = pd.read_csv(calibration_dir / "validation_countries.csv")
    table = pd.DataFrame({
        "method": [LABELS.get(m, m) for m in scores.index], "MAE (points)": scores["mae"],
        "90 % coverage": [f"{c:.0%}" for c in scores["coverage_90"]], "Spearman": scores["spearman"],
        "mean interval width (points)": scores["mean_interval_width"]})
    settings = manifest["settings"]
    names = [p["name"] for p in settings["priors"] if p["kind"] == "behaviour"]
    m, r = scores.loc["model"], scores.loc["regression"]
    loo = loo.assign(model_error=(loo["model"] - loo["observed"]).abs(), regression_error=(loo["regression"] - loo["observed"]).abs())
    worse = loo[loo["model_error"] > loo["regression_error"] + 1.0]
    misses = loo[(loo["observed"] < loo["model_low"]) | (loo["observed"] > loo["model_high"])]
    largest = loo.sort_values("model_error", ascending=False).head(4)
    verdict = ("about as accurate as" if abs(m["mae"] - r["mae"]) < 0.5 else "less accurate than" if m["mae"] > r["mae"]
               else "more accurate than")
    lines = [
        f"**Question**: calibrated on the other countries, how well does the model predict a country's formal volunteering "
        f"in 2015 (EU-SILC `ilc_scp19`) from its trust in others alone? Leave-one-out over {len(loo)} countries; "
        f"calibration of {', '.join(f'`{n}`' for n in names)} and the measurement model (docs/calibration.md) by "
        f"`{manifest.get('command') or 'samskabelse calibrate'}` (size {settings['size']}, code {manifest.get('code_revision')}, "
        f"{manifest.get('finished', '')[:10]}).",
        "",
        f"![Predicted vs observed]({figure})" if figure else "",
        "",
        md_table(table, ".2f"),
        "",
        f"The model is {verdict} the regression of volunteering on trust (MAE {m['mae']:.1f} against {r['mae']:.1f} points; "
        f"Spearman {m['spearman']:.2f} against {r['spearman']:.2f}). Both see the same one input, trust in others: the model "
        "turns it into a level through its mechanisms, the regression through a straight line, so the model cannot be much "
        "better than the line unless its curve is the right shape. It is worse than the line by more than a point for "
        f"{len(worse)} of {len(loo)} countries. Its largest errors: "
        + "; ".join(f"{x.country} ({x.observed:.1f} % observed, {x.model:.1f} % predicted)" for x in largest.itertuples())
        + f". Countries with about the same trust volunteer very differently ({_same_trust_pairs(loo)}): what sets them apart (perhaps welfare state, religion, the organisation of associations, the survey's "
        "wording in each language) is not an input of the model, and the calibrated country discrepancy "
        "(`discrepancy_sd`) says how large it is. "
        f"{len(misses)} of {len(loo)} observed values fall outside the model's 90 % interval"
        + (f" ({', '.join(misses['country_code'])})." if len(misses) else "."),
        "",
        "The training mean's negative Spearman is not an error: leaving a high country out lowers the mean of the others, so "
        "its leave-one-out predictions are ranked exactly against the observations.",
    ]
    tm_path = calibration_dir / "temporal_metrics.csv"
    if tm_path.is_file():
        tm = pd.read_csv(tm_path).set_index("comparison")["spearman"]
        lines += ["", f"**Temporal check** (not calibrated on 2022): each calibrated country run 7 more years from its 2015 "
                  f"state. Rank correlation 2015 vs 2022: data {tm['data 2015 vs data 2022']:.2f}, model "
                  f"{tm['model 2015 vs model 2022']:.2f}; the model's 2022 against the data's 2022: "
                  f"{tm['model 2022 vs data 2022']:.2f}. The model's countries sit at attractors fixed by their trust, so its "
                  "ranks persist by construction (only run noise moves them); the data's persist "
                  f"{'less' if tm['data 2015 vs data 2022'] < tm['model 2015 vs model 2022'] else 'as much or more'}, and the "
                  "data's levels fell almost everywhere after the pandemic, which no input of the model carries."]
    pp_path = calibration_dir / "posterior_patterns_summary.csv"
    if pp_path.is_file():
        pp = pd.read_csv(pp_path)
        held = ", ".join(f"{r.pattern.replace('_', ' ')} {r.share_holds:.0%}" for r in pp.itertuples())
        lines += ["", f"**The patterns at the calibrated parameters**: the report's pattern probes (each at its own "
                  f"conditions, 500 citizens, seeds 1 and 2) run at {int(pp['draws'].max())} posterior draws of the "
                  f"calibrated behavioural parameters; the share of draws for which each pattern holds: {held}. A pattern "
                  "that holds at the defaults but not at most posterior draws depends on parameter values the data do not "
                  "support (table: posterior_patterns.csv)."]
    lines += ["", f"Tables: {display(calibration_dir)}/validation_countries.csv, validation_metrics.csv, temporal.csv.", ""]
    return "\n".join(lines)
