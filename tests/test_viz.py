"""The browser page without a browser: settings, pictures and the page's widget tree.

``solara.render`` builds the page as a server would, so these tests press Step, move the
live lever and switch language in a second or two; ``test_browser.py`` does the same in a
real Chromium.
"""

from __future__ import annotations

import numpy as np
import pytest

solara = pytest.importorskip("solara", reason='the browser stack is not installed: pip install -e ".[viz]"')
v = pytest.importorskip("ipyvuetify")
widgets = pytest.importorskip("ipywidgets")

import simulation.viz as viz  # noqa: E402
from simulation.core.parameters import LEVERS, ParameterError, describe  # noqa: E402
from simulation.viz import drawing, settings, text  # noqa: E402
from simulation.viz.model import BrowserModel  # noqa: E402
from simulation.viz.settings import StartSettings  # noqa: E402
from simulation.viz.state import language, start_settings  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def fresh_page_state():
    """Each test starts with the page's defaults (the reactive state is per session)."""
    language.set("en")
    start_settings.set(StartSettings())
    yield
    language.set("en")
    start_settings.set(StartSettings())


@pytest.fixture
def model():
    return BrowserModel(seed=3, settings=StartSettings())


# --- serve ------------------------------------------------------------------------------
def test_serve_listens_on_loopback_by_default(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(viz.subprocess, "call", lambda cmd, env, **kw: calls.append((cmd, env)) or 0)
    assert viz.serve() == 0
    out, err = capsys.readouterr()
    assert "http://127.0.0.1:8765/" in out
    assert "WARNING" not in err
    cmd, env = calls[0]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8765"
    assert {"--production", "--no-open", "--no-check-version"} <= set(cmd)
    assert cmd[cmd.index("run") + 1] == str(viz.APP_FILE) and viz.APP_FILE.exists()
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_warns_when_shared_on_a_network(monkeypatch, capsys, host):
    monkeypatch.setattr(viz.subprocess, "call", lambda cmd, env, **kw: 0)
    viz.serve(host=host, port=9000)
    out, err = capsys.readouterr()
    assert ":9000/" in out
    assert "WARNING" in err and host in err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts(host):
    assert viz.is_loopback(host)


def test_serve_says_how_to_install_the_extra(monkeypatch, capsys):
    monkeypatch.setattr(viz, "missing_modules", lambda: ["solara"])
    monkeypatch.setattr(viz.subprocess, "call", lambda *a, **k: pytest.fail("must not start a server"))
    assert viz.serve() == 1
    assert 'pip install -e ".[viz]"' in capsys.readouterr().err


# --- settings ----------------------------------------------------------------------------
def test_sliders_come_from_the_parameter_declarations():
    specs = settings.lever_sliders()
    assert [s.name for s in specs] == ["steering_intensity", "facilitation", "quick_results_pressure", "sense_making",
                                       "targeting", "contract_competition"]
    for s in specs:
        d = describe(s.name)
        assert s.name in LEVERS
        assert (s.min, s.max) == d["range"]
        assert s.help.startswith(d["meaning"])
        assert 0 < s.step <= (s.max - s.min) / 10


def test_scenario_picker_lists_the_project_scenarios():
    names = list(settings.available_scenarios())
    assert names[0] == "denmark"
    assert {"npm_contracting", "npg_partnership", "over_steering_episode"} <= set(names)


def test_picking_a_scenario_a_mode_and_a_lever():
    s = StartSettings()
    assert s.levers_in_force()["governance_mode"] == "npg"
    npm = s.with_scenario("npm_contracting").levers_in_force()
    assert npm["governance_mode"] == "npm" and npm["steering_intensity"] > 0.4
    mode = s.with_scenario("npm_contracting").with_mode("npg")
    assert mode.levers_in_force()["steering_intensity"] == pytest.approx(0.2)
    moved = mode.with_lever("steering_intensity", "0.55")  # a text box gives a string
    assert moved.levers_in_force()["steering_intensity"] == pytest.approx(0.55)
    assert moved.with_scenario("denmark") == StartSettings()  # a scenario resets mode and levers
    with pytest.raises(ParameterError):
        s.with_lever("steering_intensity", 1.5)
    with pytest.raises(ParameterError):
        s.with_mode("anarchy")


def test_browser_model_converts_a_typed_seed():
    m = BrowserModel(seed="7", settings=StartSettings())
    assert m.parameters.seed == 7 and m.notices == []
    bad = BrowserModel(seed="seven", settings=StartSettings())
    assert bad.parameters.seed == 1
    assert "seven" in bad.notices[0]


def test_browser_model_is_browser_sized_and_follows_its_scenario():
    m = BrowserModel(settings=StartSettings("over_steering_episode"))
    p = m.parameters
    assert (p.n_citizens, p.n_associations, p.n_staff) == (300, 9, 3)   # denmark's 30 associations, 10 staff per 1,000
    assert p.steps >= settings.BROWSER_MIN_STEPS
    assert [c.step for c in p.policy_schedule] == [24, 60]
    big = BrowserModel(n_citizens=900, settings=StartSettings())
    assert big.parameters.n_associations == 27 and big.parameters.n_staff == 9


def test_a_scenario_keeps_its_density_of_associations_on_the_page():
    """Association density is one of a country's conditions: the sparse southern European web stays sparse."""
    dense, _ = settings.browser_parameters(StartSettings("denmark"))
    sparse, _ = settings.browser_parameters(StartSettings("southern_europe"))
    assert sparse.n_citizens == dense.n_citizens == settings.BROWSER_CITIZENS
    assert sparse.n_associations / sparse.n_citizens < 0.4 * dense.n_associations / dense.n_citizens


def test_browser_model_reads_the_session_settings_on_reset():
    start_settings.set(StartSettings().with_mode("npm"))
    m = BrowserModel(seed="2")  # what Mesa's Reset does: type(model)(**model_params)
    assert m.parameters.governance_mode == "npm"
    assert m.start_settings == start_settings.value


# --- pictures ----------------------------------------------------------------------------
def test_kinds_have_distinct_colours_and_shapes():
    kinds = ["citizen", "volunteer", "association", "staff"]
    assert len({drawing.COLOURS[k] for k in kinds}) == 4
    assert len({drawing.MARKERS[k] for k in kinds}) == 4
    assert drawing.COLOURS["bonding"] != drawing.COLOURS["bridging"]


def test_layout_is_computed_once_and_groups_stay_apart(model):
    layout = drawing.layout_for(model)
    before = layout.citizens.copy()
    for _ in range(3):
        model.step()
    assert drawing.layout_for(model) is layout
    np.testing.assert_array_equal(layout.citizens, before)
    g = model.world.citizens.group
    distance = np.linalg.norm(layout.citizens - layout.group_centres[g], axis=1)
    assert distance.max() <= layout.group_radius + 1e-9
    # a second model with the same seed gets the same places (seeded)
    again = drawing.compute_layout(g, model.world.associations.group, model.world.staff.n, seed=model.parameters.seed)
    np.testing.assert_array_equal(again.citizens, before)


def test_network_view_redraws_as_the_model_steps(model):
    view = drawing.NetworkView(model)
    first = view.png(model)
    assert first.startswith(PNG)
    for _ in range(2):
        model.step()
    assert view.png(model) != first
    assert view.title.get_text().startswith("Month 2:")


def test_dashboard_shows_the_run_and_the_lever_changes(model):
    dash = drawing.Dashboard()
    first = dash.png(model)
    for _ in range(3):
        model.step()
    model.set_lever("steering_intensity", 0.9)
    model.step()
    assert dash.png(model) != first
    assert drawing.lever_changes(model) == [(3, 0.9)]
    history = drawing.lever_history(model)
    assert len(history) == model.steps + 1 and history[0] == pytest.approx(0.2) and history[-1] == pytest.approx(0.9)
    steering = dash.panels[dash.keys.index("steering")]["lines"][0][1]
    assert steering.get_ydata()[-1] == pytest.approx(0.9)
    volunteering = dash.panels[0]["lines"][0][1]
    assert len(volunteering.get_xdata()) == model.steps + 1


def test_plots_cover_the_required_indicators():
    columns = {s.column for spec in drawing.PLOTS.values() for s in spec.series}
    assert {"volunteering_rate", "volunteer_hours", "trust_municipality", "bonding_capital", "bridging_capital",
            "ei_index", "synergy", "service_output", "civil_output", "service_orientation"} <= columns
    # what docs/teaching.md asks students to read off the page
    assert {"volunteering_rate_vulnerable", "democratic_voice"} <= columns


def test_indicators_are_named_by_their_declared_labels_in_both_languages(page):
    from simulation.core.indicators import INDICATOR_BY_NAME
    from simulation.core.indicators import label as indicator_label

    named = 0
    for spec in drawing.PLOTS.values():
        for s in spec.series:
            if s.column in INDICATOR_BY_NAME:
                for lang in ("en", "da"):
                    assert drawing.series_label(s, lang).startswith(indicator_label(s.column, lang, unit=False))
                named += 1
    assert named >= 15
    chips = [w.unsafe_innerHTML for w in page.find(attributes={"class": "label"}).widgets]
    assert {"Volunteering rate", "Trust in the municipality", "Synergy"} <= set(chips)
    language.set("da")
    chips = [w.unsafe_innerHTML for w in page.find(attributes={"class": "label"}).widgets]
    assert {"Andel frivillige", "Tillid til kommunen", "Synergi"} <= set(chips)


def test_lines_of_one_plot_are_told_apart_by_colour():
    for name, spec in drawing.PLOTS.items():
        colours = [s.colour for s in spec.series]
        assert len(set(colours)) == len(colours), name


def test_a_scenarios_schedule_is_shown_with_the_levers_labels():
    episode = StartSettings().with_scenario("over_steering_episode")
    from simulation.viz.components import _schedule_text

    lines = _schedule_text(episode)
    assert lines and all(line.startswith("Month ") and "Steering intensity →" in line for line in lines)
    assert all(line.startswith("Måned ") for line in _schedule_text(episode, "da"))


# --- texts -------------------------------------------------------------------------------
def test_every_text_exists_in_both_languages():
    assert set(text.STRINGS["en"]) == set(text.STRINGS["da"])
    assert set(text.EXPLANATION) == set(text.LANGUAGES)


def test_the_seeds_reflection_questions_are_there():
    assert text.REFLECTION_QUESTIONS["en"] == (
        "What matters to you when you collaborate with the municipality?",
        "How do you secure synergy, not only contribute to the municipality's task-solving?",
    )
    assert text.REFLECTION_QUESTIONS["da"] == (
        "Hvad er vigtigt for dig, når du samarbejder med kommunen?",
        "Hvordan sikrer I synergi og ikke kun bidrag til kommunens opgaveløsning?",
    )


# --- the page ----------------------------------------------------------------------------
@pytest.fixture
def page():
    from simulation.viz.app import Page

    @solara.component
    def WithLayout():
        # the app layout that `solara run` provides, so the sidebar is part of the tree
        with solara.AppLayout():
            Page()

    box, rc = solara.render(WithLayout(), handle_error=False)
    yield rc
    rc.close()


def _html(rc, value: str):
    return rc.find(unsafe_innerHTML=value).widgets


def test_page_draws_network_and_plots(page):
    images = page.find(widgets.Image).widgets
    assert len(images) == 2
    assert all(bytes(i.value).startswith(PNG) for i in images)
    assert _html(page, "Month 0 of 240 (0.0 years)")


def test_step_and_live_lever(page):
    images_before = [bytes(i.value) for i in page.find(widgets.Image).widgets]
    page.find(v.Btn, children=["Step"]).widget.click()
    page.find(v.Btn, children=["Step"]).widget.click()
    assert _html(page, "Month 2 of 240 (0.2 years)")
    assert [bytes(i.value) for i in page.find(widgets.Image).widgets] != images_before
    page.find(v.Slider, label="Steering now").widget.v_model = 0.85
    assert _html(page, "0.85")  # the status shows the steering in force
    page.find(v.Btn, children=["Ease off (0.2)"]).widget.click()
    assert _html(page, "0.20")


def test_start_settings_wait_for_reset(page):
    page.find(v.Slider, label="Steering intensity").widget.v_model = 0.8
    assert start_settings.value.levers == {"steering_intensity": 0.8}
    assert page.find(v.Alert, class_="samskabelse-pending").widgets  # "press RESET"
    page.find(v.Btn, children=["Reset"]).widget.click()
    assert _html(page, "0.80")
    assert not page.find(v.Alert, class_="samskabelse-pending").widgets


def test_a_5000_digit_seed_gives_a_notice_not_a_traceback(page):
    seed = "9" * 5000
    box = page.find(v.TextField, label=f"Seed ({describe('seed')['allowed']})").widget
    box.v_model = seed
    box.fire_event("keyup.enter", None)  # what pressing Enter in the box sends
    page.find(v.Btn, children=["Reset"]).widget.click()
    (notice,) = [a for a in page.find(v.Alert).widgets if "Seed" in str(a.children)]
    text = str(notice.children)
    assert "from 0 to 9223372036854775807" in text and "this run uses seed 1" in text
    assert seed not in text  # the value is shortened, not echoed in full
    assert _html(page, "Month 0 of 240 (0.0 years)")  # the page is still there, with a fresh run


def test_the_end_of_the_run_is_announced(model):
    from simulation.viz.components import Notices

    _, rc = solara.render(Notices(model), handle_error=False)
    assert not rc.find(v.Alert, class_="samskabelse-finished").widgets
    rc.close()
    model.running = False  # what Mesa's loop sees after the last month
    _, rc = solara.render(Notices(model), handle_error=False)
    (notice,) = rc.find(v.Alert, class_="samskabelse-finished").widgets
    assert "RESET" in str(notice.children)
    rc.close()


def test_language_switch(page):
    page.find(v.BtnToggle, class_="", dense=True).widget.v_model = 1  # what clicking "Dansk" sends
    assert language.value == "da"
    assert _html(page, "Måned 0 af 240 (0,0 år)")
    (questions,) = page.find(attributes={"class": "samskabelse-questions"}).widgets
    assert "Hvad er vigtigt for dig, når du samarbejder med kommunen?" in questions.unsafe_innerHTML


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_the_server_ends_with_the_command_and_frees_the_port(tmp_path, sig):
    """`kill`, a closed terminal (SIGHUP) or `kill -9` of `samskabelse viz` must not leave Solara listening."""
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    from tests.conftest import SAMSKABELSE, own_process_group, signal_and_wait_for_group

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with own_process_group([str(SAMSKABELSE), "viz", "--port", str(port)], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "the command ended before its server answered"
            assert time.monotonic() < deadline, "the page was not served within 90 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    if page.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        assert signal_and_wait_for_group(proc, getattr(signal, sig), timeout=10) == []
        assert not _listening(port)


def _listening(port: int) -> bool:
    """Whether any process listens on TCP ``port`` (read from /proc/net, so a test connection cannot fool it)."""
    from pathlib import Path

    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state == "0A":  # 0A: LISTEN
                return True
    return False
