"""The ports the services need, as Protocols, and the bundle of them a service function receives.

store/ implements every port but the queue (worker/queue.py) over Redis and the filesystem;
tests/fakes.py implements them in memory. A service function takes ``ports`` (and ``now_s`` where
time matters) and never imports Flask, Celery or redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from config import Settings
from core.cache import AnalysisCache
from core.context import ContextState, ContextUpdate
from core.learning import FeedbackEvent, Impression, LearningProfile, Population
from core.suggestions import Suggestion
from service.messages import Message
from service.model import Batch, ContextResult, Job


class JobStore(Protocol):
    """Jobs, batches, sessions and blob ownership: the REST source of truth."""

    def create_job(self, job: Job) -> Job: ...
    def job(self, job_id: str) -> Job | None: ...
    def owned_job(self, job_id: str, owner: str) -> Job: ...
    def update_job(self, job_id: str, **changes: Any) -> Job: ...
    def finish_job(self, job_id: str, **changes: Any) -> Job | None:
        """Move a job to its final state once; None when it was already finished."""
        ...

    def set_progress(self, job_id: str, progress: float, stage: str) -> None: ...
    def create_batch(self, batch: Batch, *, finished: tuple[str, ...] = ()) -> Batch: ...
    def batch(self, batch_id: str) -> Batch | None: ...
    def owned_batch(self, batch_id: str, owner: str) -> Batch: ...
    def jobs(self, job_ids: tuple[str, ...]) -> list[Job]: ...
    def finish_in_batch(self, batch_id: str, job_id: str) -> tuple[int, int, bool]:
        """Record a finished job; ``(finished, total, completed_now)``, completed_now true once."""
        ...

    def mark_batch_announced(self, batch_id: str) -> None: ...

    def put_session(self, owner: str, session_id: str, doc: dict[str, Any]) -> bool: ...
    def owned_session(self, owner: str, session_id: str) -> dict[str, Any]: ...
    def set_latest_session_job(self, owner: str, session_id: str, job_id: str) -> None: ...
    def latest_session_job(self, owner: str, session_id: str) -> Job: ...
    def put_session_input(self, job_id: str, doc: dict[str, Any]) -> None: ...
    def session_input(self, job_id: str) -> dict[str, Any]: ...
    def put_session_result(self, job_id: str, result: dict[str, Any]) -> str: ...
    def put_track_suggestions(self, job_id: str, suggestions: list[dict[str, Any]]) -> None: ...
    def track_suggestions(self, job_id: str) -> list[dict[str, Any]]: ...
    def put_suggestion_sources(self, owner: str, sources: Mapping[str, Mapping[str, Any]]) -> None:
        """Where each suggestion's audio and context are (service.suggestions.source_of), by id."""
        ...

    def suggestion_source(self, owner: str, suggestion_id: str) -> dict[str, Any] | None: ...
    def load_json(self, key: str) -> dict[str, Any] | None: ...
    def add_blob(self, owner: str, sha256: str) -> None: ...
    def owns_blob(self, owner: str, sha256: str) -> bool: ...
    def referenced_blobs(self) -> set[str]:
        """Every hash a stored job, session document or frozen session input names (retention)."""
        ...

    def forget_blobs(self, hashes: Collection[str]) -> None:
        """Drop every owner's record of ``hashes`` (retention deleted their bytes)."""
        ...


@dataclass(frozen=True)
class SweepReport:
    """What one retention sweep of a blob store did."""

    kept: int
    marked: int
    deleted: tuple[str, ...]
    #: Uploads given up on and cleaned away (S3 multipart uploads aborted, local temporary files).
    abandoned: int


class StagedFile(Protocol):
    """A file an upload is written into while it arrives (store/staging.py's StagedUpload)."""

    def write(self, data: bytes) -> int: ...
    def read(self, size: int = -1) -> bytes: ...
    def readline(self, size: int = -1) -> bytes: ...
    def seek(self, offset: int, whence: int = 0) -> int: ...
    def close(self) -> None: ...


