"""Tempo, beats and onsets from the shared per-frame features (no second STFT).

Method
------
1. Two envelopes at the frame rate (~86 Hz): ``frames.onset_env`` (log-mel spectral flux, every
   event: kicks, snares, hats) and an *accent* envelope: per-band log-power flux of the low bands
   (kick: sub + bass) and the lower-mid bands (snare body: low_mid + mid), each band floored
   ``ACCENT_RANGE_DB`` below its own loud level so that quiet events (hats leaking into the mids)
   do not count, and each normalised so kick and snare weigh the same.
2. The tempo's metrical level. The accent period ``P_acc`` is the *shortest* autocorrelation peak
   of the accent envelope within ``FUNDAMENTAL_RATIO`` of the highest one (a kick/snare backbeat
   recurs every quarter note; a four-on-the-floor kick too). If the full onset envelope also
   pulses at ``P_acc / 4`` (hats on eighths under accents every half note: a half-time feel), the
   beat is ``P_acc / 2``; the result is then folded into [MIN_BPM, MAX_BPM] by octaves. This is the
   "accent recurrence + tatum" idea of Gouyon & Dixon, "A review of automatic rhythm description
   systems" (CMJ 2005) and Klapuri, Eronen & Astola, "Analysis of the meter of acoustic musical
   signals" (IEEE TASLP 2006), reduced to what per-band flux can tell.
3. Precision: the beat period is refined from the autocorrelation peaks at k·P (k = 1, 2, 4, 8,
   ...), each located by parabolic interpolation: the error shrinks as 1/k.
4. Beats: a constant grid at that period whose phase maximises the summed envelope (a comb
   filter), each beat then snapped to the strongest envelope frame within ``SNAP_S``.
5. Onsets: librosa.onset.onset_detect's peak picking (Böck, Krebs & Schedl, "Evaluating the
   online capabilities of onset detection methods", ISMIR 2012): a local maximum over ±``WAIT_S``,
   above the local mean (``AVG_S`` either side) plus ``DELTA`` of the normalised envelope.

Times are reported at the event: the envelope's peak comes ``ENVELOPE_LAG_FRAMES`` after the
onset (measured on clicks at random sub-frame positions, tests/core/test_rhythm.py).
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.results import RhythmResult

#: Tempo range searched and the range a result is folded into by octaves.
SEARCH_MIN_BPM = 25.0
SEARCH_MAX_BPM = 320.0
MIN_BPM = 45.0
MAX_BPM = 220.0
#: Accent envelope: band groups (indices into core.bands.BANDS) and the floor below each band's level.
ACCENT_BANDS: tuple[tuple[int, ...], ...] = ((0, 1), (2, 3))
ACCENT_RANGE_DB = 25.0
ACCENT_LEVEL_PERCENTILE = 99.0
ACCENT_FULL_DB = 10.0
#: An autocorrelation peak within this ratio of the highest is a candidate fundamental period.
FUNDAMENTAL_RATIO = 0.5
#: The onset envelope "pulses at P/4" when its autocorrelation there reaches this share of the
#: larger of those at P and P/2.
SUBDIVISION_RATIO = 0.6
#: Normalised autocorrelation at the beat period: below NONE there is no tempo; FULL gives confidence 1.
RHYTHMICITY_NONE = 0.2
RHYTHMICITY_FULL = 0.6
#: Peak picking (librosa.onset.onset_detect defaults, with the pre/post maximum made symmetric).
WAIT_S = 0.03
AVG_S = 0.10
DELTA = 0.07
#: Beats are snapped to the envelope maximum within this distance of the grid (and 15 % of a beat).
SNAP_S = 0.05
#: Peak of the flux envelope after the onset it marks, in frames (calibrated on clicks).
ENVELOPE_LAG_FRAMES = 0.6
#: Below this peak flux (dB, mean over mel bands) the envelope is considered empty.
MIN_FLUX_DB = 0.5
MIN_DURATION_S = 2.0


def estimate_rhythm(frames: FrameFeatures) -> RhythmResult:
    """Tempo, beat grid and onsets.

    Parameters
    ----------
    frames : FrameFeatures
        The shared spectral pass; uses ``onset_env``, ``band_power``.

    Returns
    -------
    RhythmResult
        ``tempo_bpm`` None (confidence 0, no beats) when the envelope has no periodicity:
        silence, steady tones, noise, or less than ``MIN_DURATION_S`` of audio.
    """
    fps = frames.sr / frames.hop_length
    duration_s = frames.n_samples / frames.sr
    onset = np.asarray(frames.onset_env, dtype=np.float64)
    onsets_s = detect_onsets(onset, fps=fps)
    rate = float(len(onsets_s) / duration_s) if duration_s > 0 else 0.0
    empty = RhythmResult(None, 0.0, (), tuple(onsets_s.tolist()), rate)
    if duration_s < MIN_DURATION_S or onset.size == 0 or onset.max() < MIN_FLUX_DB:
        return empty
    accent = accent_envelope(frames)
    found = beat_period(onset, accent, fps=fps)
    if found is None or found[1] < RHYTHMICITY_NONE:
        return empty
    period, rhythmicity = found
    span = RHYTHMICITY_FULL - RHYTHMICITY_NONE
    confidence = float(np.clip((rhythmicity - RHYTHMICITY_NONE) / span, 0.0, 1.0))
    beats_s = beat_grid(_unit(onset) + _unit(accent), period, fps=fps)
    return RhythmResult(
        tempo_bpm=float(60.0 * fps / period),
        tempo_confidence=confidence,
        beats_s=tuple(beats_s.tolist()),
        onsets_s=tuple(onsets_s.tolist()),
        onset_rate_hz=rate,
    )


# --- envelopes ---------------------------------------------------------------------------------


def band_flux(frames: FrameFeatures, groups: tuple[tuple[int, ...], ...] = ACCENT_BANDS) -> np.ndarray:
    """Half-wave rectified log-power flux of band ``groups``, shape (len(groups), n_frames), in dB.

    Each group's power is floored ``ACCENT_RANGE_DB`` below the loudest group's
    ``ACCENT_LEVEL_PERCENTILE`` level, so quiet events (hats leaking into the mids) give no flux,
    then delayed like ``onset_env`` (half a window).
    """
    power = np.asarray(frames.band_power, dtype=np.float64)
    if power.size == 0:
        return np.zeros((len(groups), 0))
    summed = np.stack([power[list(idx)].sum(axis=0) for idx in groups])
    level = float(np.percentile(summed, ACCENT_LEVEL_PERCENTILE, axis=1).max())
    floor = level * 10 ** (-ACCENT_RANGE_DB / 10) + 1e-20
    log_power = 10.0 * np.log10(np.maximum(summed, floor))
    flux = np.maximum(0.0, np.diff(log_power, axis=1, prepend=log_power[:, :1]))
    delay = min(frames.n_fft // (2 * frames.hop_length), flux.shape[1])
    return np.concatenate([np.zeros((flux.shape[0], delay)), flux[:, : flux.shape[1] - delay]], axis=1)


def accent_envelope(frames: FrameFeatures) -> np.ndarray:
    """Strong low/low-mid events (kick, snare): max over ACCENT_BANDS groups of flux / ACCENT_FULL_DB.

    Each group saturates at 1, so a kick and a snare count alike however their levels compare.
    """
    flux = band_flux(frames)
    if flux.size == 0:
        return np.zeros(frames.n_frames)
    return np.asarray(np.clip(flux / ACCENT_FULL_DB, 0.0, 1.0).max(axis=0))


def _unit(x: np.ndarray) -> np.ndarray:
    peak = float(x.max()) if x.size else 0.0
    return x / peak if peak > 0 else np.zeros_like(x)


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased autocorrelation of mean-removed ``x`` for lags 0..max_lag, normalised to ac[0] = 1."""
    x = x - x.mean()
    n = len(x)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[: max_lag + 1]
    ac = ac / (n - np.arange(max_lag + 1))
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def _peak_near(ac: np.ndarray, lag: float, radius: float) -> tuple[float, float]:
    """(interpolated lag, height) of the autocorrelation maximum within ``radius`` of ``lag``."""
    lo = max(1, int(np.floor(lag - radius)))
    hi = min(len(ac) - 2, int(np.ceil(lag + radius)))
    if hi < lo:
        return lag, 0.0
    i = lo + int(np.argmax(ac[lo : hi + 1]))
    a, b, c = ac[i - 1], ac[i], ac[i + 1]
    denom = a - 2 * b + c
    shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return i + float(np.clip(shift, -0.5, 0.5)), float(b)


