"""core.quantiles.percentile gives np.percentile's values without importing numpy.ma."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from core.quantiles import percentile


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "q", "axis", "keepdims"),
    [
        ((101,), 50.0, None, False),
        ((37,), [99.0, 50.0], None, False),
        ((200,), (10.0, 95.0), None, False),
        ((7, 300), 99.0, 1, True),
        ((5, 64), 95.0, 1, True),
        ((4, 9), [10.0, 95.0], 0, False),
        ((3, 8), 0.0, -1, False),
        ((3, 8), 100.0, None, True),
        ((1,), 37.5, None, False),
    ],
)
def test_percentile_is_numpys(dtype: type, shape: tuple, q: object, axis: int | None, keepdims: bool) -> None:
    x = np.random.default_rng(len(shape) * 7 + shape[-1]).standard_normal(shape).astype(dtype)
    ours = percentile(x, q, axis=axis, keepdims=keepdims)  # type: ignore[arg-type]
    theirs = np.percentile(x, q, axis=axis, keepdims=keepdims)
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_the_analysis_of_a_mix_does_not_import_numpy_ma() -> None:
    # np.percentile, np.median and np.unique import numpy.ma on their first call (~50 ms a process).
    code = (
        "import json, sys; from core.analysis import analyze; from tests.core.mixes import clean_mix, SR; "
        "r = analyze((clean_mix(seed=3).astype('float32'), SR)); "
        "print(json.dumps(['numpy.ma' in sys.modules, len(r.structure.sections)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    imported, sections = json.loads(out)
    assert not imported and sections >= 1
