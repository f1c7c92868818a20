"""Job, batch, session and blob-ownership state in Redis: the REST source of truth.

Layout (every key under config.KEY_PREFIX, expiring after Settings.result_ttl_s):
``job:<id>`` hash; ``batch:<id>`` hash and ``batch:<id>:finished`` set; ``session:<owner>:<id>``
the session document (JSON); ``session:<owner>:<id>:latest`` the last analysis job;
``session-result:<job_id>`` the session step's output; ``track-suggestions:<job_id>`` a track job's
suggestions; ``blobs:<owner>`` the hashes a user uploaded (store/keys.py builds every key).
A track job's result is not copied: ``result_key`` points at the cached analysis.
Every read that serves a client goes through an ``owned_*`` method, which answers NotFound for
another user's object exactly as for a missing one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from typing import Any, cast

import orjson
import redis

from core.errors import NotFound
from service.messages import JobStatus
from service.model import Batch, Job
from store import keys

#: Set status/progress/stage unless the job is already done or failed (one atomic step in Redis).
_SET_PROGRESS = """
local status = redis.call('HGET', KEYS[1], 'status')
if status == ARGV[4] or status == ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'progress', ARGV[2], 'stage', ARGV[3])
return 1
"""


class RedisJobStore:
    """All job state (service.ports.JobStore); one per process, on a decode_responses client."""

    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self.redis = client
        self.ttl_s = ttl_s
        self._progress_script = client.register_script(_SET_PROGRESS)

    # --- jobs -------------------------------------------------------------------------------

    def create_job(self, job: Job) -> Job:
        key = keys.job(job.job_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=cast(Any, job.to_hash()))
        pipe.expire(key, self.ttl_s)
        pipe.execute()
        return job

    def job(self, job_id: str) -> Job | None:
        h = cast(dict[str, str], self.redis.hgetall(keys.job(job_id)))
        return Job.from_hash(h) if h else None

    def owned_job(self, job_id: str, owner: str) -> Job:
        job = self.job(job_id)
        if job is None or job.owner != owner:
            raise NotFound(f"job {job_id!r} not found")
        return job

    def update_job(self, job_id: str, **changes: Any) -> Job:
        """Apply ``changes`` to a job (which must exist) and return the new state."""
        job = self.job(job_id)
        if job is None:
            raise NotFound(f"job {job_id!r} not found (expired?)")
        job = replace(job, **changes)
        new = job.to_hash()
        self.redis.hset(keys.job(job_id), mapping=cast(Any, {k: new[k] for k in changes}))
        return job

    def finish_job(self, job_id: str, **changes: Any) -> Job | None:
        """Move a job to its final state once; None when it was already finished.

        A message the broker redelivers while its first delivery still runs (a task longer than the
        visibility timeout, a worker presumed dead) makes two workers finish the same job: only the
        first one, checked and written in one WATCH/MULTI transaction, goes on to announce it.
        """
        key = keys.job(job_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    current = cast(dict[str, str], pipe.hgetall(key))
                    if not current:
                        raise NotFound(f"job {job_id!r} not found (expired?)")
                    job = Job.from_hash(current)
                    if job.status.finished:
                        pipe.unwatch()
                        return None
                    job = replace(job, **changes)
                    new = job.to_hash()
                    pipe.multi()
                    pipe.hset(key, mapping=cast(Any, {k: new[k] for k in changes}))
                    pipe.execute()
                    return job
                except redis.WatchError:
                    continue

    def set_progress(self, job_id: str, progress: float, stage: str) -> None:
        """Report progress on a running job; a finished job (another delivery won) is left alone."""
        self._progress_script(
            keys=[keys.job(job_id)],
            args=[
                JobStatus.RUNNING.value,
                repr(progress),
                stage,
                JobStatus.DONE.value,
                JobStatus.FAILED.value,
            ],
        )

    # --- batches ----------------------------------------------------------------------------

    def create_batch(self, batch: Batch, *, finished: tuple[str, ...] = ()) -> Batch:
        key = keys.batch(batch.batch_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "batch_id": batch.batch_id,
                "owner": batch.owner,
                "job_ids": json.dumps(list(batch.job_ids)),
                "session_job_id": batch.session_job_id,
                "created_at": repr(batch.created_at),
            },
        )
        pipe.expire(key, self.ttl_s)
        if finished:
            pipe.sadd(keys.batch_finished(batch.batch_id), *finished)
            pipe.expire(keys.batch_finished(batch.batch_id), self.ttl_s)
        pipe.execute()
        return batch

    def batch(self, batch_id: str) -> Batch | None:
        h = cast(dict[str, str], self.redis.hgetall(keys.batch(batch_id)))
        if not h:
            return None
        return Batch(
            batch_id=h["batch_id"],
            owner=h["owner"],
            job_ids=tuple(json.loads(h["job_ids"])),
            session_job_id=h.get("session_job_id", ""),
            created_at=float(h.get("created_at") or 0.0),
            announced=h.get("announced") == "1",
        )

    def owned_batch(self, batch_id: str, owner: str) -> Batch:
        batch = self.batch(batch_id)
        if batch is None or batch.owner != owner:
            raise NotFound(f"batch {batch_id!r} not found")
        return batch

    def jobs(self, job_ids: tuple[str, ...]) -> list[Job]:
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hgetall(keys.job(job_id))
        return [Job.from_hash(cast(dict[str, str], h)) for h in pipe.execute() if h]

    def finish_in_batch(self, batch_id: str, job_id: str) -> tuple[int, int, bool]:
        """Record a finished job; return ``(finished, total, completed_now)``.

        ``completed_now`` is true for exactly one call per batch (SADD reports whether this call
        added the job), so a redelivered task never announces a batch twice.
        """
        batch = self.batch(batch_id)
        if batch is None:
            return 0, 0, False
        key = keys.batch_finished(batch_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(key, job_id)
        pipe.scard(key)
        pipe.expire(key, self.ttl_s)
        added, finished, _ = pipe.execute()
        total = len(batch.job_ids)
        return finished, total, bool(added) and finished == total

    def mark_batch_announced(self, batch_id: str) -> None:
        self.redis.hset(keys.batch(batch_id), "announced", "1")

    def batch_finished(self, batch_id: str) -> int:
        return int(self.redis.scard(keys.batch_finished(batch_id)))

    # --- sessions ---------------------------------------------------------------------------

    def put_session(self, owner: str, session_id: str, doc: dict[str, Any]) -> bool:
        """Store a session document; return True when it did not exist before."""
        key = keys.session(owner, session_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.exists(key)
        pipe.set(key, json.dumps(doc, allow_nan=False), ex=self.ttl_s)
        existed, _ = pipe.execute()
        return not existed

    def owned_session(self, owner: str, session_id: str) -> dict[str, Any]:
        raw = self.redis.get(keys.session(owner, session_id))
        if raw is None:
            raise NotFound(f"session {session_id!r} not found")
        doc: dict[str, Any] = orjson.loads(raw)
        return doc

    def set_latest_session_job(self, owner: str, session_id: str, job_id: str) -> None:
        self.redis.set(keys.session_latest(owner, session_id), job_id, ex=self.ttl_s)

    def latest_session_job(self, owner: str, session_id: str) -> Job:
        job_id = self.redis.get(keys.session_latest(owner, session_id))
        if job_id is None:
            raise NotFound(f"session {session_id!r} has not been analysed")
        return self.owned_job(str(job_id), owner)

    def put_session_input(self, job_id: str, doc: dict[str, Any]) -> None:
        """Freeze the session document a job analyses (the client may PUT a new one meanwhile)."""
        self.redis.set(keys.session_input(job_id), json.dumps(doc, allow_nan=False), ex=self.ttl_s)

    def session_input(self, job_id: str) -> dict[str, Any]:
        doc = self.load_json(keys.session_input(job_id))
        if doc is None:
            raise NotFound(f"the session document of job {job_id!r} expired")
        return doc

    def put_session_result(self, job_id: str, result: dict[str, Any]) -> str:
        key = keys.session_result(job_id)
        self.redis.set(key, json.dumps(result, allow_nan=False, separators=(",", ":")), ex=self.ttl_s)
        return key

    def put_track_suggestions(self, job_id: str, suggestions: list[dict[str, Any]]) -> None:
        """A track job's suggestions, stored once when its result is (a job's type and id shape them)."""
        value = json.dumps(suggestions, allow_nan=False, separators=(",", ":"))
        self.redis.set(keys.track_suggestions(job_id), value, ex=self.ttl_s)

    def track_suggestions(self, job_id: str) -> list[dict[str, Any]]:
        raw = self.redis.get(keys.track_suggestions(job_id))
        return [] if raw is None else cast(list[dict[str, Any]], orjson.loads(raw))

    def put_suggestion_sources(self, owner: str, sources: Mapping[str, Mapping[str, Any]]) -> None:
        """Where each suggestion's audio and context are (service.suggestions.source_of), by id."""
        if not sources:
            return
        mapping = {sid: json.dumps(dict(src), allow_nan=False) for sid, src in sources.items()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.suggestion_sources(owner), mapping=cast(Any, mapping))
        pipe.expire(keys.suggestion_sources(owner), self.ttl_s)
        pipe.execute()

    def suggestion_source(self, owner: str, suggestion_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(keys.suggestion_sources(owner), suggestion_id)
        return None if raw is None else cast(dict[str, Any], json.loads(cast(str, raw)))

    def load_json(self, key: str) -> dict[str, Any] | None:
        raw = self.redis.get(key)
        return None if raw is None else orjson.loads(raw)

    # --- blob ownership ---------------------------------------------------------------------

    def add_blob(self, owner: str, sha256: str) -> None:
        self.redis.sadd(keys.blobs(owner), sha256)

    def owns_blob(self, owner: str, sha256: str) -> bool:
        return bool(self.redis.sismember(keys.blobs(owner), sha256))

    # --- retention --------------------------------------------------------------------------

    def referenced_blobs(self) -> set[str]:
        """Every hash a job, a session document or a job's frozen input names (SCAN, in pages)."""
        found: set[str] = set()
        for batch in _pages(self.redis.scan_iter(keys.job("*"), count=_SCAN_PAGE)):
            pipe = self.redis.pipeline(transaction=False)
            for key in batch:
                pipe.hget(key, "sha256")
            found.update(h for h in pipe.execute() if h)
        for pattern in (keys.session("*", "*"), keys.session_input("*")):
            for batch in _pages(self.redis.scan_iter(pattern, count=_SCAN_PAGE)):
                pipe = self.redis.pipeline(transaction=False)
                for key in batch:
                    pipe.get(key)
                for raw in pipe.execute():
                    found.update(_hashes_in(raw))
        return found

    def forget_blobs(self, hashes: Collection[str]) -> None:
        if not hashes:
            return
        for key in self.redis.scan_iter(keys.blobs("*"), count=_SCAN_PAGE):
            self.redis.srem(key, *hashes)


_SCAN_PAGE = 500
_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def _pages(keys_: Iterator[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys_:
        batch.append(key)
        if len(batch) == _SCAN_PAGE:
            yield batch
            batch = []
    if batch:
        yield batch


def _hashes_in(raw: str | None) -> set[str]:
    """The sha256 strings in a stored document, wherever they sit (tracks, a comparison's a and b).

    A wrong-type key under the pattern (the ``…:latest`` job id) has none; a false positive only keeps
    a blob longer.
    """
    return set(_HASH.findall(raw)) if isinstance(raw, str) else set()
