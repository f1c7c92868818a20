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
from core.session.low_end import low_end_cut
from core.session.masking import MaskingResult, detect_dominance, detect_masking
from core.session.mixdown import MixEstimate, StemGrid, estimate_mix, stem_grid
from core.session.mud import mud_cut
from core.session.presence import presence_cut
from core.session.reference import ReferenceTarget, carrier_of, label, reference_deviations, reference_move
from core.session.spec import SessionSpec, TrackSpec
from core.session.static_mix import static_mix_first
from core.session.tempo import TempoVote, session_tempo
from core.suggestions.mastering import tonal_deviations, tonal_findings
from core.suggestions.model import BUS_TYPES, Suggestion, in_scope, resolve
from core.suggestions.track import suggest_for_track
from core.suggestions.wording import band_words, type_noun
from core.targets import (
    DEFAULT_GENRE,
    DEFAULT_PLATFORM,
    GENRE_TARGETS,
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
    genre_source: str  # "declared" | "detected" | "style" (the user's usual genre) | "default"
    platform: str
    mix: MixEstimate
    masking: MaskingResult
    balance: BalanceResult
    arrangement: ArrangementResult
    issues: tuple[MixIssue, ...]
    tracks: tuple[TrackSuggestions, ...]
    #: The references' average the mix is compared with (None: the genre target is used).
    reference: ReferenceTarget | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]

    def in_scope(self, scope: str) -> SessionAnalysis:
        """The same analysis with every suggestion's id unique to ``scope`` (the session:
        core.suggestions.model.in_scope)."""
        tracks = tuple(
            dataclasses.replace(t, suggestions=tuple(in_scope(s, scope) for s in t.suggestions))
            for t in self.tracks
        )
        return dataclasses.replace(self, tracks=tracks)


def _issues(
    mix: MixEstimate,
    masking: MaskingResult,
    balance: BalanceResult,
    *,
    genre: str,
    platform: str,
    missing: list[str],
    reference: ReferenceTarget | None = None,
) -> list[MixIssue]:
    out = []
    target = label(reference) if reference is not None else f"the {genre} target"
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
                f"within {TONAL_BROADBAND_WITHIN_DB:g} dB of the second loudest: not a full mix yet, so "
                f"it is not compared with the tonal balance of {target}.",
                {"bands_required": TONAL_MIN_BANDS},
            )
        )
    out.extend(
        MixIssue("tonal_balance", "warning", m, e)
        for m, e in tonal_findings(mix.tonal_balance, target=target)
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
                f"'{w.track_b}' in {band_words(w.band)} (overlap {w.overlap:.2f}).",
                {"conflicts": len(masking.conflicts), "worst_band": w.band, "worst_overlap": w.overlap},
            )
        )
    for lv in balance.types:
        if lv.verdict in ("too_loud", "too_quiet") and lv.relative_db is not None:
            out.append(
                MixIssue(
                    "level_balance",
                    "warning",
                    f"The {type_noun(lv.type)} "
                    f"{'track is' if len(lv.track_ids) == 1 else 'tracks are'} "
                    f"{lv.verdict.replace('_', ' ')} for its place in the balance "
                    f"({lv.relative_db:+.1f} dB against the estimated mix).",
                    {"type": lv.type, "relative_db": round(lv.relative_db, 2)},
                )
            )
    if reference is not None and reference.mix_lufs_diff is not None:
        out.append(
            MixIssue(
                "reference_loudness",
                "info",
                f"The stems sum to {reference.mix_lufs_diff:+.1f} LU against {label(reference)} "
                f"({reference.integrated_lufs:g} LUFS); a mastered reference is usually louder than a mix, "
                f"so match levels before judging by ear.",
                {"mix_lufs_diff": reference.mix_lufs_diff, "reference_lufs": reference.integrated_lufs},
            )
        )
    tgt = PLATFORM_TARGETS[platform]
    if mix.integrated_lufs is not None:
        out.append(
            MixIssue(
                "loudness_estimate",
                "info",
                f"The stems sum to about {mix.integrated_lufs:.1f} LUFS (estimate), "
                f"{_versus(mix.integrated_lufs - tgt.integrated_lufs)} the {tgt.integrated_lufs:g} LUFS "
                f"{tgt.name} plays at: for mastering to make up or leave.",
                {"estimate_lufs": round(mix.integrated_lufs, 2), "target_lufs": tgt.integrated_lufs},
            )
        )
    return out


