"""The measures of a stem with moves rendered on it, cached by recipe.

Vetting renders and re-analyses every renderable move of a session (service.session_job), a preview
one move or a set of them (service.preview, service.session_preview). A rendered stem is a pure
function of the stem's content and the moves' types and parameters (core.render), so its analysis
is cached under that recipe (``moved_key``): a session vetted again after a fader move renders only
the moves whose parameters changed (on a 16-stem session, 2-7 of 42), and the preview of a vetted
move re-analyses nothing. On a hit the stem is not even decoded: ``rendered`` is called on a miss only.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence

import numpy as np

from core.analysis import ANALYZER_VERSION, analyze
from core.render import RENDER_VERSION
from core.results import TrackAnalysis
from core.suggestions import Suggestion
from service.cached import hashed_key, readable_analysis
from service.ports import Ports


def moved_key(sha256: str, name: str, moves: Sequence[Suggestion]) -> str:
    """The cache key of the analysis of blob ``sha256`` (analysed as ``name``) with ``moves``
    rendered on it in order: what the rendered audio and its analysis depend on, and nothing else."""
    parts = {
        "sha256": sha256,
        "name": name,
        "moves": [{"type": s.type, "parameters": dict(s.parameters)} for s in moves],
        "render": RENDER_VERSION,
        "analyzer": ANALYZER_VERSION,
    }
    return hashed_key(f"moved:v{ANALYZER_VERSION}:r{RENDER_VERSION}:", parts)


def moved_analysis(
    ports: Ports,
    *,
    sha256: str,
    name: str,
    moves: Sequence[Suggestion],
    rendered: Callable[[], tuple[np.ndarray, int]],
) -> TrackAnalysis:
    """The analysis of the stem with ``moves`` rendered, from the cache or measured and cached.

    ``rendered`` gives the rendered stem and its rate; it is called only on a miss (a cached recipe
    decodes and renders nothing). The analysis's own content hash is the recipe's: the rendered
    samples are not hashed again.
    """
    key = moved_key(sha256, name, moves)
    cached = readable_analysis(ports.cache.load(key), key=key)
    if cached is not None:
        return cached
    started = time.perf_counter()
    y, sr = rendered()
    after = analyze((y, sr), name=name, sha256=hashlib.sha256(key.encode()).hexdigest())
    ports.cache.put(
        key, after.to_dict(), compute_s=time.perf_counter() - started, ttl_s=ports.settings.moved_ttl_s
    )
    return after


def already(y: np.ndarray, sr: int) -> Callable[[], tuple[np.ndarray, int]]:
    """``rendered`` for ``moved_analysis`` when the caller has rendered the stem anyway (a preview)."""
    return lambda: (y, sr)
