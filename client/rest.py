"""The REST calls the client makes (requests); errors carry the server's {"error": {code, message}}."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 600.0


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

    def _call(self, method: str, path: str, *, timeout: float = TIMEOUT_S, **kwargs: Any) -> Any:
        url = self.base_url + path
        try:
            response = self._http.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise ClientError("unreachable", f"{method} {url}: {exc}") from exc
        data: Any = None
        with contextlib.suppress(ValueError):
            data = response.json()
        if response.status_code >= 400:
            err = data.get("error", {}) if isinstance(data, dict) else {}
            raise ClientError(
                err.get("code") or f"http_{response.status_code}",
                err.get("message") or f"{method} {path} answered {response.status_code}",
                status=response.status_code,
            )
        return data

    def upload(self, paths: Sequence[Path]) -> dict[str, Any]:
        """POST /api/v1/analyses with every file in one multipart request; the 202 body."""
        handles = [path.open("rb") for path in paths]
        try:
            files = [
                ("files", (path.name, fh, "application/octet-stream"))
                for path, fh in zip(paths, handles, strict=True)
            ]
            body: dict[str, Any] = self._call(
                "POST", "/api/v1/analyses", files=files, timeout=UPLOAD_TIMEOUT_S
            )
            return body
        finally:
            for fh in handles:
                fh.close()

    def batch(self, batch_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", f"/api/v1/batches/{batch_id}")
        return body

    def job(self, job_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", f"/api/v1/jobs/{job_id}")
        return body
