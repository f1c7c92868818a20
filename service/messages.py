"""Event names, room names, task names and job statuses shared by the worker and the API.

Workers publish these events through the Socket.IO Redis message queue (config.SOCKETIO_CHANNEL);
API processes deliver them to the clients in the room. Payloads are small frozen dataclasses with
``to_dict``; REST holds the full state, events only announce changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar

from core.session.workflow import WorkflowPattern

#: Celery task names (explicit, so a rename in Python never orphans queued messages).
TASK_ANALYZE_TRACK = "codette.analyze_track"
TASK_ANALYZE_SESSION = "codette.analyze_session"
TASK_REBUILD_LEARNING = "codette.rebuild_learning"
TASK_COMPARE = "codette.compare_tracks"
TASK_PREVIEW = "codette.preview"
TASK_MEASURE_MOVES = "codette.measure_moves"

#: Client -> server Socket.IO events: subscribe to a room; the DAW reports its context
#: (core.context.ContextUpdate); a question for Ask Codette (answered in the ack).
SUBSCRIBE = "subscribe"
CONTEXT_UPDATE = "context.update"
ASK = "ask"


class Event(StrEnum):
    JOB_PROGRESS = "job.progress"
    JOB_DONE = "job.done"
    JOB_FAILED = "job.failed"
    BATCH_DONE = "batch.done"
    SESSION_DONE = "session.done"
    CONTEXT_CHANGED = "context.changed"
    WORKFLOW_CHANGED = "workflow.changed"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class JobKind(StrEnum):
    TRACK = "track"
    SESSION = "session"
    COMPARE = "compare"
    PREVIEW = "preview"


def job_room(job_id: str) -> str:
    return f"job:{job_id}"


def batch_room(batch_id: str) -> str:
    return f"batch:{batch_id}"


def session_room(owner: str, session_id: str) -> str:
    """Session ids are chosen by clients, so the room is scoped by owner too."""
    return f"session:{owner}:{session_id}"


@dataclass(frozen=True)
class _Message:
    event: ClassVar[Event]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JobProgress(_Message):
    event: ClassVar[Event] = Event.JOB_PROGRESS
    job_id: str
    progress: float
    stage: str


@dataclass(frozen=True)
class JobDone(_Message):
    event: ClassVar[Event] = Event.JOB_DONE
    job_id: str
    result: dict[str, Any]


@dataclass(frozen=True)
class JobFailed(_Message):
    event: ClassVar[Event] = Event.JOB_FAILED
    job_id: str
    error: dict[str, str]


@dataclass(frozen=True)
class BatchDone(_Message):
    event: ClassVar[Event] = Event.BATCH_DONE
    batch_id: str


@dataclass(frozen=True)
class SessionDone(_Message):
    event: ClassVar[Event] = Event.SESSION_DONE
    session_id: str
    job_id: str


@dataclass(frozen=True)
class ContextChanged(_Message):
    """Published to the session room only when a context update changed something."""

    event: ClassVar[Event] = Event.CONTEXT_CHANGED
    session_id: str
    version: int
    changes: list[dict[str, Any]]
    state: str
    intent: str
    activity: str


@dataclass(frozen=True)
class WorkflowChanged(_Message):
    """Published to the session room when an action changes the workflow's pattern or tips."""

    event: ClassVar[Event] = Event.WORKFLOW_CHANGED
    session_id: str
    pattern: WorkflowPattern
    efficiency: float
    reasons: list[str]
    tips: list[str]


Message = JobProgress | JobDone | JobFailed | BatchDone | SessionDone | ContextChanged | WorkflowChanged
