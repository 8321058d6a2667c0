"""How long one step with redraw takes on the browser page, at the default browser size.

    .venv/bin/python benchmarks/viz_step.py            # 300 citizens (the page's default)
    .venv/bin/python benchmarks/viz_step.py --citizens 1000 --steps 60

Prints, in milliseconds (median over the steps, after a warm-up):
  model step         the model alone
  network SVG        the network's moving layer as SVG text (what the page sends each month)
  plots SVG          the six panels' moving layers as SVG text
  step + redraw      what a month costs the server: step, then both
  page Step click    the same through Solara's widget tree (solara.render, the page's Step button)
  matplotlib         the old way, for comparison: the network and the panels as PNG (now only for downloads)
The browser adds the websocket round trip and drawing the SVG (a few ms on localhost).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--citizens", type=int, default=300)
    ap.add_argument("--steps", type=int, default=60, help="steps measured (after 5 warm-up steps)")
    args = ap.parse_args()

    from simulation.viz import drawing
    from simulation.viz.model import BrowserModel
    from simulation.viz.settings import StartSettings

    settings = StartSettings()
    model = BrowserModel(n_citizens=args.citizens, settings=settings)
    p = model.parameters
    print(f"population: {p.n_citizens} citizens, {p.n_associations} associations, {p.n_staff} staff; "
          f"{len(model.world.ties)} ties; scenario {settings.scenario}")

    from simulation.viz import svg
    from simulation.viz.panels import PLOTS, lever_changes

    view = svg.NetworkSVG(model)

    def plots_svg() -> int:
        columns = svg.record_run(model, 0, "").columns
        changes = lever_changes(model)
        size = 0
        for spec in PLOTS.values():
            frame = svg.panel_frame(spec, [columns], model.parameters.steps)
            size += len(svg.panel_moving(spec, frame, columns, "en", changes))
        return size

    for _ in range(5):
        model.step()
    step, net, dash, total = [], [], [], []
    for _ in range(args.steps):
        t_step = timed(model.step)
        t_net = timed(lambda: view.moving(model))
        t_dash = timed(plots_svg)
        step.append(t_step)
        net.append(t_net)
        dash.append(t_dash)
        total.append(t_step + t_net + t_dash)
    size = len(view.moving(model)) + plots_svg()
    columns = svg.record_run(model, 0, "").columns
    recent = sum(len(svg.panel_moving(spec, svg.panel_frame(spec, [columns], model.parameters.steps), columns, "en",
                                      lever_changes(model), since_history=True)) for spec in PLOTS.values())
    from simulation.viz.components import TIES_EVERY_WHEN_PLAYING

    sent = len(view.people(model)) + recent + len(view.ties(model)) / TIES_EVERY_WHEN_PLAYING

    print(f"model step         {median_ms(step):7.1f} ms")
    print(f"network SVG        {median_ms(net):7.1f} ms")
    print(f"plots SVG          {median_ms(dash):7.1f} ms")
    print(f"step + redraw      {median_ms(total):7.1f} ms   (the whole picture is {size / 1000:.0f} kB of SVG at month "
          f"{model.steps}; a month of ▶ sends about {sent / 1000:.0f} kB: the months since the last whole year, the ties "
          f"every {TIES_EVERY_WHEN_PLAYING} months)")

    network, plots = drawing.NetworkView(model), drawing.Dashboard(ncols=2)
    png = [timed(lambda: (network.png(model), plots.png(model))) for _ in range(5)]
    print(f"matplotlib         {median_ms(png):7.1f} ms   (the PNG pictures the page drew before; now only a download)")

    try:
        import ipyvuetify as v
        import solara

        from simulation.viz.app import Page
    except ImportError as exc:  # the viz extra is missing
        print(f"page Step click    skipped ({exc.name} is not installed)")
        return

    warnings.filterwarnings("ignore", message="Failed to validate hooks")

    @solara.component
    def WithLayout():
        with solara.AppLayout():
            Page()

    _, rc = solara.render(WithLayout(), handle_error=False)
    button = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(3):
        button.click()
    clicks = [timed(button.click) for _ in range(min(args.steps, 30))]
    rc.close()
    print(f"page Step click    {median_ms(clicks):7.1f} ms   (step + the page's followed widgets)")


if __name__ == "__main__":
    main()
