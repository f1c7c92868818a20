"""core.fft is scipy.fft.rfft, and the analysis path imports neither scipy.fft nor scipy.ndimage."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from core.fft import rfft
from core.tonal import running_median


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_rfft_is_scipys(dtype: type, axis: int) -> None:
    scipy_fft = pytest.importorskip("scipy.fft")
    x = np.random.default_rng(3).standard_normal((6, 2048)).astype(dtype)
    ours, theirs = rfft(x, axis=axis), scipy_fft.rfft(x, axis=axis)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("size", [1, 3, 37])
def test_running_median_is_scipys_median_filter(size: int) -> None:
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(size).standard_normal(240)
    want = ndimage.median_filter(x, size=size, mode="nearest")
    np.testing.assert_array_equal(running_median(x, size=size), want)


def test_the_analysis_path_loads_only_pocketfft_from_scipy() -> None:
    code = "import json, sys, core.analysis; print(json.dumps([m for m in sys.modules if 'scipy' in m]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert set(json.loads(out)) <= {"scipy.fft._pocketfft.pypocketfft"}
