"""The session step: masking, balance, the estimated mix, genre, arrangement and every track's advice."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.results import Severity, TrackAnalysis, to_dict
from core.session.arrangement import ArrangementResult, detect_arrangement
from core.session.balance import BalanceResult, measure_balance
from core.session.genre import MIN_CONFIDENCE, GenreResult, detect_genre
from core.session.masking import MaskingResult, detect_masking
from core.session.mixdown import MixEstimate, estimate_mix, stem_grid
from core.session.spec import SessionSpec
from core.session.tempo import session_tempo
from core.suggestions.mastering import tonal_deviations
from core.suggestions.model import BUS_TYPES, Suggestion, resolve
from core.suggestions.track import suggest_for_track
from core.targets import (
    DEFAULT_GENRE,
    DEFAULT_PLATFORM,
    GENRES,
    PLATFORM_TARGETS,
    TONAL_BROADBAND_WITHIN_DB,
    TONAL_MIN_BANDS,
)

#: Mix-wide thresholds: L/R imbalance of the whole mix and of its low end (dB).
STEREO_BALANCE_DB = 1.5
LOW_END_BALANCE_DB = 1.0


@dataclass(frozen=True)
class MixIssue:
    code: str
    severity: Severity
    message: str
    evidence: dict[str, float | int | str | None]


@dataclass(frozen=True)
class TrackSuggestions:
    track_id: str
    track_type: str
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True)
class SessionAnalysis:
    bpm: float | None
    bpm_source: str | None  # "declared" | "estimated" | None (no tempo)
    genre: GenreResult
    genre_used: str
    genre_source: str  # "declared" | "detected" | "default"
    platform: str
    mix: MixEstimate
    masking: MaskingResult
    balance: BalanceResult
    arrangement: ArrangementResult
    issues: tuple[MixIssue, ...]
    tracks: tuple[TrackSuggestions, ...]

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def _issues(
    mix: MixEstimate,
    masking: MaskingResult,
    balance: BalanceResult,
    *,
    genre: str,
    platform: str,
    missing: list[str],
) -> list[MixIssue]:
    out = []
    if missing:
        out.append(
            MixIssue(
                "missing_analysis",
                "warning",
                f"No analysis for {', '.join(repr(m) for m in missing)}: left out of the session step.",
                {"tracks": ", ".join(missing)},
            )
        )
    if mix.integrated_lufs is not None and all(d.deviation_db is None for d in mix.tonal_balance):
        out.append(
            MixIssue(
                "tonal_balance_not_judged",
                "info",
                f"The stems cover fewer than {TONAL_MIN_BANDS} of the {len(mix.tonal_balance)} bands "
                f"within {TONAL_BROADBAND_WITHIN_DB:g} dB of the loudest: not a full mix yet, so it is not "
                f"compared with the {genre} tonal target.",
                {"bands_required": TONAL_MIN_BANDS},
            )
        )
    for d in mix.tonal_balance:
        if d.outside and d.deviation_db is not None:
            out.append(
                MixIssue(
                    "tonal_balance",
                    "warning",
                    f"The mix's {d.band} band is {d.deviation_db:+.1f} dB against the {genre} target.",
                    {"band": d.band, "deviation_db": round(d.deviation_db, 2), "target_db": d.target_db},
                )
            )
    if mix.balance_db is not None and abs(mix.balance_db) > STEREO_BALANCE_DB:
        side = "left" if mix.balance_db > 0 else "right"
        out.append(
            MixIssue(
                "stereo_balance",
                "warning",
                f"The mix leans {side} by {abs(mix.balance_db):.1f} dB (from the pans and levels).",
                {"balance_db": round(mix.balance_db, 2)},
            )
        )
    if mix.low_end_balance_db is not None and abs(mix.low_end_balance_db) > LOW_END_BALANCE_DB:
        out.append(
            MixIssue(
                "low_end_off_centre",
                "warning",
                f"Sub and bass are {abs(mix.low_end_balance_db):.1f} dB off centre; pan low-end "
                f"stems to the middle.",
                {"low_end_balance_db": round(mix.low_end_balance_db, 2)},
            )
        )
    if masking.conflicts:
        w = masking.conflicts[0]
        out.append(
            MixIssue(
                "masking",
                "warning" if w.overlap >= 0.6 else "info",
                f"{len(masking.conflicts)} masking conflict(s); worst: '{w.track_a}' and "
                f"'{w.track_b}' in the {w.band} band (overlap {w.overlap:.2f}).",
                {"conflicts": len(masking.conflicts), "worst_band": w.band, "worst_overlap": w.overlap},
            )
        )
    for lv in balance.types:
        if lv.verdict in ("too_loud", "too_quiet") and lv.relative_db is not None:
            out.append(
                MixIssue(
                    "level_balance",
                    "warning",
                    f"The {lv.type} are {lv.verdict.replace('_', ' ')} ({lv.relative_db:+.1f} dB "
                    f"against the mix).",
                    {"type": lv.type, "relative_db": round(lv.relative_db, 2)},
                )
            )
    tgt = PLATFORM_TARGETS[platform]
    if mix.integrated_lufs is not None:
        out.append(
            MixIssue(
                "loudness_estimate",
                "info",
                f"The stems sum to about {mix.integrated_lufs:.1f} LUFS (estimate); {tgt.name} plays at "
                f"{tgt.integrated_lufs:g} LUFS, {tgt.integrated_lufs - mix.integrated_lufs:+.1f} dB "
                f"away, for mastering to make up or leave.",
                {"estimate_lufs": round(mix.integrated_lufs, 2), "target_lufs": tgt.integrated_lufs},
            )
        )
    return out


def analyze_session(
    session: SessionSpec | Mapping[str, Any], analyses: Mapping[str, TrackAnalysis | None]
) -> SessionAnalysis:
    """Analyse a session from its spec and its tracks' analyses (keyed by track_id).

    ``session`` is a SessionSpec or the stored session document (validated with
    SessionSpec.from_dict; InvalidParameter names a bad field). Muted tracks are left out of the
    mix, the masking and the advice; so are tracks without an analysis (absent or None, e.g. a
    failed upload), which are listed in a ``missing_analysis`` issue. mix_bus/master tracks get
    loudness and tonal-balance advice but are not summed as stems. Pure and fast: no I/O,
    vectorised masking.
    """
    spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
    missing = [t.track_id for t in spec.tracks if t.audible and analyses.get(t.track_id) is None]
    ready: dict[str, TrackAnalysis] = {k: v for k, v in analyses.items() if v is not None}
    live = [t for t in spec.tracks if t.audible and t.track_id in ready]
    analyses = ready
    stems = [t for t in live if t.type not in BUS_TYPES]
    bpm, bpm_source = session_tempo(spec.bpm, live, analyses)
    platform = spec.platform or DEFAULT_PLATFORM
    grid = stem_grid(stems, analyses)
    mix = estimate_mix(stems, analyses, grid=grid, genre=DEFAULT_GENRE)
    band_db = tuple(b.energy_db for b in mix.bands)
    tonal = {g: tonal_deviations(band_db, genre=g) for g in GENRES}
    genre = detect_genre(spec.tracks, bpm=bpm, tonal_by_genre=tonal if grid.n_frames else None)
    if spec.genre is not None:
        used, source = spec.genre, "declared"
    elif genre.confidence >= MIN_CONFIDENCE:
        used, source = genre.genre, "detected"
    else:
        used, source = DEFAULT_GENRE, "default"
    mix = dataclasses.replace(mix, tonal_balance=tonal[used])
    masking = detect_masking(grid, analyses)
    balance = measure_balance(stems, analyses, mix_lufs=mix.integrated_lufs)
    arrangement = detect_arrangement(grid, bpm=bpm, genre=used)
    extra: dict[str, list[Suggestion]] = {}
    for c in masking.conflicts:
        extra.setdefault(c.cut_track_id, []).append(c.remedy)
    for s in balance.suggestions:
        extra.setdefault(s.target.track_id, []).append(s)
    tracks = []
    for t in live:
        own = suggest_for_track(
            analyses[t.track_id],
            track_id=t.track_id,
            track_type=t.type,
            bpm=bpm,
            genre=used,
            platform=platform,
            inserts=t.inserts,
        )
        tracks.append(TrackSuggestions(t.track_id, t.type, resolve([*own, *extra.get(t.track_id, [])])))
    return SessionAnalysis(
        bpm=bpm,
        bpm_source=bpm_source,
        genre=genre,
        genre_used=used,
        genre_source=source,
        platform=platform,
        mix=mix,
        masking=masking,
        balance=balance,
        arrangement=arrangement,
        issues=tuple(_issues(mix, masking, balance, genre=used, platform=platform, missing=missing)),
        tracks=tuple(tracks),
    )
