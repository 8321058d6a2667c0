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
from simulation.viz import (  # noqa: E402
    drawing,
    settings,
    state,  # noqa: E402
    text,
)
from simulation.viz.model import BrowserModel  # noqa: E402
from simulation.viz.settings import StartSettings  # noqa: E402
from simulation.viz.state import language, start_settings  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _fresh_state() -> None:
    state.playing.set(False)
    language.set("en")
    start_settings.set(StartSettings())
    state.current_model.set(None)
    state.live_views.set(None)
    state.kept_runs.set(())
    state.run_number.set(1)
    state.run_over.set(False)
    state.seed_text.set("1")
    state.citizens.set(settings.BROWSER_CITIZENS)
    state.extra_indicator.set("")
    state.speed.set(4)


@pytest.fixture(autouse=True)
def fresh_page_state():
    """Each test starts with the page's defaults (the reactive state is per session)."""
    _fresh_state()
    yield
    _fresh_state()


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
    assert cmd[cmd.index("-m") + 1] == "simulation.viz.server"
    assert cmd[cmd.index("--workers") + 1] == "1"  # one person on this machine: one process is plenty
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_the_workers_serve_the_page_in_production_mode():
    from simulation.viz.server import RESTART_IDLE_ENV, worker_env

    env = worker_env(str(viz.APP_FILE), 60)
    assert env["SOLARA_APP"] == str(viz.APP_FILE) and viz.APP_FILE.exists()
    assert env["SOLARA_MODE"] == "production"
    assert env[RESTART_IDLE_ENV] == "60"


def test_a_class_on_the_network_gets_one_server_process_per_core(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(viz.subprocess, "call", lambda cmd, env, **kw: calls.append(cmd) or 0)
    monkeypatch.setattr(viz.os, "cpu_count", lambda: 4)
    viz.serve(host="0.0.0.0", port=9000)
    viz.serve(host="0.0.0.0", port=9000, workers=2)
    assert [c[c.index("--workers") + 1] for c in calls] == ["4", "2"]
    assert "4 server processes" in capsys.readouterr().out


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
    # every numeric lever, in declared order: a lever added to the model appears by itself
    assert [s.name for s in specs] == [n for n in LEVERS if describe(n)["type"] in ("float", "int")]
    assert {"steering_intensity", "threat_sensitivity", "volunteer_substitution", "targeting"} <= {s.name for s in specs}
    for s in specs:
        d = describe(s.name)
        assert (s.min, s.max) == d["range"]
        assert s.help.startswith(d["meaning"])
        assert 0 < s.step <= (s.max - s.min) / 10
    on_off = settings.lever_switches()
    choices = settings.lever_choices()
    assert set(on_off) | set(choices) | {s.name for s in specs} == set(LEVERS) - {"governance_mode"}


def test_every_lever_has_a_danish_label_and_help_text():
    missing = [n for n in LEVERS if n not in text.LEVER_TEXT_DA]
    assert not missing, f"add Danish texts for {missing} to simulation/viz/text.py LEVER_TEXT_DA"
    assert settings.label("targeting", "da") == "Inkluderende opsøgning (0 = egen gruppe, 1 = på tværs)"
    for values in settings.lever_choices().values():
        for value in values:
            assert settings.choice_label(value, "da") != value, value


def test_scenario_picker_lists_the_project_scenarios():
    names = list(settings.available_scenarios())
    assert names[0] == "denmark"
    assert {"npm_contracting", "npg_partnership", "over_steering_episode"} <= set(names)


def test_every_project_scenario_has_a_danish_title_and_description():
    from simulation.experiment import scenarios

    for name, path in scenarios.available().items():
        spec = scenarios._read_scenario_file(path)
        assert {"title", "title_da", "description_da"} <= set(spec["texts"]), f"{path}: add title, title_da, description_da"
        title_da, description_da = scenarios.scenario_texts(path, "da")
        assert (title_da, description_da) != scenarios.scenario_texts(path, "en"), name
        assert '"' not in description_da and "“" not in description_da, f"{name}: Danish quotes are »…«"
    assert settings.available_scenarios("da")["denmark"][0] == "Dansk udgangspunkt"


def test_a_scenario_text_that_is_not_text_is_an_input_error(tmp_path):
    from simulation.errors import InputError
    from simulation.experiment import scenarios

    bad = tmp_path / "x.toml"
    bad.write_text('description = "x"\ntitle_da = 3\n')
    with pytest.raises(InputError, match="title_da"):
        scenarios.scenario_texts(bad, "da")
    plain = tmp_path / "y.toml"
    plain.write_text('description = "Only English."\n')
    assert scenarios.scenario_texts(plain, "da") == ("y", "Only English.")


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
    assert "seven" in settings.notice_text(bad.notices[0], "en")
    assert settings.notice_text(bad.notices[0], "da").startswith("Tilfældighedstallet skal være et helt tal")


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
        # the app layout that `solara run` provides
        with solara.AppLayout():
            Page()

    box, rc = solara.render(WithLayout(), handle_error=False)
    yield rc
    state.playing.set(False)
    rc.close()


def _html(rc, value: str):
    return [w for w in rc.find(solara.widgets.HTML).widgets if w.unsafe_innerHTML == value]


def _month(rc) -> str:
    (chip,) = [w for w in rc.find(solara.widgets.HTML).widgets if (w.attributes or {}).get("class") == "value"
               and w.unsafe_innerHTML.startswith(("Month", "Måned"))]
    return chip.unsafe_innerHTML


def _svgs(rc) -> list[str]:
    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if w.unsafe_innerHTML.startswith("<svg")]


