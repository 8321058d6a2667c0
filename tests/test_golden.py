"""A short stored run: any change to the model's numbers shows up here.

If the change is intended, refresh with `.venv/bin/python -m tests.golden_run` and say why
in the commit.
"""

import pandas as pd

from tests.golden_run import GOLDEN, golden_frame


def test_golden_baseline_is_reproduced():
    expected = pd.read_csv(GOLDEN)
    actual = golden_frame()
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected, check_dtype=False, rtol=1e-8, atol=1e-10)
