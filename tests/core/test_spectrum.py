"""core.spectrum on synthesized signals with known band energies, tilts and time structure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.bands import BAND_NAMES, BANDS, THIRD_OCTAVE_CENTRES_HZ, third_octave_edges_hz
from core.frames import compute_frames
from core.results import SpectrumResult, to_dict
from core.spectrum import CURVE_MAX_WINDOWS, _curve_hop_s, measure_spectrum


def _sine(sr: int, freq_hz: float, *, level_dbfs: float = -20.0, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (10 ** (level_dbfs / 20) * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def _spectrum(y: np.ndarray, sr: int) -> SpectrumResult:
    return measure_spectrum(compute_frames((y[i : i + 8192] for i in range(0, len(y), 8192)), sr=sr))


def _coloured_noise(sr: int, seconds: float, *, exponent: float, seed: int) -> np.ndarray:
    """Noise with power density ~ f**-exponent (0 white, 1 pink), RMS 0.1."""
    n = int(sr * seconds)
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    spec[1:] /= freqs[1:] ** (exponent / 2)
    spec[0] = 0
    y = np.fft.irfft(spec, n)
    return (0.1 * y / y.std()).astype(np.float32)


@pytest.mark.parametrize("sr", [44100, 48000])
@pytest.mark.parametrize("band", BANDS, ids=BAND_NAMES)
def test_a_sine_lands_in_its_band(sr: int, band) -> None:
    r = _spectrum(_sine(sr, band.centre_hz), sr)
    assert [b.name for b in r.bands] == list(BAND_NAMES)
    for b in r.bands:
        if b.name == band.name:
            assert b.energy_db == pytest.approx(-20.0, abs=0.5)
            assert b.share > 0.999
        else:
            assert b.energy_db is None or b.energy_db < -60.0
    assert sum(b.share for b in r.bands) == pytest.approx(1.0)
    # The band curve of that band reads the sine's level away from the file's ends.
    row = r.band_curves.values_db[BAND_NAMES.index(band.name)]
    inner = [v for v in row[1:-1] if v is not None]
    assert inner and all(abs(v + 20.0) < 1.0 for v in inner)


EDGE_CASES = [
    (59.0, "sub"),
    (61.0, "bass"),
    (249.0, "bass"),
    (251.0, "low_mid"),
    (1990.0, "mid"),
    (2010.0, "upper_mid"),
]


@pytest.mark.parametrize(("freq_hz", "expected"), EDGE_CASES)
def test_band_edges_are_respected(freq_hz: float, expected: str) -> None:
    r = _spectrum(_sine(44100, freq_hz, seconds=3.0), 44100)
    loudest = max(r.bands, key=lambda b: b.share)
    assert loudest.name == expected
    assert loudest.share > 0.6


def test_third_octaves_of_white_noise_follow_their_bandwidth() -> None:
    sr = 44100
    r = _spectrum(_coloured_noise(sr, 4.0, exponent=0.0, seed=3), sr)
    assert [t.centre_hz for t in r.third_octave] == list(THIRD_OCTAVE_CENTRES_HZ)  # 20 kHz < Nyquist
    for t in r.third_octave:
        if t.centre_hz < 100:
            continue  # few bins: too noisy for a tight check
        low, high = third_octave_edges_hz(t.centre_hz)
        expected = 10 * np.log10(2 * 0.01 * (min(high, sr / 2) - low) / (sr / 2))
        assert t.level_db == pytest.approx(expected, abs=0.6), t.centre_hz


def test_third_octave_centres_stop_at_nyquist_and_read_a_sine() -> None:
    sr = 22050
    r = _spectrum(_sine(sr, 1000.0, level_dbfs=-12.0), sr)
    assert r.third_octave[-1].centre_hz == 10000
    level = {t.centre_hz: t.level_db for t in r.third_octave}
    assert level[1000] == pytest.approx(-12.0, abs=0.3)
    assert level[500] is None or level[500] < -70


@pytest.mark.parametrize(("exponent", "tilt"), [(0.0, 3.0), (1.0, 0.0), (2.0, -3.0)])
def test_tilt_is_zero_for_pink_and_three_for_white_noise(exponent: float, tilt: float) -> None:
    sr = 44100
    r = _spectrum(_coloured_noise(sr, 6.0, exponent=exponent, seed=4), sr)
    assert r.tilt_db_per_octave == pytest.approx(tilt, abs=0.3)


def test_white_noise_shares_follow_bandwidth_and_summaries_are_sane() -> None:
    sr = 48000
    r = _spectrum(_coloured_noise(sr, 4.0, exponent=0.0, seed=5), sr)
    for b in r.bands:
        assert b.share == pytest.approx((b.high_hz - b.low_hz) / 19980.0, rel=0.1, abs=0.002)
    assert 0.3 < r.flatness < 1.0
    assert r.centroid_hz == pytest.approx(sr / 4, rel=0.05)  # magnitude-weighted mean of a flat spectrum
    assert r.rolloff_hz == pytest.approx(0.85 * sr / 2, rel=0.03)


def test_frame_summaries_are_power_weighted() -> None:
    sr = 44100
    loud = _sine(sr, 1000.0, level_dbfs=-10.0)
    quiet = _sine(sr, 4000.0, level_dbfs=-50.0)
    r = _spectrum(np.concatenate([loud, quiet]), sr)
    assert r.centroid_hz == pytest.approx(1000.0, rel=0.02)
    assert r.flatness < 0.01


def test_band_curves_follow_the_signal_over_time() -> None:
    sr = 44100
    y = np.concatenate(
        [
            _sine(sr, 120.0, seconds=2.0),
            np.zeros(sr, np.float32),
            _sine(sr, 5000.0, level_dbfs=-30.0, seconds=2.0),
        ]
    )
    curves = _spectrum(y, sr).band_curves
    assert curves.hop_s == 0.5
    assert curves.names == BAND_NAMES
    assert all(len(row) == 10 for row in curves.values_db)
    bass = curves.values_db[BAND_NAMES.index("bass")]
    presence = curves.values_db[BAND_NAMES.index("presence")]
    assert all(abs(v + 20) < 0.5 for v in bass[1:3])
    assert bass[5] is None or bass[5] < -60
    assert all(abs(v + 30) < 0.5 for v in presence[7:9])
    assert presence[0] is None or presence[0] < -60
    assert all(v is None or round(v, 2) == v for row in curves.values_db for v in row)


def test_curve_windows_get_longer_for_very_long_files() -> None:
    assert _curve_hop_s(180.0) == 0.5
    assert _curve_hop_s(1800.0) == 0.5
    for duration in (1800.5, 2700.0, 7200.0):
        hop = _curve_hop_s(duration)
        assert hop > 0.5 and duration / hop <= CURVE_MAX_WINDOWS


def test_silence_gives_none_everywhere_and_clean_json() -> None:
    sr = 44100
    r = _spectrum(np.zeros(sr, np.float32), sr)
    assert all(b.energy_db is None and b.share == 0.0 for b in r.bands)
    assert r.centroid_hz is None and r.rolloff_hz is None and r.flatness is None
    assert r.tilt_db_per_octave is None
    assert all(t.level_db is None for t in r.third_octave)
    assert all(v is None for row in r.band_curves.values_db for v in row)
    json.dumps(to_dict(r), allow_nan=False)


def test_short_input_is_measured() -> None:
    sr = 44100
    r = _spectrum(_sine(sr, 440.0, seconds=0.1), sr)
    assert {b.name: b.energy_db for b in r.bands}["low_mid"] == pytest.approx(-20.0, abs=1.0)
    json.dumps(to_dict(r), allow_nan=False)


@pytest.mark.parametrize("sr", [22050, 96000])
def test_band_curve_scaling_holds_at_other_rates(sr: int) -> None:
    r = _spectrum(_sine(sr, 1000.0, level_dbfs=-30.0), sr)
    mid = [v for v in r.band_curves.values_db[BAND_NAMES.index("mid")][1:-1] if v is not None]
    assert mid and all(abs(v + 30.0) < 0.3 for v in mid)
    assert {b.name: b.energy_db for b in r.bands}["mid"] == pytest.approx(-30.0, abs=0.5)


def test_band_energy_and_rms_level_share_one_convention() -> None:
    from core.dynamics import measure_dynamics

    sr = 48000
    y = _sine(sr, 100.0, level_dbfs=-12.0) + _sine(sr, 1000.0) + _sine(sr, 7000.0, level_dbfs=-26.0)
    r = _spectrum(y, sr)
    total_db = 10 * np.log10(sum(10 ** (b.energy_db / 10) for b in r.bands if b.energy_db is not None))
    rms_dbfs = measure_dynamics(y, sr).rms_dbfs
    assert rms_dbfs is not None
    assert total_db == pytest.approx(rms_dbfs, abs=0.1)
    assert total_db == pytest.approx(10 * np.log10(10**-1.2 + 10**-2 + 10**-2.6), abs=0.1)
