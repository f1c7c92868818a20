"""Synthetic test material with known defects, for the quality, compare and CLI tests.

The clean base is a well-levelled, broadband, moderately dynamic mix: pink-noise drum hits
(kick, snare, hats) over a bass line and sustained chords, high-passed at 35 Hz and low-passed
at 18 kHz like a mastered track, stereo, no DC, peaks well below full scale. Every defect is
injected into a copy of it, one at a time. Spectral shaping is done with numpy's FFT so that the
tests need nothing beyond numpy.
"""

from __future__ import annotations

import numpy as np

SR = 44_100
DURATION_S = 12.0


def shape(x: np.ndarray, gain_db: callable, *, sr: int = SR) -> np.ndarray:  # type: ignore[valid-type]
    """Apply a zero-phase magnitude response ``gain_db(freqs_hz)`` along the last axis."""
    spec = np.fft.rfft(x, axis=-1)
    f = np.fft.rfftfreq(x.shape[-1], 1.0 / sr)
    spec *= 10.0 ** (gain_db(f) / 20.0)
    return np.fft.irfft(spec, n=x.shape[-1], axis=-1)


def butter_db(f: np.ndarray, *, fc: float, order: int, kind: str) -> np.ndarray:
    """Magnitude (dB) of a Butterworth low/high-pass: 6*order dB/oct."""
    f = np.maximum(f, 1e-3)
    ratio = (f / fc) if kind == "low" else (fc / f)
    return -10.0 * np.log10(1.0 + ratio ** (2 * order))


