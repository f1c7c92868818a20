"""POST /api/v1/ask: a question in plain words, answered from the knowledge base and the session's analysis.

The view and the Socket.IO ``ask`` handler both call ``answer_question``. The knowledge base, its
index and (when installed) the embedding model are built once per process on first use; a done
session analysis never changes, so its facts are kept per analysis job (a small LRU). Suggestions
an answer cites are indexed for the user, so POST /api/v1/feedback accepts their ids.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request

from api.context import ApiContext, ctx, current_user
from api.errors import ValidationFailed
from api.schemas import json_body
from core.ask import Asker, SessionFacts, load_embedder
from core.errors import NotFound
from core.messages import JobStatus
from core.results import TrackAnalysis
from worker.learning import learning_store
from worker.services import Services

bp = Blueprint("ask", __name__)
FACTS_CACHE_SIZE = 32

_lock = threading.Lock()
_askers: list[Asker] = []
_facts: OrderedDict[str, SessionFacts] = OrderedDict()


def asker_for(data_dir: Path) -> Asker:
    """The process's Asker (model when installed, else BM25), built on first use; the knowledge base's
    embeddings are cached on disk under ``data_dir/ask`` (keyed by its digest and the model)."""
    with _lock:
        if not _askers:
            _askers.append(Asker(embedder=load_embedder(), cache_dir=data_dir / "ask"))
        return _askers[0]


def _session_facts(services: Services, *, owner: str, session_id: str) -> tuple[SessionFacts | None, str]:
    """The latest done analysis's facts, or None and a note saying why there are none."""
    try:
        job = services.store.latest_session_job(owner, session_id)
    except NotFound:
        return None, f"Session {session_id!r} has not been analysed yet, so this answer is general advice."
    if job.status is not JobStatus.DONE or not job.result_key:
        return (
            None,
            f"The session analysis is {job.status.value}; this answer is general advice until it is done.",
        )
    with _lock:
        if job.job_id in _facts:
            _facts.move_to_end(job.job_id)
            return _facts[job.job_id], ""
    result = services.store.load_json(job.result_key) or {}
    try:
        doc: dict[str, Any] | None = services.store.session_input(job.job_id)
    except NotFound:
        doc = None
    analyses = {}
    for child in services.store.jobs(job.children):
        if child.status is JobStatus.DONE and child.result_key and child.track_id:
            value = services.cache.load(child.result_key)
            if value is not None:
                analyses[child.track_id] = TrackAnalysis.from_dict(value)
    facts = SessionFacts.from_result(result, session=doc, analyses=analyses)
    with _lock:
        _facts[job.job_id] = facts
        while len(_facts) > FACTS_CACHE_SIZE:
            _facts.popitem(last=False)
    return facts, ""


def answer_question(context: ApiContext, *, owner: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /ask's body (and the ``ask`` ack): answer, intent, entities, evidence, sources, suggestions."""
    session_id, track_id = body.get("session_id"), body.get("track_id")
    if track_id and not session_id:
        raise ValidationFailed("$.track_id: needs a session_id (a track is named within its session)")
    services = context.services
    facts, note = (None, "")
    if session_id:
        facts, note = _session_facts(services, owner=owner, session_id=session_id)
        if facts is not None and track_id and track_id not in {t.track_id for t in facts.tracks}:
            raise NotFound(f"track {track_id!r} is not in session {session_id!r}'s analysis")
    answer = asker_for(context.settings.data_dir).ask(
        body["question"], facts=facts, track_id=track_id, session_note=note or None
    )
    if facts is not None and answer.suggestion_ids:
        cited = set(answer.suggestion_ids)
        result_advice = _advice_dicts(services, owner=owner, session_id=str(session_id), ids=cited)
        learning_store(services).index_suggestions(owner, result_advice)
    out = answer.to_dict()
    if session_id:
        out["session_id"] = session_id
    return out


def _advice_dicts(services: Services, *, owner: str, session_id: str, ids: set[str]) -> list[dict[str, Any]]:
    job = services.store.latest_session_job(owner, session_id)
    result = services.store.load_json(job.result_key) if job.result_key else None
    tracks = ((result or {}).get("session_analysis") or {}).get("tracks") or ()
    return [dict(s) for t in tracks for s in t.get("suggestions") or () if s.get("id") in ids]


@bp.post("/ask")
def post_ask() -> Response:
    body = json_body(request, "AskRequest")
    return jsonify(answer_question(ctx(), owner=current_user(), body=body))
