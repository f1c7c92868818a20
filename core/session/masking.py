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

from core.bands import BAND_NAMES, BANDS, Band
from core.results import TrackAnalysis
from core.session.mixdown import StemGrid
from core.session.mud import own_share
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
#: ...and the masked stem as much of its own: a lead with 0.5 % of its power in the air band, or a
#: kick with 0.8 % in the upper mids, has nothing there for another stem to cover (sessions-dev: a
#: snare's air cut "for the vocal" and a hats cut in the upper mids of a dark lead filled clean
#: sessions' advice). The masked stems that matter hold far more: a bass 50-97 % in the bass band,
#: a lead 4-98 % in the mids, a snare's crack 2.4 % in the upper mids.
MIN_MASKED_SHARE = 0.01
#: Overlap from which a masking cut is second-rank advice (priority 2); below it, polish (3): in a
#: full arrangement stems routinely share a band at 0.6-0.8.
URGENT_OVERLAP = 0.85
#: A conflict between two stems whose claims on the band differ by less than this (BAND_OWNERSHIP:
#: the snare's and the keys' low mids, the kick's and the bass's lows, a guitar's and a pad's) is
#: shared ground in any full arrangement: carving one is polish (priority 4), offered after what is
#: wrong. From this gap on (a pad over the vocal's mids, keys in the bass's lows) it is priority 3,
#: 2 from URGENT_OVERLAP.
CLEAR_OWNERSHIP_GAP = 2
#: A hit (kick, snare, drums) over a sustained part masks it only for the hit's decay, and its body
#: is what gives the hit its weight: carving it is polish too (priority 4). A sustained part over a
#: hit, and a hit over a hit, are judged by ownership as above.
PERCUSSIVE_TYPES = frozenset({"kick", "snare", "drums"})

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

    def overlap(self, band: str, track_a: str, track_b: str) -> float:
        """The pair's overlap in ``band`` from the matrix (0 where either track or the band is not
        in it): what ``conflicts`` lists only for the MAX_CONFLICTS worst pairs."""
        try:
            b, i, j = self.bands.index(band), self.track_ids.index(track_a), self.track_ids.index(track_b)
        except ValueError:
            return 0.0
        return float(self.matrix[b][i][j])


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
    return 0.0 if a is None else own_share(a, band)


def _band_cut(
    track_id: str,
    track_type: str,
    band: Band,
    gain_db: float,
    *,
    priority: int,
    confidence: float,
    reason: str,
    evidence: Mapping[str, float | int | str | None],
) -> Suggestion:
    """An EQ cut at the band's centre: Q 1.4 for a band of an octave or so, 1.0 for wider ones."""
    q = 1.4 if float(np.log2(band.high_hz / band.low_hz)) <= 1.2 else 1.0
    return make_suggestion(
        "eq_cut",
        track_id=track_id,
        track_type=track_type,
        band=band.name,
        parameters={"freq_hz": band.centre_hz, "gain_db": gain_db, "q": q},
        priority=priority,
        confidence=confidence,
        reason=reason,
        evidence=evidence,
    )


