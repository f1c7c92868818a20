"""A session's vetting shared with the worker pool: helper tasks measure moves while the job does too.

Vetting renders and re-analyses every renderable move of a session (core.verify.vet_session; about
0.7 s per move of a 3-minute stereo stem, 42 moves on 16 such stems): alone, one worker spends half
a minute on it while the rest of the pool may be idle. So before it vets, a session job sends up to
Settings.vet_helpers helper tasks (queue ``analysis``), each naming some stems and their moves not
measured yet. Every measurement is claimed first (ports.claims, under the move's recipe key,
service.moved.moved_key): a helper measures the moves it can claim, in order; the job goes through
the same moves from the other end; each measured move lands in the recipe cache, where vet_session
then finds it. Nothing is measured twice, and the job never depends on a helper: a move nobody
holds it measures itself, one another process is measuring it waits for (the holder renews its
claim every third of Settings.vet_claim_ttl_s while it works; a dead holder's claim runs out and the
job takes the move over). A helper that starts after the job has finished finds every move cached
and decodes nothing.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from core.errors import CodetteError
from core.render import render_suggestion
from core.results import TrackAnalysis
from core.session.analyze import SessionAnalysis
from core.suggestions import Suggestion
from core.verify import moves_to_vet
from service.cached import readable_analysis
from service.model import suggestion_from_dict
from service.moved import moved_analysis, moved_key
from service.ports import Ports
from service.preview import decode

log = logging.getLogger(__name__)

#: Fewer moves than this to measure are not worth a helper's message and decode: the job does them.
MIN_SHARED_MOVES = 4
#: How often (s) the job looks again at a move another process is measuring.
WAIT_POLL_S = 0.05

Stem = Callable[[], tuple[np.ndarray, int]]


@dataclass(frozen=True)
class Move:
    """One move to measure: a suggestion rendered on the stem of ``track_id`` (blob ``sha256``)."""

    track_id: str
    sha256: str
    suggestion: Suggestion

    @property
    def key(self) -> str:
        return moved_key(self.sha256, self.track_id, (self.suggestion,))


class Outcome(Enum):
    CACHED = "cached"  # measured before (by anyone)
    MEASURED = "measured"  # measured now, by the caller
    BUSY = "busy"  # another process is measuring it


def holder_id(role: str) -> str:
    """A claim holder's name, unique per call and readable in Redis: who (``job:<id>`` or
    ``helper:<job id>``), where (host and process id) and a random part."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class LastStem:
    """The stems of ``stems`` (track id -> (y, sr), decoding on access) as ``Stem`` callables that keep
    the last stem asked for until another is: moves come grouped by stem, so a stem the job's decode
    budget does not hold (service.session_job.Stems) is decoded once per run of its moves, not once
    per move, at the cost of one stem more in memory."""

    def __init__(self, stems: Mapping[str, tuple[np.ndarray, int]]) -> None:
        self._stems = stems
        self._last: tuple[str, tuple[np.ndarray, int]] | None = None

    def __call__(self, track_id: str) -> Stem:
        def stem() -> tuple[np.ndarray, int]:
            if self._last is None or self._last[0] != track_id:
                self._last = None  # let the previous one go before decoding the next
                self._last = (track_id, self._stems[track_id])
            return self._last[1]

        return stem


def unmeasured(
    ports: Ports, analysis: SessionAnalysis, sha256: Mapping[str, str], audio: Mapping[str, Any]
) -> list[Move]:
    """The moves vet_session will measure on ``analysis`` (stems in ``audio``) not in the cache yet,
    in its order."""
    moves = [
        Move(ts.track_id, sha256[ts.track_id], s)
        for ts in analysis.tracks
        if ts.track_id in sha256
        for s in moves_to_vet(ts, audio)
    ]
    return [m for m in moves if not ports.cache.exists(m.key)]


