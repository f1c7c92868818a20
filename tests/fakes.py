"""In-memory ports (service.ports) for service and API tests that need no Redis.

Each fake keeps the semantics the service relies on (a job finishes once, a batch completes once,
owned reads answer NotFound for another user's object, the dirty set is taken once), and no more.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from config import Settings
from core.cache import MemoryCache
from core.context import ContextState, ContextUpdate, apply_update
from core.errors import BlobTooLarge, NotFound, StorageUnavailable
from core.learning import (
    FeedbackEvent,
    Impression,
    LearningProfile,
    Population,
    build_population,
    build_profile,
    expire_impressions,
)
from core.suggestions import Suggestion
from service.messages import JobStatus, Message
from service.model import Batch, ContextResult, Job, suggestion_from_dict
from service.ports import Ports, SweepReport
from store.blobs import check_sha256
from store.retention import mark_and_sweep
from store.staging import StagedUpload


class RecordingPublisher:
    """Keeps what was published, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[Message, list[str]]] = []

    def publish(self, message: Message, *, rooms: list[str]) -> None:
        self.sent.append((message, rooms))


@dataclass
class RecordingQueue:
    """Records what the services enqueue; ``run`` hands the calls to a function (or nobody)."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def analyze_track(self, job_id: str, sha256: str) -> None:
        self.calls.append(("analyze_track", (job_id, sha256)))

    def analyze_session(self, session_job_id: str, *, tracks: list[tuple[str, str]]) -> None:
        self.calls.append(("analyze_session", (session_job_id, tuple(tracks))))

    def rebuild_learning(self, user: str) -> None:
        self.calls.append(("rebuild_learning", (user,)))

    def preview(self, job_id: str) -> None:
        self.calls.append(("preview", (job_id,)))

    def compare(self, job_id: str) -> None:
        self.calls.append(("compare", (job_id,)))

    def measure_moves(self, job_id: str, stems: list[dict[str, Any]]) -> None:
        self.calls.append(("measure_moves", (job_id, stems)))

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]


class MemoryJobStore:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._batches: dict[str, Batch] = {}
        self._finished: dict[str, set[str]] = {}
        self._sessions: dict[tuple[str, str], dict[str, Any]] = {}
        self._latest: dict[tuple[str, str], str] = {}
        self._json: dict[str, Any] = {}
        self._suggestions: dict[str, list[dict[str, Any]]] = {}
        self._blobs: dict[str, set[str]] = {}

    def create_job(self, job: Job) -> Job:
        self._jobs[job.job_id] = job
        return job

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def owned_job(self, job_id: str, owner: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound(f"job {job_id!r} not found")
        return job

    def update_job(self, job_id: str, **changes: Any) -> Job:
        if job_id not in self._jobs:
            raise NotFound(f"job {job_id!r} not found (expired?)")
        self._jobs[job_id] = replace(self._jobs[job_id], **changes)
        return self._jobs[job_id]

    def finish_job(self, job_id: str, **changes: Any) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"job {job_id!r} not found (expired?)")
        if job.status.finished:
            return None
        return self.update_job(job_id, **changes)

    def set_progress(self, job_id: str, progress: float, stage: str) -> None:
        job = self._jobs[job_id]
        if not job.status.finished:
            self._jobs[job_id] = replace(job, status=JobStatus.RUNNING, progress=progress, stage=stage)

    def create_batch(self, batch: Batch, *, finished: tuple[str, ...] = ()) -> Batch:
        self._batches[batch.batch_id] = batch
        self._finished[batch.batch_id] = set(finished)
        return batch

    def batch(self, batch_id: str) -> Batch | None:
        return self._batches.get(batch_id)

    def owned_batch(self, batch_id: str, owner: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None or batch.owner != owner:
            raise NotFound(f"batch {batch_id!r} not found")
        return batch

    def jobs(self, job_ids: tuple[str, ...]) -> list[Job]:
        return [self._jobs[j] for j in job_ids if j in self._jobs]

    def finish_in_batch(self, batch_id: str, job_id: str) -> tuple[int, int, bool]:
        batch = self._batches.get(batch_id)
        if batch is None:
            return 0, 0, False
        done = self._finished.setdefault(batch_id, set())
        added = job_id not in done
        done.add(job_id)
        total = len(batch.job_ids)
        return len(done), total, added and len(done) == total

    def mark_batch_announced(self, batch_id: str) -> None:
        self._batches[batch_id] = replace(self._batches[batch_id], announced=True)

    def put_session(self, owner: str, session_id: str, doc: dict[str, Any]) -> bool:
        created = (owner, session_id) not in self._sessions
        self._sessions[(owner, session_id)] = dict(doc)
        return created

    def owned_session(self, owner: str, session_id: str) -> dict[str, Any]:
        if (owner, session_id) not in self._sessions:
            raise NotFound(f"session {session_id!r} not found")
        return dict(self._sessions[(owner, session_id)])

    def set_latest_session_job(self, owner: str, session_id: str, job_id: str) -> None:
        self._latest[(owner, session_id)] = job_id

    def latest_session_job(self, owner: str, session_id: str) -> Job:
        if (owner, session_id) not in self._latest:
            raise NotFound(f"session {session_id!r} has not been analysed")
        return self.owned_job(self._latest[(owner, session_id)], owner)

    def put_session_input(self, job_id: str, doc: dict[str, Any]) -> None:
        self._json[f"input:{job_id}"] = dict(doc)

    def session_input(self, job_id: str) -> dict[str, Any]:
        if f"input:{job_id}" not in self._json:
            raise NotFound(f"the session document of job {job_id!r} expired")
        return dict(self._json[f"input:{job_id}"])

    def put_session_result(self, job_id: str, result: dict[str, Any]) -> str:
        key = f"session-result:{job_id}"
        self._json[key] = result
        return key

    def put_track_suggestions(self, job_id: str, suggestions: list[dict[str, Any]]) -> None:
        self._suggestions[job_id] = list(suggestions)

    def track_suggestions(self, job_id: str) -> list[dict[str, Any]]:
        return list(self._suggestions.get(job_id, []))

    def put_suggestion_sources(self, owner: str, sources: Mapping[str, Mapping[str, Any]]) -> None:
        for suggestion_id, source in sources.items():
            self._json[f"source:{owner}:{suggestion_id}"] = dict(source)

    def suggestion_source(self, owner: str, suggestion_id: str) -> dict[str, Any] | None:
        value = self._json.get(f"source:{owner}:{suggestion_id}")
        return None if value is None else dict(value)

    def load_json(self, key: str) -> dict[str, Any] | None:
        value = self._json.get(key)
        return None if value is None else dict(value)

    def add_blob(self, owner: str, sha256: str) -> None:
        self._blobs.setdefault(owner, set()).add(sha256)

    def owns_blob(self, owner: str, sha256: str) -> bool:
        return sha256 in self._blobs.get(owner, set())

    def referenced_blobs(self) -> set[str]:
        named = {j.sha256 for j in self._jobs.values() if j.sha256}
        docs = json.dumps([*self._sessions.values(), *self._json.values()])
        return named | set(re.findall(r"\b[0-9a-f]{64}\b", docs))

    def forget_blobs(self, hashes: Collection[str]) -> None:
        for owned in self._blobs.values():
            owned.difference_update(hashes)


class MemoryBlobStore:
    """Blobs in a dict; ``open_path`` writes the blob to ``root`` (core.audio decodes files)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs: dict[str, bytes] = {}
        self.marked: dict[str, float] = {}
        #: What ``check`` answers as StorageUnavailable (None: the store is usable).
        self.unavailable: str | None = None

    def exists(self, sha256: str) -> bool:
        return check_sha256(sha256) in self._blobs

    def check(self) -> None:
        if self.unavailable is not None:
            raise StorageUnavailable(self.unavailable)

    def open_path(self, sha256: str) -> Path:
        if not self.exists(sha256):
            raise NotFound(f"blob {sha256} is not in the store")
        path = self.root / sha256
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self._blobs[sha256])
        return path

    def stage(self, *, max_bytes: int, name: str = "file") -> StagedUpload:
        return StagedUpload(None, max_bytes=max_bytes, name=name)

    def put(self, stream: IO[bytes], *, max_bytes: int, name: str = "file") -> tuple[str, int]:
        data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise BlobTooLarge(f"file {name!r} is larger than the limit of {max_bytes} bytes")
        sha256 = hashlib.sha256(data).hexdigest()
        self._blobs[sha256] = data
        return sha256, len(data)

    def put_bytes(self, data: bytes, *, name: str = "file") -> str:
        return self.put(io.BytesIO(data), max_bytes=len(data), name=name)[0]

    def sweep(self, referenced: Callable[[str], bool], *, grace_s: float, now_s: float) -> SweepReport:
        return mark_and_sweep(self, referenced, grace_s=grace_s, now_s=now_s)

    # store.retention.Marked, marks in a dict (mark id = the hash)
    def blob_hashes(self) -> list[str]:
        return list(self._blobs)

    def marks(self) -> dict[str, tuple[str, float]]:
        return {sha256: (sha256, since) for sha256, since in self.marked.items()}

    def add_mark(self, sha256: str, now_s: float) -> None:
        self.marked[sha256] = now_s

    def has_mark(self, mark_id: str) -> bool:
        return mark_id in self.marked

    def drop_marks(self, mark_ids: Iterable[str]) -> None:
        for mark_id in list(mark_ids):
            self.marked.pop(mark_id, None)

    def delete_blob(self, sha256: str) -> None:
        self._blobs.pop(sha256, None)
        self.marked.pop(sha256, None)


