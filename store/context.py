"""DAW context per session in Redis, updated read-modify-write under WATCH/MULTI.

Layout (under config.KEY_PREFIX, expiring after Settings.result_ttl_s): ``context:<owner>:<id>`` the
``ContextState.to_dict()`` JSON; ``impressions:<owner>:<id>`` the suggestions shown and not yet acted
on (``Impression.to_dict()`` list); ``actions:<owner>:<id>`` the action history the workflow is read
from (a capped list of JSON records); ``workflow:<owner>:<id>`` the workflow last published. Keys are
scoped by owner, as sessions are: another user's session with the same id is a different session,
and reading one you never wrote is a 404.

Two API processes updating the same session both WATCH its keys: the loser of a race re-reads and
re-applies its update, so no update is lost and an implicit "ignored" event is appended exactly once
(in the same transaction that removes its impression).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

import redis

from core.context import ContextState, ContextUpdate, apply_update
from core.learning import Impression, expire_impressions
from service.model import ContextResult
from store import keys
from store.learning import MAX_TRANSACTION_TRIES, RedisLearningStore, dumps

context_key = keys.context
impressions_key = keys.impressions
actions_key = keys.actions
workflow_key = keys.workflow


class RedisContextStore:
    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self.redis = client
        self.ttl_s = ttl_s

    def get(self, owner: str, session_id: str) -> ContextState | None:
        raw = self.redis.get(context_key(owner, session_id))
        return None if raw is None else ContextState.from_dict(json.loads(cast(str, raw)))

    def exists(self, owner: str, session_id: str) -> bool:
        return bool(self.redis.exists(context_key(owner, session_id)))

    def impressions(self, owner: str, session_id: str) -> list[Impression]:
        raw = self.redis.get(impressions_key(owner, session_id))
        return [Impression.from_dict(i) for i in json.loads(cast(str, raw))] if raw else []

    def apply(
        self, owner: str, update: ContextUpdate, *, now_s: float, acted_on: Callable[[], frozenset[str]]
    ) -> ContextResult:
        """Fold ``update`` into the stored state; expire impressions past the action limit.

        The new state, the remaining impressions and the implicit "ignored" events are written in one
        transaction, retried while another process changes the same session meanwhile.
        """
        keys = (context_key(owner, update.session_id), impressions_key(owner, update.session_id))
        with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_TRANSACTION_TRIES):
                try:
                    pipe.watch(*keys)
                    previous = self.get(owner, update.session_id)
                    state, changes = apply_update(previous, update, now_s=now_s)
                    shown = self.impressions(owner, update.session_id)
                    pending, ignored = (
                        expire_impressions(
                            shown, action_count=state.action_count, acted_on=acted_on(), now_s=now_s
                        )
                        if shown
                        else ((), ())
                    )
                    pipe.multi()
                    pipe.set(keys[0], dumps(state.to_dict()), ex=self.ttl_s)
                    if len(pending) != len(shown):
                        self._queue_impressions(pipe, keys[1], pending)
                    for event in ignored:
                        RedisLearningStore.append_to(pipe, event)
                    pipe.execute()
                    return ContextResult(state, changes, ignored)
                except redis.WatchError:
                    continue
        raise redis.ConnectionError(f"context of session {update.session_id!r} kept changing; try again")

    def add_impressions(self, owner: str, session_id: str, new: list[Impression]) -> list[Impression]:
        """Record suggestions shown now; one already pending keeps the moment it was first shown."""
        key = impressions_key(owner, session_id)
        with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_TRANSACTION_TRIES):
                try:
                    pipe.watch(key)
                    shown = self.impressions(owner, session_id)
                    known = {i.suggestion_id for i in shown}
                    added = [i for i in new if i.suggestion_id not in known]
                    if not added:
                        pipe.unwatch()
                        return []
                    pipe.multi()
                    self._queue_impressions(pipe, key, [*shown, *added])
                    pipe.execute()
                    return added
                except redis.WatchError:
                    continue
        raise redis.ConnectionError(f"impressions of session {session_id!r} kept changing; try again")

    def append_action(
        self, owner: str, session_id: str, record: Mapping[str, Any], *, keep: int
    ) -> list[dict[str, Any]]:
        """Append one action to the session's history (the last ``keep`` are kept); the whole history."""
        key = actions_key(owner, session_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(key, dumps(dict(record)))
        pipe.ltrim(key, -keep, -1)
        pipe.expire(key, self.ttl_s)
        pipe.lrange(key, 0, -1)
        rows = cast(list[str], pipe.execute()[-1])
        return [json.loads(r) for r in rows]

    def actions(self, owner: str, session_id: str) -> list[dict[str, Any]]:
        return [
            json.loads(r) for r in cast(list[str], self.redis.lrange(actions_key(owner, session_id), 0, -1))
        ]

    def swap_workflow(self, owner: str, session_id: str, summary: Mapping[str, Any]) -> dict[str, Any] | None:
        """Store the workflow summary now published; the one stored before (None: first)."""
        key = workflow_key(owner, session_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(key)
        pipe.set(key, dumps(dict(summary)), ex=self.ttl_s)
        previous = cast(str | None, pipe.execute()[0])
        return None if previous is None else cast(dict[str, Any], json.loads(previous))

    def _queue_impressions(self, pipe: Any, key: str, impressions: Any) -> None:
        if impressions:
            pipe.set(key, dumps([i.to_dict() for i in impressions]), ex=self.ttl_s)
        else:
            pipe.delete(key)
