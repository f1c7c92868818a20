"""The advice harness through the service, as a DAW front end (and issue 15's check) uses it.

``python -m bench advice`` ranks in process. This runs the same injections (bench.advice_errors, the
same seeds) through a private stack started here (Redis, two workers, the API): each perturbed
session is written as 24-bit WAV stems, uploaded with the Python client (client.library), stored
with its stem types, analysed by the session job (which vets its advice before storing it), and
judged on what ``GET /api/v1/sessions/<id>/suggestions?limit=3`` returns. Beside it, the route's
top 3 in process on the same decoded WAVs (bench.advice.top_suggestions), so a difference between
the service and the harness shows as disagreements, listed case by case.

Usage: ``python -m bench advice_service`` (env CODETTE_ADVICE_SESSIONS=12 dev sessions,
CODETTE_ADVICE_SYNTHETIC=0 synthetic ones, CODETTE_ADVICE_KINDS=mud,harshness,... a subset).
About 6 s per perturbed session on two cores. sessions-dev is read in place, never copied; the WAVs
go to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.advice import TOP, answers, top_suggestions  # noqa: E402
from bench.advice_errors import KINDS, Injection, inject, seeded_plan  # noqa: E402
from bench.advice_sessions import Session, Stem, dev_sessions, synthetic_session  # noqa: E402
from bench.bench_service import Stack  # noqa: E402
from client.library import Codette  # noqa: E402
from client.rest import sha256_file  # noqa: E402
from core.analysis import analyze  # noqa: E402
from core.audio import read_all  # noqa: E402
from core.suggestions.model import Suggestion, Target  # noqa: E402


def from_json(doc: dict[str, Any]) -> Suggestion:
    """The Suggestion a route's JSON describes (what bench.advice.answers judges)."""
    t = doc["target"]
    return Suggestion(
        id=doc["id"],
        type=doc["type"],
        track_type=doc.get("track_type", "other"),
        target=Target(t["track_id"], t.get("band")),
        parameters=dict(doc.get("parameters") or {}),
        priority=int(doc.get("priority", 3)),
        confidence=float(doc.get("confidence", 0.5)),
        reason=doc.get("reason", ""),
        evidence=dict(doc.get("evidence") or {}),
    )


def write_session(session: Session, inj: Injection, rng: np.random.Generator, folder: Path) -> list[Path]:
    """The perturbed session's stems as 24-bit WAVs (what a DAW exports: above full scale clips)."""
    folder.mkdir(parents=True)
    paths = []
    for stem in session.stems:
        y = inject(stem.y, session.sr, inj, rng) if stem.track_id == inj.track_id else stem.y
        path = folder / f"{stem.track_id}.wav"
        sf.write(path, np.asarray(y, dtype=np.float32).T, session.sr, subtype="PCM_24")
        paths.append(path)
    return paths


def decoded(session: Session, paths: list[Path]) -> Session:
    """The session as the service reads it: each stem decoded from its WAV."""
    stems = []
    for stem, path in zip(session.stems, paths, strict=True):
        y, _ = read_all(str(path))
        stems.append(Stem(stem.track_id, stem.type, np.atleast_2d(np.asarray(y, dtype=np.float32))))
    return Session(session.name, session.bpm, session.sr, tuple(stems))


def track_doc(path: Path, track_type: str) -> dict[str, str]:
    """One track of the session document: its id from the file name, its type, its content hash."""
    return {"track_id": path.stem, "name": path.name, "type": track_type, "sha256": sha256_file(path)}


def describe(top: list[Suggestion]) -> str:
    return "; ".join(
        f"{s.type} {s.parameters.get('freq_hz', '')} {s.parameters.get('gain_db', '')}@{s.target.track_id}"
        for s in top
    )


def main() -> None:
    n_dev = int(os.environ.get("CODETTE_ADVICE_SESSIONS", "12"))
    n_syn = int(os.environ.get("CODETTE_ADVICE_SYNTHETIC", "0"))
    wanted = os.environ.get("CODETTE_ADVICE_KINDS")
    kinds = tuple(k for k in KINDS if wanted is None or k in wanted.split(","))
    sessions = list(dev_sessions(n_dev)) if n_dev > 0 else []
    sessions += [synthetic_session(seed) for seed in range(n_syn)]
    if not sessions:
        print("sessions-dev absent and no synthetic sessions asked for: nothing to measure")
        return
    service: dict[str, list[bool]] = defaultdict(list)
    in_process: dict[str, list[bool]] = defaultdict(list)
    notes: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="codette-advice-") as tmp:
        stack = Stack(Path(tmp) / "stack")
        try:
            codette = Codette(stack.url, stack.token)
            for index, session in enumerate(sessions):
                tracks = [(s.track_id, s.type) for s in session.stems]
                for kind in kinds:
                    inj, rng = seeded_plan(session.name, kind, index=index, tracks=tracks)
                    if inj is None:
                        continue
                    paths = write_session(session, inj, rng, Path(tmp) / f"{session.name}-{kind}")
                    codette.upload(paths)
                    types = {s.track_id: s.type for s in session.stems}
                    doc = {"tracks": [track_doc(p, types[p.stem]) for p in paths]}
                    remote = codette.session(f"{session.name}-{kind}")
                    remote.put(doc)
                    job = codette.wait_for_job(remote.analyze(), timeout_s=1800)
                    if job["status"] != "done":
                        raise RuntimeError(f"{session.name} {kind}: the session job ended {job['status']}")
                    got = [from_json(d) for d in remote.suggestions(limit=TOP)["suggestions"]]
                    local = decoded(session, paths)
                    analyses = {s.track_id: analyze((s.y, local.sr), name=s.track_id) for s in local.stems}
                    mine = list(top_suggestions(local, analyses))
                    hit_service = any(answers(s, inj) for s in got)
                    hit_local = any(answers(s, inj) for s in mine)
                    service[kind].append(hit_service)
                    in_process[kind].append(hit_local)
                    if hit_service != hit_local:
                        notes.append(
                            f"  {session.name} {kind} on {inj.track_id}: service {describe(got)} | "
                            f"in process {describe(mine)}"
                        )
                    print(
                        f"  {session.name:<12} {kind:<17} {inj.track_id:<15} service "
                        f"{'found' if hit_service else 'missed'}: {describe(got)}",
                        flush=True,
                    )
        finally:
            stack.close()
    elapsed = time.perf_counter() - t0
    print(
        f"\n{len(sessions)} sessions, {elapsed:.0f} s; found: a top-{TOP} move names the stem and the error"
    )
    print(f"{'error':<17}|{'service':>10} |{'in process':>11}")
    for kind in kinds:
        s, p = service[kind], in_process[kind]
        print(f"{kind:<17}|{sum(s):>5}/{len(s):<4} |{sum(p):>6}/{len(p):<4}")
    agree = sum(a == b for k in kinds for a, b in zip(service[k], in_process[k], strict=True))
    total = sum(len(service[k]) for k in kinds)
    print(f"the service and the in-process route agree on {agree} of {total} cases")
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
