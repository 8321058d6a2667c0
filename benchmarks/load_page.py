"""A class on one machine: N browser sessions on one page server, on 127.0.0.1.

    .venv/bin/python benchmarks/load_page.py --sessions 5            # a quick check
    .venv/bin/python benchmarks/load_page.py --sessions 30           # a class (loads both cores for a few minutes)

Starts the page as ``samskabelse viz`` does (one ``solara run`` process), opens N sessions in
headless Chromium (one browser context each, as N students' browsers), then:

1. **load**: opens every page at once (or over ``--ramp`` seconds); time until its network and plots are drawn;
2. **play**: every session presses ▶ at the page's default speed for ``--play`` seconds;
   months per second of each session;
3. **step**: half the sessions keep playing while the other half press Step ``--steps`` times
   each, all at once; time from the click to the new month on the page (measured in the page);
4. **memory**: the server's resident memory before, at its peak, and after every page is closed
   and the server's session culling (``--cull``, the page's default unless given) has run.

The clients run on the same two cores as the server. They do not lay out and paint the pictures
(a style hides them; the SVG still arrives and is put into the page): drawing 30 pages is the
work of 30 student computers, not of the server. ``--paint`` draws them anyway.

Prints one summary line per phase; ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONTH_JS = "parseInt(((document.querySelector('.samskabelse-month .value')?.innerText || '').match(/(\\d+)/) || [0, -1])[1])"

# Clicks Step and resolves with the milliseconds until the month on the page changes.
STEP_JS = """async () => {
  const chip = document.querySelector('.samskabelse-month .value');
  const before = chip.innerText;
  const button = Array.from(document.querySelectorAll('button')).find(b => b.innerText.trim() === 'Step');
  const t0 = performance.now();
  return await new Promise((resolve) => {
    const seen = () => { if (chip.innerText !== before) { observer.disconnect(); resolve(performance.now() - t0); return true; } return false; };
    const observer = new MutationObserver(seen);
    observer.observe(chip, {childList: true, characterData: true, subtree: true});
    button.click();
    setTimeout(() => { observer.disconnect(); resolve(-1); }, 60000);
  });
}"""

NO_PAINT_CSS = ".samskabelse-layers { display: none; }"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, in seconds (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def open_session(browser, url: str, paint: bool, timeout: float, delay: float = 0.0):
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    t0 = time.monotonic()
    await page.goto(url, timeout=timeout * 1000)
    await page.wait_for_function("document.querySelectorAll('.samskabelse-layers svg').length >= 8 && "
                                 "document.querySelector('.samskabelse-month .value')", timeout=timeout * 1000)
    loaded = time.monotonic() - t0
    if not paint:
        await page.add_style_tag(content=NO_PAINT_CSS)
    return context, page, loaded


async def try_open_session(browser, url: str, paint: bool, timeout: float, delay: float = 0.0):
    """:func:`open_session`, or (context, None, None) when the page did not load within ``timeout``."""
    from playwright.async_api import Error as PlaywrightError

    try:
        return await open_session(browser, url, paint, timeout, delay)
    except PlaywrightError:
        return None, None, None


async def press(page, name: str) -> None:
    await page.locator("button", has_text=name).first.click()


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    from simulation.viz import server_env, solara_command
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port

    port = free_port()
    env = server_env()
    if args.cull:
        env["SOLARA_KERNEL_CULL_TIMEOUT"] = args.cull
    log = open(ROOT / "test-artifacts" / "load-server.log", "w") if (ROOT / "test-artifacts").is_dir() else subprocess.DEVNULL
    server = subprocess.Popen(solara_command("127.0.0.1", port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    figures: dict = {"sessions": args.sessions, "ramp_s": args.ramp, "cull_timeout": env["SOLARA_KERNEL_CULL_TIMEOUT"], "paint": args.paint}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the page server did not answer within 90 s") from None
                await asyncio.sleep(0.3)
        await asyncio.sleep(2)
        figures["rss_before_mb"] = round(rss_mb(server.pid), 1)
        figures_of_waves = {0: figures}

        for wave in range(1, args.waves + 1):
            if args.waves > 1:
                print(f"--- class {wave} of {args.waves}")
            figures = figures_of_waves.setdefault(wave, dict(figures_of_waves[0]))
            peak = rss_mb(server.pid)
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                # 1. load: every page at once
                t0 = time.monotonic()
                cpu0 = cpu_seconds(server.pid)
                tried = await asyncio.gather(*(try_open_session(browser, url, args.paint, args.timeout, i * args.ramp / args.sessions)
                                               for i in range(args.sessions)))
                opened = [o for o in tried if o[1] is not None]
                figures["pages_loaded"] = len(opened)
                if not opened:
                    raise RuntimeError(f"no page loaded within {args.timeout} s")
                loads = [o[2] for o in opened]
                pages = [o[1] for o in opened]
                figures["load_s"] = {"median": round(statistics.median(loads), 2), "max": round(max(loads), 2),
                                     "all_open_after": round(time.monotonic() - t0, 2),
                                     "server_cpu_s_per_page": round((cpu_seconds(server.pid) - cpu0) / args.sessions, 2)}
                print(f"load    {len(opened)} of {args.sessions} pages loaded within {args.timeout:.0f} s: median {figures['load_s']['median']} s, slowest {figures['load_s']['max']} s; "
                      f"server CPU {figures['load_s']['server_cpu_s_per_page']} s per page")
                peak = max(peak, rss_mb(server.pid))

                # 2. play: everyone presses ▶
                await asyncio.gather(*(press(pg, "▶ Play") for pg in pages))
                await asyncio.sleep(1.0)
                start = await asyncio.gather(*(pg.evaluate(MONTH_JS) for pg in pages))
                t_start = time.monotonic()
                cpu_start = cpu_seconds(server.pid)
                samples = []
                while time.monotonic() - t_start < args.play:
                    await asyncio.sleep(min(5.0, args.play))
                    samples.append(rss_mb(server.pid))
                end = await asyncio.gather(*(pg.evaluate(MONTH_JS) for pg in pages))
                elapsed = time.monotonic() - t_start
                server_cpu = (cpu_seconds(server.pid) - cpu_start) / elapsed
                rates = [(e - s) / elapsed for s, e in zip(start, end, strict=True)]
                peak = max(peak, *samples)
                figures["months_per_s"] = {"min": round(min(rates), 2), "median": round(statistics.median(rates), 2),
                                           "max": round(max(rates), 2), "seconds": round(elapsed, 1),
                                           "server_cpu_share_of_one_core": round(server_cpu, 2),
                                           "server_ms_per_month": round(1000 * server_cpu / max(1e-9, sum(rates)), 1)}
                print(f"play    months/s per session: min {min(rates):.2f}, median {statistics.median(rates):.2f}, "
                      f"max {max(rates):.2f} (over {elapsed:.0f} s; the page's default speed is 4); server busy "
                      f"{100 * server_cpu:.0f} % of one core, {figures['months_per_s']['server_ms_per_month']} ms per month")

                # 3. step: half keep playing, the other half pause and press Step
                steppers = pages[1::2] or pages
                await asyncio.gather(*(press(pg, "❚❚ Pause") for pg in steppers))
                await asyncio.sleep(1.0)

                async def steps(pg) -> list[float]:
                    out = []
                    for _ in range(args.steps):
                        out.append(await pg.evaluate(STEP_JS))
                        await asyncio.sleep(0.2)
                    return out

                latencies = [x for batch in await asyncio.gather(*(steps(pg) for pg in steppers)) for x in batch]
                peak = max(peak, rss_mb(server.pid))
                answered = [x for x in latencies if x >= 0]
                figures["step_ms"] = {"p50": round(percentile(answered, 0.5)), "p90": round(percentile(answered, 0.9)),
                                      "max": round(max(answered)) if answered else None, "clicks": len(latencies),
                                      "unanswered": len(latencies) - len(answered),
                                      "while_playing": len(pages) - len(steppers) if len(pages) > 1 else 0}
                print(f"step    {len(latencies)} clicks from {len(steppers)} sessions while {figures['step_ms']['while_playing']} play: "
                      f"p50 {figures['step_ms']['p50']} ms, p90 {figures['step_ms']['p90']} ms, max {figures['step_ms']['max']} ms")
                await asyncio.gather(*(o[0].close() for o in tried if o[0] is not None))
                await browser.close()

            # 4. memory after everyone left
            figures["rss_peak_mb"] = round(peak, 1)
            figures["rss_closed_mb"] = round(rss_mb(server.pid), 1)
            from solara.util import parse_timedelta

            wait = parse_timedelta(env["SOLARA_KERNEL_CULL_TIMEOUT"]) + args.after
            print(f"memory  before {figures['rss_before_mb']} MB, peak {figures['rss_peak_mb']} MB, just closed "
                  f"{figures['rss_closed_mb']} MB; waiting {wait:.0f} s for the culling ...", flush=True)
            await asyncio.sleep(wait)
            figures["rss_after_mb"] = round(rss_mb(server.pid), 1)
            figures["rss_after_wait_s"] = round(wait)
            print(f"memory  {wait:.0f} s after the last page closed: {figures['rss_after_mb']} MB")
        if args.waves > 1:
            figures = {**figures_of_waves[0], "classes": [figures_of_waves[w] for w in range(1, args.waves + 1)]}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=5, help="browser sessions (students)")
    ap.add_argument("--play", type=float, default=20.0, help="seconds every session plays")
    ap.add_argument("--steps", type=int, default=5, help="Step clicks per stepping session")
    ap.add_argument("--cull", default=None, help="server's session culling after a page closes (default: the page's, see "
                                                  "simulation.viz.SESSION_KEPT_AFTER_CLOSE)")
    ap.add_argument("--after", type=float, default=20.0, help="seconds waited beyond the culling time before the last RSS")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a page may take to load")
    ap.add_argument("--ramp", type=float, default=0.0, help="seconds over which the pages are opened (a class opening the "
                                                             "link over half a minute), 0: all at once")
    ap.add_argument("--waves", type=int, default=1, help="classes one after the other on the same server (is memory reused?)")
    ap.add_argument("--paint", action="store_true", help="let the clients paint the pictures too")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args()
    if args.sessions < 1:
        sys.exit("--sessions must be at least 1")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    figures = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
