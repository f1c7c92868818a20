"""Ids in URL paths: checked against ID_PATTERN before any lookup, echoed bounded (core.errors.shown)."""

from __future__ import annotations

import re

from api.errors import ValidationFailed
from api.schemas import ID_PATTERN
from core.errors import NotFound, shown

_ID = re.compile(ID_PATTERN)


def id_param(name: str, value: str) -> str:
    """A client-chosen id (a session's, a suggestion's): 422 naming it when it cannot be one."""
    if not _ID.match(value):
        raise ValidationFailed(f"{name} {shown(value)} must match {ID_PATTERN}")
    return value


def session_id_param(session_id: str) -> str:
    return id_param("session_id", session_id)


def found_id_param(kind: str, value: str) -> str:
    """A server-made id (a job's, a batch's): one that cannot be an id is not found, like any unknown id."""
    if not _ID.match(value):
        raise NotFound(f"{kind} {shown(value)} not found")
    return value