class BlobStore(Protocol):
    """Content-addressed uploads, named by their sha256 (local directory or object storage)."""

    def exists(self, sha256: str) -> bool: ...
    def check(self) -> None:
        """Raise core.errors.StorageUnavailable when blobs cannot be stored or read now (/health's
        probe: quick, one attempt, cheap enough to be polled)."""
        ...

    def open_path(self, sha256: str) -> Path:
        """A local path of an existing blob (core.audio decodes files); NotFound when missing."""
        ...

    def stage(self, *, max_bytes: int, name: str = "file") -> StagedFile:
        """A file an upload is written into as it arrives (the multipart parser's), hashed on the
        way: ``put`` of it stores it without copying it again. Closing it unstored deletes it."""
        ...

    def put(self, stream: IO[bytes], *, max_bytes: int, name: str = "file") -> tuple[str, int]:
        """Copy ``stream`` in; ``(sha256, size)``. Raises store.blobs.BlobTooLarge (413) past max_bytes."""
        ...

    def put_bytes(self, data: bytes, *, name: str = "file") -> str: ...
    def sweep(self, referenced: Callable[[str], bool], *, grace_s: float, now_s: float) -> SweepReport:
        """Delete blobs unreferenced for ``grace_s`` seconds: marked by one sweep, deleted by a later one."""
        ...


@dataclass(frozen=True)
class MultipartUpload:
    """A presigned multipart upload: PUT part i's bytes to ``part_urls[i - 1]``, then complete it."""

    sha256: str
    size: int
    key: str
    upload_id: str
    part_bytes: int
    part_urls: tuple[str, ...] = field(repr=False)


@runtime_checkable
class DirectUploads(Protocol):
    """A blob store clients can upload to directly (object storage: presigned multipart URLs)."""

    def start_upload(
        self, sha256: str, *, size: int, max_bytes: int, expires_s: int = 3600, tag: str = ""
    ) -> MultipartUpload: ...
    def uploaded_parts(self, key: str, upload_id: str) -> list[dict[str, Any]]:
        """The parts the store holds: ``PartNumber``, ``Size``, ``ETag``."""
        ...

    def presign_parts(
        self, key: str, upload_id: str, numbers: Iterable[int], *, expires_s: int = 3600
    ) -> tuple[str, ...]: ...
    def complete_upload(self, sha256: str, *, key: str, upload_id: str, size: int) -> int:
        """Verify size and sha256, then store the blob; BlobHashMismatch (nothing stored) otherwise."""
        ...


class LearningStore(Protocol):
    """Feedback logs, profiles, the population prior and suggestions by id."""

    def index_suggestions(self, user: str, suggestions: Iterable[Mapping[str, Any]]) -> int: ...
    def suggestion(self, user: str, suggestion_id: str) -> Suggestion | None: ...
    def acted_on(self, user: str) -> frozenset[str]: ...
    def forget_acted(self, user: str, suggestion_ids: Iterable[str]) -> None: ...
    def append(self, event: FeedbackEvent, *, explicit: bool = True) -> str: ...
    def replace_log(self, user: str, events: Iterable[FeedbackEvent]) -> int: ...
    def events(self, user: str) -> list[FeedbackEvent]: ...
    def profile(self, user: str) -> LearningProfile:
        """The profile consistent with the whole log, without writing anything."""
        ...

    def refresh_profile(self, user: str, *, full: bool = False) -> LearningProfile: ...
    def take_dirty(self) -> list[str]:
        """Users whose log changed since the last population rebuild (cleared as it is read)."""
        ...

    def rebuild_population(self) -> Population: ...
    def population(self) -> Population: ...
    def add_style_session(self, user: str, session_id: str, doc: Mapping[str, Any]) -> None: ...
    def style_sessions(self, user: str) -> dict[str, dict[str, Any]]:
        """Session id -> the session as analysed (service.style), in session id order."""
        ...

    def replace_style_sessions(self, user: str, docs: Mapping[str, Mapping[str, Any]]) -> None: ...


class ContextStore(Protocol):
    """The DAW context of each session and the suggestions shown in it."""

    def get(self, owner: str, session_id: str) -> ContextState | None: ...
    def exists(self, owner: str, session_id: str) -> bool: ...
    def apply(
        self, owner: str, update: ContextUpdate, *, now_s: float, acted_on: Callable[[], frozenset[str]]
    ) -> ContextResult: ...
    def add_impressions(self, owner: str, session_id: str, new: list[Impression]) -> list[Impression]: ...
    def append_action(
        self, owner: str, session_id: str, record: Mapping[str, Any], *, keep: int
    ) -> list[dict[str, Any]]:
        """Append to the session's action history (the last ``keep`` kept); the whole history, in order."""
        ...

    def actions(self, owner: str, session_id: str) -> list[dict[str, Any]]: ...
    def swap_workflow(self, owner: str, session_id: str, summary: Mapping[str, Any]) -> dict[str, Any] | None:
        """Store the workflow summary being published; the previous one (None: the first)."""
        ...


