"""Session previews: a set of moves across a session's tracks, heard and measured in the mix.

``POST /api/v1/sessions/<id>/preview {"suggestion_ids": [...]}``: every move is rendered on its
track (several on one track in the order given, as inserts), the rendered stems are re-analysed and
the session step re-run with them in place (core.verify.verify_session_moves: estimated mix
loudness, the masking overlaps and type levels of the changed tracks, the tonal balance against the
genre target; resolved per move; new first-rank advice anywhere). The excerpt is a mixdown of the
changed tracks and every unmuted other one, with faders and pans (core.excerpt.mix_stems), before
and after, over the passage where the moves changed the mix most, loudness-matched. Same job, cache
and audio route as a track preview (service.preview). The cache key is the set of moves (each id
once, the tracks in any order; see ``rendering_order``); the result names ``suggestion_ids`` in the
order the request did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.errors import InvalidParameter
from core.excerpt import EXCERPT_S, conform, make_excerpt, mix_stems, most_changed_window
from core.render import render_chain
from core.suggestions import Suggestion
from core.verify import verify_session_moves
from service.compare import session_context
from service.messages import JobKind, JobStatus
from service.model import Job, new_id, suggestion_from_dict
from service.moved import already, moved_analysis
from service.ports import Ports
from service.preview import (
    content_key,
    create_preview_job,
    decode,
    previewable,
    session_analyses,
    stage,
    store_excerpt,
)
from service.preview_result import SessionPreview

#: Moves in one session preview at most (each is a render and, per track, an analysis).
MAX_SESSION_MOVES = 16


class AnalysisNotReady(InvalidParameter):
    """The session has no finished analysis to preview against (yet)."""

    code = "analysis_not_ready"


def submit_session_preview(ports: Ports, *, owner: str, session_id: str, suggestion_ids: list[str]) -> Job:
    """Queue the preview of ``suggestion_ids`` together in the session's latest analysis."""
    if not suggestion_ids:
        raise InvalidParameter("$.suggestion_ids: name at least one suggestion")
    if len(suggestion_ids) > MAX_SESSION_MOVES:
        raise InvalidParameter(f"$.suggestion_ids: {len(suggestion_ids)} moves; at most {MAX_SESSION_MOVES}")
    latest = ports.jobs.latest_session_job(owner, session_id)
    if latest.status is not JobStatus.DONE:
        raise AnalysisNotReady(
            f"the analysis of session {session_id!r} is {latest.status.value}; preview it when it is done"
        )
    doc = ports.jobs.session_input(latest.job_id)
    track_ids = {t["track_id"] for t in doc["tracks"]}
    moves: dict[str, Suggestion] = {}  # the order sent, each id once
    for i, suggestion_id in enumerate(suggestion_ids):
        if suggestion_id in moves:
            continue
        suggestion, source = previewable(ports, owner=owner, suggestion_id=suggestion_id)
        if source.get("session_id") != session_id or suggestion.target.track_id not in track_ids:
            raise InvalidParameter(
                f"$.suggestion_ids[{i}]: {suggestion_id} is not advice on a track of session {session_id!r}"
            )
        moves[suggestion_id] = suggestion
    rendered = [s.to_dict() for chain in rendering_order(list(moves.values())) for s in chain]
    parts = {"session_job_id": latest.job_id, "moves": rendered, "excerpt_s": EXCERPT_S}
    job = Job(new_id(), owner, kind=JobKind.PREVIEW, name=f"preview session {session_id}")
    doc_in = {
        "kind": "session",
        "key": content_key("session", parts),
        "session_id": session_id,
        "session_job_id": latest.job_id,
        "suggestions": rendered,
        "suggestion_ids": list(moves),
    }
    return create_preview_job(ports, job, doc=doc_in)


