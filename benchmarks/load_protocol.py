"""A student's session of the page without a browser: Solara's websocket protocol, spoken directly.

A browser opening the page (read from Solara 1.58's ``main-vuetify.js`` and its widget manager,
and checked against the frames a headless Chromium sends, see ``benchmarks/README.md``):

1. ``GET /``: the page's HTML, which sets the ``solara-session-id`` cookie; then its scripts and
   style sheets (fetched here too unless ``assets=False``, as a browser with an empty cache does);
2. a websocket to ``/jupyter/api/kernels/<kernel id>/channels?session_id=<client id>``, both
   new random UUIDs, with the cookie; Jupyter's JSON messages on it (channel ``shell``);
3. ``kernel_info_request``; ``comm_open`` of a ``solara.control`` comm and on it
   ``{"method": "run", "args": {"path": "/", "dark": false, "themes": {}, "appName": null}}``;
   the server renders the page for this session and sends one ``comm_open`` per widget
   (``jupyter.widget``, its state in ``data.state``), then ``{"method": "finished"}`` on the
   control comm; the browser answers the theme widget's ``dark_effective`` once;
4. from then on, the server sends ``comm_msg`` updates (``{"method": "update", "state": ...}``) of
   the widgets that change, and a click on a button is a ``comm_msg`` to its widget:
   ``{"method": "custom", "content": {"event": "click", "data": {...}}}``;
5. a tab closed by its student closes the websocket and posts a beacon to
   ``/_solara/api/close/<kernel id>?session_id=<client id>``; the server then frees the session.

:class:`PageSession` does exactly that and keeps every widget's state, so it can find the page's
buttons by their CSS class (``samskabelse-play``, ``samskabelse-step``, ...) and read the month
the page shows (the ``value`` of the ``samskabelse-month`` chip). It does not lay out or paint
anything: that is the students' computers' work, not the server's.

    .venv/bin/python benchmarks/load_protocol.py            # one session against a fresh server: load, Step, Play
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import struct
import time
import urllib.parse
import urllib.request
import uuid
from html.parser import HTMLParser

import websockets
from websockets.asyncio.client import connect

#: What the browser sends in ``run`` (``widgetManager.run(appName, {path, dark, themes})``, light theme).
RUN_ARGS = {"dark": False, "themes": {}, "appName": None}

#: Scripts the browser's require.js loads after the page's own (ipyvue and ipyvuetify's front ends).
EXTENSION_SCRIPTS = ("jupyter/nbextensions/jupyter-vuetify/nodeps.js", "jupyter/nbextensions/jupyter-vue/nodeps.js")

#: The parts of the page the client looks for, by CSS class.
MONTH_CHIP = "samskabelse-month"
PICTURE_LAYERS = "samskabelse-layers"
BUTTONS = {"reset": "samskabelse-reset", "play": "samskabelse-play", "pause": "samskabelse-play", "step": "samskabelse-step",
           "oversteer": "samskabelse-oversteer", "ease": "samskabelse-ease"}
#: What the ▶ / ❚❚ button shows in either language when it plays or pauses.
PLAY_SIGNS = {"play": "▶", "pause": "❚❚"}

#: What a browser's click event carries (the server's handlers ignore it; sent so the message is as large).
CLICK_DATA = {"isTrusted": True, "pointerType": "mouse", "button": 0, "buttons": 0, "detail": 1, "type": "click"}

MODEL_REF = "IPY_MODEL_"


class ProtocolError(RuntimeError):
    """The server did not answer as the page's protocol says (or not in time)."""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def unpack_binary_message(data: bytes) -> dict:
    """A Jupyter message sent as one binary frame (JSON part plus buffers, offsets first)."""
    count = struct.unpack("!I", data[:4])[0]
    offsets = [*struct.unpack("!" + "I" * count, data[4:4 * (count + 1)]), len(data)]
    message = json.loads(data[offsets[0]:offsets[1]].decode("utf8"))
    message["buffers"] = [data[a:b] for a, b in zip(offsets[1:-1], offsets[2:], strict=True)]
    return message


