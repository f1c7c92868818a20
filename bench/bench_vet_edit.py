"""A session vetted again after a fader edit: with each rendered move's measures cached by recipe
(service.moved) against the same session job with that cache left empty (the peer), in one run.

What a DAW does many times a day: one fader moves, the session is analysed again. The track
analyses are cached by content either way and the vetted list is cached by the session's content
(so an edit vets again); the recipe cache decides whether every move is rendered and re-measured
or only those whose parameters the edit changed. The session job runs in process on the in-memory
ports (service.session_job.run_session_job), so the queue and Redis are not timed.

BENCH_STEMS (default 16) synthetic stereo 44.1 kHz stems of BENCH_STEM_S (default 180) seconds.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.music import session_stems
from config import Settings
from core.cache import MemoryCache
from service.ports import Ports
from service.session_job import run_session_job
from service.submit import submit_session
from service.track_job import run_track_job
from tests.fakes import memory_ports

TYPES = ("kick", "snare", "bass", "keys", "pad", "vocals", "strings", "synth")
#: (track index, dB) fader edits, applied one after another.
EDITS = ((3, -3.0), (5, 2.0), (0, -1.0))


class NoRecipes(MemoryCache):
    """The peer's cache: everything but the measures of rendered moves (``moved:`` keys)."""

    def put(
        self, key: str, value: dict[str, Any], *, compute_s: float = 0.0, ttl_s: int | None = None
    ) -> None:
        if not key.startswith("moved:"):
            super().put(key, value, compute_s=compute_s, ttl_s=ttl_s)


def session_job_s(ports: Ports, doc: dict[str, Any]) -> float:
    """Submit the session, run its track jobs, and time its session job."""
    ports.jobs.put_session("u", "s", doc)
    parent = submit_session(ports, owner="u", session_id="s")
    for child_id in parent.children:
        child = ports.jobs.job(child_id)
        if child is not None and not child.status.finished:
            run_track_job(ports, job_id=child_id, sha256=child.sha256, hostname="bench")
    start = time.perf_counter()
    run_session_job(ports, job_id=parent.job_id)
    return time.perf_counter() - start


def run(paths: list[Path], *, recipes: bool) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="codette-vet-edit-"))
    ports = memory_ports(Settings(data_dir=tmp / "d"), blob_root=tmp / "b")
    if not recipes:
        ports = dataclasses.replace(ports, cache=NoRecipes())
    tracks = []
    for i, path in enumerate(paths):
        sha = ports.blobs.put_bytes(path.read_bytes())
        ports.jobs.add_blob("u", sha)
        tracks.append(
            {"track_id": f"t{i}", "name": path.name, "type": TYPES[i % len(TYPES)], "sha256": sha,
             "volume_db": -6.0, "pan": 0.0, "inserts": [], "muted": False}
        )  # fmt: skip
    doc: dict[str, Any] = {"bpm": 120, "tracks": tracks}
    times = [session_job_s(ports, doc)]
    for index, db in EDITS:
        if index < len(tracks):
            doc = copy.deepcopy(doc)
            doc["tracks"][index]["volume_db"] += db
            times.append(session_job_s(ports, doc))
    return times


def main() -> None:
    paths, seconds, _ = session_stems()
    print(f"{len(paths)} stems of {seconds:.0f} s stereo 44.1 kHz; load average {os.getloadavg()[0]:.1f}")
    cached = run(paths, recipes=True)
    peer = run(paths, recipes=False)
    print(f"first session job: {cached[0]:.1f} s (peer {peer[0]:.1f} s)")
    for (index, db), mine, theirs in zip(EDITS, cached[1:], peer[1:], strict=False):
        print(
            f"after a {db:+g} dB edit on t{index}: {mine:.2f} s, peer without the recipe cache "
            f"{theirs:.2f} s, ratio {mine / theirs:.3f}x"
        )


if __name__ == "__main__":
    main()
