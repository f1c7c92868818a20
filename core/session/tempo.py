"""The session tempo: the declared one, else the tempo the tracks' own estimates agree on.

Beat trackers mostly err by an octave (a track read at half or double the tempo) and less often by
3:2 (a dotted or triplet reading): F. Gouyon et al., "An experimental comparison of audio tempo
induction algorithms", IEEE TASLP 14(5), 2006, whose "accuracy 2" counts such readings as right,
with a 4 % tolerance. Averaging tempi is therefore wrong (a kick read at 120 and a bass at 60 are
not at 90). Instead each confident track votes, weighted by its tempo confidence and how rhythmic
it is (drums most: ``RHYTHM_WEIGHTS``), and the candidates T are scored by the summed agreement of
every track's tempo with T or with one of T's ``RELATIONS`` (T/2, 2T, 2T/3, 3T/2). Those scores say
which tempo family the tracks share, but barely which octave of it: among the strong candidates,
the one most tracks read directly (by tempo confidence, whatever their type) wins, because a lone
drum stem reads its own pattern (hats in eighths read double the tempo). Near-ties go to the
rhythm-weighted score, then to the candidate closest to ``PREFERRED_BPM`` (the preferred beat rate
in D. Moelants, "Preferred tempo reconsidered", ICMPC 2002). The winner is refined to the weighted
geometric mean of the votes that agree with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.excerpt import conform
from core.frames import compute_frames
from core.results import TrackAnalysis
from core.rhythm import estimate_rhythm, heard
from core.session.spec import TrackSpec
from core.suggestions.tempo import MAX_BPM, MIN_BPM
from core.suggestions.track_context import MIN_TEMPO_CONFIDENCE


@dataclass(frozen=True)
class TempoVote:
    """One track's tempo estimate and how much it counts (confidence x rhythmic weight)."""

    bpm: float
    weight: float
    #: The track's own tempo confidence (0-1): how much its reading counts as a direct reading.
    confidence: float = 1.0


#: A track reading ``T * ratio`` for a session at T, and how much such a reading agrees with T.
RELATIONS: dict[float, float] = {1.0: 1.0, 0.5: 0.8, 2.0: 0.8, 2.0 / 3.0: 0.5, 1.5: 0.5}
#: Readings within this many octaves (4 %, Gouyon et al.'s tolerance) agree; Gaussian of sigma half that.
TOLERANCE_OCTAVES = math.log2(1.04)
#: Near-ties (within this fraction of the best score) go to the candidate nearest PREFERRED_BPM.
TIE_FRACTION = 0.01
PREFERRED_BPM = 120.0
#: Candidates scoring at least this fraction of the best are octave (or 3:2) rivals; among them the
#: one most tracks read directly wins when it leads by more than DIRECT_MARGIN (in tracks of full
#: confidence); otherwise the rhythm-weighted score decides.
OCTAVE_FRACTION = 0.75
DIRECT_MARGIN = 0.25

#: How much a track type's tempo estimate says about the groove (house choice): drums carry the
#: beat; a bass mostly plays on it; sustained types (pads, strings, fx) barely show it.
RHYTHM_WEIGHTS: dict[str, float] = {
    "kick": 1.0,
    "snare": 1.0,
    "drums": 1.0,
    "mix_bus": 1.0,
    "master": 1.0,
    "bass": 0.5,
    "guitar": 0.35,
    "keys": 0.35,
    "synth": 0.35,
    "other": 0.35,
    "brass": 0.3,
    "vocals": 0.25,
    "backing_vocals": 0.25,
    "strings": 0.2,
    "pad": 0.15,
    "fx": 0.15,
}


def _agreement(bpm: float, tempo: float) -> tuple[float, float]:
    """(agreement 0-1, the ratio it came from) of a reading ``bpm`` with a session at ``tempo``."""
    sigma = TOLERANCE_OCTAVES / 2.0
    best = (0.0, 1.0)
    for ratio, weight in RELATIONS.items():
        d = math.log2(bpm / (tempo * ratio))
        score = weight * math.exp(-0.5 * (d / sigma) ** 2)
        if score > best[0]:
            best = (score, ratio)
    return best


def estimate_tempo(votes: Sequence[TempoVote]) -> float | None:
    """The tempo (BPM) the votes agree on most, octave and 3:2 aware; None without votes."""
    votes = [v for v in votes if v.weight > 0 and MIN_BPM <= v.bpm <= MAX_BPM]
    if not votes:
        return None
    candidates = sorted({v.bpm / r for v in votes for r in RELATIONS if MIN_BPM <= v.bpm / r <= MAX_BPM})
    scores = [sum(v.weight * _agreement(v.bpm, c)[0] for v in votes) for c in candidates]
    top = max(scores)
    strong = [(c, s) for c, s in zip(candidates, scores, strict=True) if s >= top * OCTAVE_FRACTION]
    best = _octave(votes, strong)
    num = den = 0.0
    for v in votes:
        score, ratio = _agreement(v.bpm, best)
        if abs(math.log2(v.bpm / (best * ratio))) <= TOLERANCE_OCTAVES:
            num += v.weight * score * math.log2(v.bpm / ratio)
            den += v.weight * score
    return float(2.0 ** (num / den)) if den > 0 else best