class _AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.links.append(a["src"])
        elif tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.links.append(a["href"])


def asset_links(html: str, base_url: str) -> list[str]:
    """The page's own scripts and style sheets (same server), as a browser fetches them."""
    parser = _AssetLinks()
    parser.feed(html)
    urls = [urllib.parse.urljoin(base_url, link) for link in parser.links] + [base_url + s for s in EXTENSION_SCRIPTS]
    host = urllib.parse.urlsplit(base_url).netloc
    return [u for u in dict.fromkeys(urls) if urllib.parse.urlsplit(u).netloc == host]


def _get(url: str, cookie: str = "", timeout: float = 60.0) -> tuple[bytes, list[str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read(), response.headers.get_all("Set-Cookie") or []


def widget_classes(state: dict) -> set[str]:
    """The CSS classes of a widget (``class_`` of a Vue widget, ``attributes.class`` of an HTML template)."""
    text = state.get("class_") or ""
    attributes = state.get("attributes")
    if isinstance(attributes, dict):
        text += " " + str(attributes.get("class") or "")
    return set(text.split())


def month_of(text: str | None) -> int | None:
    """The month in the status chip's text (``Month 5 of 120 (0.4 years)``; ``Måned 5 af 120 ...``)."""
    found = re.search(r"\d+", text or "")
    return int(found.group()) if found else None


class PageSession:
    """One browser session of the page, spoken in Solara's protocol (see the module's description).

    Args:
        base_url: the server's address, ending in ``/``.
        query: the page address's query, e.g. ``lang=da`` (as in ``/?lang=da``).
        timeout: seconds any one wait may take (loading, a click's answer).
        assets: fetch the page's scripts and style sheets as a fresh browser does.
    """

    def __init__(self, base_url: str, timeout: float = 60.0, assets: bool = True, query: str = "") -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.query = query
        self.timeout = timeout
        self.assets = assets
        self.kernel_id = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())
        self.widgets: dict[str, dict] = {}
        self.month: int | None = None
        self.received_bytes = 0
        self.messages = 0
        self._month_widget: str | None = None
        self._changed = asyncio.Condition()
        self._finished = asyncio.Event()
        self._control_id = str(uuid.uuid4())
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._error: BaseException | None = None
        self._cookie = ""

    # --- messages ---------------------------------------------------------------------------
    def _message(self, msg_type: str, content: dict) -> str:
        header = {"date": _now(), "msg_id": str(uuid.uuid4()), "msg_type": msg_type, "session": self.client_id,
                  "username": "", "version": "5.2"}
        return json.dumps({"buffers": [], "channel": "shell", "content": content, "header": header, "metadata": {},
                           "parent_header": {}}, separators=(",", ":"))

    async def _send(self, msg_type: str, content: dict) -> None:
        await self._ws.send(self._message(msg_type, content))

    async def send_to_widget(self, comm_id: str, data: dict) -> None:
        """A ``comm_msg`` to one widget, as the browser's widget manager sends it."""
        await self._send("comm_msg", {"comm_id": comm_id, "data": data})

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                self.received_bytes += len(frame)
                self.messages += 1
                message = unpack_binary_message(frame) if isinstance(frame, bytes) else json.loads(frame)
                await self._handle(message)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001 - kept and raised in the waiting caller
            self._error = e
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _handle(self, message: dict) -> None:
        msg_type = message.get("header", {}).get("msg_type") or message.get("msg_type")
        content = message.get("content", {})
        comm_id = content.get("comm_id")
        if msg_type == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.widgets[comm_id] = dict(content.get("data", {}).get("state", {}))
        elif msg_type == "comm_msg":
            data = content.get("data", {})
            if comm_id == self._control_id:
                if data.get("method") == "finished":
                    self._finished.set()
                elif data.get("method") != "app-status":
                    self._error = ProtocolError(f"the server could not run the page: {data}")
                    self._finished.set()
            elif data.get("method") in ("update", "echo_update") and comm_id in self.widgets:
                self.widgets[comm_id].update(data.get("state", {}))
                if comm_id == self._month_widget:
                    self.month = month_of(self.widgets[comm_id].get("unsafe_innerHTML"))
        elif msg_type == "comm_close":
            self.widgets.pop(comm_id, None)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate, what: str, timeout: float | None = None) -> None:
        """Wait until ``predicate()`` is true (checked after every message), at most ``timeout`` seconds."""
        async def until() -> None:
            async with self._changed:
                while not predicate():
                    if self._error is not None:
                        raise self._error
                    if self._reader is not None and self._reader.done():
                        raise ProtocolError(f"the connection closed while waiting for {what}")
                    await self._changed.wait()

        try:
            await asyncio.wait_for(until(), timeout or self.timeout)
        except TimeoutError:
            raise ProtocolError(f"no {what} within {timeout or self.timeout:.0f} s (the page shows month {self.month})") from None

    # --- the page's widgets -----------------------------------------------------------------
    def children(self, comm_id: str) -> list[str]:
        """The widgets directly inside a widget (its ``children`` that are widget references)."""
        kids = self.widgets.get(comm_id, {}).get("children") or []
        return [k[len(MODEL_REF):] for k in kids if isinstance(k, str) and k.startswith(MODEL_REF)]

    def descendants(self, comm_id: str) -> list[str]:
        """Every widget inside a widget, depth first."""
        out, todo = [], list(self.children(comm_id))
        while todo:
            kid = todo.pop()
            out.append(kid)
            todo.extend(self.children(kid))
        return out

    def with_class(self, name: str) -> list[str]:
        """The widgets that carry a CSS class."""
        return [i for i, state in self.widgets.items() if name in widget_classes(state)]

    def button(self, control: str) -> str:
        """The widget id of a control (``play``, ``pause``, ``step``, ``reset``), by its CSS class."""
        found = self.with_class(BUTTONS[control])
        if not found:
            raise ProtocolError(f"the page has no {control} button (class {BUTTONS[control]})")
        return found[0]

    def pictures(self) -> int:
        """How many SVG pictures (network, plots) the page holds."""
        return sum(1 for layers in self.with_class(PICTURE_LAYERS) for w in self.descendants(layers)
                   if "<svg" in (self.widgets[w].get("unsafe_innerHTML") or ""))

    def _find_month_widget(self) -> str | None:
        for chip in self.with_class(MONTH_CHIP):
            for w in self.descendants(chip):
                if "value" in widget_classes(self.widgets[w]):
                    return w
        return None

    # --- what a student does ------------------------------------------------------------------
    async def open(self, pictures: int = 8) -> float:
        """Load the page as a browser does; returns the seconds until its pictures and month are there."""
        t0 = time.monotonic()
        html, cookies = await asyncio.to_thread(_get, self.base_url + (f"?{self.query}" if self.query else ""), "", self.timeout)
        cookie = self._cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
        if self.assets:
            for url in asset_links(html.decode("utf8", "replace"), self.base_url):
                await asyncio.to_thread(_get, url, cookie, self.timeout)
        ws_url = (self.base_url.replace("http", "ws", 1) + f"jupyter/api/kernels/{self.kernel_id}/channels?"
                  + urllib.parse.urlencode({"session_id": self.client_id}))
        self._ws = await asyncio.wait_for(connect(ws_url, additional_headers={"Cookie": cookie} if cookie else None,
                                                  max_size=None, open_timeout=self.timeout), self.timeout)
        self._reader = asyncio.create_task(self._read())
        await self._send("kernel_info_request", {})
        await self._send("comm_open", {"comm_id": self._control_id, "target_name": "solara.control", "data": {}})
        await self.send_to_widget(self._control_id, {"method": "run", "args": {"path": "/" + (f"?{self.query}" if self.query else ""),
                                                                                **RUN_ARGS}})
        await self.wait_for(self._finished.is_set, "rendered page")
        if self._error is not None:
            raise self._error
        for theme in [i for i, s in self.widgets.items() if "dark_effective" in s]:
            await self.send_to_widget(theme, {"method": "update", "state": {"dark_effective": False}, "buffer_paths": []})
        await self.wait_for(lambda: self._find_month_widget() is not None and self.pictures() >= pictures, "pictures and month")
        self._month_widget = self._find_month_widget()
        self.month = month_of(self.widgets[self._month_widget].get("unsafe_innerHTML"))
        return time.monotonic() - t0

    def label(self, comm_id: str) -> str:
        """A button's text (its children that are text)."""
        return " ".join(k for k in self.widgets.get(comm_id, {}).get("children") or [] if not k.startswith(MODEL_REF))

    async def press(self, control: str, wait_enabled: bool = True) -> None:
        """Click a control, as a student would.

        A disabled button is waited for (a browser sends no click), and so is ▶ / ❚❚ showing the
        sign pressed (``play`` presses it when it shows ▶, ``pause`` when it shows ❚❚).
        """
        def ready() -> bool:
            state = self.widgets.get(self.button(control), {})
            return not state.get("disabled") and PLAY_SIGNS.get(control, "") in self.label(self.button(control))

        if wait_enabled:
            try:
                await self.wait_for(ready, f"the {control} button")
            except ProtocolError as e:
                state = self.widgets.get(self.button(control), {})
                raise ProtocolError(f"{e}; it shows {self.label(self.button(control))!r}, disabled {state.get('disabled')}") from None
        await self.send_to_widget(self.button(control), {"method": "custom", "content": {"event": "click", "data": CLICK_DATA}})

    async def current_month(self) -> int | None:
        """The month the page shows now."""
        return self.month

    async def step(self) -> float:
        """Press Step; returns the milliseconds until the page shows the next month (-1: not within the timeout)."""
        await self.wait_for(lambda: not self.widgets.get(self.button("step"), {}).get("disabled"), "enabled Step button")
        before = self.month
        t0 = time.monotonic()
        await self.press("step", wait_enabled=False)
        try:
            await self.wait_for(lambda: self.month != before, "new month after Step")
        except ProtocolError:
            return -1.0
        return 1000 * (time.monotonic() - t0)

    async def close(self, beacon: bool = False) -> None:
        """Close the connection, as a closed tab does.

        With ``beacon``, also tell the server the page is gone, as a browser's ``beforeunload``
        does (``navigator.sendBeacon`` to ``/_solara/api/close/<kernel id>``): the server then
        frees the session at once. Without it (a tab that crashed, a laptop put to sleep, or
        headless Chromium closed by the benchmark) the server keeps the session until its culling.
        """
        if self._ws is not None:
            await self._ws.close()
            if beacon:
                url = self.base_url + f"_solara/api/close/{self.kernel_id}?" + urllib.parse.urlencode({"session_id": self.client_id})
                request = urllib.request.Request(url, data=b"", method="POST", headers={"Cookie": self._cookie} if self._cookie else {})
                await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=self.timeout).close())
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 10)
            except (TimeoutError, asyncio.CancelledError):
                self._reader.cancel()


async def _demo(url: str | None) -> None:
    """Open one session (on a fresh server unless ``url`` is given), Step once, play 3 s."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from benchmarks.load_page import start_server, stop_server

    server = None
    if url is None:
        server, url, _env = start_server()
    try:
        session = PageSession(url)
        loaded = await session.open()
        print(f"loaded in {loaded:.2f} s: {len(session.widgets)} widgets, {session.pictures()} pictures, month {session.month}")
        print(f"Step: {await session.step():.0f} ms, month {session.month}")
        await session.press("play")
        await asyncio.sleep(3)
        print(f"after 3 s of Play: month {session.month}; {session.messages} messages, {session.received_bytes / 1e3:.0f} kB")
        await session.press("pause")
        await session.close()
    finally:
        if server is not None:
            stop_server(server)


if __name__ == "__main__":
    import sys

    asyncio.run(_demo(sys.argv[1] if len(sys.argv) > 1 else None))
