"""The browserless load client (benchmarks/load_protocol.py) drives real page sessions.

Starts the page server as ``samskabelse viz`` does and speaks Solara's websocket protocol to it,
as benchmarks/load_page.py --client protocol does for a class: two sessions have two models
(Step in one moves only its month), and ▶ plays. If this breaks after a Solara upgrade, the
class benchmark's figures would be of a client the server no longer understands.
"""

from __future__ import annotations

import asyncio
import importlib.util

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
