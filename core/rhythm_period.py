"""The beat period: the metrical level of the tempo, its precision and its rhythmicity.

Steps 2 and 3 of core/rhythm.py's method: the autocorrelation seed under a log-normal tempo prior,
its ladder of octaves and tatum multiples, the fastest level whose grid lands on accents on every
beat, the half-time and octave checks, the refinement from the peaks at k·P, and the rhythmicity
that counts only autocorrelation peaks significantly above zero (Bartlett's formula).
"""

from __future__ import annotations

import numpy as np

#: Tempo range searched and the range a result is folded into by octaves.
SEARCH_MIN_BPM = 25.0
SEARCH_MAX_BPM = 320.0
MIN_BPM = 45.0
MAX_BPM = 220.0
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
#: core.rhythm runs it only for material whose onsets are mostly pitched (PERCUSSIVE_MAX there).
OCTAVE_PRIOR_BPM = 100.0
OCTAVE_PRIOR_OCTAVES = 1.0
#: A dotted level: a period of 1.5 or 0.75 tatums (within DOTTED_TOLERANCE of it). A beat holds a
#: whole number of tatums (2 or 4 in simple metre, 3 in compound); a melody phrased in groups of
#: three eighths (a jig, a hornpipe's dotted figures, a 3-3-2 riff) makes the dotted quarter
#: periodic, and its octaves read 4:3 of the beat (88 BPM read 117). When the octave check meets a
#: dotted level, its candidates become the whole multiples DOTTED_BEAT_TATUMS of the tatum instead.
DOTTED_TOLERANCE = 0.04
DOTTED_BEAT_TATUMS = (2.0, 3.0, 4.0)
#: An autocorrelation peak counts only this many standard errors above what an envelope without
#: periodicity gives (Bartlett's formula, see rhythmicity): one-sided p ~ 3e-5 per lag, so the
#: maximum over the ~200 lags searched stays below it (sine + noise reached 3.1, legato chords 4.8-9.6).
SIGNIFICANCE_Z = 4.0


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased autocorrelation of mean-removed ``x`` for lags 0..max_lag, normalised to ac[0] = 1."""
    x = x - x.mean()
    n = len(x)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[: max_lag + 1]
    ac = ac / (n - np.arange(max_lag + 1))
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def peak_near(ac: np.ndarray, lag: float, radius: float) -> tuple[float, float]:
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
    level it was folded from (``rhythmicity``: 0 when noise would reach it).
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
    levels = sorted(refine_period(ac, lag)[0] for lag in levels)
    envelope = accent if accent.any() else onset
    strength, balance = np.array([_grid_accents(envelope, lag) for lag in levels]).T
    above = np.array([_grid_accents(envelope, 2 * lag)[1] for lag in levels])
    even = (balance >= BALANCE_EVEN) | ((balance >= BALANCE_MIN) & (balance >= BALANCE_RELATIVE * above))
    is_beat = even & (strength >= STRENGTH_MIN * strength.max())
    period = levels[int(np.argmax(is_beat))] if is_beat.any() else seed
    radius = max(1.5, 0.04 * period)
    reference = max(peak_near(ac_onset, period / d, radius / d)[1] for d in (1, 2))
    _, at_quarter = peak_near(ac_onset, period / 4, radius / 4)
    if reference > 0 and at_quarter >= SUBDIVISION_RATIO * reference:
        period /= 2
    # Refine where the envelope repeats, then fold by exact octaves: a level folded into range may
    # fall between its events (a kick on 1 and 3 alone repeats every two beats), where the
    # autocorrelation has no peak to refine to or to measure.
    level, _ = refine_period(ac, period)
    period = level
    while 60.0 * fps / period < MIN_BPM:
        period /= 2
    while 60.0 * fps / period > MAX_BPM:
        period *= 2
    if octave_check:
        period = _octave_check(envelope, period, fps=fps, tatum=tatum)
        octaves = np.log2(period / level)
        if abs(octaves - round(octaves)) > 1e-6:  # a whole number of tatums (see _octave_check)
            period, _ = refine_period(ac, period)
            level = period
    height = max(rhythmicity(ac_onset, lag, n=n, short=min_lag) for lag in (period, level))
    return period, height


def rhythmicity(ac: np.ndarray, lag: float, *, n: int, short: int) -> float:
    """The autocorrelation peak near ``lag`` (0-1), or 0 when noise would reach it.

    ``ac`` is the normalised autocorrelation of an ``n``-frame envelope. A peak counts when it is
    at least SIGNIFICANCE_Z standard errors above 0, the standard error of a sample
    autocorrelation at a lag where the envelope has no periodicity being Bartlett's
    sqrt((1 + 2 sum_k ac[k]^2) / (n - lag)), the sum over the ``short`` lags within one event
    (Box & Jenkins, "Time Series Analysis", sec. 2.1.6). Without it, the ragged flux of noise or
    of a steady tone's chroma peaked at 0.1-0.27 somewhere in the search range of short files.
    """
    _, height = peak_near(ac, lag, max(1.5, 0.04 * lag))
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
    return [peak_near(ac, float(lag), 1.0)[0] for lag in lags]


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


def refine_period(ac: np.ndarray, period: float) -> tuple[float, float]:
    """Period from the interpolated peaks at k·period (k = 1, 2, 4, ...), and the height at k = 1."""
    lag, height = peak_near(ac, period, max(1.5, 0.04 * period))
    estimate = lag
    k = 2
    while k * estimate + 3 < len(ac) - 1:
        lag_k, h_k = peak_near(ac, k * estimate, 2.0)
        if h_k <= 0:
            break
        estimate = lag_k / k
        k *= 2
    return estimate, height
