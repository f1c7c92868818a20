"""Tempo, beats and onsets from the shared per-frame features (no second STFT).

Method
------
1. Two envelopes at the frame rate (~86 Hz): ``frames.onset_env`` (log-mel spectral flux, every
   event: kicks, snares, hats) and an *accent* envelope: per-band log-power flux, each band floored
   ``ACCENT_RANGE_DB`` below its own loud level and scaled by its own loud flux (so a snare quiet
   next to the kick still accents its bands fully), averaged with ``ACCENT_WEIGHTS`` that favour
   the low and middle bands (kick, snare, bass, chords) over the top ones (hats).
2. The tempo's metrical level. The seed is the autocorrelation peak (onset and accent averaged) that
   a log-normal tempo prior favours (Ellis 2007); its octaves (``LADDER_RATIOS``) are the candidate
   levels, with 2x and 4x the tatum (the shortest strong onset period, ``TATUM_RATIO``): a
   syncopated kick makes the seed a dotted quarter, whose octaves all miss the beat. The beat is the
   *fastest* level whose best grid lands on accents on every beat: its alternate beats are about
   evenly accented (``BALANCE_EVEN``), or as evenly as the level above (kick against snare: a
   backbeat counts the kick-to-snare interval), and the grid is nearly as strong as the strongest
   level's. Accented eighth notes (a piano part) fail the first test at the eighth, a rock pattern's
   off-beat hats too. If the onset envelope also pulses at a quarter of that level (hats on eighths
   under kick and snare every half note: a half-time feel), the beat is half of it; the result is
   folded into [MIN_BPM, MAX_BPM] by octaves. This is the "accent recurrence + tatum" idea of
   Gouyon & Dixon, "A review of automatic rhythm description systems" (CMJ 2005) and Klapuri,
   Eronen & Astola, "Analysis of the meter of acoustic musical signals" (IEEE TASLP 2006), reduced
   to what per-band flux can tell.
   When the onsets are mostly pitched notes (no drum kit carrying the mix: ``percussive_share``
   below PERCUSSIVE_MAX), a last octave check keeps, halves or doubles the level by grid accent x
   a log-normal prior centred on OCTAVE_PRIOR_BPM: without drums, accents alone do not tell a
   ballad's eighths from its beats.
   Legato material (chorales, strings) may have no energy onsets at all: when the onset
   envelope has no periodicity, the same procedure runs on ``pitch_flux`` (the rise of the log
   chroma, which sees a chord change at constant level).
3. Precision: the beat period is refined from the autocorrelation peaks at k·P (k = 1, 2, 4, 8,
   ...), each located by parabolic interpolation: the error shrinks as 1/k. It is refined at the
   level found, before the fold into [MIN_BPM, MAX_BPM]: a kick alone on 1 and 3 has no peak at
   the beat it folds to. Rhythmicity (the confidence) counts only autocorrelation peaks at least
   SIGNIFICANCE_Z standard errors (Bartlett's formula) above zero: noise and steady tones have none.
4. Beats: a constant grid at that period whose phase maximises the summed envelope (a comb
   filter), each beat then snapped to the strongest envelope frame within ``SNAP_S``.
5. Onsets: librosa.onset.onset_detect's peak picking (Böck, Krebs & Schedl, "Evaluating the
   online capabilities of onset detection methods", ISMIR 2012): a local maximum over ±``WAIT_S``,
   above the local mean (``AVG_S`` either side) plus ``DELTA`` of the normalised envelope.

Times are reported at the event: the envelope's peak comes ``ENVELOPE_LAG_FRAMES`` after the
onset (measured on clicks at random sub-frame positions, tests/core/test_rhythm.py).

Where each step lives: the envelopes (1) in core/rhythm_envelopes.py, the beat period (2, 3) in
core/rhythm_period.py, beats and onsets (4, 5) in core/rhythm_events.py; this module runs them and
handles a caller's tempo.
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.results import RhythmResult, TempoAlternative
from core.rhythm_envelopes import accent_envelope, percussive_share, pitch_flux, unit_peak
from core.rhythm_events import MIN_FLUX_DB, beat_grid, detect_onsets
from core.rhythm_period import (
    SEARCH_MAX_BPM,
    SEARCH_MIN_BPM,
    autocorrelation,
    beat_period,
    peak_near,
    refine_period,
    rhythmicity,
)

#: The final octave check (core.rhythm_period.OCTAVE_PRIOR_BPM) runs only for material whose onsets
#: are mostly pitched: the onset-weighted share of untonal frames (1 - core.tonal.frame_tonalness)
#: below PERCUSSIVE_MAX. A drum kit that carries the mix (0.6-0.8 on our synthetic mixes) defines
#: the beat by its own accents, and the ladder of beat_period decides.
PERCUSSIVE_MAX = 0.3
#: Normalised autocorrelation at the beat period: below NONE there is no tempo; FULL gives confidence 1.
RHYTHMICITY_NONE = 0.2
RHYTHMICITY_FULL = 0.6
MIN_DURATION_S = 2.0
#: Pitch flux (legato fallback): the rhythmicity below which it has no tempo either (its
#: autocorrelation is lower than the onset envelope's: fewer events).
PITCH_RHYTHMICITY_NONE = 0.06
#: A caller's tempo (bpm_hint) is refined within this relative distance, never moved further.
HINT_TOLERANCE = 0.04


def estimate_rhythm(frames: FrameFeatures, *, bpm_hint: float | None = None) -> RhythmResult:
    """Tempo, beat grid, onsets, and the half / double tempo alternatives.

    Parameters
    ----------
    frames : FrameFeatures
        The shared spectral pass; uses ``onset_env``, ``band_power``, ``chroma``.
    bpm_hint : float, optional
        The tempo the caller knows (a DAW session's declared BPM). It is a prior, not a guess to
        check: the detector only refines it within ``HINT_TOLERANCE`` (the autocorrelation peak
        nearest it), the beat grid is laid at that period, and ``tempo_source`` is "prior".

    Returns
    -------
    RhythmResult
        ``tempo_bpm`` None (confidence 0, no beats) when neither the onset envelope nor, for
        legato material, the pitch flux has any periodicity: silence, steady tones, noise, or
        less than ``MIN_DURATION_S`` of audio. With a hint, ``tempo_bpm`` is None only for silence
        (no flux at all); a hint the audio does not confirm is kept with confidence 0 (see ``heard``).
    """
    fps = frames.sr / frames.hop_length
    duration_s = frames.n_samples / frames.sr
    onset = np.asarray(frames.onset_env, dtype=np.float64)
    onsets_s = detect_onsets(onset, fps=fps)
    rate = float(len(onsets_s) / duration_s) if duration_s > 0 else 0.0
    empty = RhythmResult(None, 0.0, (), tuple(onsets_s.tolist()), rate)
    too_short = duration_s < MIN_DURATION_S or onset.size == 0
    if bpm_hint is not None:
        if onset.size == 0 or not onset.max() > 0:
            return empty  # silence: nothing heard, whatever the caller declared
        if too_short:
            return RhythmResult(float(bpm_hint), 0.0, (), empty.onsets_s, rate, tempo_source="prior")
        return _with_hint(onset, accent_envelope(frames), float(bpm_hint), fps=fps, onsets=empty)
    if too_short or onset.max() < MIN_FLUX_DB:
        return empty
    accent = accent_envelope(frames)
    pitched = percussive_share(frames) < PERCUSSIVE_MAX
    found = beat_period(onset, accent, fps=fps, octave_check=pitched)
    envelope = unit_peak(onset) + unit_peak(accent)
    floor = RHYTHMICITY_NONE
    if found is None or found[1] < RHYTHMICITY_NONE:
        # Legato material (chorales, strings, pads) changes pitch without energy onsets.
        flux = pitch_flux(frames)
        found = beat_period(flux, flux, fps=fps, octave_check=True) if flux.any() else None
        envelope, floor = unit_peak(flux), PITCH_RHYTHMICITY_NONE
        if found is None or found[1] < floor:
            return empty
    period, rhythmicity = found
    span = RHYTHMICITY_FULL - floor
    confidence = float(np.clip((rhythmicity - floor) / span, 0.0, 1.0))
    beats_s = beat_grid(envelope, period, fps=fps)
    return RhythmResult(
        tempo_bpm=float(60.0 * fps / period),
        tempo_confidence=confidence,
        beats_s=tuple(beats_s.tolist()),
        onsets_s=tuple(onsets_s.tolist()),
        onset_rate_hz=rate,
        tempo_alternatives=tempo_alternatives(envelope, period, fps=fps),
    )


def heard(rhythm: RhythmResult) -> bool:
    """Did the audio show ``rhythm.tempo_bpm``? False when it is only the caller's prior: a hint
    kept without a significant autocorrelation peak at its beat or every other beat (confidence 0)."""
    return rhythm.tempo_bpm is not None and (rhythm.tempo_source != "prior" or rhythm.tempo_confidence > 0)


def _with_hint(
    onset: np.ndarray, accent: np.ndarray, bpm_hint: float, *, fps: float, onsets: RhythmResult
) -> RhythmResult:
    """The hinted tempo refined to the autocorrelation peak within HINT_TOLERANCE, and its grid."""
    envelope = unit_peak(onset) + unit_peak(accent)
    hinted = 60.0 * fps / bpm_hint
    full_lag = min(len(onset) // 2, max(int(8.0 * fps), int(4 * hinted) + 4))
    period, height = hinted, 0.0
    short = int(np.floor(60.0 * fps / SEARCH_MAX_BPM))
    # The hinted beat, or every other beat (a kick on 1 and 3 alone repeats there, not at the beat).
    ac = autocorrelation(envelope, full_lag) if full_lag > hinted + 3 else np.zeros(0)
    for multiple in (1.0, 2.0):
        target = multiple * hinted
        if len(ac) <= target + 3:
            break
        lag, _ = peak_near(ac, target, max(1.0, HINT_TOLERANCE * target))
        heard = rhythmicity(ac, lag, n=len(envelope), short=short)
        if abs(lag - target) <= HINT_TOLERANCE * target and heard > height:
            refined, _ = refine_period(ac, lag)
            period = (refined if abs(refined - target) <= HINT_TOLERANCE * target else lag) / multiple
            height = heard
    span = RHYTHMICITY_FULL - RHYTHMICITY_NONE
    return RhythmResult(
        tempo_bpm=float(60.0 * fps / period),
        tempo_confidence=float(np.clip((height - RHYTHMICITY_NONE) / span, 0.0, 1.0)),
        beats_s=tuple(beat_grid(envelope, period, fps=fps).tolist()),
        onsets_s=onsets.onsets_s,
        onset_rate_hz=onsets.onset_rate_hz,
        tempo_alternatives=tempo_alternatives(envelope, period, fps=fps),
        tempo_source="prior",
    )


def tempo_alternatives(envelope: np.ndarray, period: float, *, fps: float) -> tuple[TempoAlternative, ...]:
    """Half and double time, each with its autocorrelation over the tempo's (capped at 1).

    Levels outside [SEARCH_MIN_BPM, SEARCH_MAX_BPM] or beyond half the signal are left out.
    """
    max_lag = min(len(envelope) // 2, int(2 * period) + 4)
    if max_lag <= period + 2:
        return ()
    ac = autocorrelation(envelope, max_lag)
    _, own = peak_near(ac, period, max(1.5, 0.04 * period))
    out = []
    for relation, lag in (("half", 2.0 * period), ("double", period / 2.0)):
        bpm = 60.0 * fps / lag
        if not SEARCH_MIN_BPM <= bpm <= SEARCH_MAX_BPM or lag + 2 >= len(ac) or lag < 2:
            continue
        _, height = peak_near(ac, lag, max(1.5, 0.04 * lag))
        strength = float(np.clip(height / own, 0.0, 1.0)) if own > 0 else 0.0
        out.append(TempoAlternative(bpm=float(bpm), relation=relation, strength=strength))  # type: ignore[arg-type]
    return tuple(out)