def _versus(diff_db: float) -> str:
    """ "2.0 dB under", "1.5 dB over", "level with": a level against a reference, in words."""
    if abs(diff_db) < 0.05:
        return "level with"
    return f"{abs(diff_db):.1f} dB {'over' if diff_db > 0 else 'under'}"


def _live_tracks(
    spec: SessionSpec, analyses: Mapping[str, TrackAnalysis | None]
) -> tuple[list[TrackSpec], list[TrackSpec], dict[str, TrackAnalysis]]:
    """(audible tracks with an analysis, those of them summed as stems, the analyses present)."""
    ready = {k: v for k, v in analyses.items() if v is not None}
    live = [t for t in spec.tracks if t.audible and t.track_id in ready]
    return live, [t for t in live if t.type not in BUS_TYPES], ready


def session_stem_grid(
    session: SessionSpec | Mapping[str, Any], analyses: Mapping[str, TrackAnalysis | None]
) -> StemGrid:
    """The stems' time grid exactly as analyze_session builds it (for measures it does not keep)."""
    spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
    _, stems, ready = _live_tracks(spec, analyses)
    return stem_grid(stems, ready)


def _replace_band_cut(extra: dict[str, list[Suggestion]], cut: Suggestion) -> None:
    """Add a carrier's cut to its track, in place of a milder overlap cut on the same band; a
    dominance cut there (the part outshines the band's owner) already says more and stays alone."""
    current = extra.get(cut.target.track_id, [])
    same_band = [s for s in current if s.type == "eq_cut" and s.target.band == cut.target.band]
    if any("louder_fraction" in s.evidence for s in same_band):
        return
    kept = [s for s in current if not (s.type == "eq_cut" and s.target.band == cut.target.band)]
    extra[cut.target.track_id] = [*kept, cut]