def _button(rc, name: str):
    return rc.find(v.Btn, children=[name]).widget


def test_page_draws_network_and_plots_as_svg(page):
    pictures = _svgs(page)
    # network: groups, ties, people; six panels: static, the run's whole years, the months since
    assert len(pictures) == 3 + 3 * len(drawing.PLOTS)
    assert sum("samskabelse-network" in p for p in pictures) == 3
    assert _month(page) == "Month 0 of 240 (0.0 years)"
    assert not page.find(widgets.Image).widgets  # no matplotlib picture on the page


def test_network_svg_draws_every_volunteer(model):
    from simulation.viz.svg import NetworkSVG

    for _ in range(2):
        model.step()
    moving = NetworkSVG(model).moving(model)
    assert moving.count("l8 14h-16z") == int(model.world.citizens.volunteer.sum())  # one triangle each
    assert moving.count("h0") == int((~model.world.citizens.volunteer).sum())  # one dot each


def test_step_updates_the_pictures_and_the_live_lever_steers(page):
    before = _svgs(page)
    _button(page, "Step").click()
    _button(page, "Step").click()
    assert _month(page) == "Month 2 of 240 (0.2 years)"
    assert _svgs(page) != before
    live = page.find(v.Slider).widgets[0]  # the live lever is the first slider
    live.v_model = 0.85
    assert _html(page, "0.85")  # the status shows the steering in force
    assert state.current_model.value.p.steering_intensity == pytest.approx(0.85)
    _button(page, "Ease off (0.2)").click()
    assert _html(page, "0.20")


def test_play_advances_in_its_own_thread_and_pause_stops_it(page):
    import time

    _button(page, "▶ Play").click()
    deadline = time.monotonic() + 20
    while state.current_model.value.steps < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state.current_model.value.steps >= 3
    _button(page, "❚❚ Pause").click()
    time.sleep(0.6)
    stopped = state.current_model.value.steps
    time.sleep(0.6)
    assert state.current_model.value.steps == stopped
    # the status shows the month reached, not the month the page was first drawn at
    assert _month(page) == f"Month {stopped} of 240 ({stopped / 12:.1f} years)"


def test_play_right_after_reset_plays_at_its_speed(page):
    """▶ pressed just after Reset starts at once and keeps its pace (Mesa's loop stalled here)."""
    import time

    for _ in range(5):
        _button(page, "Reset").click()
        start = time.monotonic()
        _button(page, "▶ Play").click()
        while state.current_model.value.steps < 2 and time.monotonic() - start < 10:
            time.sleep(0.02)
        assert state.current_model.value.steps >= 2, "▶ did not start within 10 s of Reset"
        _button(page, "❚❚ Pause").click()
        elapsed = time.monotonic() - start
        # 4 months a second: 2 months in about half a second, far below the stall of 30-50 s
        assert elapsed < 5
        assert state.current_model.value.steps < 40