def bell_db(f: np.ndarray, *, fc: float, gain_db: float, octaves: float) -> np.ndarray:
    """A smooth bell in log frequency (Gaussian in octaves, ``octaves`` = FWHM)."""
    sigma = octaves / 2.355
    return gain_db * np.exp(-0.5 * (np.log2(np.maximum(f, 1e-3) / fc) / sigma) ** 2)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise (-3 dB/octave), unit RMS."""
    x = shape(rng.standard_normal(n), lambda f: -10.0 * np.log10(np.maximum(f, 20.0) / 20.0))
    return x / np.sqrt(np.mean(x**2))


def _hits(n: int, times_s: list[float], decay_s: float, *, sr: int = SR) -> np.ndarray:
    env = np.zeros(n)
    t = np.arange(n) / sr
    for t0 in times_s:
        m = t >= t0
        env[m] += np.exp(-(t[m] - t0) / decay_s)
    return env


TAIL_S = 2.0


def clean_mix(*, seed: int = 0, duration_s: float = DURATION_S, sr: int = SR) -> np.ndarray:
    """The clean base: stereo (2, n) float64 at about -16 LUFS, peaks near -6 dBFS.

    It ends with TAIL_S of digital silence (an export's tail), so that noise added to it shows in
    the quiet passage as it would in a real track's fade or break.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * sr)
    t = np.arange(n) / sr
    beat = 0.5  # 120 bpm
    beats = list(np.arange(0.0, duration_s, beat))
    # Drums: pink noise shaped per voice, gated by decaying envelopes.
    kick = shape(pink(n, rng), lambda f: butter_db(f, fc=120, order=2, kind="low")) * _hits(n, beats, 0.08)
    sweep = np.sin(2 * np.pi * np.cumsum(45 + 70 * np.exp(-((t % beat) / 0.03))) / sr)
    kick = kick + 0.8 * sweep * _hits(n, beats, 0.12)
    snare = shape(pink(n, rng), lambda f: bell_db(f, fc=1500, gain_db=6, octaves=3)) * _hits(
        n, beats[1::2], 0.1
    )
    hats = shape(pink(n, rng), lambda f: butter_db(f, fc=6000, order=2, kind="high")) * _hits(
        n, [b + beat / 2 for b in beats], 0.04
    )
    # Tones: bass line (A1, D2, E2, A1), chords (A minor / D minor), a lead with vibrato.
    notes = [55.0, 73.42, 82.41, 55.0]
    bar = 4 * beat
    bass_f = np.array([notes[int(x // bar) % 4] for x in t])
    bass_phase = 2 * np.pi * np.cumsum(bass_f) / sr
    bass = np.sin(bass_phase) + 0.3 * np.sin(2 * bass_phase) + 0.1 * np.sin(3 * bass_phase)
    chords = sum(
        np.sin(2 * np.pi * f * t) / k for k, f in enumerate([220.0, 261.63, 329.63, 440.0, 523.25], 1)
    )
    lead_f = 659.26 * (1 + 0.004 * np.sin(2 * np.pi * 5.5 * t))
    lead = sum(np.sin(h * 2 * np.pi * np.cumsum(lead_f) / sr) / h**1.5 for h in range(1, 12))
    left = 0.55 * kick + 0.25 * snare + 0.12 * hats + 0.25 * bass + 0.05 * chords + 0.03 * lead
    right = 0.55 * kick + 0.22 * snare + 0.14 * hats + 0.25 * bass + 0.04 * chords + 0.035 * lead
    y = np.stack([left, right])
    y = shape(
        y, lambda f: butter_db(f, fc=35, order=4, kind="high") + butter_db(f, fc=18000, order=4, kind="low")
    )
    y -= y.mean(axis=1, keepdims=True)
    y *= 10 ** (-16.2 / 20) / np.sqrt(np.mean(y**2))
    y = 0.5 * np.tanh(y / 0.5)  # a gentle soft clipper: peaks stay below -6 dBFS, RMS ~ -17.5 dBFS
    y[:, n - int(TAIL_S * sr) :] = 0.0
    return y


# --- one defect each, applied to a copy of the clean base -------------------------------------------


def _t(y: np.ndarray, sr: int = SR) -> np.ndarray:
    return np.arange(y.shape[-1]) / sr


def hard_clip(y: np.ndarray) -> np.ndarray:
    """Driven 12 dB into a hard clip at full scale."""
    return np.clip(y * 10 ** (12 / 20), -1.0, 1.0)


def inter_sample_overs(y: np.ndarray) -> np.ndarray:
    """Sample peaks at -0.1 dBFS plus a burst of fs/4 tones whose true peak is ~3 dB higher."""
    out = y * (10 ** (-0.1 / 20) / np.abs(y).max())
    n = np.arange(2000)
    burst = 10 ** (-0.1 / 20) * np.sqrt(2.0) * np.sin(np.pi * n / 2 + np.pi / 4)
    out[:, SR : SR + 2000] = burst  # samples at +-0.707 * 1.41 = the sample peak; the wave peaks 3 dB over
    return out


def dc_offset(y: np.ndarray) -> np.ndarray:
    return y + 0.05


def hum(y: np.ndarray, mains: float = 50.0) -> np.ndarray:
    """Mains hum: the fundamental and four harmonics, each a sine at -40 dBFS."""
    t = _t(y)
    return y + sum(10 ** (-40 / 20) * np.sin(2 * np.pi * k * mains * t + k) for k in range(1, 6))


def rumble(y: np.ndarray) -> np.ndarray:
    return y + 10 ** (-20 / 20) * np.sin(2 * np.pi * 15.0 * _t(y))


def _same_peak(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    return x * (np.abs(like).max() / np.abs(x).max())


def mud(y: np.ndarray) -> np.ndarray:
    """+12 dB bell at 300 Hz, one octave wide, peak level kept."""
    return _same_peak(shape(y, lambda f: bell_db(f, fc=300.0, gain_db=12.0, octaves=1.0)), y)


def harsh(y: np.ndarray) -> np.ndarray:
    """+12 dB bell at 3 kHz, one octave wide, peak level kept."""
    return _same_peak(shape(y, lambda f: bell_db(f, fc=3000.0, gain_db=12.0, octaves=1.0)), y)


def low_pass_4k(y: np.ndarray) -> np.ndarray:
    return shape(y, lambda f: butter_db(f, fc=4000.0, order=8, kind="low"))


def squash(y: np.ndarray, *, drive_db: float = 14.0, ceiling: float = 0.7) -> np.ndarray:
    """Heavy limiting: +14 dB into a look-ahead brick-wall limiter (no clipping, ~3 ms blocks)."""
    x = y * 10 ** (drive_db / 20)
    block, reach = 128, 4
    n_blocks = -(-x.shape[1] // block)
    mag = np.abs(np.pad(x, ((0, 0), (0, n_blocks * block - x.shape[1])))).max(axis=0)
    block_peak = mag.reshape(n_blocks, block).max(axis=1)
    padded = np.pad(block_peak, reach)
    env = np.max([padded[k : k + n_blocks] for k in range(2 * reach + 1)], axis=0)
    gain = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    # Interpolate between block centres: each block's gain already covers its neighbours' peaks.
    centres = (np.arange(n_blocks) + 0.5) * block
    return x * np.interp(np.arange(x.shape[1]), centres, gain)


def anti_phase(y: np.ndarray) -> np.ndarray:
    return np.stack([y[0], -y[0]])


def quiet(y: np.ndarray) -> np.ndarray:
    """29 dB down: about -45 LUFS."""
    return y * 10 ** (-29 / 20)


def half_silent(y: np.ndarray) -> np.ndarray:
    """The middle of the track muted: with the tail, about half of it is silent."""
    out = y.copy()
    n = y.shape[1]
    out[:, int(0.2 * n) : int(0.55 * n)] = 0.0
    return out


def noisy(y: np.ndarray, seed: int = 7) -> np.ndarray:
    """White noise at -50 dBFS (AES17: RMS of 10**(-50/20) / sqrt(2)), heard in the silent tail."""
    rng = np.random.default_rng(seed)
    return y + rng.standard_normal(y.shape) * 10 ** (-50 / 20) / np.sqrt(2.0)


#: code -> the defect that must raise it.
DEFECTS = {
    "clipping": hard_clip,
    "true_peak_over": inter_sample_overs,
    "dc_offset": dc_offset,
    "hum": hum,
    "rumble": rumble,
    "mud": mud,
    "harshness": harsh,
    "missing_air": low_pass_4k,
    "over_compression": squash,
    "phase": anti_phase,
    "low_level": quiet,
    "long_silence": half_silent,
    "high_noise_floor": noisy,
}
