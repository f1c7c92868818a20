"""The user's production style, learnt from the sessions they analysed (core.session.style_profile).

Every session analysis that finishes remembers its session (the validated spec, and its declared
genre or else detection's best guess); the profile is folded from them on read. It feeds the genre
default and the tempo-synced parameters of the next analyses (core.session.analyze_session's
``usual_genre`` and ``usual_bpm``), travels with the
learning export and import, and is replaced with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.errors import InvalidParameter, shown
from core.session.analyze import SessionAnalysis
from core.session.spec import SessionSpec
from core.session.style_profile import StyleProfile, learn_style_profile, usual_bpm, usual_genre
from core.targets import GENRES
from service.ports import Ports

#: At most this many sessions travel in an export (and are accepted by an import).
MAX_STYLE_SESSIONS = 1000


def record_session_style(
    ports: Ports, *, owner: str, session_id: str, spec: SessionSpec, analysis: SessionAnalysis, now_s: float
) -> None:
    """Remember an analysed session for ``owner``'s style (the latest analysis of an id wins)."""
    # The declared genre, else detection's best guess, confident or not: never the usual genre or
    # the default the analysis fell back on, so the style does not feed on itself.
    genre = analysis.genre_used if analysis.genre_source == "declared" else analysis.genre.genre
    doc = {"spec": spec.to_dict(), "genre": genre, "at_s": now_s}
    ports.learning.add_style_session(owner, session_id, doc)


def style_profile(ports: Ports, *, owner: str) -> StyleProfile:
    """The profile folded from every session ``owner`` analysed (empty without any)."""
    docs = list(ports.learning.style_sessions(owner).values())
    specs = [SessionSpec.from_dict(d["spec"]) for d in docs]
    return learn_style_profile(specs, genres=[d.get("genre") for d in docs])


def habits_for(ports: Ports, *, owner: str) -> tuple[str | None, float | None]:
    """``(usual genre, usual tempo)`` of ``owner`` (core.session.style_profile), each None if none."""
    profile = style_profile(ports, owner=owner)
    return usual_genre(profile), usual_bpm(profile)


def style_report(ports: Ports, *, owner: str) -> dict[str, Any]:
    """GET /users/me/style: the profile, and the usual genre and tempo it gives new sessions."""
    profile = style_profile(ports, owner=owner)
    return {
        "user_id": owner,
        **profile.to_dict(),
        "usual_genre": usual_genre(profile),
        "usual_bpm": usual_bpm(profile),
    }


def export_style(ports: Ports, *, owner: str) -> dict[str, Any]:
    """The learning export's ``style``: ``{"sessions": [{"session_id", "spec", "genre", "at_s"}]}``."""
    docs = ports.learning.style_sessions(owner)
    return {"sessions": [{"session_id": sid, **doc} for sid, doc in sorted(docs.items())]}


def parse_style(raw: Any) -> dict[str, dict[str, Any]]:
    """Validate an export's ``style`` (None: no sessions); InvalidParameter names the bad field."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("sessions"), list):
        raise InvalidParameter("style: expected {'sessions': [...]}")
    sessions = raw["sessions"]
    if len(sessions) > MAX_STYLE_SESSIONS:
        raise InvalidParameter(f"style.sessions: {len(sessions)} sessions; at most {MAX_STYLE_SESSIONS}")
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(sessions):
        where = f"style.sessions[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"session_id", "spec", "genre", "at_s"}:
            raise InvalidParameter(f"{where}: expected exactly session_id, spec, genre and at_s")
        sid, genre, at_s = item["session_id"], item["genre"], item["at_s"]
        if not isinstance(sid, str) or not sid or sid in out:
            raise InvalidParameter(f"{where}.session_id: expected a new non-empty string, got {shown(sid)}")
        try:
            spec = SessionSpec.from_dict(item["spec"])
        except InvalidParameter as exc:
            raise InvalidParameter(f"{where}.spec.{exc.message}") from exc
        if spec.to_dict() != item["spec"]:
            raise InvalidParameter(f"{where}.spec: not a stored session (export it again)")
        if genre is not None and genre not in GENRES:
            raise InvalidParameter(f"{where}.genre: {shown(genre)} is not one of {', '.join(GENRES)}")
        if isinstance(at_s, bool) or not isinstance(at_s, int | float) or not math.isfinite(at_s):
            raise InvalidParameter(f"{where}.at_s: expected seconds, got {shown(at_s)}")
        out[sid] = {"spec": item["spec"], "genre": genre, "at_s": at_s}
    return out
