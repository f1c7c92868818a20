"""HTTP-level errors (in the one tree, under CodetteError) and the one JSON error shape."""

from __future__ import annotations

import logging

import redis
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from core.errors import CodetteError

log = logging.getLogger(__name__)


class BadRequest(CodetteError):
    code = "bad_request"
    http_status = 400


class MalformedJson(BadRequest):
    code = "malformed_json"


class Unauthorized(CodetteError):
    code = "unauthorized"
    http_status = 401


class PayloadTooLarge(CodetteError):
    code = "payload_too_large"
    http_status = 413


class UnsupportedMediaType(CodetteError):
    code = "unsupported_media_type"
    http_status = 415


class ValidationFailed(CodetteError):
    code = "validation_failed"
    http_status = 422


class ServiceUnavailable(CodetteError):
    code = "unavailable"
    http_status = 503


def error_response(code: str, message: str, status: int) -> tuple[Response, int]:
    """The one error body: ``{"error": {"code", "message"}}``."""
    response = jsonify({"error": {"code": code, "message": message}})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="codette"'
    return response, status


def _http_code(exc: HTTPException) -> str:
    if exc.code == 413:
        return PayloadTooLarge.code
    return (exc.name or "error").lower().replace(" ", "_")


def malformed_framing(exc: Exception) -> bool:
    """The server's body reader refused the request's framing: gunicorn raises its parse errors (a bad
    chunk size, a chunk without its CRLF) from ``wsgi.input`` while the app reads the body."""
    return type(exc).__module__ == "gunicorn.http.errors"


def register_error_handlers(app: Flask, *, max_upload_bytes: int, max_json_bytes: int) -> None:
    @app.errorhandler(CodetteError)
    def codette_error(exc: CodetteError) -> tuple[Response, int]:
        response, status = error_response(exc.code, exc.message, exc.http_status)
        retry_after_s = getattr(exc, "retry_after_s", None)  # service.admission.TooManyJobs (429)
        if retry_after_s is not None:
            response.headers["Retry-After"] = str(retry_after_s)
        return response, status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            size = request.content_length
            if request.mimetype != "multipart/form-data":
                message = f"the request body is larger than the JSON limit of {max_json_bytes} bytes"
            elif size is not None and size <= max_upload_bytes:  # Werkzeug's per-field form limit
                limit = app.config.get("MAX_FORM_MEMORY_SIZE")
                message = f"a form field (not a file) is larger than the limit of {limit} bytes"
            else:
                message = f"the request is larger than the upload limit of {max_upload_bytes} bytes"
        return error_response(_http_code(exc), message, status)

    @app.errorhandler(redis.RedisError)
    def redis_down(exc: redis.RedisError) -> tuple[Response, int]:
        log.error("Redis unavailable: %s", exc)
        return error_response(ServiceUnavailable.code, "the job store (Redis) is unavailable", 503)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        if malformed_framing(exc):  # the client's fault, not ours: say what was wrong with it
            return error_response("bad_request", f"the request body's framing is malformed: {exc}", 400)
        log.exception("unhandled error")
        return error_response("internal_error", "internal error; see the server log", 500)
