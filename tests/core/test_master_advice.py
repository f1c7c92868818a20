"""Mix-bus and master advice on real analyses: clipping in the file, PLR by channel layout."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import analyze
from core.render import is_renderable
from core.results import TrackAnalysis
from core.suggestions import suggest_for_track
from core.suggestions.mastering import SINE_PLR_DB, stereo_plr_db
from core.suggestions.rules import THRESHOLDS
from tests.core.mixes import SR, clean_mix, squash

BUS = ("master", "mix_bus")


def run(y: np.ndarray, name: str) -> TrackAnalysis:
    return analyze((np.asarray(y, dtype=np.float32), SR), name=name)


@pytest.fixture(scope="module")
def square() -> TrackAnalysis:
    """A full-scale 440 Hz square wave, 5 s of stereo: every sample clipped."""
    t = np.arange(5 * SR) / SR
    sq = np.where(np.sin(2 * np.pi * 440.0 * t) >= 0, 1.0, -1.0)
    return run(np.stack([sq, sq]), "square")


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    return clean_mix()


@pytest.mark.parametrize("track_type", BUS)
def test_a_clipped_master_is_told_to_rebounce_first(square: TrackAnalysis, track_type: str) -> None:
    assert square.dynamics.clipped_samples > 400_000
    got = suggest_for_track(square, track_id="m", track_type=track_type, genre="Pop")
    first = [s for s in got if s.priority == 1]
    clip = [s for s in got if s.type == "cleanup" and s.parameters.get("process") == "declip"]
    assert len(clip) == 1 and clip[0] in first
    fix = clip[0]
    assert fix.parameters["action"] == "re_export"
    assert "clipped" in fix.reason and "bounce" in fix.reason and "headroom" in fix.reason
    assert "declipper can only partly" in fix.reason
    assert not is_renderable(fix)  # a new bounce is the fix: nothing renders it from this file
    # the platform moves come after it and say they do not repair it
    for s in got:
        if s.type in ("limiting", "gain"):
            assert s.priority > 1, s.reason
            assert "re-bounce that fixes the clipping" in s.reason, s.reason
            assert "limited away" not in s.reason and "keeps the punch" not in s.reason


def test_a_clipped_stem_keeps_its_declip_advice(square: TrackAnalysis) -> None:
    got = [s for s in suggest_for_track(square, track_id="k", track_type="keys") if s.type == "cleanup"]
    assert [s.parameters for s in got] == [{"process": "declip"}]
    assert got[0].priority == 1


def test_an_over_limited_stereo_master_still_hears_it(base: np.ndarray) -> None:
    a = run(squash(base), "squashed")
    assert a.audio.layout == ("L", "R") and a.dynamics.clipped_samples == 0
    assert SINE_PLR_DB < a.loudness.plr_db < THRESHOLDS.min_plr_db
    assert stereo_plr_db(a) == a.loudness.plr_db  # the line's own layout: as measured
    gain = [s for s in suggest_for_track(a, track_id="m", track_type="master") if s.type == "gain"]
    assert len(gain) == 1
    assert f"PLR {a.loudness.plr_db:.1f} dB shows the peaks were limited away" in gain[0].reason


def test_an_8_channel_mix_bus_is_not_called_over_limited_by_its_channel_weighting(base: np.ndarray) -> None:
    # the clean stereo mix (PLR about 10 dB) on all eight channels of 7.1, loud: BS.1770 sums
    # every channel's loudness (the side surrounds +1.5 dB) against one channel's peak
    y = np.concatenate([base] * 4)
    y = y * (10 ** (-3 / 20) / np.abs(y).max())
    a = run(y, "7.1")
    assert a.audio.channels == 8 and a.loudness.plr_db < 6.0
    # read as a stereo pair, it is the stereo mix's own PLR again
    assert stereo_plr_db(a) == pytest.approx(run(base, "stereo").loudness.plr_db, abs=0.5)
    assert stereo_plr_db(a) > THRESHOLDS.min_plr_db
    gain = [s for s in suggest_for_track(a, track_id="m", track_type="mix_bus") if s.type == "gain"]
    assert gain and all("limited away" not in s.reason and "PLR" not in s.reason for s in gain)


def test_an_8_channel_over_limited_mix_says_plr_as_stereo_reads_it(base: np.ndarray) -> None:
    a = run(np.concatenate([squash(base)] * 4), "7.1 squashed")
    plr2 = stereo_plr_db(a)
    assert a.loudness.plr_db < 2.0 and plr2 is not None and SINE_PLR_DB < plr2 < THRESHOLDS.min_plr_db
    (gain,) = [s for s in suggest_for_track(a, track_id="m", track_type="mix_bus") if s.type == "gain"]
    said = f"PLR {plr2:.1f} dB as a stereo pair would read it ({a.loudness.plr_db:.1f} dB measured"
    assert said in gain.reason
    assert "8 channels" in gain.reason
