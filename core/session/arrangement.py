"""Sections of a session: where tracks enter and drop out, and where the mix changes character.

Boundaries come from (1) changes in which stems are playing (each stem's activity from its band
curves, smoothed to whole bars) and (2) peaks of a Foote-style novelty curve on the summed mix's
band levels (J. Foote, "Automatic audio segmentation using a measure of audio novelty", ICME 2000:
here the distance between the mean band levels of the bar before and the bar after each frame).
With a tempo, boundaries snap to the bar grid (4/4, first downbeat at 0 s). Sections are grouped by
instrumentation and level; labels follow from repetition, level and level trend (see _label).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.session.mixdown import StemGrid
from core.suggestions.tempo import bar_s

ACTIVE_FLOOR_DBFS = -70.0
#: A stem is playing when within this of its own loudest frame.
ACTIVE_BELOW_MAX_DB = 30.0
#: Without a tempo, the "bar" used for smoothing and minimum lengths.
DEFAULT_UNIT_S = 2.0
MIN_SECTION_UNITS = 2
NOVELTY_MIN_DB = 4.0
#: Grouping: sections with this instrumentation overlap (Jaccard) and level gap belong together.
SAME_SET_JACCARD = 0.8
SAME_LEVEL_DB = 3.0
#: A rise of this much across a section into a louder one is a build; a drop of this much a breakdown.
BUILD_RISE_DB = 6.0
BREAKDOWN_DROP_DB = 6.0

Structure = str  # verse_chorus | build_drop | aaba | loop_based | through_composed


@dataclass(frozen=True)
class ArrangementSection:
    start_s: float
    end_s: float
    label: str
    group: str
    track_ids: tuple[str, ...]
    level_db: float | None


@dataclass(frozen=True)
class ArrangementResult:
    structure: str
    sections: tuple[ArrangementSection, ...]


def _runs(x: np.ndarray) -> list[tuple[int, int, bool]]:
    edges = np.flatnonzero(np.diff(x.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [x.size]))
    return [(int(s), int(e), bool(x[s])) for s, e in zip(starts, ends, strict=True)]


def _smooth(active: np.ndarray, min_frames: int) -> np.ndarray:
    """Fill gaps and drop blips shorter than ``min_frames`` (per stem)."""
    out = active.copy()
    for row in out:
        for value in (False, True):  # first close short gaps, then open short blips
            for s, e, v in _runs(row):
                if v == value and e - s < min_frames and s > 0 and e < row.size:
                    row[s:e] = not value
    return out


def _novelty(features: np.ndarray, w: int) -> np.ndarray:
    """Mean |difference| (dB) between the w frames before and after each frame."""
    n = features.shape[1]
    nov = np.zeros(n)
    if n < 2 * w or w < 1:
        return nov
    c = np.concatenate((np.zeros((features.shape[0], 1)), np.cumsum(features, axis=1)), axis=1)
    t = np.arange(w, n - w + 1)
    before = (c[:, t] - c[:, t - w]) / w
    after = (c[:, t + w] - c[:, t]) / w
    nov[t[t < n]] = np.abs(before - after).mean(axis=0)[t < n]
    return nov


def detect_arrangement(grid: StemGrid, *, bpm: float | None, genre: str | None = None) -> ArrangementResult:
    """Sections over the session timeline and the overall structure."""
    n_tracks, _, n = grid.power.shape
    if n == 0 or n_tracks == 0:
        return ArrangementResult("through_composed", ())
    hop = grid.hop_s
    unit_s = bar_s(bpm) if bpm else DEFAULT_UNIT_S
    unit = max(round(unit_s / hop), 1)
    with np.errstate(divide="ignore"):
        track_db = 10 * np.log10(np.maximum(grid.power.sum(axis=1), 1e-30))  # (n_tracks, T)
        mix_db = 10 * np.log10(np.maximum(grid.power.sum(axis=0), 1e-30))  # (7, T)
        total_db = 10 * np.log10(np.maximum(grid.power.sum(axis=(0, 1)), 1e-30))
    active = (track_db >= ACTIVE_FLOOR_DBFS) & (
        track_db >= track_db.max(axis=1, keepdims=True) - ACTIVE_BELOW_MAX_DB
    )
    active = _smooth(active, unit)
    changes = np.flatnonzero(np.any(active[:, 1:] != active[:, :-1], axis=0)) + 1
    nov = _novelty(np.maximum(mix_db, -80.0), unit)
    peaks = [
        t
        for t in range(1, n - 1)
        if nov[t] >= NOVELTY_MIN_DB and nov[t] == nov[max(t - unit, 0) : t + unit + 1].max()
    ]
    candidates = [(float("inf"), int(t)) for t in changes] + [(float(nov[t]), t) for t in peaks]
    min_len = MIN_SECTION_UNITS * unit
    kept: list[int] = []
    for _, t in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if t < min_len or n - t < min_len or any(abs(t - k) < min_len for k in kept):
            continue
        kept.append(t)
    times = sorted({round(t * hop / unit_s) * unit_s if bpm else t * hop for t in kept})
    end_s = n * hop
    bounds = [0.0, *[t for t in times if 0 < t < end_s], end_s]
    raw = []
    for s, e in itertools.pairwise(bounds):
        i0, i1 = round(s / hop), max(round(e / hop), round(s / hop) + 1)
        seg = active[:, i0:i1]
        ids = tuple(tid for tid, on in zip(grid.track_ids, seg.mean(axis=1) >= 0.5, strict=True) if on)
        p = 10 ** (total_db[i0:i1] / 10)
        level = float(10 * np.log10(p.mean())) if p.mean() > 1e-12 else None
        x = np.arange(i1 - i0) * hop
        rise = float(np.polyfit(x, total_db[i0:i1], 1)[0] * (e - s)) if i1 - i0 >= 3 else 0.0
        raw.append({"start": s, "end": e, "ids": ids, "level": level, "rise": rise})
    sections = _group_and_merge(raw)
    labels, structure = _label(sections, genre=genre)
    return ArrangementResult(
        structure,
        tuple(
            ArrangementSection(
                round(s["start"], 3),
                round(s["end"], 3),
                lab,
                s["group"],
                s["ids"],
                None if s["level"] is None else round(s["level"], 2),
            )
            for s, lab in zip(sections, labels, strict=True)
        ),
    )


def _similar(a: dict[str, Any], b: dict[str, Any]) -> bool:
    sa, sb = set(a["ids"]), set(b["ids"])
    jac = len(sa & sb) / len(sa | sb) if sa | sb else 1.0
    la, lb = a["level"], b["level"]
    if la is None or lb is None:
        return jac >= SAME_SET_JACCARD and la is None and lb is None
    return jac >= SAME_SET_JACCARD and abs(la - lb) <= SAME_LEVEL_DB


def _group_and_merge(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for s in raw:
        if merged and _similar(merged[-1], s) and abs(s["rise"]) < BUILD_RISE_DB:
            merged[-1] = {**merged[-1], "end": s["end"]}
        else:
            merged.append(dict(s))
    reps: list[dict[str, Any]] = []
    for s in merged:
        for gi, r in enumerate(reps):
            if _similar(r, s):
                s["group"] = chr(ord("A") + gi)
                break
        else:
            reps.append(s)
            s["group"] = chr(ord("A") + len(reps) - 1)
    return merged


def _label(secs: list[dict[str, Any]], *, genre: str | None) -> tuple[list[str], str]:
    n = len(secs)
    if n == 1:
        return ["verse"], "loop_based"
    level = [(-120.0 if s["level"] is None else s["level"]) for s in secs]
    count = [len(s["ids"]) for s in secs]
    labels = [""] * n
    top = max(level)
    for i in range(n - 1):
        if secs[i]["rise"] >= BUILD_RISE_DB and level[i + 1] >= top - SAME_LEVEL_DB and not labels[i]:
            labels[i], labels[i + 1] = "build", "drop"
    group = [s["group"] for s in secs]

    def sparse_edge(i: int) -> bool:
        """Fewer stems or quieter than the typical other section (and, first, not a recurring one).

        A first section recurs (a verse, not an intro) when its group comes back later with the same
        successor, unless that successor is a build (an EDM intro and breakdown are both sparse
        and both lead into a build).
        """
        others = [k for k in range(n) if k != i]
        thin = count[i] < np.median([count[k] for k in others])
        quiet = level[i] < np.median([level[k] for k in others]) - SAME_LEVEL_DB
        if n < 3 or labels[i] or not (thin or quiet):
            return False
        if i == n - 1:
            return True  # songs rarely end on a verse: a sparse ending is an outro
        return not any(
            group[k] == group[0] and group[k + 1] == group[1] and labels[1] != "build"
            for k in range(1, n - 1)
        )

    if sparse_edge(0):
        labels[0] = "intro"
    if sparse_edge(n - 1):
        labels[-1] = "outro"
    middle = [i for i in range(n) if labels[i] not in ("intro", "outro")]
    has_build = "build" in labels
    groups: dict[str, list[int]] = {}
    for i in middle:
        groups.setdefault(secs[i]["group"], []).append(i)
    repeated = {g: ix for g, ix in groups.items() if len(ix) >= 2}
    loud_group = max(repeated, key=lambda g: np.mean([level[i] for i in repeated[g]])) if repeated else None
    for g, ix in groups.items():
        for i in ix:
            if labels[i]:
                continue
            if g == loud_group and len(groups) > 1:
                labels[i] = "drop" if has_build or genre == "Electronic/EDM" else "chorus"
            elif g in repeated:
                labels[i] = "verse"
            elif i > 0 and (level[i] < level[i - 1] - BREAKDOWN_DROP_DB or count[i] * 2 <= count[i - 1]):
                labels[i] = "breakdown"
            elif len(repeated) == 0:
                labels[i] = "verse"
            else:
                labels[i] = "bridge"
    seq = [secs[i]["group"] for i in middle]
    if has_build and "drop" in labels:
        structure = "build_drop"
    elif _is_aaba(seq, [secs[i] for i in middle]):
        structure = "aaba"
        for i in middle:
            labels[i] = "verse" if secs[i]["group"] == seq[0] else "bridge"
    elif "verse" in labels and "chorus" in labels:
        structure = "verse_chorus"
    elif len(set(seq)) <= 1 or (repeated and len(set(seq)) <= 2 and len(seq) >= 4 and "chorus" not in labels):
        structure = "loop_based"
    elif not repeated:
        structure = "through_composed"
    else:
        structure = "verse_chorus"
    return labels, structure


def _is_aaba(seq: list[str], secs: list[dict[str, Any]]) -> bool:
    if len(seq) == 4:
        return seq[0] == seq[1] == seq[3] != seq[2]
    if len(seq) == 3 and seq[0] == seq[2] != seq[1]:
        dur = [s["end"] - s["start"] for s in secs]
        return bool(dur[0] >= 1.5 * dur[1])  # the first A is two A sections played through
    return False
