"""docs/ODD.md stays true to the code."""

from simulation.core.parameters import FIELDS
from simulation.odd import ODD_PATH, PROCESSES, stale_sections


def test_generated_sections_of_the_odd_are_up_to_date():
    stale = stale_sections(ODD_PATH.read_text(encoding="utf-8"))
    assert not stale, f"run `python -m simulation.odd` to refresh: {stale}"


def test_every_parameter_and_every_process_is_in_the_odd():
    text = ODD_PATH.read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"`{name}`" in text
    for _, func in PROCESSES:
        assert func.__qualname__ in text
        assert func.__doc__ and len(func.__doc__.strip().splitlines()) >= 1


def test_processes_listed_in_the_order_the_model_runs_them():
    import inspect

    from simulation.core.model import CoCreationModel

    source = inspect.getsource(CoCreationModel.step)
    positions = [source.index(func.__name__) for _, func in PROCESSES]
    assert positions == sorted(positions)
