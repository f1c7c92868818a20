"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, built from the schemas that validate requests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify

from api import blob_uploads
from api.schemas import COMPONENTS, ID_PATTERN
from service.contract import event_schemas

bp = Blueprint("openapi", __name__)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    responses: dict[int, str | None]
    json_body: str | None = None
    multipart: dict[str, Any] | None = None
    public: bool = False
    errors: tuple[int, ...] = (401, 404)
    params: tuple[str, ...] = field(default=())


_UPLOAD = {"type": "string", "format": "binary"}

OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/health", "Redis, the blob store, live workers and queue depths",
              {200: "Health", 503: "Health"}, public=True, errors=()),
    Operation("get", "/api/v1/openapi.json", "This document", {200: None}, errors=(401,)),
    Operation(
        "post", "/api/v1/analyses",
        "Queue one analysis per file: upload them (multipart) or name blobs you uploaded before (JSON)",
        {202: "BatchCreated"}, json_body="AnalysesRequest",
        multipart={
            "type": "object",
            "required": ["files"],
            "properties": {
                "files": {"type": "array", "items": _UPLOAD, "minItems": 1},
                "track_types": {"type": "string", "description": "JSON list, see TrackTypes"},
            },
        },
        errors=(400, 401, 404, 413, 415, 422, 429),
    ),
    Operation(
        "post", "/api/v1/blobs", "Upload one file into the content-addressed store", {201: "BlobCreated"},
        multipart={"type": "object", "required": ["file"], "properties": {"file": _UPLOAD}},
        errors=(400, 401, 413, 415),
    ),
    Operation("post", "/api/v1/blobs/missing", "Which of these hashes you still have to upload",
              {200: "BlobsMissing"}, json_body="BlobQuery", errors=(400, 401, 413, 415, 422)),
    Operation("get", "/api/v1/jobs/{job_id}", "A job's state; its result when done", {200: "Job"},
              params=("job_id",)),
    Operation("get", "/api/v1/batches/{batch_id}", "A batch and its jobs", {200: "Batch"},
              params=("batch_id",)),
    Operation("put", "/api/v1/sessions/{session_id}", "Create or replace a DAW session",
              {200: "StoredSession", 201: "StoredSession"}, json_body="Session",
              errors=(400, 401, 413, 415, 422), params=("session_id",)),
    Operation("get", "/api/v1/sessions/{session_id}", "A stored session", {200: "StoredSession"},
              errors=(401, 404, 422), params=("session_id",)),
    Operation("post", "/api/v1/sessions/{session_id}/analyze", "Analyse every track, then the session",
              {202: "JobCreated"}, errors=(401, 404, 422, 429), params=("session_id",)),
    Operation("get", "/api/v1/sessions/{session_id}/analysis", "The latest session analysis job",
              {200: "Job"}, errors=(401, 404, 422), params=("session_id",)),
    Operation("post", "/api/v1/sessions/{session_id}/context", "Report the DAW's context (as context.update)",
              {200: "ContextResult"}, json_body="ContextUpdate", errors=(400, 401, 415, 422),
              params=("session_id",)),
    Operation("get", "/api/v1/sessions/{session_id}/context", "The session's current context",
              {200: "ContextState"}, errors=(401, 404, 422), params=("session_id",)),
    Operation("get", "/api/v1/sessions/{session_id}/suggestions",
              "The latest analysis's suggestions that fit now, ranked for you (?limit=1..50, default 5)",
              {200: "Suggestions"}, errors=(401, 404, 422), params=("session_id",)),
    Operation("post", "/api/v1/feedback", "Feedback on a suggestion (appended to your learning log)",
              {201: "FeedbackCreated"}, json_body="Feedback", errors=(400, 401, 404, 415, 422)),
    Operation("get", "/api/v1/users/me/learning-report", "What Codette has learnt about you",
              {200: "LearningReport"}, errors=(401,)),
    Operation("get", "/api/v1/users/me/learning-data", "Export your learning data", {200: "LearningData"},
              errors=(401,)),
    Operation("put", "/api/v1/users/me/learning-data", "Import (replace) your learning data",
              {200: "LearningData"}, json_body="LearningData", errors=(400, 401, 415, 422)),
    Operation("get", "/api/v1/sessions/{session_id}/workflow",
              "How you work in this session: pattern, efficiency with reasons, tips (from its actions)",
              {200: "SessionWorkflow"}, errors=(401, 404, 422), params=("session_id",)),
    Operation("get", "/api/v1/users/me/style", "Your production style, learnt from your analysed sessions",
              {200: "UserStyle"}, errors=(401,)),
    Operation("post", "/api/v1/compare", "Compare blob b against blob a (analyses reused or computed)",
              {202: "JobCreated"}, json_body="CompareRequest", errors=(400, 401, 404, 415, 422)),
    Operation("post", "/api/v1/suggestions/{suggestion_id}/preview",
              "Preview a suggestion: render it on its track, measure before/after, cut excerpts (a job)",
              {202: "PreviewCreated"}, errors=(401, 404, 422), params=("suggestion_id",)),
    Operation("post", "/api/v1/sessions/{session_id}/preview",
              "Preview moves on several tracks together: session measures and a mixdown excerpt (a job)",
              {202: "PreviewCreated"}, json_body="SessionPreviewRequest",
              errors=(400, 401, 404, 413, 415, 422), params=("session_id",)),
    Operation("get", "/api/v1/previews/{job_id}/{name}.wav",
              "A done preview's before or after excerpt (16-bit WAV; name: before | after)",
              {200: None}, errors=(401, 404, 422), params=("job_id", "name")),
    Operation("post", "/api/v1/ask", "Ask Codette, optionally about a session (also Socket.IO 'ask')",
              {200: "AskAnswer"}, json_body="AskRequest", errors=(400, 401, 404, 415, 422)),
)  # fmt: skip