class MemoryLearningStore:
    def __init__(self) -> None:
        self._index: dict[str, dict[str, dict[str, Any]]] = {}
        self._log: dict[str, list[FeedbackEvent]] = {}
        self._profiles: dict[str, LearningProfile] = {}
        self._acted: dict[str, set[str]] = {}
        self._dirty: set[str] = set()
        self._population: Population | None = None
        self.population_builds = 0
        self._style: dict[str, dict[str, dict[str, Any]]] = {}

    def index_suggestions(self, user: str, suggestions: Iterable[Mapping[str, Any]]) -> int:
        found = {str(s["id"]): dict(s) for s in suggestions}
        self._index.setdefault(user, {}).update(found)
        return len(found)

    def suggestion(self, user: str, suggestion_id: str) -> Suggestion | None:
        raw = self._index.get(user, {}).get(suggestion_id)
        return None if raw is None else suggestion_from_dict(raw)

    def acted_on(self, user: str) -> frozenset[str]:
        return frozenset(self._acted.get(user, set()))

    def forget_acted(self, user: str, suggestion_ids: Iterable[str]) -> None:
        self._acted.get(user, set()).difference_update(suggestion_ids)

    def append(self, event: FeedbackEvent, *, explicit: bool = True) -> str:
        log = self._log.setdefault(event.user_id, [])
        log.append(event)
        self._dirty.add(event.user_id)
        if explicit:
            self._acted.setdefault(event.user_id, set()).add(event.suggestion_id)
        return f"{len(log)}-0"

    def replace_log(self, user: str, events: Iterable[FeedbackEvent]) -> int:
        self._log[user] = list(events)
        self._profiles.pop(user, None)
        self._acted.pop(user, None)
        self._dirty.add(user)
        return len(self._log[user])

    def events(self, user: str) -> list[FeedbackEvent]:
        return list(self._log.get(user, []))

    def profile(self, user: str) -> LearningProfile:
        return build_profile(self._log.get(user, []), user_id=user)

    def refresh_profile(self, user: str, *, full: bool = False) -> LearningProfile:
        self._profiles[user] = self.profile(user)
        return self._profiles[user]

    def take_dirty(self) -> list[str]:
        dirty, self._dirty = sorted(self._dirty), set()
        return dirty

    def rebuild_population(self) -> Population:
        self.population_builds += 1
        self._population = build_population(self._profiles.values())
        return self._population

    def population(self) -> Population:
        return self._population if self._population is not None else build_population([])

    def add_style_session(self, user: str, session_id: str, doc: Mapping[str, Any]) -> None:
        self._style.setdefault(user, {})[session_id] = dict(doc)

    def style_sessions(self, user: str) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in sorted(self._style.get(user, {}).items())}

    def replace_style_sessions(self, user: str, docs: Mapping[str, Mapping[str, Any]]) -> None:
        self._style[user] = {k: dict(v) for k, v in docs.items()}


