"""The browser page end to end, in a real headless Chromium driven by Playwright.

Starts ``solara run`` on a free localhost port as ``samskabelse viz`` does, opens the page in
Debian's Chromium (``/usr/bin/chromium``; ``scripts/install-browser-deps`` installs it), and
does what a teacher does: look at the network and the plots, press Step, over-steer with the
live lever, switch to Danish. A screenshot goes to ``test-artifacts/``.

Run alone with ``pytest -m browser``. ``python tests/test_browser.py docs/img/viz.png`` makes
the README's screenshot: a run with an over-steering episode and its recovery.
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
        from simulation.viz import server_env, solara_command

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / "viz-server.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(solara_command("127.0.0.1", self.port), cwd=ROOT, env=server_env(),
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


class PageDriver:
    """What a user does on the page, in Playwright terms."""

    def __init__(self, page) -> None:
        self.page = page

    def open(self, url: str) -> None:
        self.page.goto(url)
        # the page renders over a websocket: wait until both pictures are drawn
        self.page.wait_for_function(
            "Array.from(document.querySelectorAll('.samskabelse-figure img'))"
            ".filter(i => i.complete && i.naturalWidth > 0).length >= 2",
            timeout=45_000,
        )

    def text(self, css: str) -> str:
        return self.page.locator(css).first.inner_text().strip()

    def month(self) -> int:
        return int(re.search(r"(\d+)", self.text(".samskabelse-month .value")).group(1))

    def steering(self) -> float:
        return float(self.text(".samskabelse-steering .value").replace(",", "."))

    def button(self, name: str):
        return self.page.locator("button", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$", re.I)).first

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            before = self.month()
            self.button("Step").click()
            self.page.wait_for_function(
                f"(document.querySelector('.samskabelse-month .value')?.innerText || '').match(/(\\d+)/)?.[1] > {before}",
                timeout=15_000,
            )

    def play_until(self, month: int, timeout: float = 120) -> None:
        self.button("▶").click()
        self.page.wait_for_function(
            f"(document.querySelector('.samskabelse-month .value')?.innerText || '').match(/(\\d+)/)?.[1] >= {month}",
            timeout=timeout * 1000,
        )
        self.button("❚❚").click()
        time.sleep(0.5)

    def set_live_steering(self, fraction: float) -> None:
        """Click the live steering slider at ``fraction`` of its track."""
        track = self.page.locator(".samskabelse-live-slider .v-slider").first
        box = track.bounding_box()
        self.page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)

    def picture(self, css: str) -> bytes:
        return self.page.locator(css).first.screenshot()


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


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    driver = PageDriver(pg)
    driver.errors = errors
    driver.open(server.url)
    yield driver
    context.close()


def test_teacher_walkthrough(page):
    # the network view and the plots are drawn
    images = page.page.locator(".samskabelse-figure img")
    assert images.count() >= 2
    for i in range(2):
        assert images.nth(i).evaluate("i => i.naturalWidth") > 300
    assert page.month() == 0
    body = page.page.inner_text("body")
    for words in ("What matters to you when you collaborate with the municipality?", "bridging tie", "volunteer"):
        assert words in body
    plots_before = page.picture(".samskabelse-plots img")
    network_before = page.picture(".samskabelse-network img")

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
    assert page.steering() >= 0.7
    page.step(3)
    assert page.month() == 6
    assert page.picture(".samskabelse-plots img") != plots_before
    assert page.picture(".samskabelse-network img") != network_before
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "viz.png"), full_page=True)

    # the explanation switches to Danish, with the seed's question
    page.button("Dansk").click()
    page.page.wait_for_function("document.body.innerText.includes('Hvad er vigtigt for dig, når du samarbejder med kommunen?')",
                                timeout=15_000)
    assert "Måned 6" in page.text(".samskabelse-month .value")
    page.page.screenshot(path=str(ARTIFACTS / "viz-da.png"), full_page=True)
    assert not page.errors, page.errors


def make_readme_screenshot(path: Path) -> None:
    """A run with an over-steering episode and its recovery, as the README shows it."""
    from playwright.sync_api import sync_playwright

    srv = Server()
    try:
        srv.wait_ready()
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            pg = b.new_page(viewport={"width": 1680, "height": 1050})
            driver = PageDriver(pg)
            driver.open(srv.url)
            driver.play_until(24)
            driver.button("Over-steer (0.9)").click()
            driver.play_until(60)
            driver.button("Ease off (0.2)").click()
            driver.play_until(120)
            time.sleep(1.0)
            path.parent.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(path))
            b.close()
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    make_readme_screenshot(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTIFACTS / "viz-readme.png")
