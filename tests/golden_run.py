"""The golden baseline run: a short run whose every indicator is stored in tests/golden/.

Refresh it, when a change of the model's numbers is intended, with

    .venv/bin/python -m tests.golden_run

and say in the commit message why the numbers changed.
"""

from pathlib import Path

from simulation import CoCreationModel

GOLDEN = Path(__file__).parent / "golden" / "baseline.csv"
SETTINGS = {"n_citizens": 300, "n_associations": 8, "n_staff": 4, "steps": 24, "seed": 7, "governance_mode": "npm",
            "policy_schedule": [{"step": 12, "governance_mode": "npg"}]}


def golden_frame():
    """Run the golden settings and return the results table."""
    m = CoCreationModel(**SETTINGS)
    while m.running:
        m.step()
    return m.results()


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    golden_frame().to_csv(GOLDEN, index=False, float_format="%.12g")
    print(f"wrote {GOLDEN}")