def _masking_priority(overlap: float, own_i: int, own_j: int, cut_type: str, keep_type: str) -> int:
    """4 for shared ground (like claims) and for a hit's body over a sustained part, else 2 from
    URGENT_OVERLAP and 3 below it."""
    hit_over_sustained = cut_type in PERCUSSIVE_TYPES and keep_type not in PERCUSSIVE_TYPES
    if abs(own_i - own_j) < CLEAR_OWNERSHIP_GAP or hit_over_sustained:
        return 4
    return 2 if overlap >= URGENT_OVERLAP else 3


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
                f"the {type_noun(types[keep])} track '{ids[keep]}' owns that band more than the "
                f"{type_noun(types[cut])} track '{ids[cut]}'"
            )
        else:
            si, sj = _share(analyses.get(ids[i]), band.name), _share(analyses.get(ids[j]), band.name)
            cut, keep = (i, j) if si <= sj else (j, i)
            why = f"equal claim on the band; '{ids[cut]}' has less of its own energy there and loses least"
        cut_share = _share(analyses.get(ids[cut]), band.name)
        if cut_share < MIN_CUT_SHARE or _share(analyses.get(ids[keep]), band.name) < MIN_MASKED_SHARE:
            continue
        gain = CUT_DB_RANGE[0] + (CUT_DB_RANGE[1] - CUT_DB_RANGE[0]) * min(
            max((ov - MIN_OVERLAP) / (1 - MIN_OVERLAP), 0), 1
        )
        remedy = _band_cut(
            ids[cut],
            types[cut],
            band,
            gain,
            priority=_masking_priority(ov, own_i, own_j, types[cut], types[keep]),
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


#: Dominance: a stem louder than the band's owner in the owner's own band. The overlap above counts
#: only frames within CONFLICT_WINDOW_DB, so a stem pushed far into another's band reads as less
#: "overlap", not more; this catches it. The owner holds the band at DOMINANT_OWNERSHIP and keeps at
#: least OWNER_MIN_SHARE of its own power there (the bass's bass band, a vocal's mids); the intruder
#: owns the band at most INTRUDER_MAX_OWNERSHIP (it may share the band: strings, keys or a guitar
#: over the lead in its mids bury it as surely as a pad does), is not a drum (a hit outshining a
#: bass note for a few milliseconds is how drums work) and is louder than the owner in at least
#: LOUDER_FRACTION of the frames where the owner is loud. Dev sessions (bench advice): keys pushed
#: +9 dB into the bass's band read 0.27-0.47 (0.08-0.10 when the bass sits far above the keys);
#: clean sessions at most 0.23 for such pairs. Strings +9 dB at 1 kHz over a lead read 0.51 (one
#: dev session's clean strings already 0.42 over its lead: a cut worth making there too).
DOMINANT_OWNERSHIP = 3
INTRUDER_MAX_OWNERSHIP = 2
OWNER_MIN_SHARE = 0.25
LOUDER_FRACTION = 0.25
#: The cut aims to leave the intruder this far under the owner in the owner's louder moments (the
#: upper quartile of the intruder-minus-owner level), within DOMINANCE_CUT_DB.
DOMINANCE_CLEARANCE_DB = CONFLICT_WINDOW_DB
DOMINANCE_CUT_DB = (-3.0, -9.0)


def _levels_db(grid: StemGrid) -> np.ndarray:
    with np.errstate(divide="ignore"):
        level: np.ndarray = 10.0 * np.log10(np.maximum(grid.power, 1e-30))  # (n, 7, T)
    return level


def _louder(level: np.ndarray, i: int, j: int, b: int) -> np.ndarray | None:
    """Stem i's level minus stem j's in band b over the frames where j is loud (None: j is not)."""
    owner_loud = level[j, b] >= LOUD_FLOOR_DBFS
    if owner_loud.sum() < 2:
        return None
    diff: np.ndarray = level[i, b][owner_loud] - level[j, b][owner_loud]
    return diff


def louder_fraction(grid: StemGrid, intruder_id: str, owner_id: str, band: str) -> float | None:
    """Share of the frames where ``owner_id`` is loud in ``band`` in which ``intruder_id`` is louder
    there (None: either stem is not on the grid, or the owner is never loud in the band)."""
    ids = grid.track_ids
    if intruder_id not in ids or owner_id not in ids or band not in BAND_NAMES or grid.power.shape[2] == 0:
        return None
    diff = _louder(_levels_db(grid), ids.index(intruder_id), ids.index(owner_id), BAND_NAMES.index(band))
    return None if diff is None else float(np.mean(diff >= 0.0))


def detect_dominance(grid: StemGrid, analyses: Mapping[str, TrackAnalysis]) -> tuple[Suggestion, ...]:
    """Cuts for stems louder than a band's owner in that band, worst first (one per stem and band)."""
    n = grid.power.shape[0]
    if n < 2 or grid.power.shape[2] == 0:
        return ()
    level = _levels_db(grid)
    found: list[tuple[float, Suggestion]] = []
    ids, types = grid.track_ids, grid.types
    for b, band in enumerate(BANDS):
        for j in range(n):
            if types[j] in PERCUSSIVE_TYPES or BAND_OWNERSHIP.get(types[j], (1,) * 7)[b] < DOMINANT_OWNERSHIP:
                continue
            owner_share = _share(analyses.get(ids[j]), band.name)
            if owner_share < OWNER_MIN_SHARE:
                continue
            for i in range(n):
                if i == j or types[i] in PERCUSSIVE_TYPES:
                    continue
                if BAND_OWNERSHIP.get(types[i], (1,) * 7)[b] > INTRUDER_MAX_OWNERSHIP:
                    continue
                cut_share = _share(analyses.get(ids[i]), band.name)
                if cut_share < MIN_CUT_SHARE:
                    continue
                diff = _louder(level, i, j, b)
                if diff is None:
                    continue
                louder = float(np.mean(diff >= 0.0))
                if louder < LOUDER_FRACTION:
                    continue
                upper = float(np.percentile(diff, 75))
                gain = min(max(-(upper + DOMINANCE_CLEARANCE_DB), DOMINANCE_CUT_DB[1]), DOMINANCE_CUT_DB[0])
                s = _band_cut(
                    ids[i],
                    types[i],
                    band,
                    gain,
                    priority=2,
                    confidence=min(0.6 + louder / 2, 0.95),
                    reason=(
                        f"Louder than '{ids[j]}' in {band_words(band.name)} {100 * louder:.0f} % of the "
                        f"time that track plays there: the {type_noun(types[j])} track '{ids[j]}' owns "
                        f"that band and is buried under the {type_noun(types[i])} track '{ids[i]}'. Cut "
                        f"'{ids[i]}' there so '{ids[j]}' comes through."
                    ),
                    evidence={
                        "louder_fraction": louder,
                        "louder_fraction_above": LOUDER_FRACTION,
                        "owner_band_share": owner_share,
                        "owner_band_share_above": OWNER_MIN_SHARE,
                        "band_share": cut_share,
                        "band_share_above": MIN_CUT_SHARE,
                        "masked_track": ids[j],
                    },
                )
                found.append((louder, s))
    found.sort(key=lambda x: (-x[0], x[1].target.track_id, x[1].target.band or ""))
    seen: set[tuple[str, str | None]] = set()
    out = []
    for _, s in found:
        key = (s.target.track_id, s.target.band)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return tuple(out)
