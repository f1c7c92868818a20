"""The REST calls the client makes (requests); errors carry the server's {"error": {code, message}}."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 600.0
HASH_CHUNK = 1 << 20
#: Rounds of sending the parts a direct upload still lacks before completing it anyway.
PART_ATTEMPTS = 3
#: Hashes per POST /api/v1/blobs/missing (the server accepts up to 1024).
HASHES_PER_QUERY = 512


def sha256_file(path: Path) -> str:
    """The file's sha256 (lowercase hex), read in 1 MiB chunks: the key the server stores it under."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ClientError(Exception):
    """A request failed; ``code`` is the server's error code (or a transport one)."""

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Api:
    """A bearer-authenticated session against one server."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, *, timeout: float, **kwargs: Any) -> requests.Response:
        """The response of a successful request; ClientError with the server's code otherwise."""
        url = self.base_url + path
        try:
            response = self._http.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise ClientError("unreachable", f"{method} {url}: {exc}") from exc
        if response.status_code >= 400:
            data: Any = None
            with contextlib.suppress(ValueError):
                data = response.json()
            err = data.get("error", {}) if isinstance(data, dict) else {}
            raise ClientError(
                err.get("code") or f"http_{response.status_code}",
                err.get("message") or f"{method} {path} answered {response.status_code}",
                status=response.status_code,
            )
        return response

    def call(self, method: str, path: str, *, timeout: float = TIMEOUT_S, **kwargs: Any) -> Any:
        """A JSON call; its decoded body (None when there is none)."""
        response = self._send(method, path, timeout=timeout, **kwargs)
        with contextlib.suppress(ValueError):
            return response.json()
        return None

    def get_bytes(self, path: str) -> bytes:
        """GET a binary resource (a WAV excerpt, say); errors as for ``call``."""
        return self._send("GET", path, timeout=UPLOAD_TIMEOUT_S).content

    def missing(self, hashes: Sequence[str]) -> list[str]:
        """Which of ``hashes`` this user still has to upload (POST /api/v1/blobs/missing)."""
        missing: list[str] = []
        for i in range(0, len(hashes), HASHES_PER_QUERY):
            query = {"sha256": list(hashes[i : i + HASHES_PER_QUERY])}
            missing += self.call("POST", "/api/v1/blobs/missing", json=query)["missing"]
        return missing

    def put_blob(self, path: Path) -> str:
        """POST /api/v1/blobs with one file (streamed); its sha256 as the server computed it."""
        with path.open("rb") as fh:
            files = {"file": (path.name, fh, "application/octet-stream")}
            body = self.call("POST", "/api/v1/blobs", files=files, timeout=UPLOAD_TIMEOUT_S)
        return str(body["sha256"])

    def put_blob_direct(self, path: Path, sha256: str) -> str | None:
        """Send ``path`` straight to object storage by presigned multipart URLs (resuming lost parts);
        its sha256 once the API has checked every byte, or None when the server has no object store."""
        size = path.stat().st_size
        try:
            upload = self.call("POST", "/api/v1/blobs/uploads", json={"sha256": sha256, "size": size})
        except ClientError as exc:
            if exc.code == "direct_uploads_unavailable":
                return None
            raise
        ref = {k: upload[k] for k in ("sha256", "size", "key", "upload_id")}
        urls = {i + 1: url for i, url in enumerate(upload["part_urls"])}
        part_bytes = int(upload["part_bytes"])
        for _ in range(PART_ATTEMPTS):
            with path.open("rb") as fh:
                for number, url in sorted(urls.items()):
                    fh.seek((number - 1) * part_bytes)
                    chunk = fh.read(part_bytes)
                    with contextlib.suppress(requests.RequestException):  # resumed below
                        requests.put(url, data=chunk, timeout=UPLOAD_TIMEOUT_S).raise_for_status()
            resume = {**ref, "part_bytes": part_bytes}
            parts = self.call("POST", "/api/v1/blobs/uploads/parts", json=resume)
            urls = {int(n): url for n, url in parts["part_urls"].items()}
            if not urls:
                break
        stored = self.call("POST", "/api/v1/blobs/uploads/complete", json=ref, timeout=UPLOAD_TIMEOUT_S)
        return str(stored["sha256"])

    def submit(self, tracks: Sequence[dict[str, str]]) -> dict[str, Any]:
        """POST /api/v1/analyses naming stored blobs by hash ({"sha256", "name", "type"} each); the 202."""
        body: dict[str, Any] = self.call("POST", "/api/v1/analyses", json={"tracks": list(tracks)})
        return body

    def batch(self, batch_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.call("GET", f"/api/v1/batches/{batch_id}")
        return body

    def job(self, job_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.call("GET", f"/api/v1/jobs/{job_id}")
        return body
