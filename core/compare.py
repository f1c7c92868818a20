"""Compare two analyses: differences per band and per measure, and one similarity in [0, 1].

Convention: every difference is ``b - a``; ``a`` is the reference (your mix), ``b`` the other track
(a reference track, or the next version). A positive ``diff`` means b has more of it.

Similarity
----------
A weighted mean of five parts, each in [0, 1] (weights in ``SIMILARITY_WEIGHTS``; a part that
cannot be computed, e.g. no tempo for an ambient track, is left out and the weights renormalised):

- ``spectral`` (0.4): the 1/3-octave spectra (IEC 61260-1 bands) as shapes: each is made
  level-independent by subtracting its power-weighted mean level (the band levels are floored at
  ``SPECTRAL_FLOOR_DB`` below the loudest band, so silent bands count as quiet, not missing), and
  ``exp(-d / SPECTRAL_SCALE_DB)`` with ``d`` the RMS difference of the two shapes in dB.
- ``loudness`` (0.15): mean of ``exp(-|diff| / scale)`` for integrated loudness and loudness range.
- ``dynamics`` (0.15): the same for PLR, crest factor and dynamic range.
- ``tempo`` (0.15): ``exp(-r / TEMPO_SCALE)`` with ``r = |log2(bpm_b / bpm_a)|``; half or double
  time counts as the same tempo at half the similarity.
- ``key`` (0.15): 1 for the same key, 0.75 for the relative major/minor (same pitch set), 0.5 for
  a fifth apart on the circle of fifths or the parallel key (same tonic), else 0.

Identical analyses give 1.0 and all differences 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.results import TrackAnalysis, to_dict
from core.tonal import PITCH_CLASSES

#: Weights of the similarity parts (sum 1).
SIMILARITY_WEIGHTS: dict[str, float] = {
    "spectral": 0.4,
    "loudness": 0.15,
    "dynamics": 0.15,
    "tempo": 0.15,
    "key": 0.15,
}
#: Closeness scales: a difference of one scale gives exp(-1) = 0.37. Chosen from what a listener
#: notices: 6 LU of loudness is "clearly louder", 4 LU of LRA or 4 dB of PLR/crest "clearly more
#: compressed"; 6 dB RMS of spectral-shape difference "a different instrumentation".
CLOSENESS_SCALE: dict[str, float] = {
    "integrated_lufs": 6.0,
    "range_lu": 4.0,
    "plr_db": 4.0,
    "crest_factor_db": 4.0,
    "dynamic_range_db": 6.0,
}
SPECTRAL_SCALE_DB = 6.0
SPECTRAL_FLOOR_DB = 60.0
#: 0.05 octave is ~3.5 % of tempo (e.g. 120 vs 124 bpm gives 0.37).
TEMPO_SCALE = 0.05
KEY_SIMILARITY = {"same": 1.0, "relative": 0.75, "fifth": 0.5, "parallel": 0.5}


@dataclass(frozen=True)
class Difference:
    """One measure in both tracks and ``diff = b - a`` (None when either is unknown)."""

    name: str
    unit: str
    a: float | None
    b: float | None
    diff: float | None


@dataclass(frozen=True)
class BandDifference:
    name: str
    low_hz: float
    high_hz: float
    a_db: float | None
    b_db: float | None
    diff_db: float | None
    share_diff: float


@dataclass(frozen=True)
class Comparison:
    """The comparison of ``b`` against the reference ``a``; see the module docstring."""

    a_name: str
    b_name: str
    bands: tuple[BandDifference, ...]
    loudness: tuple[Difference, ...]
    dynamics: tuple[Difference, ...]
    tempo: Difference
    a_key: str | None
    b_key: str | None
    similarity: float
    similarity_parts: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def _diff(name: str, unit: str, a: float | None, b: float | None) -> Difference:
    return Difference(name, unit, a, b, None if a is None or b is None else b - a)


def _closeness(diffs: tuple[Difference, ...]) -> float | None:
    parts = [math.exp(-abs(d.diff) / CLOSENESS_SCALE[d.name]) for d in diffs if d.diff is not None]
    return sum(parts) / len(parts) if parts else None


def spectral_similarity(a: TrackAnalysis, b: TrackAnalysis) -> float | None:
    """exp(-RMS difference of the level-normalised 1/3-octave shapes / SPECTRAL_SCALE_DB)."""
    la = {t.centre_hz: t.level_db for t in a.spectrum.third_octave}
    lb = {t.centre_hz: t.level_db for t in b.spectrum.third_octave}
    centres = sorted(set(la) & set(lb))
    shapes = [_shape([la[c] for c in centres]), _shape([lb[c] for c in centres])]
    if not centres or shapes[0] is None or shapes[1] is None:
        return None
    d = math.sqrt(sum((x - y) ** 2 for x, y in zip(shapes[0], shapes[1], strict=True)) / len(centres))
    return math.exp(-d / SPECTRAL_SCALE_DB)


def _shape(levels: list[float | None]) -> list[float] | None:
    known = [v for v in levels if v is not None]
    if not known:
        return None
    floor = max(known) - SPECTRAL_FLOOR_DB
    floored = [max(v, floor) if v is not None else floor for v in levels]
    mean_db = 10.0 * math.log10(sum(10.0 ** (v / 10.0) for v in floored) / len(floored))
    return [v - mean_db for v in floored]


def tempo_similarity(a_bpm: float | None, b_bpm: float | None) -> float | None:
    if not a_bpm or not b_bpm:
        return None
    r = math.log2(b_bpm / a_bpm)
    same = math.exp(-abs(r) / TEMPO_SCALE)
    octave = 0.5 * math.exp(-min(abs(r - 1.0), abs(r + 1.0)) / TEMPO_SCALE)
    return max(same, octave)


def _parse_key(key: str | None) -> tuple[int, str] | None:
    if not key or " " not in key:
        return None
    tonic, mode = key.split(" ", 1)
    return (PITCH_CLASSES.index(tonic), mode) if tonic in PITCH_CLASSES else None


def key_similarity(a_key: str | None, b_key: str | None) -> float | None:
    ka, kb = _parse_key(a_key), _parse_key(b_key)
    if ka is None or kb is None:
        return None
    (ta, ma), (tb, mb) = ka, kb
    # The relative minor's tonic lies 3 semitones below its major's (C major / A minor).
    major_a = ta if ma == "major" else (ta + 3) % 12
    major_b = tb if mb == "major" else (tb + 3) % 12
    if (ta, ma) == (tb, mb):
        return KEY_SIMILARITY["same"]
    if major_a == major_b:
        return KEY_SIMILARITY["relative"]
    if ma == mb and (tb - ta) % 12 in (5, 7):
        return KEY_SIMILARITY["fifth"]
    if ta == tb:
        return KEY_SIMILARITY["parallel"]
    return 0.0


def compare_tracks(a: TrackAnalysis, b: TrackAnalysis) -> Comparison:
    """Compare ``b`` against the reference ``a``: differences ``b - a`` and a similarity in [0, 1].

    Parameters
    ----------
    a, b : TrackAnalysis
        Results of core.analysis.analyze (or rebuilt with TrackAnalysis.from_dict).

    Returns
    -------
    Comparison
    """
    bands_b = {band.name: band for band in b.spectrum.bands}
    bands = tuple(
        BandDifference(
            name=ba.name,
            low_hz=ba.low_hz,
            high_hz=ba.high_hz,
            a_db=ba.energy_db,
            b_db=bands_b[ba.name].energy_db,
            diff_db=_diff(ba.name, "dB", ba.energy_db, bands_b[ba.name].energy_db).diff,
            share_diff=bands_b[ba.name].share - ba.share,
        )
        for ba in a.spectrum.bands
        if ba.name in bands_b
    )
    la, lb, da, db = a.loudness, b.loudness, a.dynamics, b.dynamics
    loudness = (
        _diff("integrated_lufs", "LU", la.integrated_lufs, lb.integrated_lufs),
        _diff("range_lu", "LU", la.range_lu, lb.range_lu),
        _diff("true_peak_dbtp", "dB", la.true_peak_dbtp, lb.true_peak_dbtp),
        _diff("plr_db", "dB", la.plr_db, lb.plr_db),
    )
    dynamics = (
        _diff("crest_factor_db", "dB", da.crest_factor_db, db.crest_factor_db),
        _diff("dynamic_range_db", "dB", da.dynamic_range_db, db.dynamic_range_db),
    )
    tempo = _diff("tempo_bpm", "bpm", a.rhythm.tempo_bpm, b.rhythm.tempo_bpm)
    parts: dict[str, float | None] = {
        "spectral": spectral_similarity(a, b),
        "loudness": _closeness(loudness[0:2]),
        "dynamics": _closeness((loudness[3], *dynamics)),
        "tempo": tempo_similarity(a.rhythm.tempo_bpm, b.rhythm.tempo_bpm),
        "key": key_similarity(a.tonal.key, b.tonal.key),
    }
    known = {k: v for k, v in parts.items() if v is not None}
    weight = sum(SIMILARITY_WEIGHTS[k] for k in known)
    similarity = sum(SIMILARITY_WEIGHTS[k] * v for k, v in known.items()) / weight if weight else 0.0
    return Comparison(
        a_name=a.name,
        b_name=b.name,
        bands=bands,
        loudness=loudness,
        dynamics=dynamics,
        tempo=tempo,
        a_key=a.tonal.key,
        b_key=b.tonal.key,
        similarity=round(min(max(similarity, 0.0), 1.0), 4),
        similarity_parts={k: None if v is None else round(v, 4) for k, v in parts.items()},
    )
