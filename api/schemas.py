"""Request and response schemas (JSON Schema), used both to validate and to write the OpenAPI document.

Requests are strict: unknown fields, wrong types and malformed JSON are rejected with a message
naming the field (``$.tracks[0].pan: 3 is greater than the maximum of 1``). Their cost is bounded
before any work: the body's size (Settings.max_json_bytes, 413, checked before it is read), UTF-8
only, a nesting depth of MAX_DEPTH (checked before parsing), and a maximum length on every list and
object (422 naming it). Nothing a client sends can raise past ``loads`` as anything but a 4xx.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from api.errors import MalformedJson, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from core.errors import shown
from service.catalog import MAX_BPM, MAX_REFERENCES, MIN_BPM
from service.catalog import TRACK_TYPES as CORE_TRACK_TYPES
from service.context import DAW_ACTIONS
from service.contract import schemas as contract_schemas

Schema = dict[str, Any]

#: Deepest nesting of arrays and objects accepted in a request (the deepest schema needs 4).
MAX_DEPTH = 32
#: The longest list (or object) a request may carry where no tighter limit applies.
MAX_ITEMS = 1024
#: Feedback events in one learning import (an export of a busy user's log; the body limit also applies).
MAX_IMPORT_EVENTS = 10_000

#: The tempo a session may declare, as the session model enforces it (422 outside).
SESSION_BPM_RANGE = (MIN_BPM, MAX_BPM)

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
        "bpm": {
            "type": ["number", "null"],
            "minimum": SESSION_BPM_RANGE[0],
            "maximum": SESSION_BPM_RANGE[1],
            "description": f"the session's tempo, {SESSION_BPM_RANGE[0]:g}-{SESSION_BPM_RANGE[1]:g} BPM "
            "(422 outside); null or absent: estimated",
        },
        "genre": {
            "type": ["string", "null"],
            "maxLength": 64,
            "description": "a genre or alias (core.targets)",
        },
        "platform": {
            "type": ["string", "null"],
            "maxLength": 64,
            "description": "delivery target, e.g. spotify or apple_music (core.targets.PLATFORM_TARGETS)",
        },
        "tracks": {"type": "array", "maxItems": MAX_ITEMS, "items": {"$ref": "#/components/schemas/Track"}},
        "references": {
            "type": "array",
            "items": SHA256,
            "maxItems": MAX_REFERENCES,
            "uniqueItems": True,
            "description": "reference tracks (blobs you uploaded): their average tonal balance and "
            "loudness replace the genre target in the session analysis",
        },
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
    "maxItems": MAX_ITEMS,
    "items": {"type": "string", "enum": ["", *CORE_TRACK_TYPES]},
    "description": 'one track type per file, in the order of the `files` fields ("" = not given)',
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
        "kind": {"type": "string", "enum": ["track", "session", "compare", "preview"]},
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
        "result": {
            "anyOf": [{"$ref": "#/components/schemas/JobResult"}, {"type": "null"}],
            "description": "TrackAnalysis (track job), SessionResult (session job) or Comparison "
            "(compare job), TrackPreview or SessionPreview (preview job) when done",
        },
        "suggestions": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Suggestion"},
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

#: At most this many hashes in one lookup (a large session's stems, with room to spare).
MAX_HASHES = 1024

BLOB_QUERY: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["sha256"],
    "properties": {"sha256": {"type": "array", "items": SHA256, "maxItems": MAX_HASHES}},
    "description": "content hashes computed by the client before uploading",
}

BLOBS_MISSING: Schema = {
    "type": "object",
    "required": ["missing"],
    "properties": {
        "missing": {
            "type": "array",
            "items": SHA256,
            "description": "the asked hashes you have not uploaded yet, in the order asked",
        }
    },
}

TRACK_SUBMISSION: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["sha256"],
    "properties": {
        "sha256": SHA256,
        "name": {"type": "string", "maxLength": 200, "description": "display name (default: the hash)"},
        "type": {"type": "string", "enum": ["", *CORE_TRACK_TYPES]},
    },
}

ANALYSES_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tracks"],
    "properties": {
        "tracks": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/TrackSubmission"},
            "minItems": 1,
            "maxItems": MAX_HASHES,
        }
    },
    "description": "analyse blobs you uploaded before (POST /api/v1/blobs), by hash: nothing is re-sent",
}
JOB_CREATED: Schema = {"type": "object", "required": ["job_id"], "properties": {"job_id": {"type": "string"}}}

COMPARE_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["a", "b"],
    "properties": {"a": SHA256, "b": SHA256},
    "description": "compare blob b against blob a (differences are b - a): your mix, then the reference",
}

SESSION_PREVIEW_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["suggestion_ids"],
    "properties": {
        "suggestion_ids": {
            "type": "array",
            "items": {"type": "string", "pattern": ID_PATTERN},
            "minItems": 1,
            "maxItems": 16,
        }
    },
    "description": "moves to preview together: suggestions on tracks of the session's latest analysis",
}

PREVIEW_CREATED: Schema = {
    "type": "object",
    "required": ["job_id", "status", "cached"],
    "properties": {
        "job_id": {"type": "string"},
        "status": STATUS,
        "cached": {"type": "boolean", "description": "computed before: the job is already done"},
    },
}

HEALTH: Schema = {
    "type": "object",
    "required": ["status", "redis", "workers", "queues"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
        "redis": {
            "type": "string",
            "description": '"ok", "unavailable", or "authentication refused: " and what to check',
        },
        "blobs": {
            "type": "string",
            "description": '"ok", or "unavailable: " and what the blob store answered (status degraded)',
        },
        "workers": {"type": "integer", "minimum": 0},
        "stale_jobs": {
            "type": "integer",
            "minimum": 0,
            "description": "jobs held by a dead worker, not yet given back to the queue (status degraded)",
        },
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
        "selected_track": {
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 200,
            "description": "a track_id or name of the session once it is stored (PUT), or the master bus",
        },
        "armed_tracks": {"type": "array", "maxItems": 256, "items": NAME},
        "focused": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
        "action": {
            "type": "string",
            "enum": list(DAW_ACTIONS),
            "description": "what the user just did (service.context.DAW_ACTIONS)",
        },
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
            "description": "for 'modified' only: the parameters the user chose, named as in the "
            "suggestion; each a finite number in its range (the move limits of core.suggestions.rules, "
            "e.g. a cut's gain_db -12..0; freq_hz 20..20000), else 422 naming the parameter, the value "
            "and the range",
            "maxProperties": 64,
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
        "events": {
            "type": "array",
            "maxItems": MAX_IMPORT_EVENTS,
            "items": {"type": "object", "maxProperties": 64},
        },
        "profile": {
            "type": "object",
            "maxProperties": 64,
            "properties": {
                "keys": {"type": "array", "maxItems": MAX_IMPORT_EVENTS},
                "offsets": {"type": "array", "maxItems": MAX_IMPORT_EVENTS},
                "recent_outcomes": {"type": "array", "maxItems": MAX_IMPORT_EVENTS},
            },
        },
        "style": {
            "type": "object",
            "description": "the sessions your production style is learnt from (service.style validates "
            "them on PUT); absent on PUT: the style is cleared",
            "properties": {
                "sessions": {
                    "type": "array",
                    "maxItems": 1000,
                    "items": {"type": "object", "required": ["session_id", "spec", "genre", "at_s"]},
                }
            },
        },
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
REQUESTS_AND_VIEWS: dict[str, Schema] = {
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
    "BlobQuery": BLOB_QUERY,
    "BlobsMissing": BLOBS_MISSING,
    "TrackSubmission": TRACK_SUBMISSION,
    "AnalysesRequest": ANALYSES_REQUEST,
    "JobCreated": JOB_CREATED,
    "CompareRequest": COMPARE_REQUEST,
    "SessionPreviewRequest": SESSION_PREVIEW_REQUEST,
    "PreviewCreated": PREVIEW_CREATED,
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
#: The results and event payloads, generated from their dataclasses (service/contract.py).
CONTRACT: dict[str, Schema] = contract_schemas()
if set(CONTRACT) & set(REQUESTS_AND_VIEWS):
    raise RuntimeError(f"schema names used twice: {sorted(set(CONTRACT) & set(REQUESTS_AND_VIEWS))}")
COMPONENTS: dict[str, Schema] = {**REQUESTS_AND_VIEWS, **CONTRACT}


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


_TOO_MANY = {"maxItems": "items", "maxProperties": "fields"}


def _message(error: ValidationError) -> str:
    """jsonschema's message, without quoting a whole oversized list, object or string back to the client."""
    if error.validator in _TOO_MANY and isinstance(error.instance, (list, dict)):
        return f"{len(error.instance)} {_TOO_MANY[str(error.validator)]}; at most {error.validator_value}"
    quoted = repr(error.instance)
    if isinstance(error.instance, str) and quoted != shown(error.instance):  # a 10 kB id: echo its start
        return str(error.message).replace(quoted, shown(error.instance))
    return str(error.message)


