"""Request hooks that bound what a request may cost before a view runs, and the security headers.

- Every body that is not a multipart upload is limited to Settings.max_json_bytes: a larger
  Content-Length is refused (413) before a byte is read, and a chunked body stops at the limit.
- A multipart form field other than a file may be sent once (a repeated ``track_types`` would
  otherwise be silently ignored).
- Every response says ``X-Content-Type-Options: nosniff``; API and health responses are
  ``Cache-Control: no-store`` (they carry per-user state and live status).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request

from api.errors import BadRequest, PayloadTooLarge

MULTIPART = "multipart/form-data"
NO_STORE_PREFIXES = ("/api/", "/health")


def limit_json_bodies(max_json_bytes: int) -> Callable[[], None]:
    """A before_request hook: the JSON limit on every non-multipart body, checked before reading."""

    def limit() -> None:
        if request.mimetype == MULTIPART:
            return  # uploads: MAX_CONTENT_LENGTH and the per-file limit apply
        request.max_content_length = max_json_bytes
        size = request.content_length
        if size is not None and size > max_json_bytes:
            raise PayloadTooLarge(
                f"the request body ({size} bytes) is larger than the limit of {max_json_bytes} bytes"
            )

    return limit


def refuse_repeated_form_fields() -> None:
    """A before_request hook (after authentication): each non-file form field at most once."""
    if request.mimetype != MULTIPART:
        return
    for name in request.form:
        count = len(request.form.getlist(name))
        if count > 1:
            raise BadRequest(f"form field {name!r} was sent {count} times; send it once")


def security_headers(response: Response) -> Response:
    """An after_request hook: no content sniffing anywhere; no caching of API and health answers."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.path.startswith(NO_STORE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response