class MemoryContextStore:
    def __init__(self, learning: MemoryLearningStore) -> None:
        self._learning = learning
        self._states: dict[tuple[str, str], ContextState] = {}
        self._shown: dict[tuple[str, str], list[Impression]] = {}
        self._actions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._workflows: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, owner: str, session_id: str) -> ContextState | None:
        return self._states.get((owner, session_id))

    def exists(self, owner: str, session_id: str) -> bool:
        return (owner, session_id) in self._states

    def apply(
        self, owner: str, update: ContextUpdate, *, now_s: float, acted_on: Callable[[], frozenset[str]]
    ) -> ContextResult:
        key = (owner, update.session_id)
        state, changes = apply_update(self._states.get(key), update, now_s=now_s)
        shown = self._shown.get(key, [])
        pending, ignored = (
            expire_impressions(shown, action_count=state.action_count, acted_on=acted_on(), now_s=now_s)
            if shown
            else ((), ())
        )
        self._states[key] = state
        self._shown[key] = list(pending)
        for event in ignored:
            self._learning.append(event, explicit=False)
        return ContextResult(state, changes, ignored)

    def add_impressions(self, owner: str, session_id: str, new: list[Impression]) -> list[Impression]:
        shown = self._shown.setdefault((owner, session_id), [])
        known = {i.suggestion_id for i in shown}
        added = [i for i in new if i.suggestion_id not in known]
        shown.extend(added)
        return added

    def append_action(
        self, owner: str, session_id: str, record: Mapping[str, Any], *, keep: int
    ) -> list[dict[str, Any]]:
        history = self._actions.setdefault((owner, session_id), [])
        history.append(dict(record))
        del history[:-keep]
        return [dict(r) for r in history]

    def actions(self, owner: str, session_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._actions.get((owner, session_id), [])]

    def swap_workflow(self, owner: str, session_id: str, summary: Mapping[str, Any]) -> dict[str, Any] | None:
        previous = self._workflows.get((owner, session_id))
        self._workflows[(owner, session_id)] = dict(summary)
        return previous


