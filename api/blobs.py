"""POST /api/v1/blobs: upload one file into the content-addressed store (for sessions)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.uploads import files_of, store_file

bp = Blueprint("blobs", __name__)


@bp.post("/blobs")
def create_blob() -> tuple[Response, int]:
    context, user = ctx(), current_user()
    (upload,) = files_of(request, field="file", max_files=1)
    _, sha256 = store_file(context.services.blobs, upload, max_bytes=context.settings.max_file_bytes)
    context.services.store.add_blob(user, sha256)
    return jsonify({"sha256": sha256}), 201
