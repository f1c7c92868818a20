"""POST /api/v1/analyses: upload files and queue one analysis job per file."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from api.context import ctx, current_user
from api.errors import ValidationFailed
from api.schemas import loads, validate
from api.uploads import files_of, store_file
from worker.client import Upload, submit_batch

bp = Blueprint("analyses", __name__)


@bp.post("/analyses")
def create_analyses() -> tuple[Response, int, dict[str, str]]:
    context, user = ctx(), current_user()
    files = files_of(request, field="files", max_files=context.settings.max_files_per_batch)
    # A multipart part without a name arrives under the key None: name it rather than crash sorting it.
    unknown = sorted(repr(k) if k is None else k for k in set(request.form) - {"track_types"})
    if unknown:
        raise ValidationFailed(f"unknown form field(s): {', '.join(unknown)}")
    types: list[str] = [""] * len(files)
    if "track_types" in request.form:
        types = validate("TrackTypes", loads(request.form["track_types"], what="track_types"))
        if len(types) != len(files):
            raise ValidationFailed(f"track_types has {len(types)} entries for {len(files)} files")
    uploads = []
    for upload, track_type in zip(files, types, strict=True):
        name, sha256 = store_file(context.services.blobs, upload, max_bytes=context.settings.max_file_bytes)
        context.services.store.add_blob(user, sha256)
        uploads.append(Upload(name=name, sha256=sha256, track_type=track_type))
    batch, jobs = submit_batch(context.celery, owner=user, uploads=uploads)
    body = {
        "batch_id": batch.batch_id,
        "jobs": [{"job_id": j.job_id, "name": j.name, "sha256": j.sha256, "cached": j.cached} for j in jobs],
    }
    return jsonify(body), 202, {"Location": url_for("api_v1.jobs.get_batch", batch_id=batch.batch_id)}