def _nested_deeper(data: Any, max_depth: int) -> bool:
    """True when lists and dicts in ``data`` nest deeper than ``max_depth`` (iteratively: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth > max_depth:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


def validate(name: str, data: Any, *, check_depth: bool = True) -> Any:
    """Return ``data`` if it matches component ``name``; raise ValidationFailed naming the field.

    A list or object past its maximum is refused as soon as it is seen, before its items are checked
    (``maxItems`` comes before ``items`` in every schema, and errors are produced lazily).
    """
    if check_depth and _nested_deeper(data, MAX_DEPTH):  # a Socket.IO payload arrives parsed
        raise ValidationFailed(f"$: nested more than {MAX_DEPTH} levels deep")
    errors = []
    for error in _VALIDATORS[name].iter_errors(data):
        if error.validator in _TOO_MANY:
            raise ValidationFailed(f"{_where(error)}: {_message(error)}")
        errors.append(error)
    error = best_match(errors)
    if error is not None:
        raise ValidationFailed(f"{_where(error)}: {_message(error)}")
    return data


def _reject_constant(value: str) -> None:
    raise ValueError(f"{value} is not valid JSON")


#: JSON strings (with their escapes), and everything that is not a bracket, for the depth check.
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_PREFIX = 4096


def too_deep(text: str, max_depth: int) -> bool:
    """True when arrays and objects in ``text`` nest deeper than ``max_depth`` (strings do not count).

    Each pass removes the innermost ``[]`` and ``{}`` pairs (C-speed string operations, no parsing);
    brackets still left after ``max_depth`` passes are nested deeper. Malformed brackets stop
    shrinking earlier and are left for the parser to report.
    """
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = 0
    for bracket in brackets[:_PREFIX]:  # the usual attack, a deep prefix, is seen at once
        depth += 1 if bracket in "[{" else -1
        if depth > max_depth:
            return True
    for _ in range(max_depth):
        shorter = brackets.replace("[]", "").replace("{}", "")
        if shorter == brackets:
            return False
        brackets = shorter
    return bool(brackets)


def loads(text: str | bytes, *, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, nested at most ``max_depth``; MalformedJson naming ``what``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")  # json.loads would guess UTF-16 and UTF-32 too
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"{what} is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    if too_deep(text, max_depth):
        raise MalformedJson(f"{what} is nested more than {max_depth} levels deep")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedJson(f"{what} is not valid JSON: {exc}") from exc


def json_body(request: Request, name: str) -> Any:
    """The request's JSON body (UTF-8), validated against component ``name``.

    The size limit (Settings.max_json_bytes) is set on the request by api.app before the view runs,
    so an oversized body is refused with 413 before it is read.
    """
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"send Content-Type: application/json (got {request.mimetype or 'none'!r})"
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"send JSON as UTF-8 (got charset={charset!r})")
    return validate(name, loads(_read_body(request), what="the request body"), check_depth=False)


def _read_body(request: Request) -> bytes:
    """The body, read up to the request's limit: a chunked body (no Content-Length) stops there too."""
    limit = request.max_content_length
    if limit is None:
        return request.get_data(cache=False)
    chunks, size = [], 0
    while size <= limit:
        chunk = request.stream.read(min(65536, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise PayloadTooLarge(f"the request body is larger than the JSON limit of {limit} bytes")