def _direct(votes: Sequence[TempoVote], tempo: float) -> float:
    """How many tracks (by their tempo confidence) read ``tempo`` itself, within the tolerance."""
    sigma = TOLERANCE_OCTAVES / 2.0
    return sum(v.confidence * math.exp(-0.5 * (math.log2(v.bpm / tempo) / sigma) ** 2) for v in votes)


def _octave(votes: Sequence[TempoVote], near: Sequence[tuple[float, float]]) -> float:
    """Among the strong candidates (tempo, score), the one most tracks read directly; then the
    rhythm-weighted score; then the one nearest PREFERRED_BPM.

    A drum stem on its own reads its own pattern, not always the beat (hats in eighths read double,
    a kick on 1 and 3 half), so its rhythm weight must not settle the octave against several
    tracks that read the tempo itself: sessions-dev, hats at 2T against bass, keys and lead at T.
    """
    direct = {c: _direct(votes, c) for c, _ in near}
    most = max(direct.values())
    contenders = [(c, s) for c, s in near if direct[c] >= most - DIRECT_MARGIN]
    top = max(s for _, s in contenders)
    tied = [c for c, s in contenders if s >= top * (1.0 - TIE_FRACTION)]
    return min(tied, key=lambda c: (abs(math.log2(c / PREFERRED_BPM)), c))


def tempo_votes(tracks: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis]) -> list[TempoVote]:
    """A vote per track whose tempo was heard (not only the caller's prior: core.rhythm.heard) and
    is confident (core.suggestions MIN_TEMPO_CONFIDENCE)."""
    votes = []
    for t in tracks:
        a = analyses.get(t.track_id)
        if a is None or a.rhythm.tempo_bpm is None or not heard(a.rhythm):
            continue
        if a.rhythm.tempo_confidence < MIN_TEMPO_CONFIDENCE:
            continue
        rhythmic = max(RHYTHM_WEIGHTS.get(t.type, 0.35), min(max(a.patterns.percussive, 0.0), 1.0))
        conf = a.rhythm.tempo_confidence
        votes.append(TempoVote(float(a.rhythm.tempo_bpm), conf * rhythmic, conf))
    return votes


def mix_tempo(stems: Iterable[tuple[np.ndarray, int, float]]) -> TempoVote | None:
    """The tempo heard in the stems' sum: (y (channels, n), sr, fader gain dB) for each audible stem.

    What the engineer hears is the whole arrangement: a hi-hat stem alone reads its eighths and a
    kick alone half the tempo, but their sum with the rest reads the beat (sessions-dev: the sum
    reads the labelled tempo in 12 of 12 songs, the stems' votes in 8). The stems are summed in mono
    at the first stem's rate (others resampled), so memory is one mono mix plus one stem at a time.
    None without audio or without a confident reading (below MIN_TEMPO_CONFIDENCE).
    """
    mix: np.ndarray | None = None
    rate = 0
    for y, sr, gain_db in stems:
        if mix is None:
            rate = sr
            mix = np.zeros(0, dtype=np.float32)
        mono = conform(y, sr, sr_to=rate).mean(axis=0)
        if mono.size > mix.size:
            mix = np.concatenate([mix, np.zeros(mono.size - mix.size, dtype=np.float32)])
        mix[: mono.size] += mono * np.float32(10.0 ** (gain_db / 20.0))
    if mix is None or mix.size == 0:
        return None
    rhythm = estimate_rhythm(compute_frames([mix], sr=rate))
    if rhythm.tempo_bpm is None or rhythm.tempo_confidence < MIN_TEMPO_CONFIDENCE:
        return None
    conf = float(rhythm.tempo_confidence)
    return TempoVote(float(rhythm.tempo_bpm), conf, conf)


def session_tempo(
    bpm: float | None,
    tracks: Sequence[TrackSpec],
    analyses: Mapping[str, TrackAnalysis],
    *,
    heard: TempoVote | None = None,
) -> tuple[float | None, str | None]:
    """(tempo, source): the declared ``bpm`` ("declared"), else the tempo ``heard`` in the stems'
    sum (``mix_tempo``, when the caller has the audio), else the tracks' estimate ("estimated")."""
    if bpm is not None:
        return bpm, "declared"
    if heard is not None:
        return round(heard.bpm, 2), "estimated"
    est = estimate_tempo(tempo_votes(tracks, analyses))
    return (None, None) if est is None else (round(est, 2), "estimated")
