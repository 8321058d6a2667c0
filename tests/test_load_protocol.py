"""The browserless load client (benchmarks/load_protocol.py) drives real page sessions.

Starts the page server as ``samskabelse viz`` does and speaks Solara's websocket protocol to it,
as benchmarks/load_page.py --client protocol does for a class: two sessions have two models
(Step in one moves only its month), and ▶ plays. If this breaks after a Solara upgrade, the
class benchmark's figures would be of a client the server no longer understands.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path

import pytest

if importlib.util.find_spec("solara") is None:
    pytest.skip("the page needs the 'viz' extra (solara is not installed)", allow_module_level=True)

from benchmarks.load_page import live_sessions, start_server, stop_server
from benchmarks.load_protocol import PageSession, unpack_binary_message

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def page_url():
    # sessions closed without the beacon stay for a minute: longer than these tests take
    server, url, _env = start_server(cull="60s", wait=60)
    try:
        yield url
    finally:
        stop_server(server)


def test_binary_messages_are_read_as_the_server_writes_them():
    from solara.server.kernel import serialize_binary_message

    message = {"header": {"msg_type": "comm_msg"}, "content": {"data": {"method": "update"}},
               "buffers": [memoryview(b"abc"), memoryview(b"\x00\x01")]}
    back = unpack_binary_message(serialize_binary_message(message))
    assert back["content"] == message["content"]
    assert back["buffers"] == [b"abc", b"\x00\x01"]


def test_step_in_one_session_moves_only_its_own_month(page_url):
    async def scenario():
        a, b = PageSession(page_url, timeout=30, assets=False), PageSession(page_url, timeout=30, assets=False)
        try:
            await asyncio.gather(a.open(), b.open())
            assert (a.month, b.month) == (0, 0)
            assert a.pictures() >= 8 and b.pictures() >= 8
            assert await a.step() > 0
            assert await a.step() > 0
            await asyncio.sleep(0.5)  # an update for b, if one came, would have arrived
            assert (a.month, b.month) == (2, 0)
            assert await b.step() > 0
            await asyncio.sleep(0.5)
            assert (a.month, b.month) == (2, 1)
        finally:
            await asyncio.gather(a.close(), b.close())

    asyncio.run(scenario())


def test_play_advances_the_month_and_pause_stops_it(page_url):
    async def scenario():
        s = PageSession(page_url, timeout=30, assets=False)
        try:
            await s.open()
            start = s.month
            await s.press("play")
            await s.wait_for(lambda: s.month >= start + 3, "three months of play", timeout=20)
            await s.press("pause")
            await s.wait_for(lambda: "▶" in s.label(s.button("play")), "the ▶ button back", timeout=20)
            paused_at = s.month
            await asyncio.sleep(1.0)  # at 4 months a second, play would have moved it
            assert s.month == paused_at
        finally:
            await s.close()

    asyncio.run(scenario())



def test_a_tab_closed_with_its_beacon_is_freed_at_once(page_url):
    async def scenario():
        s = PageSession(page_url, timeout=30, assets=False)
        await s.open()
        before = live_sessions(page_url)
        assert before is not None and before >= 1
        await s.close(beacon=True)
        for _ in range(50):  # 5 s, far less than the server's culling (60 s here)
            if live_sessions(page_url) == before - 1:
                return
            await asyncio.sleep(0.1)
        pytest.fail(f"the session was not freed after its close beacon (sessions: {before} -> {live_sessions(page_url)})")

    asyncio.run(scenario())


# --- more than one server process, and fresh workers after a class -------------------------------

def _workers(server) -> list[int]:
    """The server's worker processes (the supervisor's children that serve pages, not multiprocessing's helpers)."""
    from benchmarks.load_page import server_processes

    def serves(pid: int) -> bool:
        try:
            return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    return sorted(p for p in server_processes(server.pid)[1:] if serves(p))


def test_two_worker_processes_serve_a_class_each_session_whole_on_one():
    """A class spread over two processes (two cores): every session keeps its own model across clicks."""
    server, url, _env = start_server(cull="60s", wait=60, workers=2)
    try:
        assert len(_workers(server)) == 2

        async def scenario():
            sessions = [PageSession(url, timeout=30, assets=False) for _ in range(6)]
            try:
                await asyncio.gather(*(s.open() for s in sessions))
                for k, s in enumerate(sessions):  # session k steps k times
                    for _ in range(k):
                        assert await s.step() > 0
                await asyncio.sleep(0.5)
                assert [s.month for s in sessions] == list(range(6))
            finally:
                await asyncio.gather(*(s.close(beacon=True) for s in sessions))

        asyncio.run(scenario())
    finally:
        stop_server(server)