_ERROR_TEXT = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Missing or invalid bearer token",
    404: "Not found (or not yours)",
    413: "Upload, file, track count or JSON body over the limit",
    415: "Wrong Content-Type",
    422: "Well-formed but invalid; the message names the field",
    429: "Too many of your jobs queued or running; retry after the Retry-After header's seconds",
    503: "The job store (Redis) is unavailable; try again",
}
#: Routes that answer without the job store: no 503 (GET /health documents its own 503 body).
_NO_STORE = frozenset({"/health", "/api/v1/openapi.json"})

SOCKETIO = {
    "auth": {"token": "<bearer token>"},
    "client_events": {
        "subscribe": "#/components/schemas/Subscribe",
        "context.update": "#/components/schemas/ContextUpdate",
        "ask": "#/components/schemas/AskRequest",
    },
    "server_events": event_schemas(),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "responses": {}}
    if not op.public:
        out["security"] = [{"bearer": []}]
    if op.params:
        out["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN}}
            for p in op.params
        ]
    content: dict[str, Any] = {}
    if op.json_body:
        content["application/json"] = {"schema": _ref(op.json_body)}
    if op.multipart:
        content["multipart/form-data"] = {"schema": op.multipart}
    if content:
        out["requestBody"] = {"required": True, "content": content}
    for status, schema in op.responses.items():
        body: dict[str, Any] = {"description": "OK" if status < 300 else "Unavailable"}
        if schema:
            body["content"] = {"application/json": {"schema": _ref(schema)}}
        out["responses"][str(status)] = body
    errors = op.errors if op.path in _NO_STORE else (*op.errors, 503)
    for status in errors:
        out["responses"][str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    return out


def build_openapi() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Codette", "version": "1.0.0"},
        "paths": {**paths, **blob_uploads.PATHS},  # blueprints that describe themselves
        "components": {
            "schemas": {**COMPONENTS, **blob_uploads.SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "x-socketio": SOCKETIO,
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_openapi())


if __name__ == "__main__":  # `python -m api.openapi`: print the document (sdk/typescript's `npm run gen`)
    print(json.dumps(build_openapi(), indent=1, sort_keys=True))
