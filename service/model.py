"""The service layer's data: jobs, batches, uploads, context results and stored suggestions.

A job is stored as a flat hash of strings (``to_hash``/``from_hash``) and served as ``to_dict``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.context import Change, ContextState
from core.learning import FeedbackEvent
from core.suggestions import Suggestion, Target
from service.messages import JobKind, JobStatus


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
    #: A track job's analysis length limit (s), decided with its cache lookup where it was submitted:
    #: the worker analyses and caches with it, so the two agree on the cache key even where hosts are
    #: configured with different CODETTE_MAX_DURATION_S (None: the worker's own setting).
    max_duration_s: float | None = None
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
            "max_duration_s": "" if self.max_duration_s is None else repr(self.max_duration_s),
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
            max_duration_s=float(h["max_duration_s"]) if h.get("max_duration_s") else None,
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
    #: batch.done went out (set right after the publish; a redelivery sends it when this stays false).
    announced: bool = False


@dataclass(frozen=True)
class Upload:
    """A file already in the blob store, as one job of a batch."""

    name: str
    sha256: str
    track_type: str = ""


@dataclass(frozen=True)
class ContextResult:
    """What one context update did: the new state, its changes, the implicit "ignored" events."""

    state: ContextState
    changes: tuple[Change, ...]
    ignored: tuple[FeedbackEvent, ...]


def suggestion_from_dict(data: Mapping[str, Any]) -> Suggestion:
    """Rebuild a stored ``Suggestion.to_dict()`` (from a track or session analysis)."""
    target = data["target"]
    return Suggestion(
        id=str(data["id"]),
        type=str(data["type"]),
        track_type=str(data.get("track_type") or ""),
        target=Target(track_id=str(target["track_id"]), band=target.get("band")),
        parameters=dict(data.get("parameters") or {}),
        priority=int(data["priority"]),
        confidence=float(data["confidence"]),
        reason=str(data.get("reason") or ""),
        evidence=dict(data.get("evidence") or {}),
    )
