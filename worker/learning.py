"""Context, adaptive suggestions and learning, as plain functions of Services (views and tasks call these).

The API calls ``update_context`` (REST and Socket.IO), ``adaptive_suggestions``, ``record_feedback``,
``learning_report``, ``export_data`` and ``import_data``; the worker calls ``rebuild_learning`` (task
``codette.rebuild_learning`` on the ``learning`` queue) and ``index_session_suggestions`` when a
session analysis is stored. The per-user feedback stream is the truth; every read folds what the
stored profile has not seen yet, so a report never disagrees with the log.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from core import learning
from core.context import ContextState, ContextUpdate
from core.errors import InvalidParameter, NotFound
from core.learning import FeedbackEvent, LearningProfile
from core.messages import TASK_REBUILD_LEARNING, ContextChanged, JobKind, JobStatus, session_room
from core.ranking import rank
from core.results import TrackAnalysis
from core.suggestions import Suggestion, suggest_for_track
from worker.app import CodetteCelery
from worker.context_store import ContextResult, ContextStore
from worker.learning_store import LearningStore, suggestion_from_dict
from worker.services import Services
from worker.state import Job


def context_store(services: Services) -> ContextStore:
    return ContextStore(services.redis, ttl_s=services.settings.result_ttl_s)


def learning_store(services: Services) -> LearningStore:
    return LearningStore(services.redis, ttl_s=services.settings.result_ttl_s)


def queue_rebuild(app: CodetteCelery, user: str) -> None:
    """Ask a worker to refold ``user``'s profile and the population (reads never wait for it)."""
    app.signature(TASK_REBUILD_LEARNING, args=(user,)).apply_async()


# --- context ------------------------------------------------------------------------------------


def update_context(
    app: CodetteCelery,
    *,
    owner: str,
    data: Mapping[str, Any],
    session_id: str | None = None,
    now_s: float | None = None,
) -> ContextResult:
    """Apply one ``context.update``; publish ``context.changed`` to the session room only on a change."""
    services = app.services
    update = ContextUpdate.from_dict(data, session_id=session_id)
    learned = learning_store(services)
    result = context_store(services).apply(
        owner, update, now_s=time.time() if now_s is None else now_s, acted_on=lambda: learned.acted_on(owner)
    )
    if result.changes:
        s = result.state
        message = ContextChanged(
            session_id=s.session_id,
            version=s.version,
            changes=[c.to_dict() for c in result.changes],
            state=s.state.value,
            intent=s.intent.value,
            activity=s.activity.value,
        )
        services.publisher.publish(message, rooms=[session_room(owner, s.session_id)])
    if result.ignored:
        queue_rebuild(app, owner)
    return result


def context_result_dict(result: ContextResult) -> dict[str, Any]:
    return {
        "changed": bool(result.changes),
        "changes": [c.to_dict() for c in result.changes],
        "context": result.state.to_dict(),
        "implicit_ignored": len(result.ignored),
    }


def owned_context(services: Services, *, owner: str, session_id: str) -> ContextState:
    state = context_store(services).get(owner, session_id)
    if state is None:
        raise NotFound(f"session {session_id!r} has no context yet (POST .../context or emit context.update)")
    return state


def has_context(services: Services, *, owner: str, session_id: str) -> bool:
    return context_store(services).exists(owner, session_id)


# --- suggestions --------------------------------------------------------------------------------