class Publisher(Protocol):
    """Socket.IO events to rooms (through Redis to every API process)."""

    def publish(self, message: Message, *, rooms: list[str]) -> None: ...


class TaskQueue(Protocol):
    """The background work the services ask for (Celery in worker/queue.py)."""

    def analyze_track(self, job_id: str, sha256: str) -> None: ...
    def analyze_session(self, session_job_id: str, *, tracks: list[tuple[str, str]]) -> None:
        """Analyse ``tracks`` (``(job_id, sha256)``, in parallel), then the session job."""
        ...

    def rebuild_learning(self, user: str) -> None: ...
    def preview(self, job_id: str) -> None:
        """Render, verify and excerpt the suggestion(s) of a preview job (service.preview_job)."""
        ...

    def compare(self, job_id: str) -> None:
        """Compare the two blobs of a compare job (analyses from the cache, computed where missing)."""
        ...

    def measure_moves(self, job_id: str, stems: list[dict[str, Any]]) -> None:
        """A helper of session job ``job_id``'s vetting: measure what it can of the moves of ``stems``
        (service.vet_share.measure_moves) while the job measures the rest."""
        ...


class Claims(Protocol):
    """Who is doing one piece of shared work now, across every process (store/claims.py).

    A claim is held by one holder at a time, for ``ttl_s`` unless renewed; ``release`` frees it
    early. Two callers never both hold it; a holder that dies loses it when it runs out.
    """

    def claim(self, key: str, holder: str, *, ttl_s: float) -> bool: ...
    def renew(self, key: str, holder: str, *, ttl_s: float) -> bool:
        """Extend the caller's own claim; False when it is not (or no longer) the caller's."""
        ...

    def release(self, key: str, holder: str) -> None:
        """Free the caller's own claim (another holder's is left alone)."""
        ...


class LocalClaims:
    """Claims within one process (in-memory ports, eager mode), with the same expiry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, float]] = {}

    def claim(self, key: str, holder: str, *, ttl_s: float) -> bool:
        with self._lock:
            current = self._held.get(key)
            if current is not None and current[1] > time.monotonic():
                return False
            self._held[key] = (holder, time.monotonic() + ttl_s)
            return True

    def renew(self, key: str, holder: str, *, ttl_s: float) -> bool:
        with self._lock:
            current = self._held.get(key)
            if current is None or current[0] != holder or current[1] <= time.monotonic():
                return False
            self._held[key] = (holder, time.monotonic() + ttl_s)
            return True

    def release(self, key: str, holder: str) -> None:
        with self._lock:
            if self._held.get(key, ("", 0.0))[0] == holder:
                del self._held[key]


class Health(Protocol):
    """Reachability, worker heartbeats, the messages each worker holds and queue depths.

    GET /health reads ``ping``, ``live_workers``, ``queue_depths`` and ``stale_jobs``; workers write
    the rest (worker/heartbeat.py): a dead worker instance's messages are given back by a live one.
    """

    def ping(self) -> None: ...
    def beat(self, hostname: str, instance: str = "") -> None: ...
    def leave(self, hostname: str, instance: str = "") -> None: ...
    def live_workers(self) -> list[str]: ...
    def queue_depths(self, queues: tuple[str, ...]) -> dict[str, int]: ...
    def stale_jobs(self) -> int:
        """Messages held by dead worker instances, not given back yet."""
        ...

    def claim(self, instance: str, delivery_tag: str) -> None: ...
    def prune_claims(self, instance: str) -> None: ...
    def dead_instances(self) -> list[str]: ...
    def take_over(self, instance: str) -> list[str] | None:
        """A dead instance's unacknowledged delivery tags, for the one caller that locked it."""
        ...

    def forget(self, instance: str) -> None: ...


class Admission(Protocol):
    """Per-user fair sharing (service/admission.py): active jobs counted, track jobs admitted in turn."""

    def reserve(self, owner: str, job_ids: list[str], *, limit: int) -> int | None:
        """Count ``job_ids`` as active; None when done, else the count that refused them."""
        ...

    def active(self, owner: str) -> int: ...
    def wait(self, owner: str, job_ids: list[str]) -> None: ...
    def lock(self, owner: str) -> bool: ...
    def unlock(self, owner: str) -> None: ...
    def candidates(self, owner: str, *, slots: int) -> list[str]: ...
    def mark_admitted(self, owner: str, sent: list[str], dropped: list[str]) -> None: ...
    def release(self, owner: str, job_id: str) -> None: ...
    def waiting_owners(self) -> list[str]: ...


