"""The figure of each pattern: one PNG per pattern, labelled in plain language.

Each function takes the pattern's :class:`~simulation.report.analyses.Judgement` (its tables and
numbers) and the path to write, and returns the path. Indicator labels come from the indicator
records of :mod:`simulation.core.indicators`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.indicators import label as indicator_label
from simulation.experiment.sensitivity_figures import pyplot, save_figure
from simulation.report.analyses import CONTEST, CPS_2006, EU_SILC_2015, Judgement, smooth


def _panel(name: str) -> tuple[str, str]:
    """A panel of an indicator: its column and its label, the unit on the next line (two if it is long)."""
    title, _, unit = indicator_label(name).partition(" (")
    return name, title + ("\n" + textwrap.fill("(" + unit, 42) if unit else "")


COLOURS = {"npm": "#c0392b", "npg": "#2471a3", "hierarchy": "#7f8c8d", "episode": "#c0392b", "control": "#2471a3",
           "denmark": "#2471a3", "southern_europe": "#d68910"}
MODE_NAMES = {"npm": "NPM (supplier)", "npg": "NPG (partner)", "hierarchy": "hierarchy"}


def _band(ax, x, mean, sd, colour, label, **kw):
    """A line of means with a band of ±1 standard deviation."""
    x, mean, sd = np.asarray(x, float), np.asarray(mean, float), np.asarray(sd, float)
    ax.plot(x, mean, color=colour, label=label, linewidth=1.8, **kw)
    ax.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.18, linewidth=0)


def _four_panels(panels, xlabel: str, draw, legend_size: int = 9, legend_loc: str = "best"):
    """The 2 x 2 figure the outcome figures share: ``draw(ax, column)`` fills each panel."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for ax, (col, label) in zip(axes.flat, panels, strict=True):
        draw(ax, col)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(xlabel)
    axes[0, 0].legend(frameon=False, fontsize=legend_size, loc=legend_loc)
    return fig


def figure_crowding_out(v: Judgement, path: Path) -> Path:
    """Civil output, synergy, hours and trust against steering, npm and npg, ±1 sd bands, peaks marked."""
    table = v.tables["crowding_out"]
    panels = [_panel("civil_output"), _panel("synergy"), _panel("volunteer_hours"), _panel("trust_municipality")]

    def draw(ax, col):
        for mode in ("npm", "npg"):
            sub = table[table["governance_mode"] == mode]
            if sub.empty:
                continue
            _band(ax, sub["steering_intensity"], sub[col], sub[f"{col}_sd"], COLOURS[mode], MODE_NAMES[mode], marker="o", markersize=3)
            if col in ("civil_output", "synergy") and mode in v.numbers:
                pk = v.numbers[mode][col]
                ax.plot([pk["peak_at"]], [pk["peak"]], marker="v", color=COLOURS[mode], markersize=9)
        hours = v.tables.get("crowding_out_hours")
        if hours is not None and col in hours.columns:
            ax.plot(hours["steering_intensity"], hours[col], color=COLOURS["npg"], linestyle="--", marker=".", linewidth=1.4,
                    label="NPG, coordination_gain = 0")

    fig = _four_panels(panels, "Steering intensity (0 no control ... 1 full control)", draw)
    return save_figure(fig, path, "Crowding out: civil output, synergy, hours and trust against steering intensity\n"
                            "(mean of years 9-10; line: mean over seeds, band: ±1 standard deviation; ▼ peak)")


def figure_hysteresis(v: Judgement, path: Path) -> Path:
    """Trust, volunteering, civil output and motivation over 30 years, episode vs control, at trust_loss_ratio = 1."""
    ts = v.tables["hysteresis_timeseries"]
    ratio = v.numbers["ratios"][-1]
    if "trust_loss_ratio" in ts.columns:
        ts = ts[np.isclose(ts["trust_loss_ratio"], float(ratio))]
    onset, release = v.numbers["onset"], v.numbers["release"]
    panels = [_panel("trust_municipality"), _panel("volunteering_rate"), _panel("civil_output"), _panel("mean_motivation")]

    def draw(ax, col):
        ax.axvspan(onset / 12, release / 12, color="#f5b7b1", alpha=0.35, linewidth=0, label="over-steering (steering 0.9)")
        episode = ts[ts["arm"] == "episode"].set_index("step")[col]
        for arm, name in (("control", "control: steering 0.2 throughout"), ("episode", "episode")):
            sub = ts[ts["arm"] == arm]
            _band(ax, sub["step"] / 12, sub[col], sub[f"{col}_sd"], COLOURS[arm], name)
        r = v.numbers.get(f"{col}@{ratio}")
        if r and r["clear_fall"]:
            for start, months, mark in ((onset, r["fall_half_time_months"], "o"), (release, r["recovery_half_time_months"], "s")):
                if months is not None and start + months in episode.index:
                    ax.plot([(start + months) / 12], [episode.loc[start + months]], mark, color="black", markersize=5)
        ax.set_xlim(0, ts["step"].max() / 12)

    fig = _four_panels(panels, f"Years (over-steering months {onset}-{release})", draw, legend_size=8, legend_loc="lower left")
    return save_figure(fig, path, f"Hysteresis: an over-steering episode (shaded) against a control run, trust_loss_ratio = {ratio}\n"
                            "(● half of the gap at release opened, ■ half of it closed again; band: ±1 sd over seeds)")


