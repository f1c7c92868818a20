"""POST /api/v1/blobs: upload one file into the content-addressed store; .../missing: what to upload."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.schemas import json_body
from api.uploads import files_of, store_file
from service.uploads import missing_blobs

bp = Blueprint("blobs", __name__)


@bp.post("/blobs")
def create_blob() -> tuple[Response, int]:
    context, user = ctx(), current_user()
    (upload,) = files_of(request, field="file", max_files=1)
    _, sha256 = store_file(context.ports, user, upload, max_bytes=context.settings.max_file_bytes)
    return jsonify({"sha256": sha256}), 201


@bp.post("/blobs/missing")
def find_missing() -> Response:
    """Which of the asked hashes this user still has to upload (blobs are named per uploader)."""
    context, user = ctx(), current_user()
    query = json_body(request, "BlobQuery")
    return jsonify({"missing": missing_blobs(context.ports, owner=user, hashes=query["sha256"])})
