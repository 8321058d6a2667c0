"""How long one step with redraw takes on the browser page, at the default browser size.

    .venv/bin/python benchmarks/viz_step.py            # 300 citizens (the page's default)
    .venv/bin/python benchmarks/viz_step.py --citizens 1000 --steps 60

Prints, in milliseconds (median over the steps, after a warm-up):
  model step         the model alone
  network redraw     the network view's PNG (moving artists over a cached background)
  plots redraw       the six time-series panels' PNG
  step + redraw      what Step costs on the server: step, then both pictures
  page Step click    the same through Solara's widget tree (solara.render, Mesa's Step button)
and the one-off cost of building the pictures when a run starts or the language changes.
The browser adds the websocket round trip and decoding two PNGs (a few ms on localhost).
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

    build_network = timed(lambda: drawing.NetworkView(model))
    build_plots = timed(lambda: drawing.Dashboard(ncols=2))
    network, plots = drawing.NetworkView(model), drawing.Dashboard(ncols=2)
    for _ in range(5):
        model.step()
        network.png(model)
        plots.png(model)

    step, net, dash, total = [], [], [], []
    for _ in range(args.steps):
        t_step = timed(model.step)
        t_net = timed(lambda: network.png(model))
        t_dash = timed(lambda: plots.png(model))
        step.append(t_step)
        net.append(t_net)
        dash.append(t_dash)
        total.append(t_step + t_net + t_dash)

    print(f"model step         {median_ms(step):7.1f} ms")
    print(f"network redraw     {median_ms(net):7.1f} ms")
    print(f"plots redraw       {median_ms(dash):7.1f} ms")
    print(f"step + redraw      {median_ms(total):7.1f} ms   (max {1000 * max(total):.1f} ms: the time axis grows every 60 months)")
    print(f"build pictures     {1000 * (build_network + build_plots):7.1f} ms   (once per run and language)")

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
    print(f"page Step click    {median_ms(clicks):7.1f} ms   (step + re-render of the page's widget tree)")


if __name__ == "__main__":
    main()
