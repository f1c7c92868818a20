"""The session facts Ask reasons over: the stored session result (the worker's ``{"tracks",
"session_analysis", ...}``) read into ``SessionFacts``, with per-track facts from the tracks' analyses
(quality issues and a few levels). core.ask.grounding reads them for evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.ask.levels import Placement
from core.ask.understand import TrackRef
from core.results import TrackAnalysis

Value = float | int | str | None


@dataclass(frozen=True)
class Advice:
    """One stored suggestion, as much of it as an answer quotes."""

    id: str
    type: str
    track_id: str
    band: str | None
    parameters: Mapping[str, float | int | str]
    priority: int
    reason: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Advice:
        target = data.get("target") or {}
        return cls(
            id=str(data["id"]), type=str(data["type"]), track_id=str(target.get("track_id", "")),
            band=target.get("band"), parameters=dict(data.get("parameters") or {}),
            priority=int(data.get("priority", 3)), reason=str(data.get("reason") or ""),
        )  # fmt: skip


@dataclass(frozen=True)
class Conflict:
    band: str
    track_a: str
    track_b: str
    overlap: float
    conflict_s: float
    cut_track_id: str
    remedy_id: str | None


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    evidence: Mapping[str, Value]
    track_id: str | None = None


@dataclass(frozen=True)
class TrackFacts:
    """What grounding reads from one track's analysis."""

    track_id: str
    issues: tuple[Issue, ...]
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    crest_factor_db: float | None = None
    correlation: float | None = None

    @classmethod
    def from_analysis(cls, track_id: str, analysis: TrackAnalysis) -> TrackFacts:
        issues = tuple(
            Issue(i.code, i.message, dict(i.evidence), track_id=track_id) for i in analysis.quality.issues
        )
        return cls(
            track_id=track_id, issues=issues, integrated_lufs=analysis.loudness.integrated_lufs,
            true_peak_dbtp=analysis.loudness.true_peak_dbtp,
            crest_factor_db=analysis.dynamics.crest_factor_db,
            correlation=analysis.stereo.correlation if analysis.stereo is not None else None,
        )  # fmt: skip


@dataclass(frozen=True)
class SessionFacts:
    session_id: str
    tracks: tuple[TrackRef, ...]
    conflicts: tuple[Conflict, ...]
    issues: tuple[Issue, ...]
    advice: tuple[Advice, ...]
    platform: str
    mix_lufs: float | None
    track_facts: Mapping[str, TrackFacts] = field(default_factory=dict)
    #: each track type's level in the session's balance (core.session.balance), when it was measured
    placements: tuple[Placement, ...] = ()

    @classmethod
    def from_result(
        cls, result: Mapping[str, Any], *, session: Mapping[str, Any] | None = None,
        analyses: Mapping[str, TrackAnalysis] | None = None,
    ) -> SessionFacts:  # fmt: skip
        """From a stored session job result; ``session`` (the document) supplies track names."""
        sa = result.get("session_analysis") or {}
        names = {t["track_id"]: t for t in (session or {}).get("tracks") or ()}
        tracks = tuple(
            TrackRef(
                t["track_id"], str(names.get(t["track_id"], {}).get("name") or ""), t.get("track_type", "")
            )
            for t in sa.get("tracks") or ()
        )
        advice = tuple(
            Advice.from_dict(s) for t in sa.get("tracks") or () for s in t.get("suggestions") or ()
        )
        conflicts = tuple(
            Conflict(c["band"], c["track_a"], c["track_b"], float(c["overlap"]), float(c["conflict_s"]),
                     c["cut_track_id"], (c.get("remedy") or {}).get("id"))
            for c in (sa.get("masking") or {}).get("conflicts") or ()
        )  # fmt: skip
        issues = tuple(
            Issue(i["code"], i["message"], dict(i.get("evidence") or {})) for i in sa.get("issues") or ()
        )
        mix = sa.get("mix") or {}
        facts = {k: TrackFacts.from_analysis(k, a) for k, a in (analyses or {}).items()}
        placements = tuple(Placement.from_dict(t) for t in (sa.get("balance") or {}).get("types") or ())
        return cls(
            session_id=str(result.get("session_id") or ""), tracks=tracks, conflicts=conflicts, issues=issues,
            advice=advice, platform=str(sa.get("platform") or "spotify"), mix_lufs=mix.get("integrated_lufs"),
            track_facts=facts, placements=placements,
        )  # fmt: skip

    def name(self, track_id: str) -> str:
        for t in self.tracks:
            if t.track_id == track_id:
                return t.name or t.track_id
        return track_id
