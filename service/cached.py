"""Reading a cached track analysis back: an entry that does not parse is a miss, never an error.

The cache key carries core.analysis.ANALYZER_VERSION, so code that changes an analysis's shape
reads its own entries only. An entry can still fail to parse: written during a deploy by code of
another shape that kept the version, or damaged. Every reader goes through ``readable_analysis``:
it logs the entry and answers None, and the caller analyses again (which overwrites the entry), so
one bad value costs one analysis, not a failing route for as long as the entry lives.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from core.results import TrackAnalysis

log = logging.getLogger(__name__)

#: What TrackAnalysis.from_dict raises on a value of another shape (a missing field, a wrong type).
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


def readable_analysis(value: Mapping[str, Any] | None, *, key: str) -> TrackAnalysis | None:
    """``value`` (the cache's entry under ``key``) as a TrackAnalysis; None when absent or unreadable."""
    if value is None:
        return None
    try:
        return TrackAnalysis.from_dict(dict(value))
    except UNREADABLE as exc:
        log.error("cached analysis %s does not parse (%s: %s); analysing again", key, type(exc).__name__, exc)
        return None
