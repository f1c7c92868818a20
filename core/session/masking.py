"""Cross-track masking per band, and the remedy for the worst conflicts.

For every band and every pair of stems, over time (band curves after the fader): a frame is a
conflict when both stems are loud in that band (above ``LOUD_FLOOR_DBFS`` and within
``AUDIBLE_BELOW_MIX_DB`` of the band's summed level) and within ``CONFLICT_WINDOW_DB`` of each other.
Each conflict frame is weighted by closeness (1 at equal level, 0.5 at the window's edge) and by
how much the two stems share the stereo field (cos of their pan angles' difference, constant-power
law). The overlap is the weighted conflict time over the time the less-present stem is loud in the
band: "how much of it is masked". Everything is one vectorised pass over pairs × bands × time.

Remedy: cut the stem that owns the band less (``BAND_OWNERSHIP``, after common mixing practice:
vocals own upper-mid/presence, the kick owns the sub for punch and the bass owns the bass band;
Owsinski, "The Mixing Engineer's Handbook", ch. on EQ; Senior, "Mixing Secrets", ch. 13), at the
band's centre frequency, -2 to -6 dB by overlap, Q 1.0-1.4 by band width. On equal ownership the
stem with the smaller share of its own power in the band is cut (it loses least).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_NAMES, BANDS
from core.results import TrackAnalysis
from core.session.mixdown import StemGrid
from core.suggestions.model import Suggestion, make_suggestion
from core.suggestions.wording import band_words, type_noun

LOUD_FLOOR_DBFS = -60.0
AUDIBLE_BELOW_MIX_DB = 15.0
CONFLICT_WINDOW_DB = 6.0
#: A pair is reported when its overlap reaches this and the conflict lasts at least this long.
MIN_OVERLAP = 0.3
MIN_CONFLICT_S = 2.0
MAX_CONFLICTS = 10
CUT_DB_RANGE = (-2.0, -6.0)
#: The stem to cut must hold at least this share of its own power in the band (1 %, -20 dB):
#: below it an EQ cut there changes nothing, so no remedy (and no conflict) is reported.
MIN_CUT_SHARE = 0.01
#: Overlap from which a masking cut is second-rank advice (priority 2); below it, polish (3): in a
#: full arrangement stems routinely share a band at 0.6-0.8.
URGENT_OVERLAP = 0.85

#                       sub bass low_mid mid upper_mid presence brilliance
BAND_OWNERSHIP: dict[str, tuple[int, ...]] = {
    "vocals": (0, 1, 2, 3, 3, 3, 2),
    "backing_vocals": (0, 0, 1, 2, 2, 2, 1),
    "kick": (3, 2, 0, 1, 2, 1, 0),
    "snare": (0, 1, 2, 2, 2, 1, 1),
    "drums": (2, 2, 1, 1, 1, 1, 2),
    "bass": (2, 3, 2, 1, 0, 0, 0),
    "guitar": (0, 1, 2, 3, 2, 1, 1),
    "keys": (0, 1, 2, 2, 1, 1, 1),
    "synth": (0, 1, 1, 2, 2, 1, 1),
    "pad": (0, 0, 1, 1, 1, 1, 1),
    "strings": (0, 1, 2, 2, 2, 1, 1),
    "brass": (0, 0, 1, 2, 2, 1, 0),
    "fx": (0, 0, 0, 0, 0, 0, 0),
    "other": (1, 1, 1, 1, 1, 1, 1),
    "mix_bus": (3, 3, 3, 3, 3, 3, 3),
    "master": (3, 3, 3, 3, 3, 3, 3),
}


@dataclass(frozen=True)
class MaskingConflict:
    band: str
    track_a: str
    track_b: str
    overlap: float
    conflict_s: float
    level_diff_db: float
    cut_track_id: str
    remedy: Suggestion


@dataclass(frozen=True)
class MaskingResult:
    """``matrix[b][i][j]``: overlap 0-1 of tracks i and j in band b (symmetric, zero diagonal)."""

    bands: tuple[str, ...]
    track_ids: tuple[str, ...]
    matrix: tuple[tuple[tuple[float, ...], ...], ...]
    conflicts: tuple[MaskingConflict, ...]


def masking_matrix(grid: StemGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(overlap, conflict_s, mean level difference dB), each (7, n, n), from stems on a grid."""
    p = grid.power  # (n, 7, T)
    n = p.shape[0]
    if n == 0 or p.shape[2] == 0:
        z = np.zeros((len(BANDS), n, n))
        return z, z.copy(), z.copy()
    with np.errstate(divide="ignore"):
        level = 10.0 * np.log10(np.maximum(p, 1e-30))
        mix_db = 10.0 * np.log10(np.maximum(p.sum(axis=0), 1e-30))
    loud = (level >= LOUD_FLOOR_DBFS) & (level >= mix_db[None] - AUDIBLE_BELOW_MIX_DB)  # (n, 7, T)
    lv = np.transpose(level, (1, 0, 2))  # (7, n, T)
    ld = np.transpose(loud, (1, 0, 2))
    diff = np.abs(lv[:, :, None, :] - lv[:, None, :, :])  # (7, n, n, T)
    both = ld[:, :, None, :] & ld[:, None, :, :]
    close = both & (diff <= CONFLICT_WINDOW_DB)
    weight = np.where(close, 1.0 - diff / (2.0 * CONFLICT_WINDOW_DB), 0.0)
    theta = np.arctan2(grid.gains_lr[:, 1], grid.gains_lr[:, 0])
    spatial = np.cos(theta[:, None] - theta[None, :])  # (n, n)
    conflict = weight.sum(axis=3) * spatial[None]  # (7, n, n) frames
    frames_loud = ld.sum(axis=2).astype(float)  # (7, n)
    denom = np.minimum(frames_loud[:, :, None], frames_loud[:, None, :])
    overlap = np.where(denom > 0, conflict / np.maximum(denom, 1.0), 0.0)
    n_close = close.sum(axis=3)
    mean_diff = np.where(
        n_close > 0,
        np.where(close, lv[:, :, None, :] - lv[:, None, :, :], 0.0).sum(axis=3) / np.maximum(n_close, 1),
        0.0,
    )
    idx = np.arange(n)
    overlap[:, idx, idx] = 0.0
    conflict_s = close.sum(axis=3) * grid.hop_s
    conflict_s[:, idx, idx] = 0.0
    return overlap, conflict_s, mean_diff


