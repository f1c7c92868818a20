"""A session's headline numbers, gathered from its tracks' analyses (the session step's baseline).

The mixing-level session analysis (masking, genre, arrangement, suggestions) lives in core.session
when it exists; this module only lines up what was measured per track, so a DAW has one view of the
session even before that lands.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.quality import for_track_type
from core.results import TrackAnalysis, to_dict
from core.rhythm import heard


@dataclass(frozen=True)
class SessionTrack:
    """One track of a DAW session as the client described it."""

    track_id: str
    name: str
    type: str
    sha256: str
    volume_db: float = 0.0
    pan: float = 0.0
    inserts: tuple[str, ...] = ()
    muted: bool = False


@dataclass(frozen=True)
class TrackHeadline:
    track_id: str
    name: str
    type: str
    status: str
    muted: bool
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    tempo_bpm: float | None = None
    key: str | None = None
    quality_score: int | None = None


@dataclass(frozen=True)
class SessionSummary:
    track_count: int
    analysed: int
    failed: int
    loudest_track_id: str | None
    median_tempo_bpm: float | None
    session_bpm: float | None
    tracks: tuple[TrackHeadline, ...]

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = to_dict(self)
        return out


def summarize_session(
    tracks: Sequence[SessionTrack],
    analyses: Mapping[str, TrackAnalysis | None],
    *,
    session_bpm: float | None = None,
) -> SessionSummary:
    """Line up each track's headline measures; tracks missing from ``analyses`` count as failed."""
    headlines = []
    for track in tracks:
        analysis = analyses.get(track.track_id)
        if analysis is None:
            headlines.append(TrackHeadline(track.track_id, track.name, track.type, "failed", track.muted))
            continue
        headlines.append(
            TrackHeadline(
                track_id=track.track_id,
                name=track.name,
                type=track.type,
                status="done",
                muted=track.muted,
                integrated_lufs=analysis.loudness.integrated_lufs,
                true_peak_dbtp=analysis.loudness.true_peak_dbtp,
                tempo_bpm=analysis.rhythm.tempo_bpm,
                key=analysis.tonal.key,
                quality_score=for_track_type(analysis.quality, track.type).score,  # as a stem
            )
        )
    audible = [h for h in headlines if h.integrated_lufs is not None and not h.muted]
    loudest = max(audible, key=lambda h: h.integrated_lufs or 0.0, default=None)
    # Only tempos heard in the audio vote: a track whose tempo is the caller's prior, unconfirmed
    # (a steady pad under a declared bpm), would just echo the declaration.
    tempos = [
        float(a.rhythm.tempo_bpm)
        for t in tracks
        if (a := analyses.get(t.track_id)) is not None and a.rhythm.tempo_bpm is not None and heard(a.rhythm)
    ]
    analysed = sum(h.status == "done" for h in headlines)
    return SessionSummary(
        track_count=len(headlines),
        analysed=analysed,
        failed=len(headlines) - analysed,
        loudest_track_id=loudest.track_id if loudest else None,
        median_tempo_bpm=statistics.median(tempos) if tempos else None,
        session_bpm=session_bpm,
        tracks=tuple(headlines),
    )
