"""Over-compression: core.dynamics' loud spread and the rule that reads it, on audio whose truth is known.

A plucked part (notes that rise and decay by 20 dB) has its loudest 50 ms moments several dB above the
upper quartile; the same part through a fast 10:1 compressor from its median level (written here with
numpy, independently of core.render) has them within a dB or so. The rule asks to back off the
compression on the squashed version only, never renders it, and leaves sustained types alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import analyze
from core.dynamics import measure_dynamics
from core.render import is_renderable
from core.suggestions import suggest_for_track
from core.suggestions.rules import SQUASHED_BELOW_DB

SR = 44100


def _plucks(seconds: float = 12.0, seed: int = 11) -> np.ndarray:
    """Notes every 0.4 s with random pitch and velocity (6 dB), each decaying by ~20 dB."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    y = np.zeros(n)
    step = int(0.4 * SR)
    t = np.arange(step) / SR
    for start in range(0, n - step, step):
        f = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        velocity = 10 ** (-rng.uniform(0, 6) / 20)
        note = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, 8)) * np.exp(-t / 0.09)
        y[start : start + step] += velocity * note
    y *= 0.5 / np.max(np.abs(y))
    return np.stack([y, y]).astype(np.float32)


def _squash(y: np.ndarray) -> np.ndarray:
    """10:1 above the median 5 ms level, instant attack and release, made up to the same RMS."""
    n = int(0.005 * SR)
    power = np.mean(y.astype(np.float64) ** 2, axis=0)
    level = 10 * np.log10(np.convolve(power, np.ones(n) / n, mode="same") + 1e-20)
    threshold = float(np.median(level[level > -80]))
    out = y * (10 ** (-np.maximum(level - threshold, 0) * 0.9 / 20))[np.newaxis, :]
    out *= np.sqrt(np.mean(y.astype(np.float64) ** 2) / np.mean(out.astype(np.float64) ** 2))
    return (out / max(float(np.max(np.abs(out))) / 0.98, 1.0)).astype(np.float32)


@pytest.fixture(scope="module")
def plucks() -> np.ndarray:
    return _plucks()


def test_loud_spread_of_known_envelopes(plucks: np.ndarray) -> None:
    sr = SR
    t = np.arange(8 * sr) / sr
    steady = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    assert measure_dynamics(steady, sr).loud_spread_db == pytest.approx(0.0, abs=0.05)
    # A linear-in-dB decay of 13 dB repeated: levels spread evenly, so P99 - P75 is about 0.24 x 13
    # (a little less: each 50 ms window averages the decay over its length).
    decays = (np.sin(2 * np.pi * 220 * t) * np.exp(-3 * (t % 0.5))).astype(np.float32)
    spread = measure_dynamics(decays, sr).loud_spread_db
    assert spread is not None and 2.0 <= spread <= 3.5
    assert measure_dynamics(steady[:sr], sr).loud_spread_db is None  # under 2 s of windows
    natural = measure_dynamics(plucks, sr).loud_spread_db
    squashed = measure_dynamics(_squash(plucks), sr).loud_spread_db
    assert natural is not None and squashed is not None
    assert natural >= 5.0 and squashed <= 1.6 and natural - squashed >= 4.0  # measured: 7.1 and 1.5


def _reduce(suggestions):
    return [s for s in suggestions if s.type == "compression" and s.parameters.get("action") == "reduce"]


@pytest.mark.parametrize("track_type", ["keys", "vocals", "bass"])
def test_a_squashed_part_is_told_to_back_off_and_a_natural_one_is_not(
    plucks: np.ndarray, track_type: str
) -> None:
    natural = analyze((plucks, SR), name="p")
    squashed = analyze((_squash(plucks), SR), name="p")
    assert not _reduce(suggest_for_track(natural, track_id="p", track_type=track_type))
    (move,) = _reduce(suggest_for_track(squashed, track_id="p", track_type=track_type))
    assert move.priority <= 2 and not is_renderable(move)
    assert move.parameters["ratio"] <= 4 and move.parameters["max_gain_reduction_db"] <= 6
    assert move.evidence["loud_spread_db_below"] == SQUASHED_BELOW_DB[track_type]
    assert f"{squashed.dynamics.loud_spread_db:.1f} dB" in move.reason


@pytest.mark.parametrize("track_type", ["pad", "strings", "synth", "guitar", "mix_bus", "master"])
def test_sustained_and_bus_types_are_not_judged(plucks: np.ndarray, track_type: str) -> None:
    squashed = analyze((_squash(plucks), SR), name="p")
    assert not _reduce(suggest_for_track(squashed, track_id="p", track_type=track_type))


def _hat_loop(seconds: float = 12.0, seed: int = 5) -> np.ndarray:
    """A programmed hi-hat: the same noise burst (60 ms decay) every eighth at 120 BPM, one velocity."""
    rng = np.random.default_rng(seed)
    hit = rng.standard_normal(SR // 16) * np.exp(-np.arange(SR // 16) / (0.015 * SR))
    y = np.zeros(int(seconds * SR))
    for start in range(0, y.size - hit.size, SR // 4):
        y[start : start + hit.size] += hit
    y *= 0.5 / np.max(np.abs(y))
    return np.stack([y, y]).astype(np.float32)


def test_identical_hits_with_their_transients_are_programmed_not_squashed() -> None:
    loop = analyze((_hat_loop(), SR), name="hats")
    d = loop.dynamics
    assert d.loud_spread_db is not None and d.loud_spread_db < 0.5  # nothing rises: every hit the same
    assert d.crest_factor_db is not None and d.crest_factor_db >= 21.0  # measured 22.4 dB; the types ask 20
    for track_type in ("drums", "snare"):
        assert not _reduce(suggest_for_track(loop, track_id="hats", track_type=track_type))
    # the same hits with varied velocity and then squashed: flagged as before
    rng = np.random.default_rng(3)
    y = _hat_loop()
    y = (
        y
        * np.repeat(10 ** (-rng.uniform(0, 8, size=y.shape[1] // (SR // 4) + 1) / 20), SR // 4)[: y.shape[1]]
    )
    squashed = analyze((_squash(y.astype(np.float32)), SR), name="hats")
    assert _reduce(suggest_for_track(squashed, track_id="hats", track_type="drums"))