def _share(a: TrackAnalysis | None, band: str) -> float:
    if a is None:
        return 0.0
    return next((b.share for b in a.spectrum.bands if b.name == band), 0.0)


def detect_masking(grid: StemGrid, analyses: Mapping[str, TrackAnalysis]) -> MaskingResult:
    """Masking matrix per band and the worst conflicts with their remedies (worst first)."""
    overlap, conflict_s, mean_diff = masking_matrix(grid)
    n = len(grid.track_ids)
    found = []
    for b, i, j in zip(*np.nonzero(np.triu(overlap >= MIN_OVERLAP, k=1)), strict=True):
        if conflict_s[b, i, j] < MIN_CONFLICT_S:
            continue
        found.append((float(overlap[b, i, j]), int(b), int(i), int(j)))
    found.sort(key=lambda x: (-x[0], x[1], grid.track_ids[x[2]], grid.track_ids[x[3]]))
    conflicts: list[MaskingConflict] = []
    for ov, b, i, j in found:
        if len(conflicts) == MAX_CONFLICTS:
            break
        band = BANDS[b]
        ids, types = grid.track_ids, grid.types
        own_i, own_j = BAND_OWNERSHIP[types[i]][b], BAND_OWNERSHIP[types[j]][b]
        if own_i != own_j:
            cut, keep = (i, j) if own_i < own_j else (j, i)
            why = (
                f"the {type_noun(types[keep])} track owns that band more than the "
                f"{type_noun(types[cut])} track"
            )
        else:
            si, sj = _share(analyses.get(ids[i]), band.name), _share(analyses.get(ids[j]), band.name)
            cut, keep = (i, j) if si <= sj else (j, i)
            why = f"equal claim on the band; '{ids[cut]}' has less of its own energy there and loses least"
        cut_share = _share(analyses.get(ids[cut]), band.name)
        if cut_share < MIN_CUT_SHARE:
            continue
        gain = CUT_DB_RANGE[0] + (CUT_DB_RANGE[1] - CUT_DB_RANGE[0]) * min(
            max((ov - MIN_OVERLAP) / (1 - MIN_OVERLAP), 0), 1
        )
        octaves = float(np.log2(band.high_hz / band.low_hz))
        q = 1.4 if octaves <= 1.2 else 1.0
        remedy = make_suggestion(
            "eq_cut",
            track_id=ids[cut],
            track_type=types[cut],
            band=band.name,
            parameters={"freq_hz": band.centre_hz, "gain_db": gain, "q": q},
            priority=2 if ov >= URGENT_OVERLAP else 3,
            confidence=min(0.4 + ov / 2, 0.95),
            reason=(
                f"Masks '{ids[keep]}' in {band_words(band.name)}: "
                f"both loud within {CONFLICT_WINDOW_DB:g} dB for {conflict_s[b, i, j]:.0f} s "
                f"(overlap {ov:.2f}); {why}."
            ),
            evidence={
                "overlap": ov,
                "overlap_above": MIN_OVERLAP,
                "conflict_s": float(conflict_s[b, i, j]),
                "conflict_s_above": MIN_CONFLICT_S,
                "band_share": cut_share,
                "band_share_above": MIN_CUT_SHARE,
                "masked_track": ids[keep],
            },
        )
        conflicts.append(
            MaskingConflict(
                band=band.name,
                track_a=ids[i],
                track_b=ids[j],
                overlap=round(ov, 3),
                conflict_s=round(float(conflict_s[b, i, j]), 2),
                level_diff_db=round(float(mean_diff[b, i, j]), 2),
                cut_track_id=ids[cut],
                remedy=remedy,
            )
        )
    matrix = tuple(
        tuple(tuple(round(float(overlap[b, i, j]), 3) for j in range(n)) for i in range(n))
        for b in range(len(BANDS))
    )
    return MaskingResult(
        bands=BAND_NAMES, track_ids=grid.track_ids, matrix=matrix, conflicts=tuple(conflicts)
    )
