"""The typed results of preview jobs (the contract generates their JSON Schemas from these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from core.results import to_dict
from core.verify import SideEffect


@dataclass(frozen=True)
class PreviewAudio:
    """The before/after excerpts: URLs the owner can GET (16-bit WAV) and how they were made.

    ``before`` / ``after`` are ``/api/v1/previews/<job_id>/{before,after}.wav``; ``start_s`` and
    ``duration_s`` the passage in the track (or mix); ``loudness_matched`` says whether ``after`` was
    brought to ``before``'s integrated loudness (``match_gain_db``; not for gain moves), and
    ``before_lufs`` / ``after_lufs`` are the excerpts' loudness before that match.
    """

    before: str
    after: str
    format: Literal["wav"]
    sample_rate: int
    channels: int
    start_s: float
    duration_s: float
    loudness_matched: bool
    match_gain_db: float
    before_lufs: float | None
    after_lufs: float | None
    before_sha256: str
    after_sha256: str


@dataclass(frozen=True)
class TrackPreview:
    """One suggestion rendered on its track: the cited measures before and after, and the audio.

    ``scope`` is ``track`` (judged on the track's own analysis) or ``session`` (masking or level
    advice, judged by re-running the session step; ``before``/``after`` are then session measures).
    """

    suggestion_id: str
    track_id: str
    type: str
    scope: Literal["track", "session"]
    resolved: bool
    #: Not resolved, but each cited measure moved at least half the way to its threshold
    #: (core.verify.thresholds.IMPROVE_FRACTION): a move capped in depth that does most of the job.
    improved: bool
    before: dict[str, float | None]
    after: dict[str, float | None]
    side_effects: tuple[SideEffect, ...]
    audio: PreviewAudio

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SessionPreview:
    """A set of moves across a session's tracks, measured in the session and heard in a mixdown.

    ``before``/``after``: ``mix_lufs``, ``overlap:<band>:<a>/<b>``, ``relative_db:<type>``,
    ``tonal_deviation_db:<band>`` (core.verify.session_moves_measures). Each move is judged as its
    own preview judges it, with all the moves made (``resolved_by_suggestion``,
    ``improved_by_suggestion``); ``resolved`` is true when every move is resolved, ``improved`` when
    not all are but every one is resolved or improved.
    """

    session_id: str
    suggestion_ids: tuple[str, ...]
    track_ids: tuple[str, ...]
    scope: Literal["session"]
    resolved: bool
    improved: bool
    resolved_by_suggestion: dict[str, bool]
    improved_by_suggestion: dict[str, bool]
    before: dict[str, float | None]
    after: dict[str, float | None]
    side_effects: tuple[SideEffect, ...]
    audio: PreviewAudio

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]
