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
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.quantiles import percentile
from core.results import RhythmResult, TempoAlternative
from core.tonal import frame_tonalness

#: Tempo range searched and the range a result is folded into by octaves.
SEARCH_MIN_BPM = 25.0
SEARCH_MAX_BPM = 320.0
MIN_BPM = 45.0
MAX_BPM = 220.0
#: Accent envelope: weight of each band of core.bands.BANDS (sub .. brilliance). Beats are carried
#: by the low and middle bands (bass and snare drum, bass notes, chords); hats and cymbals in the
#: top bands mark the subdivision (Goto, "An audio-based real-time beat tracking system for music
#: with or without drum-sounds", JNMR 2001), so they weigh less.
ACCENT_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 0.5, 0.25, 0.25)
#: Each band's power is floored this far below its own loud level (the percentile), and its flux
#: is scaled by its own loud flux (the same percentile, at least ACCENT_MIN_FULL_DB).
ACCENT_RANGE_DB = 25.0
ACCENT_LEVEL_PERCENTILE = 99.0
ACCENT_MIN_FULL_DB = 3.0
#: Tempo prior: log-normal over the beat rate, centred on PRIOR_BPM, PRIOR_OCTAVES standard deviation
#: (Ellis, "Beat tracking by dynamic programming", JNMR 2007, sec. 3.1: 120 BPM, ~1 octave, as in
#: librosa.feature.tempo's start_bpm / std_bpm). It picks the seed of the metrical ladder.
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
#: The metrical ladder: candidate beat periods as ratios of the seed. Octaves only: with 3:2
#: relatives (1/3, 2/3, 3/2, 3) a syncopated 4/4 pattern (kick on 1, &2, &3) was counted in
#: three-beat "bars" at 160-190 BPM, and no test signal in 3/4 or 6/8 exists yet to justify them.
LADDER_RATIOS: tuple[float, ...] = (1 / 4, 1 / 2, 1.0, 2.0, 4.0)
#: The tatum is the shortest onset-autocorrelation peak at least this share of the highest.
TATUM_RATIO = 0.5
#: A level is a beat level when the best grid at its period lands on accents on every beat. Its
#: balance (the weaker alternate beats' mean accent over the stronger's, odd vs even beats) must
#: reach BALANCE_EVEN, or reach BALANCE_MIN while being at least BALANCE_RELATIVE of the balance
#: of the level twice as slow (an alternation about as even as the metre gets: kick and snare);
#: and the grid's mean accent must reach STRENGTH_MIN of the strongest level's.
BALANCE_EVEN = 0.68
BALANCE_MIN = 0.6
BALANCE_RELATIVE = 0.8
STRENGTH_MIN = 0.8
#: Accent at a grid position: the envelope maximum over these frame offsets (the flux peaks late).
GRID_WINDOW = (-1, 0, 1, 2)
#: The onset envelope "pulses at P/4" when its autocorrelation there reaches this share of the
#: larger of those at P and P/2.
SUBDIVISION_RATIO = 0.6
#: The final octave check: among half, the level found and double, the level whose best grid's
#: mean accent times a log-normal prior centred on OCTAVE_PRIOR_BPM (OCTAVE_PRIOR_OCTAVES standard
#: deviation) is highest. Listeners tap near 100-120 BPM when a pulse allows it (Moelants,
#: "Preferred tempo reconsidered", ICMPC 2002; van Noorden & Moelants, JNMR 1999): this removes
#: doubled slow ballads (80-95 read 160-190) and halved mid-tempo pieces (110-120 read 55-60).
#: Only for material whose onsets are mostly pitched: the onset-weighted share of untonal frames
#: (1 - core.tonal.frame_tonalness) below PERCUSSIVE_MAX. A drum kit that carries the mix (0.6-0.8
#: on our synthetic mixes) defines the beat by its own accents, and the ladder above decides.
OCTAVE_PRIOR_BPM = 100.0
OCTAVE_PRIOR_OCTAVES = 1.0
PERCUSSIVE_MAX = 0.3
#: A dotted level: a period of 1.5 or 0.75 tatums (within DOTTED_TOLERANCE of it). A beat holds a
#: whole number of tatums (2 or 4 in simple metre, 3 in compound); a melody phrased in groups of
#: three eighths (a jig, a hornpipe's dotted figures, a 3-3-2 riff) makes the dotted quarter
#: periodic, and its octaves read 4:3 of the beat (88 BPM read 117). When the octave check meets a
#: dotted level, its candidates become the whole multiples DOTTED_BEAT_TATUMS of the tatum instead.
DOTTED_TOLERANCE = 0.04
DOTTED_BEAT_TATUMS = (2.0, 3.0, 4.0)
#: Normalised autocorrelation at the beat period: below NONE there is no tempo; FULL gives confidence 1.
RHYTHMICITY_NONE = 0.2
RHYTHMICITY_FULL = 0.6
#: ... and it counts only this many standard errors above what an envelope without periodicity
#: gives (Bartlett's formula, see _rhythmicity): one-sided p ~ 3e-5 per lag, so the maximum over
#: the ~200 lags searched stays below it (sine + noise reached 3.1, legato chords 4.8-9.6).
SIGNIFICANCE_Z = 4.0
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
#: Pitch flux (legato fallback): log chroma compression, and the rhythmicity below which the pitch
#: flux has no tempo either (its autocorrelation is lower than the onset envelope's: fewer events).
PITCH_FLUX_COMPRESSION = 100.0
PITCH_RHYTHMICITY_NONE = 0.06
#: ... and only for pitched material: the power-weighted mean frame tonalness must reach this
#: (noise measures under 0.1, chorales and fiddle tunes over 0.9).
PITCH_TONALNESS_MIN = 0.3
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
    envelope = _unit(onset) + _unit(accent)
    floor = RHYTHMICITY_NONE
    if found is None or found[1] < RHYTHMICITY_NONE:
        # Legato material (chorales, strings, pads) changes pitch without energy onsets.
        flux = pitch_flux(frames)
        found = beat_period(flux, flux, fps=fps, octave_check=True) if flux.any() else None
        envelope, floor = _unit(flux), PITCH_RHYTHMICITY_NONE
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
    envelope = _unit(onset) + _unit(accent)
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
        lag, _ = _peak_near(ac, target, max(1.0, HINT_TOLERANCE * target))
        heard = _rhythmicity(ac, lag, n=len(envelope), short=short)
        if abs(lag - target) <= HINT_TOLERANCE * target and heard > height:
            refined, _ = _refine(ac, lag)
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
    _, own = _peak_near(ac, period, max(1.5, 0.04 * period))
    out = []
    for relation, lag in (("half", 2.0 * period), ("double", period / 2.0)):
        bpm = 60.0 * fps / lag
        if not SEARCH_MIN_BPM <= bpm <= SEARCH_MAX_BPM or lag + 2 >= len(ac) or lag < 2:
            continue
        _, height = _peak_near(ac, lag, max(1.5, 0.04 * lag))
        strength = float(np.clip(height / own, 0.0, 1.0)) if own > 0 else 0.0
        out.append(TempoAlternative(bpm=float(bpm), relation=relation, strength=strength))  # type: ignore[arg-type]
    return tuple(out)


