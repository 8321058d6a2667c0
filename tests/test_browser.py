"""The browser page end to end, in a real headless Chromium driven by Playwright.

Starts ``solara run`` on a free localhost port as ``samskabelse viz`` does, opens the page in
Debian's Chromium (``/usr/bin/chromium``; ``scripts/install-browser-deps`` installs it), and
does what a teacher does: look at the network and the plots, press Step, play and pause right
after Reset, over-steer with the live lever, download the run, switch to Danish and reload; and
checks the layout on a projector (1280×720) and a tablet. Screenshots go to ``test-artifacts/``.

Run alone with ``pytest -m browser``. ``python tests/test_browser.py docs/img`` makes the
README's screenshots at projector size in both languages (``page-en.png``, ``page-da.png``):
a run with an over-steering episode and its recovery, over an earlier run without it.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install it with `sudo bash scripts/install-browser-deps`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return 'playwright is not installed: pip install -e ".[test]"'
    try:
        import solara  # noqa: F401
    except ImportError:
        return 'the browser stack is not installed: pip install -e ".[viz]"'
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``solara run`` of the page on a free localhost port, as ``samskabelse viz`` starts it."""

    def __init__(self) -> None:
        from simulation.viz import server_command, server_env

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / "viz-server.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(server_command("127.0.0.1", self.port), cwd=ROOT, env=server_env(),
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"no HTTP 200 from {self.url} within {timeout} s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


MONTH_JS = "parseInt(((document.querySelector('.samskabelse-month .value')?.innerText || '').match(/(\\d+)/) || [0, -1])[1])"


class PageDriver:
    """What a user does on the page, in Playwright terms."""

    def __init__(self, page) -> None:
        self.page = page

    def open(self, url: str) -> None:
        self.page.goto(url)
        # the page renders over a websocket: wait until the network and the panels are drawn
        self.page.wait_for_function(
            "document.querySelectorAll('.samskabelse-layers svg').length >= 8 && "
            "document.querySelector('.samskabelse-month .value')",
            timeout=60_000,
        )

    def text(self, css: str) -> str:
        return self.page.locator(css).first.inner_text().strip()

    def month(self) -> int:
        return self.page.evaluate(MONTH_JS)

    def steering(self) -> float:
        return float(self.text(".samskabelse-steering .value").replace(",", "."))

    def button(self, name: str):
        return self.page.locator("button", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$", re.I)).first

    def wait_month(self, condition: str, timeout: float = 15) -> None:
        self.page.wait_for_function(f"{MONTH_JS} {condition}", timeout=timeout * 1000)

    def step(self, times: int = 1, name: str = "Step") -> None:
        for _ in range(times):
            before = self.month()
            self.button(name).click()
            self.wait_month(f"> {before}")

    def play_until(self, month: int, timeout: float = 120, play: str = "▶ Play", pause: str = "❚❚ Pause") -> None:
        self.button(play).click()
        self.wait_month(f">= {month}", timeout)
        self.button(pause).click()
        time.sleep(0.5)

    def set_live_steering(self, fraction: float) -> None:
        """Click the live steering slider at ``fraction`` of its track."""
        track = self.page.locator(".samskabelse-live-slider .v-slider").first
        box = track.bounding_box()
        self.page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)


@pytest.fixture(scope="module")
def server():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    srv = Server()
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, server, width: int, height: int, query: str = ""):
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    driver = PageDriver(pg)
    driver.errors = errors
    driver.context = context
    driver.open(server.url + query)
    return driver


@pytest.fixture
def page(browser, server):
    driver = _open(browser, server, 1280, 720)
    yield driver
    driver.context.close()


def test_teacher_walkthrough(page):
    # the network view and the plots are drawn (SVG: the browser draws them)
    assert page.page.locator(".samskabelse-network svg").count() == 3  # groups, ties, people
    assert page.page.locator(".samskabelse-panel").count() >= 6
    assert page.month() == 0
    body = page.page.inner_text("body")
    for words in ("What matters to you when you collaborate with the municipality?", "bridging tie", "volunteer"):
        assert words in body
    network_before = page.page.locator(".samskabelse-network").inner_html()

    # Step advances the month, and the pictures follow
    page.step(3)
    assert page.month() == 3

    # the live lever over-steers the running model
    assert page.steering() == pytest.approx(0.2)
    page.set_live_steering(0.9)
    page.page.wait_for_function(
        "parseFloat((document.querySelector('.samskabelse-steering .value')?.innerText || '0').replace(',', '.')) >= 0.7",
        timeout=15_000,
    )
    page.step(3)
    assert page.month() == 6
    assert page.page.locator(".samskabelse-network").inner_html() != network_before

    # the run downloads as CSV with its settings
    with page.page.expect_download(timeout=15_000) as info:
        page.button("Data (CSV)").click()
    csv = Path(info.value.path()).read_text()
    assert csv.startswith("# Danish baseline") and len(csv.splitlines()) == 2 + 7  # settings, header, months 0-6
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "viz.png"), full_page=True)

    # Danish: every control in Danish, the language in the address, kept on reload
    page.button("Dansk").click()
    page.page.wait_for_function("document.body.innerText.includes('Hvad er vigtigt for dig, når du samarbejder med kommunen?')",
                                timeout=15_000)
    assert "Måned 6" in page.text(".samskabelse-month .value")
    assert "lang=da" in page.page.url
    for word in ("Nulstil", "▶ Afspil", "Et skridt", "Overstyr (0,9)", "Skru ned (0,2)"):
        assert page.button(word).is_visible(), word
    page.page.reload()
    page.open(page.page.url)
    assert page.button("Nulstil").is_visible()
    page.page.screenshot(path=str(ARTIFACTS / "viz-da.png"))
    assert not page.errors, page.errors


