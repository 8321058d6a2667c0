"""The package's front door: `import simulation` is light, and its public names work."""

import subprocess
import sys

import pytest

import simulation


def test_import_simulation_loads_no_heavy_library():
    # A command-line tool must be able to catch Ctrl-C while Mesa and pandas load, so the
    # package itself imports neither until a public name is used.
    code = "import sys, simulation; print(sorted(m for m in ('mesa', 'pandas', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", simulation.__all__)
def test_every_public_name_resolves(name):
    assert getattr(simulation, name) is not None


def test_public_names_are_the_core_objects():
    from simulation.core.model import CoCreationModel
    from simulation.errors import ParameterError

    assert simulation.CoCreationModel is CoCreationModel
    assert simulation.ParameterError is ParameterError
    model = simulation.CoCreationModel(rng=1, n_citizens=60, n_associations=3, n_staff=2, steps=2)
    model.step()
    assert model.steps == 1


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Modle'"):
        simulation.Modle  # noqa: B018
