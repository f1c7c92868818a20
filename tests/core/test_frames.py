"""core.frames against librosa / scipy (the reference implementations) on noise and sines."""

from __future__ import annotations

import numpy as np
import pytest

from core.bands import BANDS
from core.frames import CHROMA_MIN_HZ, FrameFeatures, compute_frames, fine_size, frame_size

librosa = pytest.importorskip("librosa")
signal = pytest.importorskip("scipy.signal")

RATES = (22050, 44100, 48000, 96000)


def _noise(sr: int, seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(sr * seconds))).astype(np.float32)


def _sine(sr: int, freq_hz: float, seconds: float = 2.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def _frames(y: np.ndarray, sr: int, block: int = 10007) -> FrameFeatures:
    return compute_frames((y[i : i + block] for i in range(0, len(y), block)), sr=sr)


def _reference_stft(y: np.ndarray, f: FrameFeatures) -> np.ndarray:
    spec = librosa.stft(y, n_fft=f.n_fft, hop_length=f.hop_length, center=True, pad_mode="constant")
    return np.abs(spec).astype(np.float64)


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("kind", ["noise", "sine"])
def test_frame_features_match_librosa(sr: int, kind: str) -> None:
    y = _noise(sr) if kind == "noise" else _sine(sr, 997.0)
    f = _frames(y, sr)
    mag = _reference_stft(y, f)
    power = mag**2
    assert (f.n_fft, f.hop_length) == frame_size(sr)
    assert f.n_frames == power.shape[1] == 1 + len(y) // f.hop_length
    assert f.n_samples == len(y)

    np.testing.assert_allclose(f.total_power, power.sum(axis=0), rtol=1e-4)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=f.n_fft)
    for i, band in enumerate(BANDS):
        mask = (freqs >= band.low_hz) & (freqs < band.high_hz)
        ref = power[mask].sum(axis=0)
        np.testing.assert_allclose(f.band_power[i], ref, rtol=1e-3, atol=1e-6 * power.sum(axis=0).max())
    np.testing.assert_allclose(
        f.ltas_power, power.mean(axis=1), rtol=1e-3, atol=1e-6 * power.mean(axis=1).max()
    )

    centroid = librosa.feature.spectral_centroid(S=mag, sr=sr, n_fft=f.n_fft)[0]
    np.testing.assert_allclose(f.centroid_hz, centroid, rtol=1e-4)
    rolloff = librosa.feature.spectral_rolloff(S=mag, sr=sr, n_fft=f.n_fft, roll_percent=0.85)[0]
    # Roll-off is a bin edge: float32 sums may move it by at most one bin.
    assert np.max(np.abs(f.rolloff_hz - rolloff)) <= sr / f.n_fft + 1e-6
    flatness = librosa.feature.spectral_flatness(S=mag)[0]
    # The FFT runs in float32: its noise floor (~-140 dB re. peak) sets the geometric mean of a pure
    # sine's empty bins, so near-zero flatness agrees to 2e-5 absolute rather than 1e-7.
    np.testing.assert_allclose(f.flatness, flatness, rtol=1e-3, atol=2e-5)

    low = librosa.fft_frequencies(sr=sr, n_fft=f.n_fft) < CHROMA_MIN_HZ  # chroma skips unresolvable bins
    chroma = librosa.feature.chroma_stft(
        S=np.where(low[:, None], 0.0, power), sr=sr, n_fft=f.n_fft, tuning=0.0, norm=None
    )
    np.testing.assert_allclose(f.chroma, chroma, rtol=1e-3, atol=1e-6 * chroma.max())

    onset = librosa.onset.onset_strength(y=y, sr=sr, n_fft=f.n_fft, hop_length=f.hop_length, center=True)
    # float32 FFT noise in near-empty mel bands moves a steady sine's tiny flux by ~1e-4 of the peak.
    np.testing.assert_allclose(f.onset_env, onset, rtol=1e-3, atol=3e-4 * max(onset.max(), 1e-3))


@pytest.mark.parametrize("sr", RATES)
def test_fine_psd_matches_scipy_welch(sr: int) -> None:
    y = _noise(sr, seconds=3.0, seed=1) + _sine(sr, 50.0, seconds=3.0, amp=0.2)
    f = _frames(y, sr)
    n = fine_size(sr)
    assert sr / n <= 3.0
    freqs, psd = signal.welch(y, fs=sr, window="hann", nperseg=n, noverlap=n // 2, detrend=False)
    np.testing.assert_allclose(f.fine_freqs_hz, freqs)
    np.testing.assert_allclose(f.fine_psd, psd, rtol=1e-4, atol=1e-6 * psd.max())
    # Parseval: integrated PSD = mean square (noise 0.01 + sine 0.02).
    df = freqs[1] - freqs[0]
    assert f.fine_psd.sum() * df == pytest.approx(float(np.mean(y.astype(np.float64) ** 2)), rel=0.02)


def test_fine_psd_of_a_signal_shorter_than_one_segment_keeps_its_power() -> None:
    sr = 44100
    y = _sine(sr, 1000.0, seconds=0.2, amp=0.5)  # 8820 samples < 16384
    f = _frames(y, sr)
    df = f.fine_freqs_hz[1]
    assert f.fine_psd.sum() * df == pytest.approx(0.125, rel=0.05)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_features_do_not_depend_on_block_boundaries(sr: int) -> None:
    y = _noise(sr, seconds=1.5, seed=2) + _sine(sr, 220.0, seconds=1.5)
    whole = _frames(y, sr, block=len(y))
    for block in (37, 1000, 4099, 65536):
        part = _frames(y, sr, block=block)
        for name in (
            "band_power",
            "total_power",
            "chroma",
            "onset_env",
            "centroid_hz",
            "rolloff_hz",
            "flatness",
            "ltas_power",
            "fine_psd",
        ):
            np.testing.assert_allclose(
                getattr(part, name),
                getattr(whole, name),
                rtol=1e-5,
                atol=1e-9,
                err_msg=f"{name} with blocks of {block}",
            )


def test_silence_gives_zero_features_without_warnings() -> None:
    sr = 44100
    f = _frames(np.zeros(sr, dtype=np.float32), sr)
    assert np.all(f.total_power == 0) and np.all(f.fine_psd == 0)
    assert np.all(np.isfinite(f.flatness)) and np.all(f.centroid_hz == 0)
