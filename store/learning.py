"""Learning state in Redis: the per-user feedback log, derived profiles, the population, suggestions.

Layout (every key under config.KEY_PREFIX):
``feedback:<user>`` a stream, the append-only log (one ``event`` field: FeedbackEvent JSON), never
expiring; ``profile:<user>`` the profile folded from that log, with the id of the last entry it
covers (``{"stream_id", "profile"}``); ``learning:users`` the users with a log; ``population`` the
population prior built from every stored profile; ``suggestions:<user>`` a hash of suggestion id ->
suggestion JSON, so feedback can name a suggestion by id (expires with the results); ``acted:<user>``
the suggestion ids that got explicit feedback (impressions of those are not "ignored");
``style:<user>`` a hash of session id -> the session as analysed (its spec and the genre used), from
which the production style is learnt, never expiring, exported and imported with the log.

The log is the truth: a stored profile is a cache, written only under WATCH of the stream, so it is
never newer or older than the entry id it names. Readers catch a stale profile up from the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

import redis

from core.learning import FeedbackEvent, LearningProfile, Population, build_population, fold_event
from core.learning.profile import empty_profile
from core.suggestions import Suggestion
from service.model import suggestion_from_dict
from store import keys

USERS_KEY = keys.LEARNING_USERS
POPULATION_KEY = keys.POPULATION
DIRTY_KEY = keys.POPULATION_DIRTY
#: A stream id before every real one ("0-0" is never assigned by XADD).
EMPTY_STREAM_ID = "0-0"
#: WATCH/MULTI attempts before giving up on a write that keeps losing a race.
MAX_TRANSACTION_TRIES = 50


feedback_key = keys.feedback
profile_key = keys.profile
suggestions_key = keys.suggestions
acted_key = keys.acted
style_key = keys.style


def dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def _stream_order(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class RedisLearningStore:
    """One instance per process; shares the process's decode_responses Redis client."""

    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self.redis = client
        self.ttl_s = ttl_s

    # --- suggestions by id ------------------------------------------------------------------

    def index_suggestions(self, user: str, suggestions: Iterable[Mapping[str, Any]]) -> int:
        mapping = {str(s["id"]): dumps(s) for s in suggestions}
        if not mapping:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(suggestions_key(user), mapping=cast(Any, mapping))
        pipe.expire(suggestions_key(user), self.ttl_s)
        pipe.execute()
        return len(mapping)

    def suggestion(self, user: str, suggestion_id: str) -> Suggestion | None:
        raw = self.redis.hget(suggestions_key(user), suggestion_id)
        return None if raw is None else suggestion_from_dict(json.loads(cast(str, raw)))

    def acted_on(self, user: str) -> frozenset[str]:
        return frozenset(cast(set[str], self.redis.smembers(acted_key(user))))

    def forget_acted(self, user: str, suggestion_ids: Iterable[str]) -> None:
        ids = list(suggestion_ids)
        if ids:
            self.redis.srem(acted_key(user), *ids)

    # --- the log ----------------------------------------------------------------------------

    @staticmethod
    def append_to(pipe: Any, event: FeedbackEvent) -> None:
        """Queue an XADD of ``event``, the user's membership and the population's dirty mark on ``pipe``."""
        pipe.xadd(feedback_key(event.user_id), {"event": dumps(event.to_dict())})
        pipe.sadd(USERS_KEY, event.user_id)
        pipe.sadd(DIRTY_KEY, event.user_id)

    def append(self, event: FeedbackEvent, *, explicit: bool = True) -> str:
        """Append one event to its user's log; return its stream id."""
        pipe = self.redis.pipeline(transaction=True)
        self.append_to(pipe, event)
        if explicit:
            pipe.sadd(acted_key(event.user_id), event.suggestion_id)
        stream_id, *_ = pipe.execute()
        return str(stream_id)

    def replace_log(self, user: str, events: Iterable[FeedbackEvent]) -> int:
        """Make ``events`` the user's whole log (import), atomically; drop the derived profile."""
        evs = list(events)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(feedback_key(user), profile_key(user), acted_key(user))
        for e in evs:
            pipe.xadd(feedback_key(user), {"event": dumps(e.to_dict())})
        pipe.sadd(USERS_KEY, user)
        pipe.sadd(DIRTY_KEY, user)
        pipe.execute()
        return len(evs)

    # --- the production style's sessions ---------------------------------------------------

    def add_style_session(self, user: str, session_id: str, doc: Mapping[str, Any]) -> None:
        """Remember one analysed session (the latest analysis of a session id replaces the earlier)."""
        self.redis.hset(style_key(user), session_id, dumps(dict(doc)))

    def style_sessions(self, user: str) -> dict[str, dict[str, Any]]:
        raw = cast(dict[str, str], self.redis.hgetall(style_key(user)))
        return {sid: json.loads(doc) for sid, doc in sorted(raw.items())}

    def replace_style_sessions(self, user: str, docs: Mapping[str, Mapping[str, Any]]) -> None:
        """Make ``docs`` the user's whole set of style sessions (import), atomically."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(style_key(user))
        if docs:
            pipe.hset(style_key(user), mapping={sid: dumps(dict(d)) for sid, d in docs.items()})
        pipe.execute()

    def entries(self, user: str, *, after: str = EMPTY_STREAM_ID) -> list[tuple[str, FeedbackEvent]]:
        """The log after stream id ``after``, in order."""
        rows = cast(list[tuple[str, dict[str, str]]], self.redis.xrange(feedback_key(user), min=after))
        return [
            (sid, FeedbackEvent.from_dict(json.loads(fields["event"])))
            for sid, fields in rows
            if _stream_order(sid) > _stream_order(after)
        ]

    def events(self, user: str) -> list[FeedbackEvent]:
        return [e for _, e in self.entries(user)]

    def last_id(self, user: str) -> str:
        rows = cast(list[tuple[str, Any]], self.redis.xrevrange(feedback_key(user), count=1))
        return rows[0][0] if rows else EMPTY_STREAM_ID

    # --- profiles ---------------------------------------------------------------------------

    def stored_profile(self, user: str) -> tuple[str, LearningProfile] | None:
        raw = self.redis.get(profile_key(user))
        if raw is None:
            return None
        data = json.loads(cast(str, raw))
        return str(data["stream_id"]), LearningProfile.from_dict(data["profile"])

    def profile(self, user: str) -> LearningProfile:
        """The profile consistent with the whole log: the stored one caught up in memory (no write)."""
        since, profile = self.stored_profile(user) or (EMPTY_STREAM_ID, empty_profile(user))
        for _, event in self.entries(user, after=since):
            profile = fold_event(profile, event)
        return profile

    def refresh_profile(self, user: str, *, full: bool = False) -> LearningProfile:
        """The profile consistent with the whole log, stored when it changed.

        Incremental unless ``full``: the stored profile is caught up with the entries after the id it
        covers (``fold_event`` repeated is ``build_profile``). The write happens under WATCH of the
        stream, so a profile is never stored against a log that moved meanwhile.
        """
        with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_TRANSACTION_TRIES):
                try:
                    pipe.watch(feedback_key(user), profile_key(user))
                    stored = None if full else self.stored_profile(user)
                    since, profile = stored or (EMPTY_STREAM_ID, empty_profile(user))
                    newer = self.entries(user, after=since)
                    for _, event in newer:
                        profile = fold_event(profile, event)
                    if not newer and stored is not None:
                        pipe.unwatch()
                        return profile
                    last = newer[-1][0] if newer else since
                    pipe.multi()
                    pipe.set(profile_key(user), dumps({"stream_id": last, "profile": profile.to_dict()}))
                    pipe.execute()
                    return profile
                except redis.WatchError:
                    continue
        raise redis.ConnectionError(f"the learning log of {user!r} kept changing; try again")

    # --- population -------------------------------------------------------------------------

    def take_dirty(self) -> list[str]:
        """The users whose log changed since the last population rebuild, cleared in the same step.

        Every task of a burst of feedback calls this; only the first one after the burst gets users
        (and so rebuilds the population), the others find the set empty: one rebuild per burst.
        """
        pipe = self.redis.pipeline(transaction=True)
        pipe.smembers(DIRTY_KEY)
        pipe.delete(DIRTY_KEY)
        users, _ = pipe.execute()
        return sorted(cast(set[str], users))

    def rebuild_population(self) -> Population:
        users = sorted(cast(set[str], self.redis.smembers(USERS_KEY)))
        raws = cast(list[str | None], self.redis.mget([profile_key(u) for u in users])) if users else []
        profiles = [LearningProfile.from_dict(json.loads(r)["profile"]) for r in raws if r is not None]
        population = build_population(profiles)
        self.redis.set(POPULATION_KEY, dumps(population.to_dict()))
        return population

    def population(self) -> Population:
        """The stored prior; before the first rebuild, the prior of no profiles (a read never writes)."""
        raw = self.redis.get(POPULATION_KEY)
        if raw is None:
            return build_population([])
        return Population.from_dict(json.loads(cast(str, raw)))
