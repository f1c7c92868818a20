"""Listening excerpts: the passage that changed most, at matched loudness, never clipped."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from core.excerpt import PEAK_CEILING_DBFS, conform, encode_wav, make_excerpt, mix_stems, most_changed_window
from core.loudness import measure_loudness

SR = 44_100


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    return (0.05 * np.random.default_rng(seed).standard_normal((2, int(seconds * SR)))).astype(np.float32)


def test_the_window_is_centred_on_what_changed() -> None:
    before = noise(120)
    after = before.copy()
    after[:, 70 * SR : 80 * SR] *= 2.0
    assert most_changed_window(before, after, SR, seconds=20) == 65 * SR
    assert most_changed_window(before[:, : 10 * SR], after[:, : 10 * SR], SR, seconds=20) == 0


def test_after_is_brought_to_befores_loudness_without_clipping() -> None:
    before = noise(30) * 10.0  # peaks near full scale
    after = before * 2.0  # +6 dB: louder would sound better
    ex = make_excerpt(before, after, SR, move_type="eq_boost", seconds=20)
    assert ex.loudness_matched and ex.match_gain_db == pytest.approx(-6.02, abs=0.05)
    lufs = [measure_loudness(x, SR).integrated_lufs for x in (ex.before, ex.after)]
    assert lufs[0] == pytest.approx(lufs[1], abs=0.05)
    assert ex.duration_s == pytest.approx(20.0) and ex.before.shape == ex.after.shape == (2, 20 * SR)
    ceiling = 10 ** (PEAK_CEILING_DBFS / 20)
    assert max(np.abs(ex.before).max(), np.abs(ex.after).max()) <= ceiling + 1e-6


def test_a_gain_move_keeps_its_level_difference() -> None:
    before = noise(5)
    ex = make_excerpt(before, before * 0.5, SR, move_type="gain")
    assert not ex.loudness_matched and ex.match_gain_db == 0.0
    assert ex.after_lufs is not None and ex.before_lufs is not None
    assert ex.before_lufs - ex.after_lufs == pytest.approx(6.02, abs=0.05)


def test_mixdown_pan_law_and_wav_round_trip() -> None:
    mono = np.ones((1, 100), dtype=np.float32) * 0.5
    centred = mix_stems([(mono, 0.0, 0.0)], n=100)
    assert centred[0, 0] == pytest.approx(0.5 / np.sqrt(2), abs=1e-6)  # -3 dB each side
    hard_left = mix_stems([(mono, -6.0, -1.0), (np.ones((2, 50), np.float32) * 0.1, 0.0, 0.0)], n=100)
    assert hard_left[1, 60] == pytest.approx(0.0, abs=1e-7)
    assert hard_left[0, 0] == pytest.approx(0.5 * 10 ** (-6 / 20) + 0.1, abs=1e-6)
    y, sr = sf.read(io.BytesIO(encode_wav(centred, SR)), always_2d=True)
    assert sr == SR and y.shape == (100, 2) and y[0, 0] == pytest.approx(0.5 / np.sqrt(2), abs=1e-4)
    assert conform(np.ones(48_000, np.float32), 48_000, sr_to=SR).shape == (1, SR)
