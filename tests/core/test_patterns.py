"""core.patterns on drum loops, pads, cadences, noise and sparse clicks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.patterns import detect_patterns
from core.results import DynamicsResult, PatternsResult, to_dict
from core.rhythm import estimate_rhythm
from core.tonal import estimate_key
from tests.core.music import cadence, chord, clicks, drum_loop, frames_of, noise

SR = 22050


def _dynamics(silence_ratio: float = 0.0) -> DynamicsResult:
    return DynamicsResult(
        rms_dbfs=-20.0,
        peak_dbfs=-6.0,
        crest_factor_db=14.0,
        dynamic_range_db=10.0,
        clipped_samples=0,
        dc_offset=0.0,
        silence_ratio=silence_ratio,
        noise_floor_dbfs=-80.0,
    )


def _patterns(y: np.ndarray, silence_ratio: float = 0.0) -> PatternsResult:
    frames = frames_of(y, SR)
    return detect_patterns(
        frames, rhythm=estimate_rhythm(frames), tonal=estimate_key(frames), dynamics=_dynamics(silence_ratio)
    )


@pytest.mark.parametrize(
    ("pattern", "bpm", "name"),
    [("rock", 100, "backbeat"), ("four_floor", 124, "four_on_the_floor"), ("syncopated", 110, "syncopated")],
)
def test_drum_loop_is_percussive_and_rhythmic(pattern: str, bpm: int, name: str) -> None:
    result = _patterns(drum_loop(bpm, pattern=pattern, seconds=10.0, sr=SR)[0])
    assert result.percussive > 0.7
    assert result.rhythmic > 0.6
    assert result.sustained < 0.2
    assert "percussive_loop" in result.detected
    assert name in result.detected
    assert "sustained_pad" not in result.detected
    json.dumps(to_dict(result), allow_nan=False)


def test_the_named_grooves_are_told_apart() -> None:
    rock = _patterns(drum_loop(100, pattern="rock", seconds=10.0, sr=SR)[0]).detected
    floor = _patterns(drum_loop(124, pattern="four_floor", seconds=10.0, sr=SR)[0]).detected
    assert "four_on_the_floor" not in rock and "syncopated" not in rock
    assert "backbeat" not in floor and "syncopated" not in floor


def test_pad_chord_is_sustained_and_tonal() -> None:
    result = _patterns((0.1 * chord(60, (0, 4, 7), 10.0, SR)).astype(np.float32))
    assert result.sustained > 0.8
    assert result.tonal > 0.8
    assert result.percussive < 0.2
    assert result.rhythmic < 0.2
    assert result.detected == ("sustained_pad",)


def test_chord_changes_are_tonal_melodic() -> None:
    result = _patterns(cadence(2, "major", chord_s=0.75, sr=SR))
    assert "tonal_melodic" in result.detected
    assert result.percussive < 0.5


@pytest.mark.parametrize("seed", [0, 1])
def test_noise_is_neither_tonal_nor_rhythmic(seed: int) -> None:
    result = _patterns(noise(10.0, sr=SR, seed=seed))
    assert result.tonal < 0.2
    assert result.rhythmic == 0.0
    assert result.percussive < 0.2
    assert "noise_like" in result.detected
    assert not {"sustained_pad", "tonal_melodic", "percussive_loop"} & set(result.detected)


def test_few_clicks_are_sparse() -> None:
    result = _patterns(clicks(np.array([1.0, 5.0, 9.0]), seconds=10.0, sr=SR), silence_ratio=0.9)
    assert "sparse" in result.detected
    assert "percussive_loop" not in result.detected


def test_silence_is_sparse_and_scores_zero() -> None:
    result = _patterns(np.zeros(SR * 3, dtype=np.float32), silence_ratio=1.0)
    assert (result.rhythmic, result.tonal, result.percussive, result.sustained) == (0.0, 0.0, 0.0, 0.0)
    assert result.detected == ("sparse",)


def test_a_busy_loop_with_silent_gaps_is_not_sparse() -> None:
    result = _patterns(drum_loop(100, pattern="rock", seconds=10.0, sr=SR)[0], silence_ratio=0.7)
    assert "sparse" not in result.detected
