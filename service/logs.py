"""Structured logs: one JSON object per line, carrying the request id of the API call being served.

The API takes the id from the ``X-Request-Id`` request header (or makes one), answers with it, and
sets ``REQUEST_ID`` for the request; the task queue copies it into each Celery message's headers, and
the worker sets it again while that message's task runs (worker/metrics.py). Every log line written
meanwhile, in either process, carries it: ``grep <id>`` finds a request's whole story.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

#: The request id of the API call (or of the task it queued) this context is serving; "" for none.
REQUEST_ID: ContextVar[str] = ContextVar("codette_request_id", default="")
#: What a client may send as its own request id (anything else is replaced by a fresh one).
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: LogRecord attributes that are not extra fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id_from(header: str | None) -> str:
    """The client's id when it is a short token, else a new one (never a client's arbitrary text)."""
    return header if header and _CLIENT_ID.match(header) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (from REQUEST_ID) to every record that passes a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id"?, ...extra fields, "exc"?}``, one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and value not in ("", None):
                out[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def use_json(handler: logging.Handler) -> None:
    """Make ``handler`` write JSON lines with the request id."""
    handler.setFormatter(JsonFormatter())
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())


def configure_logging(*, json_lines: bool, level: int = logging.INFO) -> None:
    """The root logger of an entry point: JSON lines (production) or the classic text format."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if json_lines:
            use_json(handler)
        else:
            handler.addFilter(RequestIdFilter())