def session_suggestions(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every suggestion of a stored session result (``session_analysis.tracks[].suggestions``)."""
    analysis = (result or {}).get("session_analysis") or {}
    return [dict(s) for track in analysis.get("tracks") or () for s in track.get("suggestions") or ()]


def track_suggestions(job: Job, result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A track job's own suggestions, from its analysis and declared type (none without a type).

    A pure function of (analysis, type, job): the same on every read, so it is computed when served
    rather than stored beside a cached analysis that other jobs and types share.
    """
    if not result or job.kind is not JobKind.TRACK or not job.track_type:
        return []
    analysis = TrackAnalysis.from_dict(dict(result))
    found = suggest_for_track(analysis, track_id=job.track_id or job.job_id, track_type=job.track_type)
    return [s.to_dict() for s in found]


def index_session_suggestions(services: Services, *, owner: str, result: Mapping[str, Any]) -> int:
    """Remember a session analysis's suggestions by id, so feedback can name them."""
    return learning_store(services).index_suggestions(owner, session_suggestions(result))


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def adaptive_suggestions(
    services: Services, *, owner: str, session_id: str, limit: int, now_s: float | None = None
) -> dict[str, Any]:
    """What fits now: the latest session analysis's suggestions ranked for this user and context.

    The exploration draw is seeded by (user, session, context version, action count, profile size):
    the same picture gives the same list, and any change of context or feedback redraws it.
    """
    job = services.store.latest_session_job(owner, session_id)
    out: dict[str, Any] = {"session_id": session_id, "analysis_job_id": job.job_id, "context": None}
    contexts, learned = context_store(services), learning_store(services)
    context = contexts.get(owner, session_id)
    if context is not None:
        out["context"] = {k: v for k, v in context.to_dict().items() if k != "actions"}
    if job.status is not JobStatus.DONE:
        message = f"the session analysis is {job.status.value}; suggestions come when it is done"
        return {**out, "status": job.status.value, "suggestions": [], "message": message}
    raw = session_suggestions(services.store.load_json(job.result_key) if job.result_key else None)
    learned.index_suggestions(owner, raw)
    suggestions = [suggestion_from_dict(s) for s in raw]
    profile = current_profile(services, owner=owner)
    action_count = context.action_count if context is not None else 0
    version = context.version if context is not None else 0
    rng = np.random.default_rng(_seed(owner, session_id, version, action_count, profile.events))
    ranked = rank(
        suggestions, context=context, profile=profile, population=learned.population(), rng=rng, limit=limit
    )
    now = time.time() if now_s is None else now_s
    shown = [
        learning.impression(r.suggestion, user_id=owner, action_count=action_count, now_s=now) for r in ranked
    ]
    added = contexts.add_impressions(owner, session_id, shown)
    learned.forget_acted(owner, [i.suggestion_id for i in added])
    items = []
    for r in ranked:
        s: Suggestion = r.suggestion  # type: ignore[assignment]
        items.append({**s.to_dict(), **r.to_dict(), "suggested_parameters": dict(s.parameters)})
    message = "" if items else "the session analysis has no suggestions"
    return {**out, "status": job.status.value, "suggestions": items, "message": message}


# --- feedback and learning ----------------------------------------------------------------------


def record_feedback(
    app: CodetteCelery, *, owner: str, body: Mapping[str, Any], now_s: float | None = None
) -> tuple[str, FeedbackEvent]:
    """Append one explicit feedback event to the user's log and queue the profile rebuild."""
    learned = learning_store(app.services)
    suggestion = learned.suggestion(owner, body["suggestion_id"])
    if suggestion is None:
        raise NotFound(f"suggestion {body['suggestion_id']!r} not found (not one of your analyses')")
    event = learning.feedback_event(
        suggestion,
        user_id=owner,
        kind=body["kind"],
        at_s=time.time() if now_s is None else now_s,
        rating=body.get("rating"),
        comment=body.get("comment"),
        parameters_after=body.get("parameters_after"),
    )
    stream_id = learned.append(event)
    queue_rebuild(app, owner)
    return stream_id, event


def current_profile(services: Services, *, owner: str) -> LearningProfile:
    """The profile consistent with the whole log (caught up and stored when stale)."""
    return learning_store(services).refresh_profile(owner)


def learning_report(services: Services, *, owner: str) -> dict[str, Any]:
    learned = learning_store(services)
    profile = learned.refresh_profile(owner)
    return learning.learning_report(profile, population=learned.population()).to_dict()


def export_data(services: Services, *, owner: str) -> dict[str, Any]:
    return learning.export_learning(learning_store(services).events(owner), user_id=owner).to_dict()


def import_data(app: CodetteCelery, *, owner: str, data: Any) -> dict[str, Any]:
    """Replace the user's log with an export (validated; it must be this user's), then refold."""
    imported = learning.import_learning(data)
    if imported.user_id != owner:
        raise InvalidParameter(f"learning.user_id={imported.user_id!r} is not you ({owner!r})")
    learned = learning_store(app.services)
    learned.replace_log(owner, imported.events)
    learned.refresh_profile(owner, full=True)
    queue_rebuild(app, owner)
    return export_data(app.services, owner=owner)


def rebuild_learning(services: Services, *, user: str) -> dict[str, Any]:
    """The task body: refold ``user``'s profile from the whole log, then the population prior."""
    learned = learning_store(services)
    profile = learned.refresh_profile(user, full=True)
    population = learned.rebuild_population()
    return {"user": user, "events": profile.events, "population_keys": len(population.rates)}