def figure_country_levels(v: Judgement, path: Path) -> Path:
    """Main effects of the five conditions at years 10 and 50; each country from both starts over 50 years; EU-SILC marks."""
    plt = pyplot()
    eff = v.tables["country_levels_effects"]
    ts = v.tables["country_levels_timeseries"]
    years = v.numbers["years"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.8))
    y = np.arange(len(eff))
    a.barh(y + 0.2, 100 * eff["effect_year10"], height=0.4, color="#aab7b8", label="year 10")
    a.barh(y - 0.2, 100 * eff["effect_end"], height=0.4, color="#2471a3", label=f"year {years}")
    a.set_yticks(y, [c.replace("_", " ") for c in eff["condition"]], fontsize=8)
    a.axvline(0, color="black", linewidth=0.8)
    a.set_xlabel("Effect on the volunteering rate (percentage points, high minus low value)")
    a.set_title("Which condition sets the level", fontsize=9)
    a.legend(frameon=False, fontsize=8)
    a.grid(alpha=0.3, axis="x")
    for scen, sub in ts.groupby("scenario"):
        colour = COLOURS["denmark"] if scen.startswith("denmark") else COLOURS["southern_europe"]
        style = "-" if scen.endswith("40 %") else "--"
        b.plot(sub["step"] / 12, 100 * sub["volunteering_rate"], color=colour, linestyle=style, linewidth=1.8,
               label=scen.replace("southern_europe", "low-trust setting").replace("denmark", "Denmark-like setting"))
    for country, rate in EU_SILC_2015.items():
        b.axhline(100 * rate, color="black", linestyle="--" if country == "Denmark" else ":", linewidth=1)
        b.annotate(f"EU-SILC 2015 {country} {100 * rate:.1f} %", (0.99, 100 * rate), xycoords=("axes fraction", "data"),
                   fontsize=7, ha="right", va="top" if country == "Spain" else "bottom")
    b.set_ylabel("Volunteering rate (% of citizens)")
    b.set_xlabel("Years")
    b.set_title("Each setting from a start at 10 % and at 40 % (mean over seeds)", fontsize=9)
    b.legend(frameon=False, fontsize=7, loc="center right")
    b.grid(alpha=0.3)
    return save_figure(fig, path, "Country levels as attractors: the structural conditions set the level, the start does not")


def figure_being_asked(v: Judgement, path: Path) -> Path:
    """Stacked bars: share of recruits asked vs own initiative per mode, with CPS 2006 marks."""
    plt = pyplot()
    tab = v.tables["being_asked"]
    fig, ax = plt.subplots(figsize=(8, 4.8))
    x = np.arange(len(tab))
    asked = 100 * tab["share_recruited_by_asking"].to_numpy(float)
    own = 100 * tab["share_own_initiative"].to_numpy(float)
    err = 100 * tab.get("share_recruited_by_asking_sd", pd.Series(np.zeros(len(tab)))).fillna(0).to_numpy(float)
    ax.bar(x, asked, color="#2471a3", label="joined because asked", yerr=err, capsize=3)
    ax.bar(x, own, bottom=asked, color="#aed6f1", label="joined on own initiative")
    ax.axhline(100 * CPS_2006["asked"], color="black", linestyle="--", linewidth=1)
    ax.annotate("CPS 2006: 43 % asked", (len(tab) - 0.5, 100 * CPS_2006["asked"]), fontsize=8, ha="right", va="bottom")
    ax.axhline(100 - 100 * CPS_2006["own initiative"], color="black", linestyle=":", linewidth=1)
    ax.annotate("CPS 2006: 41 % own initiative (above this line)", (len(tab) - 0.5, 100 - 100 * CPS_2006["own initiative"]),
                fontsize=8, ha="right", va="bottom")
    ax.set_xticks(x, [MODE_NAMES.get(m, m) for m in tab["governance_mode"]], fontsize=8)
    ax.set_ylabel("Recruits during the run (%)")
    ax.set_xlabel("Governance mode (Danish start unless said)")
    ax.set_ylim(0, 105)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    return save_figure(fig, path, "Being asked: how recruits joined, by governance mode, against CPS 2006\n(years 9-10; error bar: ±1 sd over seeds)")