class MemoryHealth:
    def __init__(self) -> None:
        self.workers: dict[str, bool] = {}

    def ping(self) -> None:
        return None

    def beat(self, hostname: str, instance: str = "") -> None:
        self.workers[hostname] = True

    def leave(self, hostname: str, instance: str = "") -> None:
        self.workers.pop(hostname, None)

    def stale_jobs(self) -> int:
        return 0

    def claim(self, instance: str, delivery_tag: str) -> None:
        return None

    def prune_claims(self, instance: str) -> None:
        return None

    def dead_instances(self) -> list[str]:
        return []

    def take_over(self, instance: str) -> list[str] | None:
        return None

    def forget(self, instance: str) -> None:
        return None

    def live_workers(self) -> list[str]:
        return sorted(self.workers)

    def queue_depths(self, queues: tuple[str, ...]) -> dict[str, int]:
        return dict.fromkeys(queues, 0)


def memory_ports(settings: Settings, *, blob_root: Path) -> Ports:
    """Every port in memory; ``ports.queue`` records, ``ports.publisher`` records."""
    learning = MemoryLearningStore()
    return Ports(
        settings=settings,
        jobs=MemoryJobStore(),
        blobs=MemoryBlobStore(blob_root),
        cache=MemoryCache(),
        learning=learning,
        contexts=MemoryContextStore(learning),
        publisher=RecordingPublisher(),
        health=MemoryHealth(),
        queue=RecordingQueue(),
    )


def record_puts(ports: Ports) -> list[tuple[str, int | None]]:
    """(key, ttl_s) of every value ``ports.cache`` is given from now on, in order (the cache still
    stores it). The wrapper lives on the instance, which each test's ports are."""
    puts: list[tuple[str, int | None]] = []
    put = ports.cache.put

    def recording(
        key: str, value: dict[str, Any], *, compute_s: float = 0.0, ttl_s: int | None = None
    ) -> None:
        puts.append((key, ttl_s))
        put(key, value, compute_s=compute_s, ttl_s=ttl_s)

    ports.cache.put = recording  # type: ignore[method-assign]
    return puts