def test_a_late_play_thread_of_the_run_before_reset_does_not_stop_the_new_run(page):
    """Reset ends the old run; its play thread, coming late, must leave the new run's ▶ playing.

    The load benchmark's students met this: after a run played to its end (or any Reset, which
    releases the old model), ▶ on the new run stood at month 0 because the old run's thread,
    delayed on a busy server, stopped playing when it saw its own run over.
    """
    import threading

    from simulation.viz.components import play_months

    old = state.current_model.value
    _button(page, "Reset").click()
    assert not old.running  # Reset released it
    _button(page, "▶ Play").click()
    assert state.playing.value
    play_months(old, 4, threading.Event())  # the old run's thread, late
    assert state.playing.value, "the old run's thread stopped the new run"
    _button(page, "❚❚ Pause").click()


def test_play_stops_at_the_end_of_the_pages_own_run_only(model):
    """(No page here, so no play thread of its own: the rule alone.)"""
    from simulation.viz.components import stop_playing_at_run_end

    other = BrowserModel(seed=4, settings=StartSettings())
    state.current_model.set(model)
    model.running = other.running = False
    state.playing.set(True)
    stop_playing_at_run_end(other)  # not the page's run
    assert state.playing.value
    stop_playing_at_run_end(model)  # the page's run has ended
    assert not state.playing.value
    state.playing.set(True)
    model.release()  # Reset released it (and stopped playing itself); a new ▶ must stay
    stop_playing_at_run_end(model)
    assert state.playing.value


def test_a_reset_during_a_play_threads_month_leaves_the_new_run_playable(page, monkeypatch):
    """Reset arriving while a play thread shows its month: the new run is at month 0 with ▶ enabled.

    The lesson benchmark's class met this: the old run's thread, seeing its run released (not
    running) after the Reset, redrew the page as if the run had ended, and ▶ stayed disabled.
    """
    from simulation.viz import components

    old = state.current_model.value
    views = state.live_views.value
    show = type(views).refresh

    def show_then_reset(self, model):
        shown = show(self, model)
        monkeypatch.setattr(type(views), "refresh", show)
        _button(page, "Reset").click()  # the student's Reset, while the thread is in its month
        return shown

    monkeypatch.setattr(type(views), "refresh", show_then_reset)
    old.step()
    components.advance()  # the play thread's month of the old run
    assert state.current_model.value is not old and old.released
    assert not state.run_over.value
    assert not _button(page, "▶ Play").disabled
    assert _month(page) == "Month 0 of 240 (0.0 years)"


def test_a_reset_during_a_full_redraw_leaves_the_new_run_playable(page, monkeypatch):
    """Reset between the redraw's reading of the run and its "run over?": the new run is not over."""
    from simulation.viz import components

    real_tick, pressed = components.tick, []

    class TickThenReset:
        @property
        def value(self):
            return real_tick.value

        def set(self, value):
            real_tick.set(value)
            if not pressed:
                pressed.append(True)
                _button(page, "Reset").click()

    old = state.current_model.value
    old.step()
    monkeypatch.setattr(components, "tick", TickThenReset())
    components._full_render()  # a play thread's redraw of the old run, Reset coming in the middle
    assert pressed and old.released and state.current_model.value is not old
    assert not state.run_over.value
    assert not _button(page, "▶ Play").disabled


def test_start_settings_wait_for_reset(page):
    sliders = page.find(v.Slider).widgets
    steering = [w for w in sliders if w.min == 0 and w.max == 1][1]  # after the live lever: the start setting
    steering.v_model = 0.8
    assert start_settings.value.levers == {"steering_intensity": 0.8}
    assert page.find(v.Alert, class_="samskabelse-pending").widgets  # "press Reset"
    _button(page, "Reset").click()
    assert _html(page, "0.80")
    assert not page.find(v.Alert, class_="samskabelse-pending").widgets


def test_reset_keeps_the_run_as_faint_lines_with_its_settings(page):
    for _ in range(4):
        _button(page, "Step").click()
    assert not any('stroke-opacity="0.28"' in p for p in _svgs(page))
    _button(page, "Reset").click()
    assert _month(page) == "Month 0 of 240 (0.0 years)"
    assert len(state.kept_runs.value) == 1
    assert state.kept_runs.value[0].months == 5
    faint = [p for p in _svgs(page) if 'stroke-opacity="0.28"' in p]
    assert len(faint) == len(drawing.PLOTS)  # every panel shows the earlier run
    runs = page.find(attributes={"class": "samskabelse-run-list"}).widget.unsafe_innerHTML
    assert "Run 1" in runs and "Run 2" in runs and "Danish baseline" in runs and "seed 1" in runs
    language.set("da")  # the earlier run's settings follow the page's language
    runs = page.find(attributes={"class": "samskabelse-run-list"}).widget.unsafe_innerHTML
    assert "Simulering 1" in runs and "Dansk udgangspunkt" in runs and "tilfældighedstal 1" in runs
    language.set("en")
    _button(page, "Remove earlier runs").click()
    assert state.kept_runs.value == ()