def figure_voice_to_service(v: Judgement, path: Path) -> Path:
    """Orientation, autonomy, voice and turnover over 10 years, npm vs npg."""
    ts = v.tables["voice_to_service_timeseries"]
    panels = [_panel("service_orientation"), _panel("association_autonomy"), _panel("democratic_voice"),
              ("turnover", "Volunteer turnover\n(% of volunteers quitting per month)")]

    def draw(ax, col):
        for mode in ("npm", "npg"):
            sub = ts[(ts["governance_mode"] == mode) & (ts["step"] >= (1 if col == "turnover" else 0))]
            scale = 100 if col == "turnover" else 1
            y = sub[col] * scale
            if col == "turnover":
                y = smooth(y.reset_index(drop=True), 12)
            _band(ax, sub["step"] / 12, y, sub[f"{col}_sd"] * scale * (0 if col == "turnover" else 1), COLOURS[mode], MODE_NAMES[mode])

    fig = _four_panels(panels, "Years", draw)
    return save_figure(fig, path, "From voice to service: associations and volunteers under supplier (NPM) and partner (NPG) governance\n"
                            "(line: mean over seeds, band: ±1 sd; turnover: 12-month moving average)")


def figure_bonding_bridging(v: Judgement, path: Path) -> Path:
    """Heat maps of E-I index, bridging and bonding capital over pressure x targeting."""
    plt = pyplot()
    g = v.tables["bonding_bridging"]
    panels = [_panel("ei_index"), _panel("bridging_capital"), _panel("bonding_capital")]
    P = sorted(g["quick_results_pressure"].unique())
    T = sorted(g["targeting"].unique())
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
    for ax, (col, label) in zip(axes, panels, strict=True):
        M = g.pivot(index="quick_results_pressure", columns="targeting", values=col).loc[P, T].to_numpy(float)
        im = ax.imshow(M, origin="lower", aspect="auto", cmap="viridis")
        for i in range(len(P)):
            for j in range(len(T)):
                ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if M[i, j] < np.nanmean(M) else "black")
        ax.set_xticks(range(len(T)), [f"{x:g}" for x in T])
        ax.set_yticks(range(len(P)), [f"{x:g}" for x in P])
        ax.set_xlabel("Targeting (0 group-specific ... 1 inclusive)")
        ax.set_ylabel("Pressure for quick results (0 to 1)")
        ax.set_title(label, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return save_figure(fig, path, "Bonding vs bridging: social capital under pressure for quick results x targeting\n"
                            "(npg, mean of years 9-10 over seeds)")


def figure_time_horizon(v: Judgement, path: Path) -> Path:
    """Service output, synergy, trust and voice over 10 years, npm vs npg, crossing marked."""
    ts = v.tables["time_horizon_timeseries"]
    panels = [_panel("service_output"), _panel("synergy"), _panel("trust_municipality"), _panel("democratic_voice")]
    cross = v.numbers.get("service_output_crossing_month")

    def draw(ax, col):
        for mode in ("npm", "npg"):
            sub = ts[ts["governance_mode"] == mode]
            _band(ax, sub["step"] / 12, sub[col], sub[f"{col}_sd"], COLOURS[mode], MODE_NAMES[mode])
        if col == "service_output" and cross is not None:
            ax.axvline(cross / 12, color="black", linestyle=":", linewidth=1)
            ax.annotate(f" npg ahead from month {cross}", (cross / 12, ax.get_ylim()[0]), fontsize=8, va="bottom")

    fig = _four_panels(panels, "Years", draw, legend_loc="lower right")
    return save_figure(fig, path, "Time, time, time: supplier (NPM) vs partner (NPG) governance over ten years\n"
                            "(line: mean over seeds, band: ±1 sd)")



def figure_rank_order(v: Judgement, path: Path) -> Path:
    """S1: the five settings' volunteering over 15 years, one line per setting, the years compared marked."""
    plt = pyplot()
    tab, ts = v.tables["rank_order"], v.tables["rank_order_timeseries"]
    cols = [c for c in tab.columns if c.startswith("volunteering_year")]
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for _, row in tab.iterrows():
        sub = ts[ts["setting"] == row["setting"]]
        line, = ax.plot(sub["step"] / 12, 100 * sub["volunteering_rate"], linewidth=1.6,
                        label=f"societal trust {row['societal_trust']:g}, {int(row['n_associations'])} associations")
        ax.plot([int(c.removeprefix("volunteering_year")) for c in cols], [100 * row[c] for c in cols], "o", color=line.get_color())
    ax.set_xlabel("Years")
    ax.set_ylabel("Volunteering rate (% of citizens)")
    ax.legend(frameon=False, fontsize=7)
    ax.grid(alpha=0.3)
    return save_figure(fig, path, "S1: five structural settings started at 20 % volunteering (npg), mean over seeds\n"
                                  "(● the years whose rank order is compared)")


def figure_vulnerable_gap(v: Judgement, path: Path) -> Path:
    """S2: volunteering of all citizens and of the vulnerable, at no and full pressure for quick results."""
    plt = pyplot()
    tab = v.tables["vulnerable_gap"]
    fig, ax = plt.subplots(figsize=(7, 4.8))
    x = np.arange(len(tab))
    ax.bar(x - 0.2, 100 * tab["volunteering_rate"], width=0.4, color="#2471a3", label="all citizens")
    ax.bar(x + 0.2, 100 * tab["volunteering_rate_vulnerable"], width=0.4, color="#d68910", label="vulnerable citizens")
    ax.set_xticks(x, [f"pressure {q:g}" for q in tab["quick_results_pressure"]])
    ax.set_ylabel("Volunteering rate (% of citizens)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return save_figure(fig, path, "S2: volunteering of all and of vulnerable citizens under pressure for quick results\n(npg, years 9-10)")


def figure_who_wins_what(v: Judgement, path: Path) -> Path:
    """Model 3: the contest's seven indicators per mode (medians over seeds; bars: last two years, dots: year 1), and cost over time."""
    plt = pyplot()
    late, early = v.tables["who_wins_what_late"].set_index("governance_mode"), v.tables["who_wins_what_year1"].set_index("governance_mode")
    ts = v.tables["who_wins_what_timeseries"]
    modes = [m for m in ("hierarchy", "npm", "npg") if m in late.index]
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.5))
    for ax, (col, label, better) in zip(axes.flat, CONTEST, strict=False):
        x = np.arange(len(modes))
        ax.bar(x, [late.loc[m, col] for m in modes], color=[COLOURS[m] for m in modes], width=0.6)
        ax.plot(x, [early.loc[m, col] for m in modes], "o", color="black", markersize=5, label="year 1")
        ax.set_xticks(x, [m for m in modes])
        ax.set_title(f"{label}\n({'higher' if better else 'lower'} is better)", fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes.flat[0].legend(frameon=False, fontsize=8)
    ax = axes.flat[7]
    for m in modes:
        sub = ts[ts["governance_mode"] == m]
        ax.plot(sub["step"] / 12, smooth(sub["cost_per_service"], 12), color=COLOURS[m], label=MODE_NAMES[m])
    ax.set_title("cost per unit of service over time", fontsize=9)
    ax.set_xlabel("years")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(fig, path, "Who wins what: medians over seeds (bars: the last two years; dots: year 1)")


def figure_control_spiral(v: Judgement, path: Path) -> Path:
    """Model 3: final steering in force over two levers (colour), with the final volunteering rate written in each cell."""
    plt = pyplot()
    grid = v.tables["control_spiral_map"]
    sub = v.tables.get("control_spiral_substitution_map")
    level = v.numbers.get("volunteer_substitution")
    at = f", substitution {level:g}" if level is not None else ""
    maps = [(grid[grid["linear_thinking"].astype(bool)], "steering_intensity", "starting steering (the lever)", "linear thinking" + at),
            (grid[~grid["linear_thinking"].astype(bool)], "steering_intensity", "starting steering (the lever)", "feedback learning" + at)]
    if sub is not None:
        maps.append((sub, "volunteer_substitution", "volunteer substitution", "linear thinking, starting steering 0.5"))
    fig, axes = plt.subplots(1, len(maps), figsize=(4.6 * len(maps), 4.4), squeeze=False)
    image = None
    for ax, (frame, ycol, ylabel, title) in zip(axes[0], maps, strict=True):
        steer = frame.pivot_table(index=ycol, columns="quick_results_pressure", values="steering_in_force")
        vol = frame.pivot_table(index=ycol, columns="quick_results_pressure", values="volunteering_rate")
        image = ax.imshow(steer.to_numpy(float), origin="lower", cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto")
        for i in range(steer.shape[0]):
            for j in range(steer.shape[1]):
                ax.text(j, i, f"{steer.iat[i, j]:.2f}\n{100 * vol.iat[i, j]:.0f} %", ha="center", va="center", fontsize=7,
                        color="white" if steer.iat[i, j] > 0.6 else "black")
        ax.set_xticks(range(steer.shape[1]), [f"{q:g}" for q in steer.columns])
        ax.set_yticks(range(steer.shape[0]), [f"{s:g}" for s in steer.index])
        ax.set_xlabel("pressure for quick results")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=axes[0, -1], shrink=0.9, label="steering in force, year 20")
    return save_figure(fig, path, "The control spiral: steering in force after 20 years (colour; top number) and volunteering (bottom)")
