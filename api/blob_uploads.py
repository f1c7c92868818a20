"""Direct uploads to object storage (presigned multipart URLs): start, resume, complete.

POST /api/v1/blobs/uploads {sha256, size} -> 201 the upload (key, upload_id, part_bytes, part_urls);
PUT each part to its URL (plain HTTP, no token); POST .../uploads/complete {sha256, size, key,
upload_id} -> 201 {sha256, size} once the API has checked every byte. POST .../uploads/parts
(with part_bytes) says what arrived and gives fresh URLs for the rest. 409 without the S3 backend.
The request and response schemas live here and join the OpenAPI document (api/openapi.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from api.context import ctx, current_user
from api.errors import UnsupportedMediaType, ValidationFailed
from api.schemas import SHA256, loads
from service.blob_uploads import (
    URL_EXPIRY_S,
    complete_direct_upload,
    resume_direct_upload,
    start_direct_upload,
)

bp = Blueprint("blob_uploads", __name__)

_SIZE = {"type": "integer", "minimum": 1, "description": "bytes"}
_KEY = {"type": "string", "minLength": 1, "maxLength": 1024}
_REF = {"sha256": SHA256, "size": _SIZE, "key": _KEY, "upload_id": _KEY}
_URLS = {"type": "array", "items": {"type": "string", "format": "uri"}}

SCHEMAS: dict[str, Any] = {
    "BlobUploadStart": {
        "type": "object", "required": ["sha256", "size"], "additionalProperties": False,
        "properties": {"sha256": SHA256, "size": _SIZE},
    },
    "BlobUpload": {
        "type": "object", "required": ["sha256", "size", "key", "upload_id", "part_bytes", "part_urls"],
        "description": "PUT bytes (i-1)*part_bytes .. i*part_bytes-1 to part_urls[i-1], then complete",
        "properties": {**_REF, "part_bytes": _SIZE, "part_urls": _URLS, "expires_s": _SIZE},
    },
    "BlobUploadResume": {
        "type": "object", "required": [*_REF, "part_bytes"], "additionalProperties": False,
        "properties": {**_REF, "part_bytes": _SIZE},
    },
    "BlobUploadParts": {
        "type": "object", "required": ["received_parts", "received_bytes", "part_urls"],
        "properties": {
            "received_parts": {"type": "array", "items": {"type": "integer", "minimum": 1}},
            "received_bytes": {"type": "integer", "minimum": 0},
            "part_urls": {"type": "object", "description": "missing part number -> a fresh URL",
                          "additionalProperties": {"type": "string", "format": "uri"}},
        },
    },
    "BlobUploadComplete": {
        "type": "object", "required": list(_REF), "additionalProperties": False, "properties": _REF,
    },
    "BlobStored": {
        "type": "object", "required": ["sha256", "size"], "properties": {"sha256": SHA256, "size": _SIZE},
    },
}  # fmt: skip


def _op(summary: str, body: str, status: int, answer: str, errors: tuple[int, ...]) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, Any] = {
        str(status): {"description": "OK", "content": {"application/json": {"schema": _ref(answer)}}},
    }
    for code in (*errors, 503):
        responses[str(code)] = {"description": _ERRORS[code], **error}
    return {
        "summary": summary,
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": responses,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ERRORS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Missing or invalid bearer token",
    404: "No such upload of yours",
    409: "Direct uploads need the object store (CODETTE_BLOB_BACKEND=s3)",
    413: "Larger than CODETTE_MAX_FILE_BYTES",
    415: "Wrong Content-Type",
    422: "Invalid field; upload_incomplete (parts missing) or hash_mismatch (other bytes)",
    503: "The job store or the object store is unavailable; try again",
}

#: This blueprint's part of the OpenAPI document's "paths".
PATHS: dict[str, Any] = {
    "/api/v1/blobs/uploads": {"post": _op(
        "Start a direct upload to object storage (presigned multipart URLs)", "BlobUploadStart", 201,
        "BlobUpload", (400, 401, 409, 413, 415, 422))},
    "/api/v1/blobs/uploads/parts": {"post": _op(
        "The parts a direct upload holds, with fresh URLs for the rest", "BlobUploadResume", 200,
        "BlobUploadParts", (400, 401, 404, 409, 415, 422))},
    "/api/v1/blobs/uploads/complete": {"post": _op(
        "Verify a direct upload (size and sha256) and store it as your blob", "BlobUploadComplete", 201,
        "BlobStored", (400, 401, 404, 409, 415, 422))},
}  # fmt: skip

_VALIDATORS = {
    name: Draft202012Validator({"components": {"schemas": SCHEMAS}, **schema})
    for name, schema in SCHEMAS.items()
}


def _body(name: str) -> dict[str, Any]:
    """The JSON body, validated against SCHEMAS[name]; 415 or 422 naming the field otherwise."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"send Content-Type: application/json (got {request.mimetype or 'none'!r})"
        )
    data = loads(request.get_data(cache=False), what="the request body")
    error = best_match(_VALIDATORS[name].iter_errors(data))
    if error is not None:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise ValidationFailed(f"{where}: {error.message}")
    body: dict[str, Any] = data
    return body


@bp.post("/blobs/uploads")
def start() -> tuple[Response, int]:
    context, body = ctx(), _body("BlobUploadStart")
    upload = start_direct_upload(
        context.ports, owner=current_user(), sha256=body["sha256"], size=body["size"]
    )
    return jsonify({
        "sha256": upload.sha256, "size": upload.size, "key": upload.key, "upload_id": upload.upload_id,
        "part_bytes": upload.part_bytes, "part_urls": list(upload.part_urls), "expires_s": URL_EXPIRY_S,
    }), 201  # fmt: skip


@bp.post("/blobs/uploads/parts")
def parts() -> Response:
    context, body = ctx(), _body("BlobUploadResume")
    progress = resume_direct_upload(context.ports, owner=current_user(), **body)
    return jsonify({
        "received_parts": list(progress.received_parts), "received_bytes": progress.received_bytes,
        "part_urls": {str(n): url for n, url in progress.part_urls.items()},
    })  # fmt: skip


@bp.post("/blobs/uploads/complete")
def complete() -> tuple[Response, int]:
    context, body = ctx(), _body("BlobUploadComplete")
    size = complete_direct_upload(context.ports, owner=current_user(), **body)
    return jsonify({"sha256": body["sha256"], "size": size}), 201