def rendering_order(suggestions: list[Suggestion]) -> list[tuple[Suggestion, ...]]:
    """Each track's moves in the order given (its insert chain), the tracks by id: what the cache key hashes.

    Tracks are mixed by summing, so their order changes nothing and the same set of moves sent in
    another order is the same preview (from the cache). On one track the order is the insert order
    (core.render.render_chain): a compressor before an EQ is not the EQ before it, so it stays.
    """
    chains = _by_track(suggestions)
    return [chains[track_id] for track_id in sorted(chains)]


def _by_track(suggestions: list[Suggestion]) -> dict[str, tuple[Suggestion, ...]]:
    out: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        out.setdefault(s.target.track_id, []).append(s)
    return {k: tuple(v) for k, v in out.items()}


def compute_session_preview(ports: Ports, job: Job, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Render, judge and mix down a set of moves (the cached value: audio as blob hashes)."""
    suggestions = [suggestion_from_dict(d) for d in doc["suggestions"]]
    session_doc, analyses = session_analyses(ports, str(doc["session_job_id"]))
    tracks = {t["track_id"]: t for t in session_doc["tracks"]}
    moves = _by_track(suggestions)
    stage(ports, job, 0.1, "rendering")
    rendered: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
    after = {}
    for track_id, chain in moves.items():
        y, sr = decode(ports, tracks[track_id]["sha256"])
        out = render_chain(y, sr, chain)
        rendered[track_id] = (y, out, sr)
        after[track_id] = moved_analysis(  # one move alone: vetting measured it already
            ports, sha256=tracks[track_id]["sha256"], name=track_id, moves=chain,
            rendered=already(out, sr),
        )  # fmt: skip
    stage(ports, job, 0.5, "measuring")
    context = session_context(ports, session_doc, owner=job.owner)
    verdict = verify_session_moves(session_doc, analyses, suggestions, after, context=context)
    stage(ports, job, 0.7, "mixdown")
    sr0 = next(iter(rendered.values()))[2]
    length = max(conform(y, sr, sr_to=sr0).shape[1] for y, _, sr in rendered.values())

    def faders(track_id: str) -> tuple[float, float]:
        t = tracks[track_id]
        return float(t.get("volume_db", 0.0)), float(t.get("pan", 0.0))

    changed0 = mix_stems(
        [(conform(y, sr, sr_to=sr0), *faders(t)) for t, (y, _, sr) in rendered.items()], n=length
    )
    changed1 = mix_stems(
        [(conform(o, sr, sr_to=sr0), *faders(t)) for t, (_, o, sr) in rendered.items()], n=length
    )
    start = most_changed_window(changed0, changed1, sr0, seconds=EXCERPT_S)
    stop = min(start + int(EXCERPT_S * sr0), length)
    window = stop - start
    others = []
    for track_id, t in tracks.items():
        if track_id in rendered or t.get("muted"):
            continue
        y, sr = decode(ports, t["sha256"])
        others.append((conform(y, sr, sr_to=sr0)[:, start:stop], *faders(track_id)))
    rest = mix_stems(others, n=window) if others else np.zeros((2, window), dtype=np.float32)
    before_mix, after_mix = rest + changed0[:, start:stop], rest + changed1[:, start:stop]
    excerpt = make_excerpt(before_mix, after_mix, sr0, move_type="mix", seconds=EXCERPT_S)
    excerpt = dataclasses.replace(excerpt, start_s=round(start / sr0, 3))
    return SessionPreview(
        session_id=str(doc["session_id"]),
        suggestion_ids=tuple(s.id for s in suggestions),
        track_ids=tuple(moves),
        scope="session",
        resolved=all(verdict.resolved.values()),
        improved=not all(verdict.resolved.values())
        and all(verdict.resolved[i] or verdict.improved.get(i, False) for i in verdict.resolved),
        resolved_by_suggestion=verdict.resolved,
        improved_by_suggestion=verdict.improved,
        before=verdict.before,
        after=verdict.after,
        side_effects=verdict.side_effects,
        audio=store_excerpt(ports, excerpt, sr0, 2),
    ).to_dict()
