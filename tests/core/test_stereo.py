"""core.stereo on channel pairs with known correlation, balance and phase."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.results import StereoResult, to_dict
from core.stereo import CAP_DB, StereoAccumulator, measure_stereo

SR = 48000


def _noise(seed: int, seconds: float = 2.0) -> np.ndarray:
    return 0.1 * np.random.default_rng(seed).standard_normal(int(SR * seconds))


def _measure(left: np.ndarray, right: np.ndarray) -> StereoResult:
    r = measure_stereo(np.stack([left, right]).astype(np.float32), SR)
    assert r is not None
    json.dumps(to_dict(r), allow_nan=False)
    return r


def test_identical_channels_are_mono() -> None:
    x = _noise(1)
    r = _measure(x, x)
    assert r.correlation == pytest.approx(1.0, abs=1e-6)
    assert r.width == pytest.approx(0.0, abs=1e-6)
    assert r.balance_db == pytest.approx(0.0, abs=1e-6)
    assert r.mono_loss_db == pytest.approx(0.0, abs=1e-6)


def test_uncorrelated_channels() -> None:
    r = _measure(_noise(2), _noise(3))
    assert r.correlation == pytest.approx(0.0, abs=0.02)
    assert r.width == pytest.approx(0.5, abs=0.01)
    assert r.balance_db == pytest.approx(0.0, abs=0.1)
    assert r.mono_loss_db == pytest.approx(10 * np.log10(2), abs=0.1)


def test_anti_phase_channels() -> None:
    x = _noise(4)
    r = _measure(x, -x)
    assert r.correlation == pytest.approx(-1.0, abs=1e-6)
    assert r.width == pytest.approx(1.0, abs=1e-6)
    assert r.mono_loss_db == CAP_DB


@pytest.mark.parametrize("shared", [0.25, 0.5, 0.8])
def test_partial_correlation(shared: float) -> None:
    common, a, b = _noise(5), _noise(6), _noise(7)
    left = np.sqrt(shared) * common + np.sqrt(1 - shared) * a
    right = np.sqrt(shared) * common + np.sqrt(1 - shared) * b
    r = _measure(left, right)
    assert r.correlation == pytest.approx(shared, abs=0.02)
    assert r.width == pytest.approx((1 - shared) / 2, abs=0.01)
    assert r.mono_loss_db == pytest.approx(-10 * np.log10((1 + shared) / 2), abs=0.1)


@pytest.mark.parametrize("gain_db", [-6.0, 3.0, 20.0])
def test_balance_is_left_over_right(gain_db: float) -> None:
    x = _noise(8)
    r = _measure(x * 10 ** (gain_db / 20), x)
    assert r.balance_db == pytest.approx(gain_db, abs=0.01)
    assert r.correlation == pytest.approx(1.0, abs=1e-6)


def test_one_silent_channel() -> None:
    x = _noise(9)
    r = _measure(np.zeros_like(x), x)
    assert r.correlation is None
    assert r.balance_db == -CAP_DB
    assert r.width == pytest.approx(0.5)
    assert r.mono_loss_db == pytest.approx(10 * np.log10(2), abs=1e-6)


def test_silent_stereo_gives_none_without_warnings() -> None:
    r = _measure(np.zeros(SR), np.zeros(SR))
    assert r == StereoResult(None, None, None, None)


def test_mono_input_has_no_stereo_result() -> None:
    assert measure_stereo(_noise(10), SR) is None
    assert measure_stereo(_noise(10)[np.newaxis, :], SR) is None
    acc = StereoAccumulator(sr=SR)
    acc.update(np.zeros((1, 100), np.float32))
    assert acc.result() is None


def test_results_do_not_depend_on_block_boundaries() -> None:
    common = _noise(11)
    y = np.stack([common + 0.5 * _noise(12), 0.7 * common - 0.2 * _noise(13)]).astype(np.float32)
    whole = measure_stereo(y, SR)
    assert whole is not None
    rng = np.random.default_rng(14)
    acc = StereoAccumulator(sr=SR)
    pos = 0
    while pos < y.shape[1]:
        size = int(rng.integers(0, 3000))
        acc.update(y[:, pos : pos + size])
        pos += size
    part = acc.result()
    assert part is not None
    for name in ("correlation", "width", "balance_db", "mono_loss_db"):
        assert getattr(part, name) == pytest.approx(getattr(whole, name), rel=1e-9), name


def test_surround_input_uses_front_left_and_right() -> None:
    x = _noise(15)
    y = np.stack([x, x, _noise(16), _noise(17), _noise(18), _noise(19)])
    r = measure_stereo(y, SR)
    assert r is not None and r.correlation == pytest.approx(1.0, abs=1e-6)