class LostMessages(Protocol):
    """What the broker holds, for service.recovery (store.lost_messages over kombu's Redis transport)."""

    def queued_job_ids(self, queues: tuple[str, ...], *, limit: int) -> set[str] | None:
        """Job ids of the messages waiting in ``queues``; None when they hold more than ``limit``
        (too many to read on every heartbeat)."""
        ...

    def held_job_ids(self) -> set[str]:
        """Job ids of the messages delivered to a worker and not acknowledged yet."""
        ...

    def sent_track_jobs(self, *, before_s: float) -> list[str]:
        """The unfinished track jobs whose message was sent before ``before_s``."""
        ...

    def record_sent(self, job_id: str, *, now_s: float, keep_s: float) -> None:
        """Note that a session, compare or preview job's message is being sent (before it is)."""
        ...

    def sent_jobs(self, *, before_s: float) -> list[str]:
        """The session, compare and preview jobs noted as sent before ``before_s`` and not forgotten."""
        ...

    def forget_sent(self, job_ids: list[str]) -> None:
        """Finished jobs: no longer looked for."""
        ...

    def lead(self, holder: str, *, lease_s: float) -> bool:
        """Whether ``holder`` is the one worker instance that looks for lost messages: it takes the
        lease when nobody holds it and renews its own for ``lease_s``; another holder's is left alone."""
        ...


class NothingLost:
    """A broker that never loses a message (in-memory ports, eager mode): nothing is sent again."""

    def queued_job_ids(self, queues: tuple[str, ...], *, limit: int) -> set[str] | None:
        return None  # never judged

    def held_job_ids(self) -> set[str]:
        return set()

    def sent_track_jobs(self, *, before_s: float) -> list[str]:
        return []

    def record_sent(self, job_id: str, *, now_s: float, keep_s: float) -> None:
        return None

    def sent_jobs(self, *, before_s: float) -> list[str]:
        return []

    def forget_sent(self, job_ids: list[str]) -> None:
        return None

    def lead(self, holder: str, *, lease_s: float) -> bool:
        return True


class Unlimited:
    """Admission without limits or turns, in memory (tests on fakes; processes that never submit)."""

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def reserve(self, owner: str, job_ids: list[str], *, limit: int) -> int | None:
        return None

    def active(self, owner: str) -> int:
        return 0

    def wait(self, owner: str, job_ids: list[str]) -> None:
        self.lines.setdefault(owner, []).extend(job_ids)

    def lock(self, owner: str) -> bool:
        return True

    def unlock(self, owner: str) -> None:
        return None

    def candidates(self, owner: str, *, slots: int) -> list[str]:
        return list(self.lines.get(owner, []))

    def mark_admitted(self, owner: str, sent: list[str], dropped: list[str]) -> None:
        done = set(sent) | set(dropped)
        self.lines[owner] = [j for j in self.lines.get(owner, []) if j not in done]

    def release(self, owner: str, job_id: str) -> None:
        return None

    def waiting_owners(self) -> list[str]:
        return sorted(owner for owner, line in self.lines.items() if line)


class Unwired:
    """The queue of a process that never enqueues (tests of stores, the command line)."""

    def analyze_track(self, job_id: str, sha256: str) -> None:
        raise RuntimeError("no task queue is wired into this process")

    def analyze_session(self, session_job_id: str, *, tracks: list[tuple[str, str]]) -> None:
        raise RuntimeError("no task queue is wired into this process")

    def rebuild_learning(self, user: str) -> None:
        raise RuntimeError("no task queue is wired into this process")

    def preview(self, job_id: str) -> None:
        raise RuntimeError("no task queue is wired into this process")

    def compare(self, job_id: str) -> None:
        raise RuntimeError("no task queue is wired into this process")

    def measure_moves(self, job_id: str, stems: list[dict[str, Any]]) -> None:
        raise RuntimeError("no task queue is wired into this process")


@dataclass(frozen=True)
class Ports:
    """Everything a service function talks to, built once per process (store.wiring.build_stores)."""

    settings: Settings
    jobs: JobStore
    blobs: BlobStore
    cache: AnalysisCache
    learning: LearningStore
    contexts: ContextStore
    publisher: Publisher
    health: Health
    queue: TaskQueue
    admission: Admission = field(default_factory=Unlimited)
    lost: LostMessages = field(default_factory=NothingLost)
    claims: Claims = field(default_factory=LocalClaims)
