"""The typed session result: what a session job stores and GET .../analysis serves as ``result``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from core.results import from_dict, to_dict
from core.session.analyze import SessionAnalysis
from core.session_summary import SessionSummary
from core.suggestions import Suggestion


@dataclass(frozen=True)
class TrackError:
    code: str
    message: str


@dataclass(frozen=True)
class SessionTrackStatus:
    """How one track of the session fared: its job, whether it was cached, its error if it failed."""

    track_id: str
    job_id: str | None
    status: Literal["queued", "running", "done", "failed"]
    cached: bool
    error: TrackError | None


@dataclass(frozen=True)
class SessionResult:
    """A session job's result: the tracks' outcomes, the headline summary and the session step."""

    session_id: str
    bpm: float | None
    genre: str | None
    platform: str
    tracks: tuple[SessionTrackStatus, ...]
    summary: SessionSummary
    session_analysis: SessionAnalysis

    def suggestions(self) -> tuple[Suggestion, ...]:
        """Every track's suggestions, in the order the session step gave them."""
        return tuple(s for track in self.session_analysis.tracks for s in track.suggestions)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionResult:
        return from_dict(cls, data)
