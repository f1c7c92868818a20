"""A session's first analysis with its vetting shared over the worker pool (service/vet_share.py),
against the same stack with the job vetting alone (CODETTE_VET_HELPERS=0, the peer), in one run.

Each side is a private stack of bench_service (Redis, two single-process workers, the API), started
in turn on the same stems, uploaded as blobs first: only POST .../analyze -> session.done is timed
(the 16 track analyses over both workers, then the session job, which vets every renderable move).
The stems are given the types bench_vet_edit gives them, so the session has moves of every kind.

BENCH_STEMS (default 16) synthetic stereo 44.1 kHz stems of BENCH_STEM_S (default 180) seconds.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.bench_service import Events, Stack
from bench.bench_vet_edit import TYPES
from bench.music import session_stems


def first_session_s(stack: Stack, paths: list[Path]) -> tuple[float, int]:
    """(seconds from POST .../analyze to session.done, vetted moves) for a new session of ``paths``."""
    tracks = []
    for i, path in enumerate(paths):
        with open(path, "rb") as handle:
            files = {"file": (path.name, handle)}
            r = requests.post(f"{stack.url}/api/v1/blobs", files=files, headers=stack.headers, timeout=600)
        r.raise_for_status()
        sha256, kind = r.json()["sha256"], TYPES[i % len(TYPES)]
        tracks.append(
            {"track_id": f"t{i}", "name": path.name, "type": kind, "sha256": sha256,
             "volume_db": -6.0, "pan": 0.0, "inserts": [], "muted": False}
        )  # fmt: skip
    url = f"{stack.url}/api/v1/sessions/s"
    doc = {"bpm": 120, "tracks": tracks}
    requests.put(url, json=doc, headers=stack.headers, timeout=30).raise_for_status()
    events = Events(stack)
    try:
        events.subscribe(session_id="s")
        start = time.perf_counter()
        requests.post(f"{url}/analyze", headers=stack.headers, timeout=30).raise_for_status()
        done = events.wait(lambda e, d: e == "session.done" and d.get("session_id") == "s")
    finally:
        events.client.disconnect()
    analysis: dict[str, Any] = requests.get(f"{url}/analysis", headers=stack.headers, timeout=30).json()
    advice = [s for t in analysis["result"]["session_analysis"]["tracks"] for s in t["suggestions"]]
    return done - start, sum("verified" in s["evidence"] for s in advice)


def main() -> None:
    paths, seconds, _ = session_stems()
    print(f"{len(paths)} stems of {seconds:.0f} s stereo 44.1 kHz; load average {os.getloadavg()[0]:.1f}")
    results = {}
    for name, env in (("shared", {}), ("alone (peer)", {"CODETTE_VET_HELPERS": "0"})):
        with tempfile.TemporaryDirectory(prefix="codette-bench-") as tmp:
            stack = Stack(Path(tmp), **env)
            try:
                results[name] = first_session_s(stack, paths)
            finally:
                stack.close()
        print(f"{name}: analyze -> session.done {results[name][0]:.1f} s ({results[name][1]} moves vetted)")
    shared, alone = results["shared"][0], results["alone (peer)"][0]
    print(f"ratio shared / alone: {shared / alone:.2f}x")


if __name__ == "__main__":
    main()
