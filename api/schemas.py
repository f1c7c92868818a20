"""Request and response schemas (JSON Schema), used both to validate and to write the OpenAPI document.

Requests are strict: unknown fields, wrong types and malformed JSON are rejected with a message
naming the field (``$.tracks[0].pan: 3 is greater than the maximum of 1``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from api.errors import MalformedJson, UnsupportedMediaType, ValidationFailed
from core.suggestions import TRACK_TYPES as CORE_TRACK_TYPES

Schema = dict[str, Any]

SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "content hash of a blob"}
ID_PATTERN = "^[A-Za-z0-9._-]{1,128}$"

TRACK: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["track_id", "sha256"],
    "properties": {
        "track_id": {"type": "string", "pattern": ID_PATTERN},
        "name": {"type": "string", "maxLength": 256},
        "type": {"type": "string", "maxLength": 64, "description": "kick, bass, vocal, bus, ..."},
        "sha256": SHA256,
        "volume_db": {"type": "number", "minimum": -144, "maximum": 24},
        "pan": {"type": "number", "minimum": -1, "maximum": 1},
        "inserts": {"type": "array", "maxItems": 64, "items": {"type": "string", "maxLength": 128}},
        "muted": {"type": "boolean"},
    },
}

SESSION: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tracks"],
    "properties": {
        "bpm": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 999},
        "genre": {"type": ["string", "null"], "maxLength": 64},
        "tracks": {"type": "array", "items": {"$ref": "#/components/schemas/Track"}},
    },
}

STORED_SESSION: Schema = {
    "type": "object",
    "required": ["session_id", "tracks"],
    "properties": {"session_id": {"type": "string", "pattern": ID_PATTERN}, **SESSION["properties"]},
    "description": "a session as stored and returned: the document plus its id",
}

TRACK_TYPES: Schema = {
    "type": "array",
    "items": {"type": "string", "enum": ["", *CORE_TRACK_TYPES]},
    "description": "one track type per file, in the order of the `files` fields (\"\" = not given)",
}

SUBSCRIBE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "job_id": {"type": "string", "pattern": ID_PATTERN},
        "batch_id": {"type": "string", "pattern": ID_PATTERN},
        "session_id": {"type": "string", "pattern": ID_PATTERN},
    },
}

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

STATUS: Schema = {"type": "string", "enum": ["queued", "running", "done", "failed"]}

JOB: Schema = {
    "type": "object",
    "required": ["job_id", "status", "progress", "stage"],
    "properties": {
        "job_id": {"type": "string"},
        "kind": {"type": "string", "enum": ["track", "session"]},
        "status": STATUS,
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "stage": {"type": "string"},
        "name": {"type": "string"},
        "sha256": {"type": ["string", "null"]},
        "cached": {"type": "boolean"},
        "batch_id": {"type": ["string", "null"]},
        "session_id": {"type": "string"},
        "track_id": {"type": "string"},
        "track_type": {"type": "string"},
        "result": {"type": ["object", "null"], "description": "TrackAnalysis (or session result) when done"},
        "suggestions": {
            "type": "array",
            "items": {"type": "object"},
            "description": "a done track job's suggestions for its track_type (empty without one)",
        },
        "error": {"$ref": "#/components/schemas/Error/properties/error"},
    },
}

BATCH: Schema = {
    "type": "object",
    "required": ["batch_id", "status", "jobs"],
    "properties": {
        "batch_id": {"type": "string"},
        "status": STATUS,
        "progress": {"type": "number"},
        "finished": {"type": "integer"},
        "total": {"type": "integer"},
        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
    },
}

BATCH_CREATED: Schema = {
    "type": "object",
    "required": ["batch_id", "jobs"],
    "properties": {
        "batch_id": {"type": "string"},
        "jobs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["job_id", "name", "sha256", "cached"],
                "properties": {
                    "job_id": {"type": "string"},
                    "name": {"type": "string"},
                    "sha256": SHA256,
                    "cached": {"type": "boolean"},
                },
            },
        },
    },
}

BLOB_CREATED: Schema = {"type": "object", "required": ["sha256"], "properties": {"sha256": SHA256}}
JOB_CREATED: Schema = {"type": "object", "required": ["job_id"], "properties": {"job_id": {"type": "string"}}}

HEALTH: Schema = {
    "type": "object",
    "required": ["status", "redis", "workers", "queues"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
        "redis": {"type": "string", "enum": ["ok", "unavailable"]},
        "workers": {"type": "integer", "minimum": 0},
        "queues": {"type": "object", "additionalProperties": {"type": "integer"}},
        "cache": {"type": "object"},
    },
}

NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 200}

CONTEXT_UPDATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "description": "What the DAW is doing; fields not sent keep their value, null clears a name",
    "properties": {
        "session_id": {"type": "string", "pattern": ID_PATTERN},
        "transport": {"type": "string", "enum": ["stopped", "playing", "recording"]},
        "position_s": {"type": "number", "minimum": 0},
        "selected_track": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
        "armed_tracks": {"type": "array", "maxItems": 256, "items": NAME},
        "focused": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
        "action": {**NAME, "description": "adjust_fader, cut, record, open_help, ... (core.context)"},
    },
}

CONTEXT_STATE: Schema = {
    "type": "object",
    "required": ["session_id", "transport", "state", "intent", "activity", "version"],
    "properties": {
        "session_id": {"type": "string"},
        "transport": {"type": "string", "enum": ["stopped", "playing", "recording"]},
        "position_s": {"type": "number"},
        "selected_track": {"type": ["string", "null"]},
        "armed_tracks": {"type": "array", "items": {"type": "string"}},
        "focused": {"type": ["string", "null"]},
        "state": {"type": "string", "enum": ["idle", "playing", "recording", "mixing", "mastering"]},
        "intent": {"type": "string", "enum": ["exploring", "mixing", "creating", "editing", "learning"]},
        "intent_confidence": {"type": "number"},
        "activity": {"type": "string", "enum": ["idle", "moderate", "active", "very_active"]},
        "actions_per_minute": {"type": "number"},
        "actions": {"type": "array", "items": {"type": "object"}},
        "action_count": {"type": "integer"},
        "updated_at_s": {"type": "number"},
        "version": {"type": "integer"},
    },
}

CONTEXT_RESULT: Schema = {
    "type": "object",
    "required": ["changed", "changes", "context"],
    "properties": {
        "changed": {"type": "boolean"},
        "changes": {
            "type": "array",
            "items": {"type": "object", "required": ["field", "old", "new"]},
        },
        "context": {"$ref": "#/components/schemas/ContextState"},
        "implicit_ignored": {"type": "integer", "description": "suggestions now counted as ignored"},
    },
}

SUGGESTIONS: Schema = {
    "type": "object",
    "required": ["session_id", "status", "suggestions"],
    "properties": {
        "session_id": {"type": "string"},
        "analysis_job_id": {"type": "string"},
        "status": STATUS,
        "context": {"type": ["object", "null"]},
        "message": {"type": "string"},
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type", "track_type", "parameters", "score", "effectiveness", "reasons"],
                "description": "parameters adapted to this user; suggested_parameters as analysed",
            },
        },
    },
}

FEEDBACK: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["suggestion_id", "kind"],
    "properties": {
        "suggestion_id": {"type": "string", "pattern": ID_PATTERN},
        "kind": {"type": "string", "enum": ["applied", "ignored", "modified", "positive", "negative"]},
        "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "comment": {"type": ["string", "null"], "maxLength": 2000},
        "parameters_after": {
            "type": ["object", "null"],
            "description": "for 'modified' only: the parameters the user chose",
            "additionalProperties": {"type": "number"},
        },
    },
}

FEEDBACK_CREATED: Schema = {
    "type": "object",
    "required": ["ok", "event_id", "event"],
    "properties": {"ok": {"type": "boolean"}, "event_id": {"type": "string"}, "event": {"type": "object"}},
}

LEARNING_REPORT: Schema = {
    "type": "object",
    "required": ["user_id", "events", "application_rate", "satisfaction", "trend", "tips"],
    "properties": {
        "user_id": {"type": "string"},
        "events": {"type": "integer"},
        "application_rate": {"type": ["number", "null"]},
        "satisfaction": {"type": ["number", "null"]},
        "most_effective": {"type": "array", "items": {"type": "object"}},
        "least_effective": {"type": "array", "items": {"type": "object"}},
        "trend": {"type": ["string", "null"], "enum": ["improving", "stable", "declining", None]},
        "trend_delta": {"type": ["number", "null"]},
        "tips": {"type": "array", "items": {"type": "object", "required": ["code", "message"]}},
    },
}

LEARNING_DATA: Schema = {
    "type": "object",
    "required": ["format", "version", "user_id", "events", "profile"],
    "description": "GET's body, as is; core.learning validates every event and the profile on PUT",
    "properties": {
        "format": {"const": "codette.learning"},
        "version": {"const": 1},
        "user_id": {"type": "string"},
        "events": {"type": "array", "items": {"type": "object"}},
        "profile": {"type": "object"},
    },
}

ASK_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["question"],
    "properties": {
        "question": {"type": "string", "minLength": 1, "maxLength": 1000},
        "session_id": {"type": "string", "pattern": ID_PATTERN, "description": "ground the answer in it"},
        "track_id": {"type": "string", "pattern": ID_PATTERN, "description": "one track (needs session_id)"},
    },
}

ASK_ANSWER: Schema = {
    "type": "object",
    "required": ["answer_id", "answer", "intent", "entities", "evidence", "sources", "suggestions"],
    "properties": {
        "answer_id": {"type": "string"},
        "answer": {"type": "string"},
        "intent": {"type": "string", "enum": ["diagnose", "how_to", "explain", "compare"]},
        "entities": {
            "type": "object",
            "description": "track_ids, track_types, bands, frequencies_hz, effects, platforms, problems",
        },
        "evidence": {
            "type": "array",
            "items": {"type": "object", "required": ["field", "value", "text"]},
            "description": "the measurements the answer used (field: e.g. session.masking, quality.mud)",
        },
        "sources": {
            "type": "array",
            "items": {"type": "object", "required": ["id", "title", "text", "sources", "citations"]},
            "description": "knowledge entries (data/knowledge), best first, with their citations",
        },
        "suggestions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "ids of the session suggestions it quotes; POST /api/v1/feedback accepts them",
        },
        "grounded": {"type": "boolean"},
        "retrieval": {"type": "string", "description": "embedding:<model> or bm25"},
        "session_id": {"type": "string"},
    },
}

#: Everything under #/components/schemas, by name.
COMPONENTS: dict[str, Schema] = {
    "Track": TRACK,
    "Session": SESSION,
    "StoredSession": STORED_SESSION,
    "TrackTypes": TRACK_TYPES,
    "Subscribe": SUBSCRIBE,
    "Error": ERROR,
    "Job": JOB,
    "Batch": BATCH,
    "BatchCreated": BATCH_CREATED,
    "BlobCreated": BLOB_CREATED,
    "JobCreated": JOB_CREATED,
    "Health": HEALTH,
    "ContextUpdate": CONTEXT_UPDATE,
    "ContextState": CONTEXT_STATE,
    "ContextResult": CONTEXT_RESULT,
    "Suggestions": SUGGESTIONS,
    "Feedback": FEEDBACK,
    "FeedbackCreated": FEEDBACK_CREATED,
    "LearningReport": LEARNING_REPORT,
    "LearningData": LEARNING_DATA,
    "AskRequest": ASK_REQUEST,
    "AskAnswer": ASK_ANSWER,
}


def _validator(name: str) -> Draft202012Validator:
    # Resolve "#/components/..." references against a document shaped like the OpenAPI one.
    root = {"components": {"schemas": COMPONENTS}, **COMPONENTS[name]}
    return Draft202012Validator(root)


_VALIDATORS = {name: _validator(name) for name in COMPONENTS}


def _where(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate(name: str, data: Any) -> Any:
    """Return ``data`` if it matches component ``name``; raise ValidationFailed naming the field."""
    error = best_match(_VALIDATORS[name].iter_errors(data))
    if error is not None:
        raise ValidationFailed(f"{_where(error)}: {error.message}")
    return data


def _reject_constant(value: str) -> None:
    raise ValueError(f"{value} is not valid JSON")


def loads(text: str | bytes, *, what: str) -> Any:
    """Strict JSON (no NaN/Infinity); MalformedJson naming ``what`` otherwise."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise MalformedJson(f"{what} is not valid JSON: {exc}") from exc


def json_body(request: Request, name: str) -> Any:
    """The request's JSON body, validated against component ``name``."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"send Content-Type: application/json (got {request.mimetype or 'none'!r})"
        )
    return validate(name, loads(request.get_data(cache=False), what="the request body"))
