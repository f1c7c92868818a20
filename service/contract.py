"""JSON Schemas generated from the result dataclasses: one source of truth for the typed contract.

``schemas()`` walks TrackAnalysis, SessionResult, Comparison, Suggestion and every Socket.IO event payload by
their type hints and gives one named schema per dataclass (``$ref`` between them, under
``#/components/schemas/``), which the OpenAPI document serves. A test checks real ``to_dict()``
output against them, so the schema cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from typing import Any, Literal

from core.compare import Comparison
from core.results import TrackAnalysis
from core.session.result import SessionResult
from core.session.style_profile import StyleProfile
from core.session.workflow import WorkflowResult
from core.suggestions import Suggestion
from service.messages import (
    BatchDone,
    ContextChanged,
    JobFailed,
    JobProgress,
    SessionDone,
    WorkflowChanged,
)
from service.preview_result import SessionPreview, TrackPreview

Schema = dict[str, Any]
REF_ROOT = "#/components/schemas/"

_SCALARS: dict[Any, str] = {
    float: "number",
    int: "integer",
    str: "string",
    bool: "boolean",
    type(None): "null",
}


def _schema(tp: Any, defs: dict[str, Schema]) -> Schema:
    origin = typing.get_origin(tp)
    if tp is Any:
        return {}
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    if origin is Literal:
        return {"enum": list(typing.get_args(tp))}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return {"enum": [m.value for m in tp]}
    if origin in (typing.Union, types.UnionType):
        options = [_schema(a, defs) for a in typing.get_args(tp)]
        if all(set(o) == {"type"} for o in options):
            return {"type": [o["type"] for o in options]}
        return {"anyOf": options}
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0], defs)}
        items = [_schema(a, defs) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if origin in (list, typing.Sequence):
        return {"type": "array", "items": _schema(typing.get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(typing.get_args(tp)[1], defs)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return {"$ref": REF_ROOT + _define(tp, defs)}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _define(cls: type, defs: dict[str, Schema], *, name: str = "") -> str:
    name = name or cls.__name__
    if name in defs:
        if defs[name].get("x-python") != f"{cls.__module__}.{cls.__qualname__}":
            raise TypeError(f"two result classes are named {name}")
        return name
    defs[name] = {"x-python": f"{cls.__module__}.{cls.__qualname__}"}  # placeholder against recursion
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init or f.name in hints]
    properties = {f.name: _schema(hints[f.name], defs) for f in fields}
    defs[name] = {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields],
        "properties": properties,
        "description": (cls.__doc__ or name).strip().splitlines()[0],
        "x-python": f"{cls.__module__}.{cls.__qualname__}",
    }
    return name


#: The event payloads and their event names; job.done carries a TrackAnalysis or a SessionResult.
EVENT_PAYLOADS: dict[str, type] = {
    "job.progress": JobProgress,
    "job.failed": JobFailed,
    "batch.done": BatchDone,
    "session.done": SessionDone,
    "context.changed": ContextChanged,
    "workflow.changed": WorkflowChanged,
}


def schemas() -> dict[str, Schema]:
    """Every named schema of the contract: one per result class, ``<Payload>Event`` per event payload,
    JobResult and JobDoneEvent."""
    defs: dict[str, Schema] = {}
    for root in (TrackAnalysis, SessionResult, Comparison, Suggestion, TrackPreview, SessionPreview):
        _define(root, defs)
    for cls in EVENT_PAYLOADS.values():
        _define(cls, defs, name=event_schema_name(cls))
    defs["SessionWorkflow"] = _extended(
        defs[_define(WorkflowResult, defs)],
        "GET .../workflow: the session's workflow",
        session_id={"type": "string"},
    )
    defs["UserStyle"] = _extended(
        defs[_define(StyleProfile, defs)],
        "GET /users/me/style: the production style learnt from your analysed sessions, and the genre it "
        "gives a session with none declared or detected (usual_bpm: its tempo-synced parameters)",
        user_id={"type": "string"},
        usual_genre={"type": ["string", "null"]},
        usual_bpm={"type": ["number", "null"]},
    )
    defs["JobResult"] = {
        "description": "a track job's TrackAnalysis, a session job's SessionResult, a compare job's "
        "Comparison or a preview job's TrackPreview / SessionPreview",
        "anyOf": [
            {"$ref": REF_ROOT + "TrackAnalysis"},
            {"$ref": REF_ROOT + "SessionResult"},
            {"$ref": REF_ROOT + "Comparison"},
            {"$ref": REF_ROOT + "TrackPreview"},
            {"$ref": REF_ROOT + "SessionPreview"},
        ],
    }
    defs["JobDoneEvent"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["job_id", "result"],
        "properties": {"job_id": {"type": "string"}, "result": {"$ref": REF_ROOT + "JobResult"}},
        "description": "job.done: the finished job and its result",
    }
    return defs


def _extended(base: Schema, description: str, **extra: Schema) -> Schema:
    """``base`` (a generated object schema) with ``extra`` properties first, all required."""
    return {
        **base,
        "required": [*extra, *base["required"]],
        "properties": {**extra, **base["properties"]},
        "description": description,
    }


def event_schema_name(cls: type) -> str:
    """The schema of an event payload: ``JobProgress`` -> ``JobProgressEvent`` (as the SDK names them)."""
    return cls.__name__ + "Event"


def event_schemas() -> dict[str, str]:
    """Socket.IO server event name -> the ``$ref`` of its payload schema."""
    refs = {event: REF_ROOT + event_schema_name(cls) for event, cls in EVENT_PAYLOADS.items()}
    return {"job.done": REF_ROOT + "JobDoneEvent", **refs}
