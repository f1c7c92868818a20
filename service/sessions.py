"""DAW sessions: stored once validated (core.session.spec.SessionSpec), read back, their analyses."""

from __future__ import annotations

from typing import Any

from core.errors import InvalidParameter
from core.session.spec import SessionSpec
from service.compare import require_owned_blob
from service.model import Job
from service.ports import Ports


def put_session(
    ports: Ports, *, owner: str, session_id: str, doc: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Validate ``doc`` (genre, platform, track types, bpm, ...) and store it; ``(stored, created)``.

    Validated once, here: an unknown genre or platform is refused before anything is stored or
    queued, with InvalidParameter (422) naming the field. Every track must name a blob its owner
    uploaded; so must every reference (``references``: BlobNotFound, 404, naming it).
    """
    try:
        SessionSpec.from_dict(doc)
    except InvalidParameter as exc:  # name the field as the request schema does: $.genre, $.tracks[0].type
        raise InvalidParameter(f"$.{exc.message}") from exc
    for i, track in enumerate(doc["tracks"]):
        sha256 = track["sha256"]
        if not (ports.jobs.owns_blob(owner, sha256) and ports.blobs.exists(sha256)):
            raise InvalidParameter(
                f"$.tracks[{i}].sha256: no blob {sha256} uploaded by you (POST /api/v1/blobs)"
            )
    for i, sha256 in enumerate(doc.get("references") or ()):
        require_owned_blob(ports, owner=owner, sha256=sha256, field=f"$.references[{i}]")
    created = ports.jobs.put_session(owner, session_id, doc)
    return {"session_id": session_id, **doc}, created


def get_session(ports: Ports, *, owner: str, session_id: str) -> dict[str, Any]:
    return {"session_id": session_id, **ports.jobs.owned_session(owner, session_id)}


def latest_analysis(ports: Ports, *, owner: str, session_id: str) -> Job:
    return ports.jobs.latest_session_job(owner, session_id)