def test_a_worker_left_without_sessions_is_replaced_by_a_fresh_one_and_an_unused_one_is_not():
    """The memory a class leaves in a worker comes back whole: once its sessions are gone, a fresh worker takes its place."""
    server, url, _env = start_server(cull="1s", wait=60, workers=1, restart_idle_after=2)
    try:
        first = _workers(server)
        assert len(first) == 1
        time.sleep(6)  # three idle periods with no page ever served: the worker stays
        assert _workers(server) == first

        async def a_student(steps: int) -> int:
            s = PageSession(url, timeout=30, assets=False)
            try:
                await s.open()
                for _ in range(steps):
                    await s.step()
                return s.month
            finally:
                await s.close(beacon=True)

        assert asyncio.run(a_student(2)) == 2
        deadline = time.monotonic() + 45
        while _workers(server) in ([], first) and time.monotonic() < deadline:
            time.sleep(0.5)
        second = _workers(server)
        assert second and second != first, "the worker that served a page was not replaced after its session was freed"
        assert asyncio.run(a_student(1)) == 1  # the fresh worker serves the next page
    finally:
        stop_server(server)


@pytest.mark.parametrize(("served", "sessions", "connections", "idle_for", "ends"), [
    (False, 0, 0, 100.0, False),  # never served a page: nothing to give back
    (True, 1, 0, 100.0, False),  # a session is still held (its page may come back)
    (True, 0, 1, 100.0, False),  # a page is connecting right now
    (True, 0, 0, 9.0, False),  # not idle long enough
    (True, 0, 0, 10.0, True),
])
def test_the_rule_for_ending_an_idle_worker(served, sessions, connections, idle_for, ends):
    from simulation.viz.app import IdleWorker

    worker = IdleWorker(limit=10.0)
    assert not worker.should_end(0.0, served, sessions, connections)
    assert worker.should_end(idle_for, served, sessions, connections) is ends
    assert not IdleWorker(limit=None).should_end(idle_for, served, sessions, connections)  # a plain `solara run`


def test_idleness_starts_again_after_any_session():
    from simulation.viz.app import IdleWorker

    worker = IdleWorker(limit=10.0)
    worker.should_end(0.0, True, 0, 0)
    worker.should_end(8.0, True, 1, 1)  # a student came and went
    assert not worker.should_end(12.0, True, 0, 0)  # idle again from here
    assert not worker.should_end(21.0, True, 0, 0)
    assert worker.should_end(22.0, True, 0, 0)


def test_a_danish_student_finds_the_controls_by_their_danish_labels_and_reset_applies_the_choice(page_url):
    """What benchmarks/load_lesson.py does for 30 students at once, for one, briefly: the lesson's clicks work."""
    from benchmarks.load_lesson import Student, danish_controls
    from simulation.viz.text import MODE_LABELS, t

    async def scenario():
        student = Student(page_url, number=27, timeout=30)
        assert (student.seed, student.group) == (7, 6)
        try:
            await student.page.open()
            assert danish_controls(student)
            await student.set_value(student.by_label(t("da", "seed")), "7", events=("keyup.enter",))
            await student.set_value(student.by_label(t("da", "mode")), MODE_LABELS["da"]["npm"])
            await student.page.wait_for(student.pending, "the notice that Reset is needed")
            await student.set_lever("linear_thinking", True)
            await student.set_lever("targeting", 0.0)
            await student.reset()
            assert not student.pending() and student.page.month == 0
            this_run = student.runs_listed().split("</li>")[0]
            assert f"{t('da', 'seed_short')} 7" in this_run and MODE_LABELS["da"]["npm"] in this_run
            await student.play_to(3, by_step_from=1)
            assert student.page.month == 3
            await student.live_lever("oversteer", "oversteer")
            assert student.pressed_at == {"oversteer": 3}
            steering = student.page.with_class("samskabelse-steering")[0]
            await student.page.wait_for(lambda: any("0,9" in (student.page.widgets[w].get("unsafe_innerHTML") or "")
                                                    for w in student.page.descendants(steering)), "steering 0,9 shown")
        finally:
            await student.page.close(beacon=True)

    asyncio.run(scenario())


def test_the_lesson_benchmark_runs(tmp_path):
    """benchmarks/load_lesson.py on short runs, one student (so the script never rots)."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "lesson.json"
    done = subprocess.run([sys.executable, str(root / "benchmarks" / "load_lesson.py"), "--sessions", "1", "--workers", "1",
                           "--short", "--cull", "1s", "--restart-idle-after", "2", "--after", "1", "--timeout", "60",
                           "--json", str(out)], cwd=root, capture_output=True, text=True, timeout=85)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    figures = json.loads(out.read_text())
    assert figures["lessons_completed"] == 1 and figures["danish_pages"] == 1 and not figures["failures"]
    assert figures["live_levers_pressed_at"] == ["ease 5", "oversteer 3"]
    # ten Resets, as the worksheets say; the last months before each live lever by Step (how many
    # depends on where ❚❚ caught the play)
    assert figures["reset_ms"]["clicks"] == 10 and 1 <= figures["step_ms"]["clicks"] <= 4
    assert figures["reset_ms"]["unanswered"] == figures["step_ms"]["unanswered"] == 0 and figures["workers_restarted"] == 1
