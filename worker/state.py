"""Job, batch, session and blob-ownership state in Redis: the REST source of truth.

Layout (every key under config.KEY_PREFIX, expiring after Settings.result_ttl_s):
``job:<id>`` hash; ``batch:<id>`` hash and ``batch:<id>:finished`` set; ``session:<owner>:<id>``
the session document (JSON); ``session:<owner>:<id>:latest`` the last analysis job;
``session-result:<job_id>`` the session step's output; ``blobs:<owner>`` the hashes a user uploaded.
A track job's result is not copied: ``result_key`` points at the cached analysis.
Every read that serves a client goes through an ``owned_*`` method, which answers NotFound for
another user's object exactly as for a missing one.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, cast

import redis

from config import KEY_PREFIX
from core.errors import NotFound
from core.messages import JobKind, JobStatus


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Job:
    job_id: str
    owner: str
    kind: JobKind = JobKind.TRACK
    status: JobStatus = JobStatus.QUEUED
    progress: float = 0.0
    stage: str = "queued"
    name: str = ""
    sha256: str = ""
    cached: bool = False
    batch_id: str = ""
    session_id: str = ""
    track_id: str = ""
    track_type: str = ""
    result_key: str = ""
    error: dict[str, str] | None = None
    worker: str = ""
    elapsed_s: float | None = None
    children: tuple[str, ...] = ()
    created_at: float = field(default_factory=time.time)
    #: True once the final event (job.done / job.failed) was published; a redelivered task re-announces
    #: a finished job whose worker died between storing the state and publishing it.
    announced: bool = False

    def to_hash(self) -> dict[str, str]:
        return {
            "job_id": self.job_id,
            "owner": self.owner,
            "kind": self.kind.value,
            "status": self.status.value,
            "progress": repr(self.progress),
            "stage": self.stage,
            "name": self.name,
            "sha256": self.sha256,
            "cached": "1" if self.cached else "0",
            "batch_id": self.batch_id,
            "session_id": self.session_id,
            "track_id": self.track_id,
            "track_type": self.track_type,
            "result_key": self.result_key,
            "error": json.dumps(self.error) if self.error else "",
            "worker": self.worker,
            "elapsed_s": "" if self.elapsed_s is None else repr(self.elapsed_s),
            "children": json.dumps(list(self.children)),
            "created_at": repr(self.created_at),
            "announced": "1" if self.announced else "0",
        }

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> Job:
        return cls(
            job_id=h["job_id"],
            owner=h["owner"],
            kind=JobKind(h.get("kind", "track")),
            status=JobStatus(h.get("status", "queued")),
            progress=float(h.get("progress") or 0.0),
            stage=h.get("stage", ""),
            name=h.get("name", ""),
            sha256=h.get("sha256", ""),
            cached=h.get("cached") == "1",
            batch_id=h.get("batch_id", ""),
            session_id=h.get("session_id", ""),
            track_id=h.get("track_id", ""),
            track_type=h.get("track_type", ""),
            result_key=h.get("result_key", ""),
            error=json.loads(h["error"]) if h.get("error") else None,
            worker=h.get("worker", ""),
            elapsed_s=float(h["elapsed_s"]) if h.get("elapsed_s") else None,
            children=tuple(json.loads(h.get("children") or "[]")),
            created_at=float(h.get("created_at") or 0.0),
            announced=h.get("announced", "1") == "1",
        )

    def to_dict(self) -> dict[str, Any]:
        """The public view (without the result, which the caller loads from ``result_key``)."""
        out: dict[str, Any] = {
            "job_id": self.job_id,
            "kind": self.kind.value,
            "status": self.status.value,
            "progress": self.progress,
            "stage": self.stage,
            "name": self.name,
            "sha256": self.sha256 or None,
            "cached": self.cached,
            "batch_id": self.batch_id or None,
        }
        if self.session_id:
            out["session_id"] = self.session_id
        if self.track_id:
            out["track_id"] = self.track_id
        if self.track_type:
            out["track_type"] = self.track_type
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class Batch:
    batch_id: str
    owner: str
    job_ids: tuple[str, ...]
    session_job_id: str = ""
    created_at: float = field(default_factory=time.time)


#: Set status/progress/stage unless the job is already done or failed (one atomic step in Redis).
_SET_PROGRESS = """
local status = redis.call('HGET', KEYS[1], 'status')
if status == ARGV[4] or status == ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'progress', ARGV[2], 'stage', ARGV[3])
return 1
"""


class JobStore:
    """All job state; one instance per process, sharing a decode_responses Redis client."""

    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self.redis = client
        self.ttl_s = ttl_s
        self._progress_script = client.register_script(_SET_PROGRESS)

    # --- jobs -------------------------------------------------------------------------------

    @staticmethod
    def _job_key(job_id: str) -> str:
        return f"{KEY_PREFIX}job:{job_id}"

    def create_job(self, job: Job) -> Job:
        key = self._job_key(job.job_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=cast(Any, job.to_hash()))
        pipe.expire(key, self.ttl_s)
        pipe.execute()
        return job

    def job(self, job_id: str) -> Job | None:
        h = cast(dict[str, str], self.redis.hgetall(self._job_key(job_id)))
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
        self.redis.hset(self._job_key(job_id), mapping=cast(Any, {k: new[k] for k in changes}))
        return job

    def finish_job(self, job_id: str, **changes: Any) -> Job | None:
        """Move a job to its final state once; None when it was already finished.

        A message the broker redelivers while its first delivery still runs (a task longer than the
        visibility timeout, a worker presumed dead) makes two workers finish the same job: only the
        first one, checked and written in one WATCH/MULTI transaction, goes on to announce it.
        """
        key = self._job_key(job_id)
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
            keys=[self._job_key(job_id)],
            args=[
                JobStatus.RUNNING.value,
                repr(progress),
                stage,
                JobStatus.DONE.value,
                JobStatus.FAILED.value,
            ],
        )

    # --- batches ----------------------------------------------------------------------------

    @staticmethod
    def _batch_key(batch_id: str) -> str:
        return f"{KEY_PREFIX}batch:{batch_id}"

    def create_batch(self, batch: Batch, *, finished: tuple[str, ...] = ()) -> Batch:
        key = self._batch_key(batch.batch_id)
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
            pipe.sadd(key + ":finished", *finished)
            pipe.expire(key + ":finished", self.ttl_s)
        pipe.execute()
        return batch

    def batch(self, batch_id: str) -> Batch | None:
        h = cast(dict[str, str], self.redis.hgetall(self._batch_key(batch_id)))
        if not h:
            return None
        return Batch(
            batch_id=h["batch_id"],
            owner=h["owner"],
            job_ids=tuple(json.loads(h["job_ids"])),
            session_job_id=h.get("session_job_id", ""),
            created_at=float(h.get("created_at") or 0.0),
        )

    def owned_batch(self, batch_id: str, owner: str) -> Batch:
        batch = self.batch(batch_id)
        if batch is None or batch.owner != owner:
            raise NotFound(f"batch {batch_id!r} not found")
        return batch

    def jobs(self, job_ids: tuple[str, ...]) -> list[Job]:
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hgetall(self._job_key(job_id))
        return [Job.from_hash(cast(dict[str, str], h)) for h in pipe.execute() if h]

    def finish_in_batch(self, batch_id: str, job_id: str) -> tuple[int, int, bool]:
        """Record a finished job; return ``(finished, total, completed_now)``.

        ``completed_now`` is true for exactly one call per batch (SADD reports whether this call
        added the job), so a redelivered task never announces a batch twice.
        """
        batch = self.batch(batch_id)
        if batch is None:
            return 0, 0, False
        key = self._batch_key(batch_id) + ":finished"
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(key, job_id)
        pipe.scard(key)
        pipe.expire(key, self.ttl_s)
        added, finished, _ = pipe.execute()
        total = len(batch.job_ids)
        return finished, total, bool(added) and finished == total

    def batch_finished(self, batch_id: str) -> int:
        return int(self.redis.scard(self._batch_key(batch_id) + ":finished"))

    # --- sessions ---------------------------------------------------------------------------

    @staticmethod
    def _session_key(owner: str, session_id: str) -> str:
        return f"{KEY_PREFIX}session:{owner}:{session_id}"

    def put_session(self, owner: str, session_id: str, doc: dict[str, Any]) -> bool:
        """Store a session document; return True when it did not exist before."""
        key = self._session_key(owner, session_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.exists(key)
        pipe.set(key, json.dumps(doc, allow_nan=False), ex=self.ttl_s)
        existed, _ = pipe.execute()
        return not existed

    def owned_session(self, owner: str, session_id: str) -> dict[str, Any]:
        raw = self.redis.get(self._session_key(owner, session_id))
        if raw is None:
            raise NotFound(f"session {session_id!r} not found")
        doc: dict[str, Any] = json.loads(raw)
        return doc

    def set_latest_session_job(self, owner: str, session_id: str, job_id: str) -> None:
        self.redis.set(self._session_key(owner, session_id) + ":latest", job_id, ex=self.ttl_s)

    def latest_session_job(self, owner: str, session_id: str) -> Job:
        job_id = self.redis.get(self._session_key(owner, session_id) + ":latest")
        if job_id is None:
            raise NotFound(f"session {session_id!r} has not been analysed")
        return self.owned_job(str(job_id), owner)

    def put_session_input(self, job_id: str, doc: dict[str, Any]) -> None:
        """Freeze the session document a job analyses (the client may PUT a new one meanwhile)."""
        self.redis.set(f"{KEY_PREFIX}session-input:{job_id}", json.dumps(doc, allow_nan=False), ex=self.ttl_s)

    def session_input(self, job_id: str) -> dict[str, Any]:
        doc = self.load_json(f"{KEY_PREFIX}session-input:{job_id}")
        if doc is None:
            raise NotFound(f"the session document of job {job_id!r} expired")
        return doc

    @staticmethod
    def session_result_key(job_id: str) -> str:
        return f"{KEY_PREFIX}session-result:{job_id}"

    def put_session_result(self, job_id: str, result: dict[str, Any]) -> str:
        key = self.session_result_key(job_id)
        self.redis.set(key, json.dumps(result, allow_nan=False, separators=(",", ":")), ex=self.ttl_s)
        return key

    def load_json(self, key: str) -> dict[str, Any] | None:
        raw = self.redis.get(key)
        return None if raw is None else json.loads(raw)

    # --- blob ownership ---------------------------------------------------------------------

    def add_blob(self, owner: str, sha256: str) -> None:
        self.redis.sadd(f"{KEY_PREFIX}blobs:{owner}", sha256)

    def owns_blob(self, owner: str, sha256: str) -> bool:
        return bool(self.redis.sismember(f"{KEY_PREFIX}blobs:{owner}", sha256))
