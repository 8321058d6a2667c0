"""The 90-minute lesson in Danish, by a whole class at once, on one machine (issue 14's "done when").

    .venv/bin/python benchmarks/load_lesson.py --sessions 30

Starts the page as ``samskabelse viz --host 0.0.0.0`` would for a class (one server process per
core) on 127.0.0.1, and lets ``--sessions`` students (the browserless client of
:mod:`benchmarks.load_protocol`) open ``/?lang=da`` and do every click of worksheets 1-4 of the
90-minute plan (``docs/teaching/da/lesson-plans.md``, ``worksheets.md``), all at the same time:

0. type their seed (student k has seed ``1 + (k-1) % 20``, as the class list gives 1 to 20) and Reset;
1. over-steering: ▶ to month 24 (the last months with Step, as the worksheet's low speed allows),
   *Overstyr (0,9)*, ▶ to month 60, *Skru ned (0,2)*, ▶ to month 240; Reset; the control run to 240;
2. suppliers or partners: each governance mode chosen, Reset, ten years (NPM, NPG, Hierarchy);
3. who is reached: inclusive outreach 0, then 1, then 1 with pressure for quick results 1; Reset, ten years each;
4. the group's failure mode (student k is in group ``1 + (k-1) % 7``): baseline, Reset, ten years;
   the group's lever, Reset, ten years.

A real class spreads these clicks over 90 minutes with talk in between; here every session
clicks on as soon as the page has answered, so the whole lesson's model work (1,440 months a
student) comes in a few minutes: a harsher load than the lesson. What it checks, per student:
the page is in Danish (the controls are found by their Danish labels), every run reaches its
month, the live levers are pressed in the worksheet's months, each Reset starts the run with the
settings chosen (month 0, no "pending" notice, the new run in the list of runs, whose line names
the student's seed and, in worksheet 2, the mode chosen). What it measures: how long the lesson took, the
months a second while playing, and the time from each Reset and each Step to the page's answer.
``--spread S``: the students begin over S seconds instead of at once (as a class does, a student
reading faster than another), so their Resets do not all come in the same second. Then every
page is closed and the server's memory is read after its culling and idle workers' restart.
``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.load_page import (  # noqa: E402
    memory_after_fresh_workers,
    percentile,
    rss_mb,
    start_server,
    stop_server,
)
from benchmarks.load_protocol import PLAY_SIGNS, PageSession, ProtocolError  # noqa: E402

#: Worksheet 4's groups: the lever each sets (name, value), as in the worksheet's table.
GROUP_LEVERS = {
    1: [("steering_intensity", 0.9)],
    2: [("linear_thinking", True)],
    3: [("quick_results_pressure", 1.0)],
    4: [("sense_making", 0.0)],
    5: [("threat_sensitivity", 1.0), ("volunteer_substitution", 0.6)],
    6: [("targeting", 0.0)],
    7: [("contract_competition", 1.0)],
}
#: The lesson's months: over-steer at, ease off at, worksheet 1's runs to, the other worksheets' runs to.
LESSON_MONTHS = (24, 60, 240, 120)
#: ``--short``: the same clicks on short runs (a smoke test of the script, not a lesson).
SHORT_MONTHS = (3, 5, 8, 6)


class Student:
    """One student's page, found and clicked by its Danish labels."""

    def __init__(self, url: str, number: int, timeout: float, months: tuple[int, int, int, int] = LESSON_MONTHS) -> None:
        self.number = number
        self.oversteer_at, self.ease_at, self.long_run, self.run = months
        self.seed = 1 + (number - 1) % 20
        self.group = 1 + (number - 1) % 7
        self.page = PageSession(url, timeout=timeout, assets=True, query="lang=da")
        self.clicks_ms: dict[str, list[float]] = {"reset": [], "step": []}
        self.play_rates: list[float] = []
        self.pressed_at: dict[str, int] = {}

    # --- finding the page's widgets by their Danish text --------------------------------------
    def by_label(self, text: str) -> str:
        """The widget (select, text field, checkbox) whose label is ``text``."""
        found = [i for i, s in self.page.widgets.items() if s.get("label") == text]
        if not found:
            raise ProtocolError(f"student {self.number}: no field labelled {text!r} on the page (not in Danish?)")
        return found[0]

    def slider(self, lever: str) -> str:
        """The start-settings slider of a lever (inside the box with class ``samskabelse-lever-<name>``)."""
        for box in self.page.with_class(f"samskabelse-lever-{lever}"):
            for w in self.page.descendants(box):
                if self.page.widgets[w].get("_model_name") == "SliderModel":
                    return w
        raise ProtocolError(f"student {self.number}: no slider for {lever}")

    def runs_listed(self) -> str:
        """The page's list of runs (this run and the earlier ones kept), with their settings, as its HTML."""
        return " ".join(self.page.widgets[w].get("unsafe_innerHTML") or "" for w in self.page.with_class("samskabelse-run-list"))

    def check_this_run(self, *texts: str) -> None:
        """Raise unless the page's line for this run names each of ``texts`` (its settings as the page shows them)."""
        this_run = self.runs_listed().split("</li>")[0]
        missing = [x for x in texts if x not in this_run]
        if missing:
            raise ProtocolError(f"student {self.number}: this run's line lacks {missing}: {this_run}")

    def pending(self) -> bool:
        """Whether the page says the start settings differ from the run's (Reset not yet pressed)."""
        return bool(self.page.with_class("samskabelse-pending"))

    # --- what a student does --------------------------------------------------------------------
    async def set_value(self, widget: str, value, events: tuple[str, ...] = ()) -> None:
        await self.page.send_to_widget(widget, {"method": "update", "state": {"v_model": value}, "buffer_paths": []})
        for event in events:
            await self.page.send_to_widget(widget, {"method": "custom", "content": {"event": event, "data": {}}})

    async def set_lever(self, name: str, value) -> None:
        from simulation.viz.settings import label, lever_switches

        if name in lever_switches():
            await self.set_value(self.by_label(label(name, "da")), bool(value))
        else:
            await self.set_value(self.slider(name), float(value))

    async def click(self, control: str, answered) -> None:
        """Press a control and wait until ``answered()``; the time it took is kept."""
        t0 = time.monotonic()
        await self.page.press(control)
        await self.page.wait_for(answered, f"the answer to {control}")
        self.clicks_ms[control].append(1000 * (time.monotonic() - t0))

    async def reset(self) -> None:
        """Reset: answered when the page shows month 0, no pending notice and the new run in its list of runs."""
        before = self.runs_listed()
        await self.click("reset", lambda: self.page.month == 0 and not self.pending() and self.runs_listed() != before)

    async def play_to(self, month: int, by_step_from: int | None = None) -> None:
        """▶ until ``month`` (or until ``by_step_from``, then Step by Step to ``month``), then ❚❚."""
        target = month if by_step_from is None else by_step_from
        start, t0 = self.page.month, time.monotonic()
        await self.page.press("play")
        await self.page.wait_for(lambda: self.page.month >= target, f"month {target}", timeout=max(60.0, 2.0 * (target - start)))
        await self.page.press("pause")
        await self.page.wait_for(lambda: PLAY_SIGNS["play"] in self.page.label(self.page.button("play")), "▶ back")
        self.play_rates.append((self.page.month - start) / max(1e-9, time.monotonic() - t0))
        while self.page.month < month:
            self.clicks_ms["step"].append(await self.page.step())

    async def live_lever(self, control: str, name: str) -> None:
        before = self.page.month
        await self.page.press(control)
        self.pressed_at[name] = before
        await asyncio.sleep(0.2)

    async def ten_years(self) -> None:
        await self.reset()
        await self.play_to(self.run)

    async def lesson(self, start_after: float = 0.0) -> float:
        """Worksheets 1-4 of the 90-minute plan, begun ``start_after`` seconds after the page was there; returns its seconds."""
        await asyncio.sleep(start_after)
        from simulation.viz.settings import available_scenarios
        from simulation.viz.text import MODE_LABELS, t

        page = self.page
        t0 = time.monotonic()
        await self.set_value(self.by_label(t("da", "seed")), str(self.seed), events=("keyup.enter",))
        await self.reset()
        seed = f"{t('da', 'seed_short')} {self.seed}"
        self.check_this_run(seed)
        # worksheet 1: over-steering and the long way back, then the control run
        await self.play_to(self.oversteer_at, by_step_from=self.oversteer_at - 2)
        await self.live_lever("oversteer", "oversteer")
        await self.play_to(self.ease_at, by_step_from=self.ease_at - 2)
        await self.live_lever("ease", "ease")
        await self.play_to(self.long_run)
        await self.reset()
        await self.play_to(self.long_run)
        # worksheet 2: each governance mode, ten years
        for m in ("npm", "npg", "hierarchy"):  # the field is looked up each time: a Reset may draw it anew
            await self.set_value(self.by_label(t("da", "mode")), MODE_LABELS["da"][m])
            await page.wait_for(self.pending, f"the pending notice after choosing {m}")
            await self.ten_years()
            self.check_this_run(seed, MODE_LABELS["da"][m])
        await self.set_value(self.by_label(t("da", "mode")), MODE_LABELS["da"]["npg"])
        # worksheet 3: who is reached
        for targeting, pressure in ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)):
            await self.set_lever("targeting", targeting)
            await self.set_lever("quick_results_pressure", pressure)
            await self.ten_years()
        # worksheet 4: the group's failure mode against the baseline (the Danish scenario as it comes)
        scenario, titles = self.by_label(t("da", "scenario")), available_scenarios("da")
        for name in ("npg_partnership", "denmark"):  # another first: choosing the scenario shown changes nothing
            await self.set_value(scenario, titles[name][0])
        await self.ten_years()
        for name, value in GROUP_LEVERS[self.group]:
            await self.set_lever(name, value)
        await self.ten_years()
        return time.monotonic() - t0