def test_axes_are_fixed_so_runs_compare():
    from simulation.viz import svg

    a = BrowserModel(seed=1, settings=StartSettings())
    b = BrowserModel(seed=2, settings=StartSettings("southern_europe"))
    for _ in range(12):
        a.step()
        b.step()
    for spec in drawing.PLOTS.values():
        fa = svg.panel_frame(spec, [svg.record_run(a, 1, "").columns], 240)
        fb = svg.panel_frame(spec, [svg.record_run(b, 2, "").columns], 240)
        assert fa == fb, spec.title
    # a run above the fixed top widens the axis to a round number, never cuts the line
    assert drawing.PLOTS["synergy"].ylim == (0, 2.5)
    from simulation.viz.panels import axis_limits

    assert axis_limits((0, 2.5), 3.1) == (0, 4.0)
    assert axis_limits((0, 2.5), 1.0) == (0, 2.5)


def test_downloads_csv_svg_and_png(page):
    import io

    import pandas as pd

    from simulation.viz import components

    for _ in range(3):
        _button(page, "Step").click()
    model = state.current_model.value
    frame = pd.read_csv(io.StringIO(components.run_csv(model, "en")), comment="#")
    assert list(frame["month"]) == [0, 1, 2, 3]
    assert frame["volunteering_rate"].iloc[-1] == pytest.approx(model.indicators["volunteering_rate"])
    assert frame["steering_intensity"].iloc[-1] == pytest.approx(0.2)
    danish = components.run_csv(model, "da")
    assert danish.splitlines()[1].startswith("month;") and "0,2" in danish
    assert "seed 1" in components.run_csv(model, "en").splitlines()[0]
    assert components.plots_svg(model, "en").startswith("<svg")
    assert components.network_svg(model, "da").startswith("<svg")
    assert components.plots_png(model, "en").startswith(PNG)
    labels = {w.children[-1] if isinstance(w.children[-1], str) else "" for w in page.find(v.Btn).widgets}
    assert {"Data (CSV)", "Plots (SVG)", "Plots (PNG)", "Network (SVG)"} <= labels


def test_a_5000_digit_seed_gives_a_notice_not_a_traceback(page):
    seed = "9" * 5000
    box = page.find(v.TextField, label=text.t("en", "seed")).widget
    box.v_model = seed
    box.fire_event("keyup.enter", None)  # what pressing Enter in the box sends
    _button(page, "Reset").click()
    (notice,) = page.find(v.Alert, class_="samskabelse-notice").widgets
    content = str(notice.children)
    assert "from 0 to 9223372036854775807" in content and "this run uses seed 1" in content
    assert seed not in content  # the value is shortened, not echoed in full
    assert _month(page) == "Month 0 of 240 (0.0 years)"  # the page is still there, with a fresh run
    language.set("da")
    (notice,) = page.find(v.Alert, class_="samskabelse-notice").widgets
    assert "denne simulering bruger 1" in str(notice.children)


def test_the_end_of_the_run_is_announced(page):
    model = state.current_model.value
    assert not page.find(v.Alert, class_="samskabelse-finished").widgets
    month = model.step

    def last_month():
        month()
        model.running = False  # what the model says after its last month

    model.step = last_month
    _button(page, "Step").click()
    (notice,) = page.find(v.Alert, class_="samskabelse-finished").widgets
    assert "Reset" in str(notice.children)
    assert page.find(v.Btn, children=["Step"]).widget.disabled
    assert _month(page).startswith(f"Month {model.steps} of")  # the last month is shown, not the one before


def test_language_switch(page):
    page.find(v.BtnToggle).widgets[0].v_model = 1  # what clicking "Dansk" sends
    assert language.value == "da"
    assert _month(page) == "Måned 0 af 240 (0,0 år)"
    (questions,) = page.find(attributes={"class": "samskabelse-questions"}).widgets
    assert "Hvad er vigtigt for dig, når du samarbejder med kommunen?" in questions.unsafe_innerHTML


