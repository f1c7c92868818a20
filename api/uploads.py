"""Multipart uploads into the blob store. A client's file name is only ever a display name."""

from __future__ import annotations

import unicodedata
from typing import IO, Any, cast

from flask import Request
from werkzeug.datastructures import FileStorage

from api.context import ctx
from api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from service.ports import Ports, StagedFile
from service.uploads import store_upload

MAX_NAME_CHARS = 200
DEFAULT_NAME = "track"


def display_name(raw: str | None) -> str:
    """A safe label from a client's file name: no directories, control characters or leading dots.

    The result is shown to users and stored on jobs; it is never used to build a path
    (blobs are named by their hash).
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip()
    return name[:MAX_NAME_CHARS] or DEFAULT_NAME


class UploadRequest(Request):
    """A request whose multipart file parts are written straight into the blob store as they arrive
    (BlobStore.stage): each upload's bytes are parsed, hashed and written once, then renamed into
    place, instead of spooled by the parser and copied again by the store."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._staged: list[StagedFile] = []

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        context = ctx()
        limit = context.settings.max_file_bytes
        staged = context.ports.blobs.stage(max_bytes=limit, name=display_name(filename))
        self._staged.append(staged)
        return cast(IO[bytes], staged)

    def close(self) -> None:
        """Also close every staged file, parsed or not: a body cut off mid-file never reaches
        ``request.files``, and its part must not stay on disk (an unstored one is deleted)."""
        try:
            super().close()
        finally:
            for staged in self._staged:
                staged.close()


def require_multipart(request: Request) -> None:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(f"send multipart/form-data (got {request.mimetype or 'none'!r})")


def files_of(request: Request, *, field: str, max_files: int) -> list[FileStorage]:
    """The uploaded files in ``field``; 413 past ``max_files``, 400 when there are none."""
    require_multipart(request)
    files = request.files.getlist(field)
    if not files:
        raise BadRequest(f"no file in the multipart field {field!r}")
    if len(files) > max_files:
        raise PayloadTooLarge(f"{len(files)} files sent; at most {max_files} per request")
    return files


def store_file(ports: Ports, owner: str, upload: FileStorage, *, max_bytes: int) -> tuple[str, str]:
    """Write one upload into the blob store as ``owner``'s; return ``(display name, sha256)``."""
    name = display_name(upload.filename)
    return name, store_upload(ports, owner=owner, stream=upload.stream, name=name, max_bytes=max_bytes)
