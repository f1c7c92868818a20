"""core.compare: differences are b - a; identical tracks are 1.0 similar, unrelated ones are not."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import analyze
from core.compare import (
    SIMILARITY_WEIGHTS,
    compare_tracks,
    key_similarity,
    spectral_similarity,
    tempo_similarity,
)
from core.results import TrackAnalysis
from tests.core.mixes import SR, clean_mix, harsh


def run(y: np.ndarray, name: str) -> TrackAnalysis:
    return analyze((y.astype(np.float32), SR), name=name)


@pytest.fixture(scope="module")
def mix() -> np.ndarray:
    return clean_mix(duration_s=8.0)


@pytest.fixture(scope="module")
def a(mix: np.ndarray) -> TrackAnalysis:
    return run(mix, "a")


def test_identical_analyses_are_fully_similar_with_zero_differences(a: TrackAnalysis) -> None:
    c = compare_tracks(a, a)
    assert c.similarity == 1.0
    assert all(v == 1.0 for v in c.similarity_parts.values() if v is not None)
    diffs = [d.diff for d in (*c.loudness, *c.dynamics, c.tempo)] + [b.diff_db for b in c.bands]
    assert [d for d in diffs if d is not None] == [0.0] * len([d for d in diffs if d is not None])
    assert len([d for d in diffs if d is not None]) >= 10
    assert json.dumps(c.to_dict(), allow_nan=False)


def test_gain_shows_as_b_minus_a_and_keeps_the_spectral_shape(mix: np.ndarray, a: TrackAnalysis) -> None:
    b = run(mix * 10 ** (-6 / 20), "b")
    c = compare_tracks(a, b)
    by_name = {d.name: d for d in c.loudness}
    assert by_name["integrated_lufs"].diff == pytest.approx(-6.0, abs=0.05)
    assert by_name["true_peak_dbtp"].diff == pytest.approx(-6.0, abs=0.05)
    assert by_name["plr_db"].diff == pytest.approx(0.0, abs=0.05)
    assert all(band.diff_db == pytest.approx(-6.0, abs=0.1) for band in c.bands if band.diff_db is not None)
    assert c.similarity_parts["spectral"] == pytest.approx(1.0, abs=1e-3)
    assert 0.7 < c.similarity < 1.0
    # Swapping the tracks flips the sign.
    assert compare_tracks(b, a).loudness[0].diff == pytest.approx(6.0, abs=0.05)


def test_similarity_orders_a_small_change_above_an_unrelated_track(mix: np.ndarray, a: TrackAnalysis) -> None:
    eq = compare_tracks(a, run(harsh(mix), "eq"))
    t = np.arange(mix.shape[1]) / SR
    sine = 0.3 * np.sin(2 * np.pi * 1000.0 * t)
    unrelated = compare_tracks(a, run(np.stack([sine, sine]), "sine"))
    diff = {b.name: b.diff_db for b in eq.bands}
    assert diff["upper_mid"] is not None and diff["mid"] is not None
    assert diff["upper_mid"] - diff["mid"] > 6.0  # the +12 dB bell at 3 kHz, relative to the mids
    assert 1.0 > eq.similarity > unrelated.similarity
    assert unrelated.similarity < 0.35
    assert unrelated.similarity_parts["spectral"] is not None and unrelated.similarity_parts["spectral"] < 0.1


def test_key_similarity_follows_the_circle_of_fifths() -> None:
    assert key_similarity("C major", "C major") == 1.0
    assert key_similarity("C major", "A minor") == key_similarity("A minor", "C major") == 0.75
    assert key_similarity("C major", "G major") == key_similarity("C major", "F major") == 0.5
    assert key_similarity("C major", "C minor") == 0.5
    assert key_similarity("C major", "F# major") == 0.0
    assert key_similarity(None, "C major") is None


def test_tempo_similarity_treats_double_time_as_half_similar() -> None:
    assert tempo_similarity(120.0, 120.0) == 1.0
    assert tempo_similarity(120.0, 240.0) == pytest.approx(0.5)
    assert tempo_similarity(120.0, 60.0) == pytest.approx(0.5)
    assert tempo_similarity(120.0, 124.0) < 0.6
    assert tempo_similarity(None, 120.0) is None


def test_unknown_parts_are_left_out_of_the_weighting(a: TrackAnalysis) -> None:
    import dataclasses

    no_tempo = dataclasses.replace(a, rhythm=dataclasses.replace(a.rhythm, tempo_bpm=None))
    c = compare_tracks(no_tempo, a)
    assert c.similarity_parts["tempo"] is None and c.tempo.diff is None
    assert c.similarity == 1.0  # every known part is identical
    assert sum(SIMILARITY_WEIGHTS.values()) == pytest.approx(1.0)
    assert spectral_similarity(a, a) == 1.0