def analyze_session(
    session: SessionSpec | Mapping[str, Any],
    analyses: Mapping[str, TrackAnalysis | None],
    *,
    reference: ReferenceTarget | None = None,
    usual_genre: str | None = None,
    usual_bpm: float | None = None,
    heard_tempo: TempoVote | None = None,
) -> SessionAnalysis:
    """Analyse a session from its spec and its tracks' analyses (keyed by track_id).

    ``session`` is a SessionSpec or the stored session document (validated with
    SessionSpec.from_dict; InvalidParameter names a bad field). Muted tracks are left out of the
    mix, the masking and the advice; so are tracks without an analysis (absent or None, e.g. a
    failed upload), which are listed in a ``missing_analysis`` issue. mix_bus/master tracks get
    loudness and tonal-balance advice but are not summed as stems. Pure and fast: no I/O,
    vectorised masking.

    ``reference`` (core.session.reference.reference_target of the session's reference tracks)
    replaces the genre's tonal target: the mix's tonal balance is judged against it, and the
    suggestions include broad EQ moves toward it (on the mix bus/master when there is one, else on
    the stem that carries the band). ``usual_genre`` (the user's production style) is the genre
    used when none is declared and detection is not confident, before DEFAULT_GENRE; ``usual_bpm``
    (the user's usual tempo) times the tempo-synced parameters (release, pre-delay, delay) when the
    session has no tempo, declared or heard; ``bpm`` stays None then, as measured. ``heard_tempo``
    (core.session.tempo.mix_tempo of the stems' audio, when the caller has it) is the tempo when
    none is declared; without it the tracks' own estimates vote.
    """
    spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
    missing = [t.track_id for t in spec.tracks if t.audible and analyses.get(t.track_id) is None]
    live, stems, analyses = _live_tracks(spec, analyses)
    bpm, bpm_source = session_tempo(spec.bpm, live, analyses, heard=heard_tempo)
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
    elif usual_genre is not None:
        used, source = usual_genre, "style"
    else:
        used, source = DEFAULT_GENRE, "default"
    if reference is None:
        mix = dataclasses.replace(mix, tonal_balance=tonal[used])
    else:
        mix = dataclasses.replace(mix, tonal_balance=reference_deviations(band_db, reference))
        if mix.integrated_lufs is not None and reference.integrated_lufs is not None:
            diff = round(mix.integrated_lufs - reference.integrated_lufs, 2)
            reference = dataclasses.replace(reference, mix_lufs_diff=diff)
    masking = detect_masking(grid, analyses)
    balance = measure_balance(stems, analyses, mix_lufs=mix.integrated_lufs)
    arrangement = detect_arrangement(grid, bpm=bpm, genre=used)
    extra: dict[str, list[Suggestion]] = {}
    dominance, conflicts = static_mix_first(
        grid, analyses, balance.suggestions, detect_dominance(grid, analyses), masking.conflicts
    )
    for s in dominance:
        extra.setdefault(s.target.track_id, []).append(s)
    # a stem louder than a band's owner gets the dominance cut there, not a second, milder one
    dominated = {(s.target.track_id, s.target.band) for s in dominance}
    for c in conflicts:
        if (c.cut_track_id, c.remedy.target.band) not in dominated:
            extra.setdefault(c.cut_track_id, []).append(c.remedy)
    for s in balance.suggestions:
        extra.setdefault(s.target.track_id, []).append(s)
    mud: Suggestion | None = None
    if reference is not None:
        for track_id, move in _toward_reference(live, stems, analyses, mix, reference):
            extra.setdefault(track_id, []).append(move)
    elif not any(t.type in BUS_TYPES for t in live):  # a bus gets its own moves toward the genre
        tolerance = GENRE_TARGETS[used].tolerance_db
        mud = mud_cut(stems, analyses, mix.tonal_balance, genre=used, tolerance_db=tolerance)
        if mud is not None:
            _replace_band_cut(extra, mud)
    for carried in (presence_cut(stems, analyses), low_end_cut(stems, analyses, after=mud)):
        if carried is not None:
            _replace_band_cut(extra, carried)
    tracks = []
    for t in live:
        own = suggest_for_track(
            analyses[t.track_id],
            track_id=t.track_id,
            track_type=t.type,
            bpm=bpm if bpm is not None else usual_bpm,
            genre=used,
            platform=platform,
            inserts=t.inserts,
        )
        if reference is not None and t.type in BUS_TYPES:  # the reference replaces the genre's curve
            own = tuple(s for s in own if not _genre_tonal_move(s))
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
        issues=tuple(
            _issues(
                mix, masking, balance, genre=used, platform=platform, missing=missing, reference=reference
            )
        ),
        tracks=tuple(tracks),
        reference=reference,
    )


def _genre_tonal_move(s: Suggestion) -> bool:
    """A bus's broad EQ move toward the genre's tonal target (core.suggestions.mastering)."""
    return s.type in ("eq_cut", "eq_boost") and "target_db" in s.evidence


def _toward_reference(
    live: list[TrackSpec],
    stems: list[TrackSpec],
    analyses: Mapping[str, TrackAnalysis],
    mix: MixEstimate,
    reference: ReferenceTarget,
) -> list[tuple[str, Suggestion]]:
    """EQ moves toward the reference: on each mix bus/master from its own spectrum; without one, on
    the stem that carries each band that is outside, from the estimated mix."""
    out = []
    buses = [t for t in live if t.type in BUS_TYPES]
    for bus in buses:
        bands = tuple(b.energy_db for b in analyses[bus.track_id].spectrum.bands)
        for d in reference_deviations(bands, reference):
            move = reference_move(
                d, track_id=bus.track_id, track_type=bus.type, reference=reference, on_mix=False
            )
            if move is not None:
                out.append((bus.track_id, move))
    if buses:
        return out
    candidates = {t.track_id: (t.type, analyses[t.track_id], t.volume_db) for t in stems}
    for d in mix.tonal_balance:
        found = carrier_of(d.band, candidates)
        if found is None:
            continue
        move = reference_move(d, track_id=found[0], track_type=found[1], reference=reference, on_mix=True)
        if move is not None:
            out.append((found[0], move))
    return out