def send_helpers(ports: Ports, job_id: str, moves: Sequence[Move]) -> int:
    """Send up to Settings.vet_helpers helper tasks for ``moves``, the stems dealt out in turn so each
    helper decodes only its own; how many were sent (none for fewer than MIN_SHARED_MOVES moves)."""
    by_stem: dict[tuple[str, str], list[Suggestion]] = {}
    for m in moves:
        by_stem.setdefault((m.track_id, m.sha256), []).append(m.suggestion)
    n = min(ports.settings.vet_helpers, len(by_stem))
    if n == 0 or len(moves) < MIN_SHARED_MOVES:
        return 0
    shares: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for i, ((track_id, sha256), suggestions) in enumerate(by_stem.items()):
        item = {"track_id": track_id, "sha256": sha256, "moves": [s.to_dict() for s in suggestions]}
        shares[i % n].append(item)
    for share in shares:
        ports.queue.measure_moves(job_id, share)
    return n


@contextmanager
def claimed(ports: Ports, key: str, holder: str) -> Iterator[bool]:
    """Whether ``holder`` got the claim on ``key``; held (renewed every third of its lifetime) until
    the block ends, then released."""
    ttl_s = ports.settings.vet_claim_ttl_s
    if not ports.claims.claim(key, holder, ttl_s=ttl_s):
        yield False
        return
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl_s / 3) and ports.claims.renew(key, holder, ttl_s=ttl_s):
            pass

    renewer = threading.Thread(target=renew, name="codette-claim", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        ports.claims.release(key, holder)


def _measure(ports: Ports, move: Move, stem: Stem) -> TrackAnalysis:
    def rendered() -> tuple[np.ndarray, int]:
        y, sr = stem()
        return render_suggestion(y, sr, move.suggestion), sr

    return moved_analysis(
        ports, sha256=move.sha256, name=move.track_id, moves=(move.suggestion,), rendered=rendered
    )


def measure_if_free(ports: Ports, move: Move, holder: str, stem: Stem) -> Outcome:
    """Measure ``move`` unless it is cached or another process is measuring it."""
    if ports.cache.exists(move.key):
        return Outcome.CACHED
    with claimed(ports, move.key, holder) as mine:
        if not mine:
            return Outcome.BUSY
        _measure(ports, move, stem)
    return Outcome.MEASURED


def measured(ports: Ports, move: Move, holder: str, stem: Stem) -> TrackAnalysis:
    """The analysis of ``move``: from the cache, measured here, or waited for while another process
    measures it (taken over if its claim runs out first). What the session job's vetting calls."""
    while True:
        cached = readable_analysis(ports.cache.load(move.key), key=move.key)
        if cached is not None:
            return cached
        with claimed(ports, move.key, holder) as mine:
            if mine:
                return _measure(ports, move, stem)
        time.sleep(WAIT_POLL_S)


def measure_moves(ports: Ports, *, job_id: str, stems: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A helper task's work: measure the moves of ``stems`` (``{"track_id", "sha256", "moves"}``)
    nobody has measured or is measuring, in order. A stem is decoded only for a move it claims; one
    that cannot be decoded or rendered is left to the job (which reports it). The job's id and how
    many moves were measured here, found measured, or being measured by another process."""
    holder = holder_id(f"helper:{job_id}")
    counts = {o.value: 0 for o in Outcome}
    for item in stems:
        # decoded once, on the first move this helper claims
        stem = functools.cache(functools.partial(decode, ports, str(item["sha256"])))
        for raw in item["moves"]:
            move = Move(str(item["track_id"]), str(item["sha256"]), suggestion_from_dict(raw))
            try:
                outcome = measure_if_free(ports, move, holder, stem)
            except CodetteError as exc:
                log.warning(
                    "vetting helper of %s: %s left to the job (%s: %s)",
                    job_id,
                    move.track_id,
                    exc.code,
                    exc.message,
                )
                break
            counts[outcome.value] += 1
    log.info("vetting helper of %s: %s", job_id, counts)
    return {"job_id": job_id, **counts}
