"""The session as the service stores it (PUT /api/v1/sessions/<id>), validated into typed form."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidParameter
from core.results import to_dict
from core.suggestions.model import TRACK_TYPES
from core.suggestions.tempo import check_bpm
from core.targets import canonical_genre, platform_target

#: Fader range accepted (dB); the top matches common DAW faders (+6 to +24 dB).
MIN_VOLUME_DB, MAX_VOLUME_DB = -144.0, 24.0
#: A fader at or below this is off (DAWs store "-inf" as their lowest value): the track is treated
#: as muted. House choice: a full-scale stem 90 dB down is below 16-bit dither.
FADER_OFF_DB = -90.0
#: The type of a track that declares none (absent or ""): generic advice, no type-specific rules.
UNDECLARED_TYPE = "other"


@dataclass(frozen=True)
class TrackSpec:
    track_id: str
    name: str
    type: str
    sha256: str | None = None
    volume_db: float = 0.0
    pan: float = 0.0
    inserts: tuple[str, ...] = ()
    muted: bool = False

    @property
    def audible(self) -> bool:
        """Neither muted nor with its fader off (FADER_OFF_DB): the session step includes it."""
        return not self.muted and self.volume_db > FADER_OFF_DB


@dataclass(frozen=True)
class SessionSpec:
    """A DAW session: tempo, optional declared genre and platform, and its tracks.

    ``genre`` is canonical (core.targets.GENRES) and ``platform`` a key of
    core.targets.PLATFORM_TARGETS once validated.
    """

    tracks: tuple[TrackSpec, ...]
    bpm: float | None = None
    genre: str | None = None
    platform: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionSpec:
        """Validate the stored JSON; raises InvalidParameter naming the bad field."""
        if not isinstance(data, Mapping):
            raise InvalidParameter(f"session: expected an object, got {type(data).__name__}")
        bpm = data.get("bpm")
        bpm = None if bpm is None else check_bpm(bpm, field="bpm")
        genre = data.get("genre")
        if genre is not None:
            genre = canonical_genre(_str(genre, "genre"), field="genre")
        platform = data.get("platform")
        if platform is not None:
            platform = platform_target(_str(platform, "platform"), field="platform").key
        tracks_raw = data.get("tracks")
        if not isinstance(tracks_raw, list):
            raise InvalidParameter(f"tracks: expected a list, got {type(tracks_raw).__name__}")
        tracks = tuple(_track(t, f"tracks[{i}]") for i, t in enumerate(tracks_raw))
        seen: set[str] = set()
        for i, t in enumerate(tracks):
            if t.track_id in seen:
                raise InvalidParameter(f"tracks[{i}].track_id: duplicate track_id {t.track_id!r}")
            seen.add(t.track_id)
        return cls(tracks=tracks, bpm=bpm, genre=genre, platform=platform)


def _str(value: Any, field: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise InvalidParameter(f"{field}: expected a non-empty string, got {value!r}")
    return value


def _num(value: Any, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameter(f"{field}: expected a number, got {value!r}")
    if not lo <= value <= hi:
        raise InvalidParameter(f"{field}: {value} is outside {lo:g}..{hi:g}")
    return float(value)


def _track(raw: Any, path: str) -> TrackSpec:
    if not isinstance(raw, Mapping):
        raise InvalidParameter(f"{path}: expected an object, got {type(raw).__name__}")
    track_id = _str(raw.get("track_id"), f"{path}.track_id")
    type_ = raw.get("type") or UNDECLARED_TYPE  # the request schema makes the type optional
    if not isinstance(type_, str) or type_.strip().lower() not in TRACK_TYPES:
        raise InvalidParameter(f"{path}.type: {type_!r} is not one of {', '.join(TRACK_TYPES)}")
    sha = raw.get("sha256")
    if sha is not None:
        sha = _str(sha, f"{path}.sha256")
    inserts = raw.get("inserts", [])
    if not isinstance(inserts, list):
        raise InvalidParameter(f"{path}.inserts: expected a list of plugin names, got {inserts!r}")
    muted = raw.get("muted", False)
    if not isinstance(muted, bool):
        raise InvalidParameter(f"{path}.muted: expected true or false, got {muted!r}")
    return TrackSpec(
        track_id=track_id,
        name=_str(raw.get("name", track_id), f"{path}.name", empty=True),
        type=type_.strip().lower(),
        sha256=sha,
        volume_db=_num(raw.get("volume_db", 0.0), f"{path}.volume_db", MIN_VOLUME_DB, MAX_VOLUME_DB),
        pan=_num(raw.get("pan", 0.0), f"{path}.pan", -1.0, 1.0),
        inserts=tuple(_str(p, f"{path}.inserts[{j}]") for j, p in enumerate(inserts)),
        muted=muted,
    )
