"""A class on one machine: N student sessions on one page server, on 127.0.0.1.

    .venv/bin/python benchmarks/load_page.py --sessions 5                      # 5 headless Chromium sessions
    .venv/bin/python benchmarks/load_page.py --sessions 30 --client protocol   # a class, without browsers

Starts the page as ``samskabelse viz`` does (``--workers`` server processes, default one per core,
as for a class), opens N sessions, then:

1. **load**: opens every page at once (or over ``--ramp`` seconds); time until its network and plots are there;
2. **play**: every session presses ▶ at the page's default speed for ``--play`` seconds;
   months per second of each session;
3. **step**: half the sessions keep playing while the other half press Step ``--steps`` times
   each, all at once; time from the click to the new month on the page;
4. **memory**: the server's resident memory (all its processes) before, at its peak, and after
   every page is closed, the server's session culling (``--cull``, the page's default unless
   given) has run and each worker left without sessions has been replaced by a fresh one
   (``--restart-idle-after``, the page's default unless given).

Two kinds of client (``--client``):

* ``chromium`` (default): headless Chromium, one browser context per session, as N students'
  browsers. They do not lay out and paint the pictures (a style hides them; the SVG still arrives
  and is put into the page); ``--paint`` draws them anyway. On one 2-core machine about 10 of
  them saturate the cores the server also needs.
* ``protocol``: :class:`benchmarks.load_protocol.PageSession`, which speaks Solara's websocket
  protocol as the browser's widget manager does (the same messages, so the server does the same
  work) but builds no page: all sessions in this one process, a few per cent of a core.

The clients run on the same two cores as the server. Prints one summary line per phase;
``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
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

#: The buttons' labels on the (English) page, for the browser client.
LABELS = {"play": "▶ Play", "pause": "❚❚ Pause", "step": "Step", "reset": "Reset"}


def server_processes(pid: int) -> list[int]:
    """The server's process and its children (the page's worker processes), from /proc."""
    try:
        return [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return [pid]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    for p in server_processes(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children have used so far, in seconds (from /proc)."""
    total = 0
    for p in server_processes(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (linear between neighbours), NaN if there are none."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def load_average() -> float:
    """The machine's 1-minute load average (everything running, not only this benchmark)."""
    return round(os.getloadavg()[0], 2)


def live_sessions(url: str) -> int | None:
    """How many sessions (Solara kernels) the server holds now, from its ``/resourcez`` page; None if it does not say.

    With more than one worker process, this is the count of whichever worker answered.
    """
    try:
        with urllib.request.urlopen(url + "resourcez", timeout=10) as r:
            return int(json.loads(r.read())["kernels"]["total"])
    except (OSError, ValueError, KeyError):
        return None


def seconds_until_fresh_workers(env: dict, restart_idle_after: float | None) -> float:
    """Longest time from the last page's close until every worker has been replaced by a fresh one.

    The session's culling (``SOLARA_KERNEL_CULL_TIMEOUT``), then the idle time, checked every
    quarter of it (``simulation.viz.app``), then about 10 s for a fresh worker to start.
    """
    from solara.util import parse_timedelta

    from simulation.viz.server import RESTART_IDLE_WORKER_AFTER

    restart = RESTART_IDLE_WORKER_AFTER if restart_idle_after is None else restart_idle_after
    return parse_timedelta(env["SOLARA_KERNEL_CULL_TIMEOUT"]) + 1.25 * restart + 10


async def memory_after_fresh_workers(server: subprocess.Popen, env: dict, restart_idle_after: float | None,
                                     after: float) -> dict:
    """Once every page of a class has closed: wait out the culling and the idle workers' replacement, then read memory.

    Returns ``rss_after_mb`` (the server's processes), ``rss_after_wait_s`` and ``workers_restarted``
    (how many of the class's workers were replaced by fresh ones).
    """
    workers_in_class = set(server_processes(server.pid)[1:])
    wait = seconds_until_fresh_workers(env, restart_idle_after) + after
    print(f"memory  waiting {wait:.0f} s for the culling and the idle workers' restart ...", flush=True)
    await asyncio.sleep(wait)
    return {"rss_after_mb": round(rss_mb(server.pid), 1), "rss_after_wait_s": round(wait),
            "workers_restarted": len(workers_in_class - set(server_processes(server.pid)[1:]))}


def start_server(cull: str | None = None, wait: float = 90.0, log: Path | None = None,
                 extra_env: dict[str, str] | None = None, workers: int = 1,
                 restart_idle_after: float | None = None) -> tuple[subprocess.Popen, str, dict]:
    """Start the page as ``samskabelse viz`` does, on a free port of 127.0.0.1; returns (process, address, environment).

    The server ends with this process however it ends (``end_with_this_process``); raises
    RuntimeError (after stopping it) if it does not answer within ``wait`` seconds.
    """
    from simulation.viz import end_with_this_process, server_command, server_env
    from tests.test_browser import free_port

    port = free_port()
    env = server_env()
    if cull:
        env["SOLARA_KERNEL_CULL_TIMEOUT"] = cull
    env.update(extra_env or {})
    if log is None and (ROOT / "test-artifacts").is_dir():
        log = ROOT / "test-artifacts" / "load-server.log"
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - the server's log, open while it runs
    server = subprocess.Popen(server_command("127.0.0.1", port, workers, restart_idle_after), cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, preexec_fn=end_with_this_process())
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return server, url, env
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                stop_server(server)
                raise RuntimeError(f"the page server did not answer within {wait:.0f} s") from None
            time.sleep(0.3)


def stop_server(server: subprocess.Popen) -> None:
    """Stop the page server (SIGTERM, then SIGKILL after 10 s)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class BrowserSession:
    """One student's page in headless Chromium (its own browser context)."""

    def __init__(self, browser, url: str, paint: bool, timeout: float) -> None:
        self.browser, self.url, self.paint, self.timeout = browser, url, paint, timeout
        self.context = None
        self.page = None

    async def open(self) -> float:
        self.context = await self.browser.new_context(viewport={"width": 1280, "height": 720})
        self.page = await self.context.new_page()
        t0 = time.monotonic()
        await self.page.goto(self.url, timeout=self.timeout * 1000)
        await self.page.wait_for_function("document.querySelectorAll('.samskabelse-layers svg').length >= 8 && "
                                          "document.querySelector('.samskabelse-month .value')", timeout=self.timeout * 1000)
        loaded = time.monotonic() - t0
        if not self.paint:
            await self.page.add_style_tag(content=NO_PAINT_CSS)
        return loaded

    async def press(self, control: str) -> None:
        await self.page.locator("button", has_text=LABELS[control]).first.click()

    async def current_month(self) -> int:
        return await self.page.evaluate(MONTH_JS)

    async def step(self) -> float:
        return await self.page.evaluate(STEP_JS)

    async def close(self, beacon: bool = False) -> None:
        if self.context is not None:
            if beacon and self.page is not None:
                await self.page.close(run_before_unload=True)  # the page's beforeunload sends the close beacon
            await self.context.close()


class ChromiumClients:
    """Headless Chromium: one browser, one context per session."""

    name = "chromium"
    errors: tuple = ()

    def __init__(self, url: str, args) -> None:
        self.url, self.args = url, args

    async def __aenter__(self):
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright

        from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

        self.errors = (PlaywrightError,)
        self._playwright = await async_playwright().start()
        self.browser = await self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self.browser.close()
        finally:
            await self._playwright.stop()

    def session(self) -> BrowserSession:
        return BrowserSession(self.browser, self.url, self.args.paint, self.args.timeout)


class ProtocolClients:
    """Solara's protocol without a browser (:mod:`benchmarks.load_protocol`), every session in this process."""

    name = "protocol"

    def __init__(self, url: str, args) -> None:
        from benchmarks.load_protocol import ProtocolError

        self.url, self.args = url, args
        self.errors = (ProtocolError, OSError, TimeoutError)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    def session(self):
        from benchmarks.load_protocol import PageSession

        return PageSession(self.url, timeout=self.args.timeout, assets=not self.args.no_assets)


async def try_open(clients, session, delay: float) -> float | None:
    """Open ``session`` after ``delay`` seconds; its load time, or None when it did not load within the timeout."""
    await asyncio.sleep(delay)
    try:
        return await session.open()
    except clients.errors as e:
        print(f"        a page did not load: {e}", flush=True)
        return None


async def one_class(clients, server: subprocess.Popen, url: str, args, figures: dict) -> float:
    """Phases 1-3 for one class; fills ``figures`` and returns the server's peak RSS seen."""
    peak = rss_mb(server.pid)
    sessions = [clients.session() for _ in range(args.sessions)]
    try:
        # 1. load: every page at once (or over the ramp)
        t0 = time.monotonic()
        cpu0 = cpu_seconds(server.pid)
        loads = await asyncio.gather(*(try_open(clients, s, i * args.ramp / args.sessions) for i, s in enumerate(sessions)))
        opened = [s for s, t in zip(sessions, loads, strict=True) if t is not None]
        times = [t for t in loads if t is not None]
        figures["pages_loaded"] = len(opened)
        if not opened:
            raise RuntimeError(f"no page loaded within {args.timeout} s")
        figures["load_s"] = {"median": round(statistics.median(times), 2), "max": round(max(times), 2),
                             "all_open_after": round(time.monotonic() - t0, 2),
                             "server_cpu_s_per_page": round((cpu_seconds(server.pid) - cpu0) / args.sessions, 2),
                             "load_average": load_average()}
        print(f"load    {len(opened)} of {args.sessions} pages loaded within {args.timeout:.0f} s: median {figures['load_s']['median']} s, "
              f"slowest {figures['load_s']['max']} s; server CPU {figures['load_s']['server_cpu_s_per_page']} s per page", flush=True)
        peak = max(peak, rss_mb(server.pid))
        figures["sessions_on_server"] = live_sessions(url)

        # 2. play: everyone presses ▶
        await asyncio.gather(*(s.press("play") for s in opened))
        await asyncio.sleep(1.0)
        start = await asyncio.gather(*(s.current_month() for s in opened))
        t_start = time.monotonic()
        cpu_start, client_cpu_start = cpu_seconds(server.pid), time.process_time()
        samples, loads_seen = [], []
        while time.monotonic() - t_start < args.play:
            await asyncio.sleep(min(5.0, args.play))
            samples.append(rss_mb(server.pid))
            loads_seen.append(load_average())
        end = await asyncio.gather(*(s.current_month() for s in opened))
        elapsed = time.monotonic() - t_start
        server_cpu = (cpu_seconds(server.pid) - cpu_start) / elapsed
        client_cpu = (time.process_time() - client_cpu_start) / elapsed
        rates = [(e - s) / elapsed for s, e in zip(start, end, strict=True)]
        peak = max(peak, *samples)
        figures["months_per_s"] = {"min": round(min(rates), 2), "median": round(statistics.median(rates), 2),
                                   "max": round(max(rates), 2), "seconds": round(elapsed, 1),
                                   "server_cpu_share_of_one_core": round(server_cpu, 2),
                                   "server_ms_per_month": round(1000 * server_cpu / max(1e-9, sum(rates)), 1),
                                   "load_average_max": max(loads_seen)}
        if clients.name == "protocol":
            figures["months_per_s"]["client_cpu_share_of_one_core"] = round(client_cpu, 2)
        print(f"play    months/s per session: min {min(rates):.2f}, median {statistics.median(rates):.2f}, "
              f"max {max(rates):.2f} (over {elapsed:.0f} s; the page's default speed is 4); server busy "
              f"{100 * server_cpu:.0f} % of one core, {figures['months_per_s']['server_ms_per_month']} ms per month; "
              f"load average up to {max(loads_seen)}", flush=True)

        # 3. step: half keep playing, the other half pause and press Step
        steppers = opened[1::2] or opened
        await asyncio.gather(*(s.press("pause") for s in steppers))
        await asyncio.sleep(1.0)

        async def steps(session) -> list[float]:
            out = []
            for _ in range(args.steps):
                out.append(await session.step())
                await asyncio.sleep(0.2)
            return out

        cpu_start, t_start = cpu_seconds(server.pid), time.monotonic()
        latencies = [x for batch in await asyncio.gather(*(steps(s) for s in steppers)) for x in batch]
        server_cpu = (cpu_seconds(server.pid) - cpu_start) / (time.monotonic() - t_start)
        peak = max(peak, rss_mb(server.pid))
        answered = [x for x in latencies if x >= 0]
        unanswered = len(latencies) - len(answered)
        figures["step_ms"] = {"p50": round(percentile(answered, 0.5)), "p90": round(percentile(answered, 0.9)),
                              "max": round(max(answered)) if answered else None, "clicks": len(latencies),
                              "unanswered": unanswered,
                              "while_playing": len(opened) - len(steppers) if len(opened) > 1 else 0,
                              "server_cpu_share_of_one_core": round(server_cpu, 2), "load_average": load_average()}
        print(f"step    {len(latencies)} clicks from {len(steppers)} sessions while {figures['step_ms']['while_playing']} play: "
              f"p50 {figures['step_ms']['p50']} ms, p90 {figures['step_ms']['p90']} ms, max {figures['step_ms']['max']} ms"
              f"{f', {unanswered} unanswered' if unanswered else ''}", flush=True)
    finally:
        await asyncio.gather(*(s.close(beacon=args.beacon) for s in sessions), return_exceptions=True)
    return peak


async def run(args) -> dict:
    """Start the server, run ``args.waves`` classes on it, measure, stop the server."""
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    server, url, env = start_server(args.cull, extra_env=extra_env, workers=args.workers, restart_idle_after=args.restart_idle_after)
    figures: dict = {"server_env": extra_env, "client": args.client, "sessions": args.sessions, "ramp_s": args.ramp,
                     "workers": args.workers, "cull_timeout": env["SOLARA_KERNEL_CULL_TIMEOUT"],
                     "restart_idle_after_s": args.restart_idle_after, "paint": args.paint, "beacon": args.beacon,
                     "cores": os.cpu_count()}
    if args.client == "protocol":
        figures["assets"] = not args.no_assets
    Clients = ProtocolClients if args.client == "protocol" else ChromiumClients  # noqa: N806
    try:
        await asyncio.sleep(2)
        figures["rss_before_mb"] = round(rss_mb(server.pid), 1)
        figures["load_average_before"] = load_average()
        figures_of_waves = {0: figures}
        for wave in range(1, args.waves + 1):
            if args.waves > 1:
                print(f"--- class {wave} of {args.waves}")
            figures = figures_of_waves.setdefault(wave, dict(figures_of_waves[0]))
            async with Clients(url, args) as clients:
                peak = await one_class(clients, server, url, args, figures)

            # 4. memory after everyone left
            figures["rss_peak_mb"] = round(peak, 1)
            figures["rss_closed_mb"] = round(rss_mb(server.pid), 1)
            print(f"memory  before {figures['rss_before_mb']} MB, peak {figures['rss_peak_mb']} MB, just closed "
                  f"{figures['rss_closed_mb']} MB", flush=True)
            figures.update(await memory_after_fresh_workers(server, env, args.restart_idle_after, args.after))
            wait = figures["rss_after_wait_s"]
            figures["sessions_on_server_after"] = live_sessions(url) if args.workers == 1 else None
            left = (f"{figures['sessions_on_server_after']} sessions left on the server; " if args.workers == 1 else "")
            print(f"memory  {wait:.0f} s after the last page closed: {figures['rss_after_mb']} MB; {left}"
                  f"{figures['workers_restarted']} of {args.workers} workers replaced by fresh ones (a worker is replaced "
                  f"only when it holds no session)", flush=True)
        if args.waves > 1:
            figures = {**figures_of_waves[0], "classes": [figures_of_waves[w] for w in range(1, args.waves + 1)]}
    finally:
        stop_server(server)
    return figures


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=5, help="sessions (students)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="server processes (default: one per core, as `samskabelse viz --host 0.0.0.0` starts for a class)")
    ap.add_argument("--restart-idle-after", type=float, default=None, metavar="S",
                    help="seconds a worker without sessions waits before a fresh one replaces it (default: the page's)")
    ap.add_argument("--client", choices=("chromium", "protocol"), default="chromium",
                    help="headless Chromium, or Solara's protocol without a browser (see above)")
    ap.add_argument("--play", type=float, default=20.0, help="seconds every session plays")
    ap.add_argument("--steps", type=int, default=5, help="Step clicks per stepping session")
    ap.add_argument("--cull", default=None, help="server's session culling after a page closes (default: the page's, see "
                                                  "simulation.viz.SESSION_KEPT_AFTER_CLOSE)")
    ap.add_argument("--after", type=float, default=20.0, help="seconds waited beyond the culling time before the last RSS")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a page may take to load (and a click to be answered)")
    ap.add_argument("--ramp", type=float, default=0.0, help="seconds over which the pages are opened (a class opening the "
                                                             "link over half a minute), 0: all at once")
    ap.add_argument("--waves", type=int, default=1, help="classes one after the other on the same server (is memory reused?)")
    ap.add_argument("--beacon", action="store_true", help="closed pages tell the server at once, as a browser tab closed by "
                                                            "its student does; otherwise the server frees them at its culling")
    ap.add_argument("--paint", action="store_true", help="chromium: let the clients paint the pictures too")
    ap.add_argument("--no-assets", action="store_true", help="protocol: skip fetching the page's scripts and style sheets")
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the server (e.g. MALLOC_ARENA_MAX=2); may be repeated")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args()
    if args.sessions < 1:
        ap.error("--sessions must be at least 1")
    if any("=" not in item or item.startswith("=") for item in args.server_env):
        ap.error("--server-env takes NAME=VALUE")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    signal.signal(signal.SIGTERM, _interrupt)  # a killed benchmark stops its server too (see run's finally)
    try:
        figures = asyncio.run(run(args))
    except KeyboardInterrupt:
        print("interrupted: the page server is stopped", file=sys.stderr)
        sys.exit(130)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