def test_the_address_chooses_the_language():
    from simulation.viz.app import language_from_address

    assert language_from_address("lang=da") == "da"
    assert language_from_address("x=1&lang=en") == "en"
    assert language_from_address("lang=fr") is None
    assert language_from_address(None) is None


# Words of the page's English interface that must not be left in Danish mode (whole words).
ENGLISH_WORDS = ("Reset", "Play", "Step", "Controls", "Model Parameters", "Seed", "Citizens", "citizens", "Information",
                 "Steering", "steering", "Volunteering", "volunteer", "Trust", "Month", "month", "Start settings",
                 "Over-steer", "Ease off", "Download", "Speed", "run", "Run", "the", "and", "of", "with", "group",
                 "Scenario", "Governance", "Time", "About", "What", "Synergy", "lever", "years", "Targeting", "RESET", "STEP")
# ... and Danish words that must not be left in English mode.
# (Not "og" or "af": the explanation quotes Danish titles, e.g. the seed talk's.)
DANISH_WORDS = ("Nulstil", "Afspil", "skridt", "Styring", "styring", "frivillige", "Tillid", "måned", "Måned", "borgere",
                "gruppe", "Simulering", "håndtag", "Målretning", "Startindstillinger")


def page_text(rc) -> str:
    """Every text the page shows: HTML (tags removed), button texts, labels, picker items."""
    import html as html_module
    import re

    def walk(w):
        yield w
        for child in getattr(w, "children", None) or []:
            if isinstance(child, widgets.Widget):
                yield from walk(child)

    parts = []
    for w in walk(rc.container):
        for name in ("unsafe_innerHTML", "label", "children", "items", "placeholder", "hint", "messages"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list | tuple):
                parts.extend(x for x in value if isinstance(x, str))
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))
    return text


def _left_over(text: str, words) -> list[str]:
    import re

    return sorted({w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)})


def test_the_danish_page_has_no_english_left(page):
    for _ in range(2):
        _button(page, "Step").click()
    language.set("da")
    text = page_text(page)
    assert "Måned 2" in text and "Nulstil" in text
    assert _left_over(text, ENGLISH_WORDS) == []
    assert "0.2" not in text.replace("0.25", "")  # decimal commas: no "0.2" (e.g. a slider value) in Danish


def test_the_english_page_has_no_danish_left(page):
    text = page_text(page)
    assert "Month 0" in text
    assert _left_over(text, DANISH_WORDS) == []


def test_the_danish_teachers_corrections_are_applied(page):
    language.set("da")
    text = page_text(page)
    for wanted in ("Inkluderende opsøgning (0 = egen gruppe, 1 = på tværs)", "Skru ned (0,2)", "Om modellen",
                   "inden for en gruppe", "Det viser modellen."):
        assert wanted in text, wanted
    for unwanted in ("håndtag", "Slip (0,2)", "Kørslen", "Det ser du.", "Hvad er det her?", "indenfor", "Målretning"):
        assert unwanted not in text, unwanted
    assert "“" not in text and "”" not in text  # Danish quotation marks are »…«


