"""The month runs the processes declared in PROCESSES, in that order, and nothing else."""

import dataclasses
import re

import pytest

from simulation import CoCreationModel
from simulation.core import processes
from simulation.core.model import STREAMS
from simulation.core.processes import PROCESSES, Process


def _recording(records, calls):
    """The same records, each writing its title into ``calls`` before running the original function."""
    def wrap(process):
        def function(*args):
            calls.append(process.title)
            return process.function(*args)
        return dataclasses.replace(process, function=function)
    return tuple(wrap(p) for p in records)


def test_step_runs_every_declared_process_once_in_the_declared_order(monkeypatch):
    calls = []
    monkeypatch.setattr(processes, "PROCESSES", _recording(PROCESSES, calls))
    m = CoCreationModel(n_citizens=80, steps=3, seed=1)
    m.step()
    assert calls == [p.title for p in PROCESSES]
    m.step()
    assert calls == [p.title for p in PROCESSES] * 2


def test_step_follows_the_list_when_it_changes(monkeypatch):
    """A model whose step ignored the list (a hand-written sequence) would still call the removed process."""
    calls = []
    shuffled = (PROCESSES[3], PROCESSES[0], PROCESSES[7])
    monkeypatch.setattr(processes, "PROCESSES", _recording(shuffled, calls))
    m = CoCreationModel(n_citizens=80, steps=3, seed=1)
    trust_before = m.world.citizens.trust_municipality.copy()
    m.step()
    assert calls == [p.title for p in shuffled]
    assert (m.world.citizens.trust_municipality != trust_before).any()   # 7. Trust ran


def test_titles_are_numbered_one_to_eleven_in_order_and_name_a_domain_process():
    numbers = [int(re.match(r"(\d+)\. \w", p.title).group(1)) for p in PROCESSES]
    assert numbers == sorted(numbers)
    assert sorted(set(numbers)) == list(range(1, 12))
    assert len({p.function for p in PROCESSES}) == len(PROCESSES)


def test_each_process_draws_only_from_a_stream_the_model_has():
    for p in PROCESSES:
        assert p.stream is None or p.stream in STREAMS, p.title


def test_a_process_gets_the_levers_in_force_and_its_own_stream():
    seen = []
    m = CoCreationModel(n_citizens=50, steps=2, seed=3)
    Process("probe", lambda W, p, rng: seen.append((W, p, rng)), stream="ties").run(m)
    Process("probe", lambda W, p: seen.append((W, p))).run(m)
    Process("probe", lambda model: seen.append(model), on_model=True).run(m)
    assert seen == [(m.world, m.p, m.streams["ties"]), (m.world, m.p), m]


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.title)
def test_every_process_has_its_equation_in_the_docstring(process):
    doc = process.function.__doc__
    assert doc and doc.strip().splitlines()[0].startswith(process.title.split(":")[0])
