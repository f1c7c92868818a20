"""A user's production style, learned from their sessions: tempos, genres, plugin chains, levels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import InvalidParameter
from core.results import to_dict
from core.session.genre import detect_genre
from core.session.spec import SessionSpec

#: The user's usual genre stands in for the default genre (a session with no declared genre and no
#: confident detection) once they have analysed at least this many sessions, and at least this share
#: of them were that genre. House choices: three sessions are a habit, not an accident.
USUAL_GENRE_MIN_SESSIONS = 3
USUAL_GENRE_MIN_SHARE = 0.5
#: The median tempo is the user's usual tempo when every session's tempo lies within this fraction of
#: it (one tempo habit, e.g. 124-130 BPM house, not 90 one day and 174 the next).
USUAL_TEMPO_SPREAD = 0.1


@dataclass(frozen=True)
class GenreCount:
    genre: str
    sessions: int


@dataclass(frozen=True)
class PluginChain:
    track_type: str
    chain: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class UsualLevel:
    track_type: str
    median_volume_db: float
    median_pan: float
    tracks: int


@dataclass(frozen=True)
class StyleProfile:
    sessions: int
    tempo_median_bpm: float | None
    tempo_range_bpm: tuple[float, float] | None
    genres: tuple[GenreCount, ...]
    chains: tuple[PluginChain, ...]
    levels: tuple[UsualLevel, ...]

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def learn_style_profile(
    sessions: Sequence[SessionSpec], *, genres: Sequence[str | None] | None = None
) -> StyleProfile:
    """Aggregate a user's sessions. ``genres[i]`` overrides session i's genre (e.g. a detected one);
    otherwise the declared genre, else the genre detected from the session's metadata."""
    if genres is not None and len(genres) != len(sessions):
        raise InvalidParameter(f"genres: {len(genres)} values for {len(sessions)} sessions")
    tempos = [s.bpm for s in sessions if s.bpm is not None]
    genre_counts: Counter[str] = Counter()
    chains: dict[str, Counter[tuple[str, ...]]] = {}
    vols: dict[str, list[tuple[float, float]]] = {}
    for k, s in enumerate(sessions):
        g = genres[k] if genres is not None else None
        g = g or s.genre or detect_genre(s.tracks, bpm=s.bpm).genre
        genre_counts[g] += 1
        for t in s.tracks:
            if t.inserts:
                chains.setdefault(t.type, Counter())[tuple(p.strip().lower() for p in t.inserts)] += 1
            if not t.muted:
                vols.setdefault(t.type, []).append((t.volume_db, t.pan))
    usual = []
    for type_, counter in sorted(chains.items()):
        chain, count = max(counter.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))
        usual.append(PluginChain(type_, chain, count))
    levels = tuple(
        UsualLevel(
            type_,
            round(float(np.median([v for v, _ in vp])), 2),
            round(float(np.median([p for _, p in vp])), 2),
            len(vp),
        )
        for type_, vp in sorted(vols.items())
    )
    return StyleProfile(
        sessions=len(sessions),
        tempo_median_bpm=round(float(np.median(tempos)), 2) if tempos else None,
        tempo_range_bpm=(min(tempos), max(tempos)) if tempos else None,
        genres=tuple(
            GenreCount(g, c) for g, c in sorted(genre_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        chains=tuple(usual),
        levels=levels,
    )


def usual_genre(profile: StyleProfile) -> str | None:
    """The genre most of the user's sessions were (see USUAL_GENRE_MIN_*), else None."""
    if profile.sessions < USUAL_GENRE_MIN_SESSIONS or not profile.genres:
        return None
    top = profile.genres[0]
    return top.genre if top.sessions >= USUAL_GENRE_MIN_SHARE * profile.sessions else None


def usual_bpm(profile: StyleProfile) -> float | None:
    """The user's usual tempo: the median, once USUAL_GENRE_MIN_SESSIONS sessions declared tempos
    within USUAL_TEMPO_SPREAD of it; else None."""
    median, span = profile.tempo_median_bpm, profile.tempo_range_bpm
    if median is None or span is None or profile.sessions < USUAL_GENRE_MIN_SESSIONS:
        return None
    lo, hi = span
    return (
        median
        if lo >= median * (1 - USUAL_TEMPO_SPREAD) and hi <= median * (1 + USUAL_TEMPO_SPREAD)
        else None
    )
