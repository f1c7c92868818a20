"""CORS for the REST API: an allowlist from Settings.cors_origins, never a wildcard."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request

ALLOWED_HEADERS = "Authorization, Content-Type"
ALLOWED_METHODS = "GET, POST, PUT, OPTIONS"


def cors_headers(origins: tuple[str, ...]) -> Callable[[Response], Response]:
    allowed = frozenset(origins)

    def add_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        response.vary.add("Origin")
        if origin and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Max-Age"] = "600"
        return response

    return add_headers
