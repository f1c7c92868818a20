"""GET .../suggestions: the latest session analysis's suggestions, ranked for this user and context.

Showing suggestions is itself an event: the ones shown are recorded as impressions (a suggestion
left alone for long enough becomes implicit "ignored" feedback). Nothing else is written.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from core import learning
from core.ranking import DEFAULT_LIMIT, MAX_LIMIT, rank
from core.suggestions import Suggestion
from service.messages import JobStatus
from service.model import suggestion_from_dict
from service.ports import Ports
from service.suggestions import session_suggestions

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "adaptive_suggestions"]


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def adaptive_suggestions(
    ports: Ports, *, owner: str, session_id: str, limit: int, now_s: float
) -> dict[str, Any]:
    """What fits now: the latest session analysis's suggestions ranked for this user and context.

    The exploration draw is seeded by (user, session, context version, action count, profile size):
    the same picture gives the same list, and any change of context or feedback redraws it.
    """
    job = ports.jobs.latest_session_job(owner, session_id)
    out: dict[str, Any] = {"session_id": session_id, "analysis_job_id": job.job_id, "context": None}
    contexts, learned = ports.contexts, ports.learning
    context = contexts.get(owner, session_id)
    if context is not None:
        out["context"] = {k: v for k, v in context.to_dict().items() if k != "actions"}
    if job.status is not JobStatus.DONE:
        message = f"the session analysis is {job.status.value}; suggestions come when it is done"
        return {**out, "status": job.status.value, "suggestions": [], "message": message}
    raw = session_suggestions(ports.jobs.load_json(job.result_key) if job.result_key else None)
    suggestions = [suggestion_from_dict(s) for s in raw]
    profile = learned.profile(owner)
    action_count = context.action_count if context is not None else 0
    version = context.version if context is not None else 0
    rng = np.random.default_rng(_seed(owner, session_id, version, action_count, profile.events))
    ranked = rank(
        suggestions, context=context, profile=profile, population=learned.population(), rng=rng, limit=limit
    )
    shown = [
        learning.impression(r.suggestion, user_id=owner, action_count=action_count, now_s=now_s)
        for r in ranked
    ]
    added = contexts.add_impressions(owner, session_id, shown)
    learned.forget_acted(owner, [i.suggestion_id for i in added])
    items = []
    for r in ranked:
        s: Suggestion = r.suggestion  # type: ignore[assignment]
        items.append({**s.to_dict(), **r.to_dict(), "suggested_parameters": dict(s.parameters)})
    message = "" if items else "the session analysis has no suggestions"
    return {**out, "status": job.status.value, "suggestions": items, "message": message}