def danish_controls(student: Student) -> bool:
    """Whether the page's controls carry their Danish text (▶ Afspil, Nulstil, Tilfældighedstal, Styringsform)."""
    from simulation.viz.text import t

    page = student.page
    play_label = page.label(page.button("play"))
    texts = {s.get("label") for s in page.widgets.values()}
    return t("da", "play") in play_label and {t("da", "seed"), t("da", "mode")} <= texts and t("en", "seed") not in texts


async def run_class(args) -> dict:
    server, url, env = start_server(args.cull, workers=args.workers, restart_idle_after=args.restart_idle_after)
    figures: dict = {"sessions": args.sessions, "workers": args.workers, "spread_s": args.spread,
                     "cull_timeout": env["SOLARA_KERNEL_CULL_TIMEOUT"]}
    try:
        await asyncio.sleep(2)
        figures["rss_before_mb"] = round(rss_mb(server.pid), 1)
        months = SHORT_MONTHS if args.short else LESSON_MONTHS
        students = [Student(url, k, args.timeout, months) for k in range(1, args.sessions + 1)]
        t0 = time.monotonic()
        loads = await asyncio.gather(*(s.page.open() for s in students))
        figures["load_s"] = {"median": round(statistics.median(loads), 2), "max": round(max(loads), 2)}
        print(f"load    {len(students)} pages in Danish loaded: median {figures['load_s']['median']} s, slowest "
              f"{figures['load_s']['max']} s", flush=True)
        danish = [danish_controls(s) for s in students]
        peak = [rss_mb(server.pid)]

        async def watch_memory() -> None:
            while True:
                await asyncio.sleep(5)
                peak.append(rss_mb(server.pid))

        watcher = asyncio.create_task(watch_memory())
        starts = random.Random(args.sessions).sample(range(1000), len(students))  # the class's order, reproducible
        results = await asyncio.gather(*(s.lesson(args.spread * k / 1000) for s, k in zip(students, starts, strict=True)),
                                       return_exceptions=True)
        watcher.cancel()
        failed = [(s.number, repr(r)) for s, r in zip(students, results, strict=True) if isinstance(r, BaseException)]
        done = [r for r in results if not isinstance(r, BaseException)]
        rates = [r for s in students for r in s.play_rates]
        figures.update({
            "danish_pages": sum(danish), "lessons_completed": len(done), "failures": failed,
            "lesson_s": {"median": round(statistics.median(done), 1), "max": round(max(done), 1)} if done else None,
            "all_done_after_s": round(time.monotonic() - t0, 1),
            "months_per_s_while_playing": {"p10": round(percentile(rates, 0.1), 2), "median": round(percentile(rates, 0.5), 2)},
            "live_levers_pressed_at": sorted({f"{k} {v}" for s in students for k, v in s.pressed_at.items()}),
            "rss_peak_mb": round(max(peak), 1),
        })
        for control in ("reset", "step"):
            times = [c for s in students for c in s.clicks_ms[control]]
            answered = [c for c in times if c >= 0]
            figures[f"{control}_ms"] = {"p50": round(percentile(answered, 0.5)), "p90": round(percentile(answered, 0.9)),
                                        "max": round(max(answered)), "clicks": len(times), "unanswered": len(times) - len(answered)
                                        } if answered else {"clicks": len(times), "unanswered": len(times)}
        print(f"lesson  {len(done)} of {len(students)} students did worksheets 1-4 ({sum(danish)} pages in Danish); "
              f"median {figures['lesson_s']['median'] if done else '-'} s, all done after {figures['all_done_after_s']} s", flush=True)
        print(f"play    months/s while playing: p10 {figures['months_per_s_while_playing']['p10']}, median "
              f"{figures['months_per_s_while_playing']['median']}; live levers pressed at {figures['live_levers_pressed_at']}", flush=True)
        for control in ("reset", "step"):
            f = figures[f"{control}_ms"]
            print(f"{control:7s} {f['clicks']} clicks: p50 {f.get('p50')} ms, p90 {f.get('p90')} ms, max {f.get('max')} ms, "
                  f"{f['unanswered']} unanswered", flush=True)
        for number, error in failed:
            print(f"        student {number}: {error}", flush=True)
        await asyncio.gather(*(s.page.close(beacon=True) for s in students), return_exceptions=True)
        print(f"memory  before {figures['rss_before_mb']} MB, peak {figures['rss_peak_mb']} MB", flush=True)
        figures.update(await memory_after_fresh_workers(server, env, args.restart_idle_after, args.after))
        print(f"memory  after the class: {figures['rss_after_mb']} MB; {figures['workers_restarted']} of {args.workers} "
              "workers replaced by fresh ones", flush=True)
    finally:
        stop_server(server)
    return figures


def main() -> int:
    import os

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=30, help="students (default 30)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server processes (default: one per core)")
    ap.add_argument("--cull", default="1m", help="server's session culling after a page closes (default 1m)")
    ap.add_argument("--restart-idle-after", type=float, default=None,
                    help="seconds without sessions after which a worker is replaced (default: the server's, 60)")
    ap.add_argument("--after", type=float, default=20.0, help="seconds waited beyond culling and restart before the last RSS")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds any one wait may take")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    ap.add_argument("--spread", type=float, default=0.0,
                    help="students begin over this many seconds (default 0: all at once, each click as soon as the last is answered)")
    ap.add_argument("--short", action="store_true", help="the same clicks on runs of a few months (a smoke test, not the lesson)")
    args = ap.parse_args()
    figures = asyncio.run(run_class(args))
    print(json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    ok = figures["lessons_completed"] == args.sessions and figures["danish_pages"] == args.sessions
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
