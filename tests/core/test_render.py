"""core.render: each move checked against a signal whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from core.filters import peak_response_db
from core.render import NotRenderable, is_renderable, render_chain, render_suggestion
from core.suggestions.model import make_suggestion


def _sug(type_: str, **params: float | str):
    return make_suggestion(
        type_,
        track_id="t",
        track_type="keys",
        band=None,
        parameters=params,
        priority=3,
        confidence=0.5,
        reason="test",
    )


def _noise(sr: int, seconds: float = 3.0, channels: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.05 * rng.standard_normal((channels, int(sr * seconds)))).astype(np.float32)


def _rbj_peak(x: np.ndarray, sr: int, freq_hz: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ audio-EQ-cookbook peaking biquad, written out here so the test does not trust pedalboard."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq_hz / sr
    alpha = np.sin(w0) / (2 * q)
    b = [1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a]
    return signal.lfilter(b, den, x, axis=-1).astype(np.float32)


def _band_db(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    f, p = signal.welch(np.atleast_2d(x).mean(axis=0), fs=sr, nperseg=8192)
    m = (f >= lo) & (f < hi)
    return float(10 * np.log10(p[m].sum()))


@pytest.mark.parametrize("sr", [44100, 48000])
@pytest.mark.parametrize("gain_db", [-8.0, 6.5])
def test_gain_is_exact(sr: int, gain_db: float) -> None:
    y = _noise(sr)
    out = render_suggestion(y, sr, _sug("gain", gain_db=gain_db))
    measured = 20 * np.log10(
        np.sqrt(np.mean(out.astype(np.float64) ** 2) / np.mean(y.astype(np.float64) ** 2))
    )
    assert measured == pytest.approx(gain_db, abs=0.01)
    assert out.shape == y.shape and out.dtype == np.float32


@pytest.mark.parametrize("sr", [44100, 48000])
def test_suggested_cut_undoes_a_bell(sr: int) -> None:
    y = _noise(sr, channels=1)[0]
    bell = _rbj_peak(y, sr, 300.0, 6.0, 1.0)
    assert _band_db(bell, sr, 250, 360) - _band_db(y, sr, 250, 360) > 4.5
    out = render_suggestion(bell, sr, _sug("eq_cut", freq_hz=300.0, gain_db=-6.0, q=1.0))
    assert out.ndim == 1
    for lo, hi in [(250, 360), (150, 600), (1000, 4000)]:
        assert _band_db(out, sr, lo, hi) == pytest.approx(_band_db(y, sr, lo, hi), abs=0.3)


@pytest.mark.parametrize(("freq_hz", "gain_db", "q"), [(315.0, -8.0, 1.0), (7000.0, -10.0, 2.0)])
def test_the_bell_s_predicted_response_is_what_the_render_applies(freq_hz: float, gain_db: float, q: float):
    # core.filters.peak_response_db predicts a cut's effect on a spectrum (a session rule judges a
    # neighbouring band as the cut leaves it): it must match the rendered bell, measured here on
    # the impulse response
    sr = 48000
    impulse = np.zeros(sr, dtype=np.float32)
    impulse[0] = 1.0
    out = render_suggestion(impulse, sr, _sug("eq_cut", freq_hz=freq_hz, gain_db=gain_db, q=q))
    spectrum = np.fft.rfft(out.astype(np.float64))
    freqs = np.fft.rfftfreq(sr, 1.0 / sr)
    at = np.array([freq_hz / 4, freq_hz / 2, freq_hz / 1.26, freq_hz, freq_hz * 1.26, freq_hz * 2])
    measured = 20 * np.log10(np.abs(spectrum[np.round(at).astype(int)]))
    assert measured == pytest.approx(
        peak_response_db(freqs[np.round(at).astype(int)], freq_hz, gain_db, q, sr=sr), abs=0.3
    )
    assert measured[3] == pytest.approx(gain_db, abs=0.3)


@pytest.mark.parametrize("slope", [12, 24])
def test_high_pass_corner_and_slope(slope: int) -> None:
    sr = 48000
    impulse = np.zeros((1, sr), np.float32)
    impulse[0, 0] = 1.0
    out = render_suggestion(impulse, sr, _sug("high_pass", freq_hz=100.0, slope_db_per_octave=slope))
    h = 20 * np.log10(np.abs(np.fft.rfft(out[0])) + 1e-12)  # 1 Hz bins
    assert h[100] == pytest.approx(-3.0, abs=0.5)
    assert h[5] - h[10] == pytest.approx(-slope, abs=2.0)  # an octave well below the corner
    assert h[2000] == pytest.approx(0.0, abs=0.2)


def test_low_pass_keeps_the_lows() -> None:
    sr = 44100
    y = _noise(sr)
    out = render_suggestion(y, sr, _sug("low_pass", freq_hz=2000.0, slope_db_per_octave=24))
    assert _band_db(out, sr, 100, 500) == pytest.approx(_band_db(y, sr, 100, 500), abs=0.3)
    assert _band_db(out, sr, 8000, 16000) < _band_db(y, sr, 8000, 16000) - 30


def test_de_esser_tames_the_bursts_and_leaves_the_body() -> None:
    sr = 48000
    t = np.arange(3 * sr) / sr
    body = 0.2 * np.sin(2 * np.pi * 440 * t)
    rng = np.random.default_rng(1)
    hiss = _rbj_peak(rng.standard_normal(t.size), sr, 7000.0, 24.0, 2.0) * 0.02
    gate = (np.sin(2 * np.pi * 2 * t) > 0.7).astype(float)  # short "s" bursts
    y = np.stack([body + gate * hiss, body + gate * hiss]).astype(np.float32)
    out = render_suggestion(y, sr, _sug("de_ess", freq_hz=7000.0, gain_db=-6.0))
    assert _band_db(out, sr, 6000, 8500) < _band_db(y, sr, 6000, 8500) - 3.0
    assert _band_db(out, sr, 400, 480) == pytest.approx(_band_db(y, sr, 400, 480), abs=0.3)
    deeper = render_suggestion(y, sr, _sug("de_ess", freq_hz=7000.0, gain_db=-10.0))
    assert _band_db(deeper, sr, 6000, 8500) < _band_db(out, sr, 6000, 8500) - 1.0
    plain = np.stack([body, body]).astype(np.float32)  # nothing sibilant: the crossover is flat
    kept = render_suggestion(plain, sr, _sug("de_ess", freq_hz=7000.0, gain_db=-6.0))
    assert _band_db(kept, sr, 300, 600) == pytest.approx(_band_db(plain, sr, 300, 600), abs=0.1)


def test_compression_narrows_loud_against_quiet() -> None:
    sr = 44100
    t = np.arange(2 * sr) / sr
    loud = np.sin(2 * np.pi * 1.5 * t) > 0.5
    y = (0.05 * np.sin(2 * np.pi * 200 * t) * np.where(loud, 10.0, 1.0)).astype(np.float32)
    params = {"threshold_db": -20.0, "ratio": 6.0, "attack_ms": 2.0, "release_ms": 80.0}
    out = render_suggestion(y, sr, _sug("compression", **params))

    def contrast(x: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(x[loud] ** 2) / np.mean(x[~loud] ** 2)))

    assert contrast(y) == pytest.approx(20.0, abs=0.5)
    assert contrast(out) < contrast(y) - 8.0  # 14 dB over the threshold at 6:1 is ~11.7 dB less


def test_limiting_holds_the_ceiling() -> None:
    sr = 44100
    y = _noise(sr) * 10
    out = render_suggestion(y, sr, _sug("limiting", ceiling_dbtp=-1.0, attack_ms=1.0, release_ms=100.0))
    assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-6


def test_chain_and_refusals() -> None:
    sr = 44100
    y = _noise(sr, seconds=1.0)
    out = render_chain(y, sr, (_sug("gain", gain_db=-6.0), _sug("gain", gain_db=6.0)))
    np.testing.assert_allclose(out, y, atol=1e-6)
    declip = _sug("cleanup", process="declip")
    assert not is_renderable(declip) and is_renderable(_sug("cleanup", process="dc_removal"))
    with pytest.raises(NotRenderable, match="declip"):
        render_suggestion(y, sr, declip)