def test_the_info_sections_are_shown(page, tmp_path, monkeypatch):
    from simulation.viz import components

    (tmp_path / "en.md").write_text("# Title\n\n## What it is\n\nA model.\n\n## Credits\n\nVIVE.\n")
    monkeypatch.setattr(components, "INFO_DIR", tmp_path)
    assert components.info_sections("en") == [("What it is", "<p>A model.</p>"), ("Credits", "<p>VIVE.</p>")]
    assert components.info_sections("da") == []  # not written yet: nothing shown, no error


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_the_server_ends_with_the_command_and_frees_the_port(tmp_path, sig):
    """`kill`, a closed terminal (SIGHUP) or `kill -9` of `samskabelse viz` must not leave Solara listening.

    With two server processes: each worker, not only their supervisor, must end with the command.
    """
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    from tests.conftest import SAMSKABELSE, own_process_group, signal_and_wait_for_group

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with own_process_group([str(SAMSKABELSE), "viz", "--port", str(port), "--workers", "2"], cwd=tmp_path,
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



def test_the_server_frees_a_closed_pages_session_within_minutes():
    """Solara keeps a closed page's session 24 h by default: a class would hold a gigabyte all day."""
    from solara.util import parse_timedelta

    env = viz.server_env({})
    assert parse_timedelta(env["SOLARA_KERNEL_CULL_TIMEOUT"]) <= 600
    assert viz.server_env({"SOLARA_KERNEL_CULL_TIMEOUT": "1h"})["SOLARA_KERNEL_CULL_TIMEOUT"] == "1h"  # the user's wins


def test_any_other_public_indicator_can_be_plotted(page):
    from simulation.core.indicators import PUBLIC_INDICATORS
    from simulation.core.indicators import label as indicator_label

    shown = {s.column for spec in drawing.PLOTS.values() for s in spec.series}
    others = [n for n in PUBLIC_INDICATORS if n not in shown]
    assert others  # e.g. the municipal budget's indicators
    picker = page.find(v.Select, label="Another indicator").widget
    assert set(picker.items) == {"(none)", *(indicator_label(n, "en", unit=False) for n in others)}
    picker.v_model = indicator_label(others[0], "en", unit=False)
    assert state.extra_indicator.value == others[0]
    assert len(_svgs(page)) == 3 + 3 * (len(drawing.PLOTS) + 1)


def test_a_month_resends_only_the_months_since_the_last_whole_year(model):
    """What a month sends is the few months since the last whole year, not the whole run (classroom Wi-Fi)."""
    from simulation.viz import svg

    for _ in range(14):
        model.step()
    spec = drawing.PLOTS["trust"]
    columns = svg.record_run(model, 0, "").columns
    frame = svg.panel_frame(spec, [columns], 240)
    years, recent = svg.panel_history(spec, frame, columns), svg.panel_moving(spec, frame, columns, "en", since_history=True)
    whole = svg.panel_moving(spec, frame, columns, "en")
    points = [len(line.split()) for line in __import__("re").findall(r'points="([^"]*)"', years)]
    assert points == [13, 13]  # months 0-12, for both lines
    assert [len(line.split()) for line in __import__("re").findall(r'points="([^"]*)"', recent)] == [3, 3]  # months 12-14
    assert len(recent) < len(whole)
    model.step()
    columns = svg.record_run(model, 0, "").columns
    assert svg.panel_history(spec, frame, columns) == years  # unchanged until month 25: not resent


def test_a_model_the_page_is_done_with_is_freed(page):
    """Reset (and a closed page) release the old model, which Python could otherwise never free."""
    import gc
    import weakref

    old = weakref.ref(state.current_model.value)
    _button(page, "Step").click()
    _button(page, "Reset").click()
    _button(page, "Step").click()
    _button(page, "Reset").click()  # (the page's last render may still hold the previous model)
    gc.collect()
    assert old() is None
    assert len(state.kept_runs.value) == 2  # their runs are still on the plots
    current = weakref.ref(state.current_model.value)
    page.close()  # the page closes
    state.current_model.set(None)
    gc.collect()
    assert current() is None


def test_the_years_layer_kept_between_years_is_what_drawing_it_afresh_gives(page):
    """The yearly layer is kept while its lines stay the same (a sixth of a playing server's time went to
    building it again every month); the page must still show exactly what drawing it afresh gives, month by
    month: across year ends, the live lever pressed at a year's end (which changes that month's point of the
    steering line) and a Reset (a new run, the old one faint, perhaps other axes)."""
    from simulation.viz import components, svg

    def afresh() -> list[str]:
        model, kept = state.current_model.value, state.kept_runs.value
        columns = svg.record_run(model, 0, "").columns
        months = max([model.parameters.steps, *(r.months - 1 for r in kept)])
        return sorted(svg.panel_history(spec, svg.panel_frame(spec, [columns, *(r.columns for r in kept)], months), columns)
                      for _key, spec in components.panel_specs(state.extra_indicator.value))

    def shown() -> list[str]:
        return sorted(w for w in _svgs(page) if "samskabelse-panel-history" in w)

    layers = set()
    for run_months, lever_at in ((26, 24), (14, None)):
        for month in range(1, run_months + 1):
            _button(page, "Step").click()
            assert shown() == afresh(), f"month {month}"
            layers.add(tuple(shown()))
            if month == lever_at:
                _button(page, "Over-steer (0.9)").click()
                assert shown() == afresh(), f"month {month}, the live lever pressed"
                layers.add(tuple(shown()))
        _button(page, "Reset").click()
        assert shown() == afresh(), "after Reset"
    assert len(layers) == 4  # none before month 12, new at 12 and 24, and again at 24's lever press