def beat_period(onset: np.ndarray, accent: np.ndarray, *, fps: float) -> tuple[float, float] | None:
    """(beat period in frames, rhythmicity 0-1), or None when the envelope is too short.

    Rhythmicity is the onset envelope's normalised autocorrelation at the beat period.
    """
    n = len(onset)
    min_lag = int(np.floor(60.0 * fps / SEARCH_MAX_BPM))
    max_lag = int(np.ceil(60.0 * fps / SEARCH_MIN_BPM))
    full_lag = min(n // 2, max(max_lag, int(8.0 * fps)))
    if full_lag <= max_lag // 2:
        return None
    ac_onset = autocorrelation(onset, full_lag)
    ac_accent = autocorrelation(accent, full_lag) if accent.any() else ac_onset
    p_acc = _fundamental(ac_accent, min_lag, min(max_lag, full_lag - 1))
    if p_acc is None:
        p_acc = _fundamental(ac_onset, min_lag, min(max_lag, full_lag - 1))
    if p_acc is None:
        return None
    radius = max(1.5, 0.04 * p_acc)
    reference = max(_peak_near(ac_onset, p_acc / d, radius / d)[1] for d in (1, 2))
    _, at_quarter = _peak_near(ac_onset, p_acc / 4, radius / 4)
    period = p_acc / 2 if reference > 0 and at_quarter >= SUBDIVISION_RATIO * reference else p_acc
    while 60.0 * fps / period < MIN_BPM:
        period /= 2
    while 60.0 * fps / period > MAX_BPM:
        period *= 2
    period, height = _refine(ac_onset, period)
    return period, float(np.clip(height, 0.0, 1.0))


def _fundamental(ac: np.ndarray, lo: int, hi: int) -> float | None:
    """The shortest local-maximum lag in [lo, hi] within FUNDAMENTAL_RATIO of the highest one."""
    seg = ac[lo - 1 : hi + 2]
    is_peak = (seg[1:-1] > seg[:-2]) & (seg[1:-1] >= seg[2:]) & (seg[1:-1] > 0)
    lags = np.flatnonzero(is_peak) + lo
    if lags.size == 0:
        return None
    heights = ac[lags]
    first = lags[np.argmax(heights >= FUNDAMENTAL_RATIO * heights.max())]
    return _peak_near(ac, float(first), 1.0)[0]


def _refine(ac: np.ndarray, period: float) -> tuple[float, float]:
    """Period from the interpolated peaks at k·period (k = 1, 2, 4, ...), and the height at k = 1."""
    lag, height = _peak_near(ac, period, max(1.5, 0.04 * period))
    estimate = lag
    k = 2
    while k * estimate + 3 < len(ac) - 1:
        lag_k, h_k = _peak_near(ac, k * estimate, 2.0)
        if h_k <= 0:
            break
        estimate = lag_k / k
        k *= 2
    return estimate, height


# --- beats and onsets --------------------------------------------------------------------------


def beat_grid(envelope: np.ndarray, period: float, *, fps: float) -> np.ndarray:
    """Beat times (s): the best-phase grid at ``period`` frames, each beat snapped to a nearby peak."""
    n = len(envelope)
    active = np.flatnonzero(envelope > 0.05 * envelope.max())
    if active.size == 0:
        return np.zeros(0)
    phases = np.arange(0.0, period, 0.25)
    k = np.arange(int(np.ceil(n / period)) + 1)
    positions = phases[:, None] + period * k[None, :]
    frame_axis = np.arange(n)
    scores = np.where(positions < n - 1, np.interp(positions, frame_axis, envelope), 0.0).sum(axis=1)
    grid = positions[int(np.argmax(scores))]
    grid = grid[(grid >= active[0] - period / 2) & (grid <= min(active[-1] + period / 2, n - 1))]
    radius = max(1, round(min(SNAP_S * fps, 0.15 * period)))
    padded = np.concatenate([np.zeros(radius), envelope, np.zeros(radius)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    centre = np.round(grid).astype(int)
    local = windows[centre]
    best = np.argmax(local, axis=1)
    peak = local[np.arange(len(centre)), best]
    snapped = np.where(peak > 0.2 * envelope.max(), centre + best - radius, grid)
    return np.asarray(np.maximum((snapped - ENVELOPE_LAG_FRAMES) / fps, 0.0))


def detect_onsets(onset: np.ndarray, *, fps: float) -> np.ndarray:
    """Onset times (s) by peak picking the normalised onset envelope; see the module docstring."""
    n = len(onset)
    if n < 3 or onset.max() < MIN_FLUX_DB:
        return np.zeros(0)
    x = (onset - onset.min()) / (onset.max() - onset.min())
    wait = max(1, int(np.ceil(WAIT_S * fps)))
    avg = max(1, round(AVG_S * fps))
    padded = np.concatenate([np.full(wait, -np.inf), x, np.full(wait, -np.inf)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * wait + 1)
    before = windows[:, :wait].max(axis=1)
    after = windows[:, wait + 1 :].max(axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    lo = np.maximum(np.arange(n) - avg, 0)
    hi = np.minimum(np.arange(n) + avg + 1, n)
    local_mean = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    peaks = np.flatnonzero((x > before) & (x >= after) & (x >= local_mean + DELTA))
    return np.asarray(np.maximum((peaks - ENVELOPE_LAG_FRAMES) / fps, 0.0))