def test_play_right_after_reset_never_freezes(page):
    """▶ pressed right after Reset plays at once and smoothly, and ❚❚ stops it (Mesa's loop stalled 30-50 s here)."""
    for attempt in range(8):
        page.button("Reset").click()
        page.wait_month("== 0")
        page.button("▶ Play").click()
        months, started = [], time.monotonic()
        while time.monotonic() - started < 2.5:
            months.append(page.month())
            time.sleep(0.25)
        page.button("❚❚ Pause").click()
        # it started within a second and never stood still for more than a second
        assert months[4] >= 1, (attempt, months)
        standing = max(sum(1 for _ in group) for _, group in __import__("itertools").groupby(months[1:]))
        assert standing <= 4, (attempt, months)
        assert months[-1] < 40, (attempt, months)  # no jump towards the end of the run
        time.sleep(0.6)
        paused = page.month()
        time.sleep(0.8)
        assert page.month() == paused, "❚❚ did not stop the run"
    # Reset while playing stops the old run and starts a new one at month 0, paused
    page.button("▶ Play").click()
    page.wait_month(">= 2")
    page.button("Reset").click()
    page.wait_month("== 0")
    time.sleep(1.0)
    assert page.month() == 0 and page.button("▶ Play").is_visible()
    assert not page.errors, page.errors


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_projector_layout(browser, server, size):
    """The live lever and pause are on screen together, also scrolled down to the plots; nothing covers anything."""
    driver = _open(browser, server, *size)
    pg = driver.page
    try:
        for _ in range(2):
            for name in ("▶ Play", "Over-steer (0.9)", "Ease off (0.2)", "Reset"):
                box = driver.button(name).bounding_box()
                assert box and 0 <= box["y"] and box["y"] + box["height"] <= size[1], (name, box)
            pg.mouse.wheel(0, 900)  # scrolled down to the plots, the controls stay at the top
            time.sleep(0.5)
        assert pg.locator(".v-slider__thumb-label").count() == 0  # no value bubble over the help text above a slider
        assert not pg.get_by_text("This website runs on").is_visible()  # no badge over the last legend
        chips = pg.locator(".samskabelse-chip")
        tops = {round(chips.nth(i).bounding_box()["y"]) for i in range(chips.count())}
        assert len(tops) == 1, "status chips wrap"
        # plot labels readable: the panels' tick labels are at least 11 px on screen
        font = pg.evaluate("(() => { const t = document.querySelector('.samskabelse-panel svg text');"
                           " return t.getBoundingClientRect().height; })()")
        assert font >= 11
        pg.screenshot(path=str(ARTIFACTS / f"viz-{size[0]}x{size[1]}.png"))
        assert not driver.errors, driver.errors
    finally:
        driver.context.close()


def test_tablet_layout(browser, server):
    """On a tablet the cards go below the pictures instead of covering them."""
    driver = _open(browser, server, 820, 1180)
    pg = driver.page
    try:
        side = pg.locator(".samskabelse-side").bounding_box()
        main = pg.locator(".samskabelse-main").bounding_box()
        assert side["y"] >= main["y"] + main["height"] - 1 or main["y"] >= side["y"] + side["height"] - 1
        assert main["width"] <= 820
        for name in ("▶ Play", "Over-steer (0.9)", "Ease off (0.2)"):
            box = driver.button(name).bounding_box()
            assert box["x"] + box["width"] <= 820 and box["y"] + box["height"] <= 1180, name
        pg.screenshot(path=str(ARTIFACTS / "viz-tablet.png"))
        assert not driver.errors, driver.errors
    finally:
        driver.context.close()


def make_screenshots(folder: Path) -> list[Path]:
    """The README's screenshots at projector size (1280×720), English and Danish.

    Each shows a run with an over-steering episode (months 24-60) and its recovery to month 120,
    over an earlier run of the same seed without the episode (faint lines).
    """
    from playwright.sync_api import sync_playwright

    words = {"en": ("▶ Play", "❚❚ Pause", "Over-steer (0.9)", "Ease off (0.2)", "Reset"),
             "da": ("▶ Afspil", "❚❚ Pause", "Overstyr (0,9)", "Skru ned (0,2)", "Nulstil")}
    srv = Server()
    paths = []
    try:
        srv.wait_ready()
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for lang, (play, pause, oversteer, ease, reset) in words.items():
                pg = b.new_page(viewport={"width": 1280, "height": 720})
                driver = PageDriver(pg)
                driver.open(f"{srv.url}?lang={lang}")
                pg.locator(".samskabelse-speed").first.click()
                pg.locator(".v-menu__content .v-list-item", has_text="8").first.click()
                driver.play_until(120, play=play, pause=pause)
                driver.button(reset).click()
                driver.wait_month("== 0")
                driver.play_until(24, play=play, pause=pause)
                driver.button(oversteer).click()
                driver.play_until(60, play=play, pause=pause)
                driver.button(ease).click()
                driver.play_until(120, play=play, pause=pause)
                time.sleep(1.0)
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"page-{lang}.png"
                pg.screenshot(path=str(path))
                paths.append(path)
                pg.close()
            b.close()
    finally:
        srv.stop()
    return paths


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for made in make_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTIFACTS):
        print(made)


def test_the_load_benchmark_runs(tmp_path):
    """benchmarks/load_page.py, tiny: one session, a few seconds (so the script never rots)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_page.py"), "--sessions", "2", "--play", "2",
                           "--steps", "1", "--cull", "1s", "--after", "1", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = __import__("json").loads(out.read_text())
    assert figures["months_per_s"]["min"] > 0 and figures["step_ms"]["unanswered"] == 0
    assert figures["rss_after_mb"] > 0
