"""POST /api/v1/analyses: queue one analysis job per file.

Two bodies: multipart/form-data uploads the files with the request; application/json names blobs
the user uploaded before, by hash (``{"tracks": [{"sha256", "name", "type"}]}``), so a client that
asked POST /api/v1/blobs/missing re-sends nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from api.context import ctx, current_user
from api.errors import PayloadTooLarge, ValidationFailed
from api.schemas import json_body, loads, validate
from api.uploads import display_name, files_of, store_file
from service.model import Upload
from service.submit import submit_batch
from service.uploads import uploads_by_hash

bp = Blueprint("analyses", __name__)


def _uploaded_with_request(max_files: int, max_bytes: int) -> list[Upload]:
    context, user = ctx(), current_user()
    files = files_of(request, field="files", max_files=max_files)
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
        name, sha256 = store_file(context.ports, user, upload, max_bytes=max_bytes)
        uploads.append(Upload(name=name, sha256=sha256, track_type=track_type))
    return uploads


def _named_by_hash(max_files: int) -> list[Upload]:
    context, user = ctx(), current_user()
    tracks = json_body(request, "AnalysesRequest")["tracks"]
    if len(tracks) > max_files:
        raise PayloadTooLarge(f"{len(tracks)} tracks sent; at most {max_files} per request")
    named = [
        Upload(
            name=display_name(t.get("name") or t["sha256"][:12]),
            sha256=t["sha256"],
            track_type=t.get("type", ""),
        )
        for t in tracks
    ]
    return uploads_by_hash(context.ports, owner=user, tracks=named)


@bp.post("/analyses")
def create_analyses() -> tuple[Response, int, dict[str, str]]:
    context, user = ctx(), current_user()
    settings = context.settings
    if request.mimetype == "application/json":
        uploads = _named_by_hash(settings.max_files_per_batch)
    else:
        uploads = _uploaded_with_request(settings.max_files_per_batch, settings.max_file_bytes)
    batch, jobs = submit_batch(context.ports, owner=user, uploads=uploads)
    body = {
        "batch_id": batch.batch_id,
        "jobs": [{"job_id": j.job_id, "name": j.name, "sha256": j.sha256, "cached": j.cached} for j in jobs],
    }
    return jsonify(body), 202, {"Location": url_for("api_v1.jobs.get_batch", batch_id=batch.batch_id)}
