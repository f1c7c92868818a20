"""Cache entries by content (``hashed_key``) and reading them back: an entry that does not parse is
a miss, never an error (``readable``; ``readable_analysis`` for a track analysis).

The cache key carries core.analysis.ANALYZER_VERSION, so code that changes an analysis's shape
reads its own entries only. An entry can still fail to parse: written during a deploy by code of
another shape that kept the version, or damaged. Every reader goes through ``readable_analysis``:
it logs the entry and answers None, and the caller analyses again (which overwrites the entry), so
one bad value costs one analysis, not a failing route for as long as the entry lives.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from core.results import TrackAnalysis

log = logging.getLogger(__name__)
T = TypeVar("T")

#: What TrackAnalysis.from_dict raises on a value of another shape (a missing field, a wrong type).
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


#: Whose source makes code_fingerprint: the domain rules and the application functions over them.
FINGERPRINTED = ("core", "service")


@functools.cache
def code_fingerprint() -> str:
    """A hash of the Python source of core/ and service/, computed once per process: part of the key
    of a value derived by code that has no version of its own to bump (a session's vetted advice), so
    a deployment that changes a rule does not serve what its predecessor stored. Every host running
    the same release computes the same."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(p for package in FINGERPRINTED for p in (root / package).rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def hashed_key(prefix: str, parts: Mapping[str, Any]) -> str:
    """A cache key by content: ``prefix`` and the sha256 of ``parts`` as canonical JSON (sorted keys;
    values JSON cannot hold, as their str)."""
    payload = json.dumps(parts, sort_keys=True, default=str)
    return prefix + hashlib.sha256(payload.encode()).hexdigest()


def readable(
    value: Mapping[str, Any] | None,
    *,
    key: str,
    parse: Callable[[dict[str, Any]], T],
    what: str = "analysis",
    again: str = "analysing again",
) -> T | None:
    """``value`` (the cache's entry under ``key``) parsed; None when absent or unreadable (logged:
    "cached <what> <key> does not parse ...; <again>")."""
    if value is None:
        return None
    try:
        return parse(dict(value))
    except UNREADABLE as exc:
        log.error("cached %s %s does not parse (%s: %s); %s", what, key, type(exc).__name__, exc, again)
        return None


def readable_analysis(value: Mapping[str, Any] | None, *, key: str) -> TrackAnalysis | None:
    """``value`` (the cache's entry under ``key``) as a TrackAnalysis; None when absent or unreadable."""
    return readable(value, key=key, parse=TrackAnalysis.from_dict)