# --- envelopes ---------------------------------------------------------------------------------


def band_flux(frames: FrameFeatures) -> np.ndarray:
    """Half-wave rectified log-power flux per band, shape (n_bands, n_frames), in dB.

    Each band's power is floored ``ACCENT_RANGE_DB`` below its own ``ACCENT_LEVEL_PERCENTILE``
    level, so quiet events and noise give no flux, then delayed like ``onset_env`` (half a window).
    """
    power = np.asarray(frames.band_power, dtype=np.float64)
    if power.size == 0:
        return np.zeros((len(ACCENT_WEIGHTS), 0))
    level = percentile(power, ACCENT_LEVEL_PERCENTILE, axis=1, keepdims=True)
    floor = level * 10 ** (-ACCENT_RANGE_DB / 10) + 1e-20
    log_power = 10.0 * np.log10(np.maximum(power, floor))
    flux = np.maximum(0.0, np.diff(log_power, axis=1, prepend=log_power[:, :1]))
    delay = min(frames.n_fft // (2 * frames.hop_length), flux.shape[1])
    return np.concatenate([np.zeros((flux.shape[0], delay)), flux[:, : flux.shape[1] - delay]], axis=1)


def accent_envelope(frames: FrameFeatures) -> np.ndarray:
    """Accents 0-1 per frame: the ACCENT_WEIGHTS-weighted mean of each band's flux over its loud flux.

    Every band is scaled by its own loud events, so a snare that is quiet in the mids next to a
    loud kick, or a piano in a mix without drums, still accents its band fully.
    """
    flux = band_flux(frames)
    if flux.size == 0:
        return np.zeros(frames.n_frames)
    full = np.maximum(percentile(flux, ACCENT_LEVEL_PERCENTILE, axis=1, keepdims=True), ACCENT_MIN_FULL_DB)
    weights = np.asarray(ACCENT_WEIGHTS)[:, None]
    return np.asarray((np.clip(flux / full, 0.0, 1.0) * weights).sum(axis=0) / weights.sum())


def percussive_share(frames: FrameFeatures) -> float:
    """Onset-weighted mean of (1 - frame tonalness): 0 when every onset is a pitched note, ~1 for drums."""
    onset = np.asarray(frames.onset_env, dtype=np.float64)
    if not onset.sum() > 0:
        return 0.0
    return float(((1.0 - frame_tonalness(frames)) * onset).sum() / onset.sum())


def pitch_flux(frames: FrameFeatures) -> np.ndarray:
    """Rectified flux of the log chroma, weighted by each frame's tonalness, shape (n_frames,).

    Each frame's chroma is log-compressed relative to its own maximum, so a new note shows as a
    rise in its pitch class even when the level does not rise (a legato line, a choir changing
    chord): the "pitch" part of a spectral-flux / complex-domain onset function (Bello et al.,
    "A tutorial on onset detection in music signals", IEEE TSAP 2005, sec. III). Frames weigh
    by core.tonal.frame_tonalness, so drums feed nothing; unpitched material (mean tonalness under
    ``PITCH_TONALNESS_MIN``) gives zeros. Delayed like ``onset_env``.
    """
    chroma = np.asarray(frames.chroma, dtype=np.float64)
    if chroma.size == 0:
        return np.zeros(frames.n_frames)
    peak = np.maximum(chroma.max(axis=0, keepdims=True), 1e-20)
    log_chroma = np.log1p(PITCH_FLUX_COMPRESSION * chroma / peak)
    rise = np.maximum(0.0, np.diff(log_chroma, axis=1, prepend=log_chroma[:, :1])).sum(axis=0)
    tonal = frame_tonalness(frames)
    power = np.asarray(frames.total_power, dtype=np.float64)
    if not power.sum() > 0 or float(tonal @ power) / float(power.sum()) < PITCH_TONALNESS_MIN:
        return np.zeros(frames.n_frames)
    flux = rise * tonal
    delay = min(frames.n_fft // (2 * frames.hop_length), flux.shape[0])
    return np.concatenate([np.zeros(delay), flux[: flux.shape[0] - delay]])


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


def tempo_prior(period: np.ndarray | float, *, fps: float) -> np.ndarray:
    """Log-normal tempo prior (PRIOR_BPM, PRIOR_OCTAVES) at beat periods given in frames, 0-1."""
    octaves = np.log2(60.0 * fps / np.asarray(period, dtype=np.float64) / PRIOR_BPM)
    return np.asarray(np.exp(-0.5 * (octaves / PRIOR_OCTAVES) ** 2))


def beat_period(
    onset: np.ndarray, accent: np.ndarray, *, fps: float, octave_check: bool = False
) -> tuple[float, float] | None:
    """(beat period in frames, rhythmicity 0-1), or None when the envelope is too short.

    The seed is the autocorrelation peak (onset and accent envelopes averaged) that the tempo prior
    favours; the beat level is the fastest level of its ladder whose grid lands on strong accents
    on every beat, halved when the onset envelope subdivides it in four (a half-time feel).
    Rhythmicity is the onset envelope's normalised autocorrelation at the beat period or at the
    level it was folded from (``_rhythmicity``: 0 when noise would reach it).
    """
    n = len(onset)
    min_lag = int(np.floor(60.0 * fps / SEARCH_MAX_BPM))
    max_lag = int(np.ceil(60.0 * fps / SEARCH_MIN_BPM))
    full_lag = min(n // 2, max(max_lag, int(8.0 * fps)))
    if full_lag <= max_lag // 2:
        return None
    ac_onset = autocorrelation(onset, full_lag)
    ac = 0.5 * (ac_onset + autocorrelation(accent, full_lag)) if accent.any() else ac_onset
    hi = min(max_lag, full_lag - 1)
    seed = _seed(ac, min_lag, hi, fps=fps)
    if seed is None:
        return None
    levels = [seed * r for r in LADDER_RATIOS if min_lag <= seed * r <= hi]
    # A syncopated kick makes the strongest periodicity a dotted value (3 eighths), whose octaves
    # miss the beat; the tatum (the fastest strong pulse: hats, eighths) brings its octaves too.
    tatum = _tatum(ac_onset, min_lag, hi)
    if tatum is not None:
        levels += [tatum * r for r in (2.0, 4.0) if min_lag <= tatum * r <= hi]
    levels = sorted(_refine(ac, lag)[0] for lag in levels)
    envelope = accent if accent.any() else onset
    strength, balance = np.array([_grid_accents(envelope, lag) for lag in levels]).T
    above = np.array([_grid_accents(envelope, 2 * lag)[1] for lag in levels])
    even = (balance >= BALANCE_EVEN) | ((balance >= BALANCE_MIN) & (balance >= BALANCE_RELATIVE * above))
    is_beat = even & (strength >= STRENGTH_MIN * strength.max())
    period = levels[int(np.argmax(is_beat))] if is_beat.any() else seed
    radius = max(1.5, 0.04 * period)
    reference = max(_peak_near(ac_onset, period / d, radius / d)[1] for d in (1, 2))
    _, at_quarter = _peak_near(ac_onset, period / 4, radius / 4)
    if reference > 0 and at_quarter >= SUBDIVISION_RATIO * reference:
        period /= 2
    # Refine where the envelope repeats, then fold by exact octaves: a level folded into range may
    # fall between its events (a kick on 1 and 3 alone repeats every two beats), where the
    # autocorrelation has no peak to refine to or to measure.
    level, _ = _refine(ac, period)
    period = level
    while 60.0 * fps / period < MIN_BPM:
        period /= 2
    while 60.0 * fps / period > MAX_BPM:
        period *= 2
    if octave_check:
        period = _octave_check(envelope, period, fps=fps, tatum=tatum)
        octaves = np.log2(period / level)
        if abs(octaves - round(octaves)) > 1e-6:  # a whole number of tatums (see _octave_check)
            period, _ = _refine(ac, period)
            level = period
    height = max(_rhythmicity(ac_onset, lag, n=n, short=min_lag) for lag in (period, level))
    return period, height


def _rhythmicity(ac: np.ndarray, lag: float, *, n: int, short: int) -> float:
    """The autocorrelation peak near ``lag`` (0-1), or 0 when noise would reach it.

    ``ac`` is the normalised autocorrelation of an ``n``-frame envelope. A peak counts when it is
    at least SIGNIFICANCE_Z standard errors above 0, the standard error of a sample
    autocorrelation at a lag where the envelope has no periodicity being Bartlett's
    sqrt((1 + 2 sum_k ac[k]^2) / (n - lag)), the sum over the ``short`` lags within one event
    (Box & Jenkins, "Time Series Analysis", sec. 2.1.6). Without it, the ragged flux of noise or
    of a steady tone's chroma peaked at 0.1-0.27 somewhere in the search range of short files.
    """
    _, height = _peak_near(ac, lag, max(1.5, 0.04 * lag))
    spread = 1.0 + 2.0 * float(np.sum(ac[1:short] ** 2))
    error = np.sqrt(spread / max(n - lag, 1.0))
    return float(np.clip(height, 0.0, 1.0)) if height >= SIGNIFICANCE_Z * error else 0.0


def _is_dotted(lag: float, tatum: float | None) -> bool:
    """Is ``lag`` 1.5 or 0.75 tatums (a dotted value, not a beat)?"""
    if tatum is None or tatum <= 0:
        return False
    ratio = lag / tatum
    return any(abs(ratio / r - 1.0) <= DOTTED_TOLERANCE for r in (0.75, 1.5))


def _octave_check(envelope: np.ndarray, period: float, *, fps: float, tatum: float | None = None) -> float:
    """Half, the same or double ``period``: the best grid accent x the octave prior, in range.

    When one of the three is a dotted level (see DOTTED_TOLERANCE), the dotted ones give way to
    the whole multiples of the tatum (DOTTED_BEAT_TATUMS).
    """
    candidates = [period, 2.0 * period, period / 2.0]
    if tatum is not None and any(_is_dotted(lag, tatum) for lag in candidates):
        candidates = [lag for lag in candidates if not _is_dotted(lag, tatum)]
        candidates += [k * tatum for k in DOTTED_BEAT_TATUMS]
    best, best_score = period, -1.0
    for lag in candidates:
        bpm = 60.0 * fps / lag
        if not MIN_BPM <= bpm <= MAX_BPM:
            continue
        octaves = np.log2(bpm / OCTAVE_PRIOR_BPM) / OCTAVE_PRIOR_OCTAVES
        score = _grid_accents(envelope, lag)[0] * float(np.exp(-0.5 * octaves**2))
        if score > best_score:
            best, best_score = lag, score
    return best


def _peaks(ac: np.ndarray, lo: int, hi: int) -> list[float]:
    """Positive local-maximum lags in [lo, hi], interpolated."""
    seg = ac[lo - 1 : hi + 2]
    is_peak = (seg[1:-1] > seg[:-2]) & (seg[1:-1] >= seg[2:]) & (seg[1:-1] > 0)
    lags = np.flatnonzero(is_peak) + lo
    if lags.size == 0:
        return []
    return [_peak_near(ac, float(lag), 1.0)[0] for lag in lags]


def _tatum(ac: np.ndarray, lo: int, hi: int) -> float | None:
    """The shortest autocorrelation peak in [lo, hi] within TATUM_RATIO of the highest one."""
    lags = np.array(_peaks(ac, lo, hi))
    if lags.size == 0:
        return None
    heights = np.interp(lags, np.arange(len(ac)), ac)
    return float(lags[np.argmax(heights >= TATUM_RATIO * heights.max())])


def _seed(ac: np.ndarray, lo: int, hi: int, *, fps: float) -> float | None:
    """The local-maximum lag in [lo, hi] with the highest autocorrelation x tempo prior."""
    lags = np.array(_peaks(ac, lo, hi))
    if lags.size == 0:
        return None
    return float(lags[np.argmax(np.interp(lags, np.arange(len(ac)), ac) * tempo_prior(lags, fps=fps))])


def _grid_accents(envelope: np.ndarray, period: float) -> tuple[float, float]:
    """(mean accent, balance) of the best-phase grid at ``period`` frames.

    Balance is the weaker over the stronger of the mean accents on the even and the odd beats:
    near 1 when every beat is accented (kick and snare alternating), low when only every other one
    is (the off-beat eighths of a rock pattern).
    """
    n = len(envelope)
    pairs = int((n - 1 - 2 * period - max(GRID_WINDOW)) // (2 * period))
    if pairs < 1:
        return 0.0, 0.0
    phases = np.arange(0.0, period, 0.5)
    positions = phases[:, None] + period * np.arange(2 * pairs)[None, :]
    centre = np.round(positions).astype(int)
    values = np.max([envelope[np.clip(centre + d, 0, n - 1)] for d in GRID_WINDOW], axis=0)
    row = values[int(np.argmax(values.mean(axis=1)))]
    even, odd = float(row[0::2].mean()), float(row[1::2].mean())
    strong = max(even, odd)
    return float(row.mean()), (min(even, odd) / strong if strong > 0 else 0.0)


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
