"""A finished session analysis written the way the worker writes one, with suggestions we choose.

The analysis itself is tested in tests/core and tests/integration/test_stack.py; learning and
ranking tests need a known set of suggestion types (EQ cuts and a compression on the same vocal),
which synthetic audio cannot promise.
"""

from __future__ import annotations

from dataclasses import replace

from config import Settings
from core.suggestions import Suggestion, make_suggestion
from service.messages import JobKind, JobStatus
from service.model import Job, new_id
from service.ports import Ports
from service.suggestions import index_session_suggestions
from store import keys as store_keys
from store.wiring import build_stores, redis_client
from tests.fakes import RecordingPublisher

USERS = ("alice", "bob")


def services_for(settings: Settings) -> Ports:
    return build_stores(settings, publisher=RecordingPublisher())


def mix_suggestions() -> list[Suggestion]:
    """Compression outranks the EQ cuts on base score (priority 2 vs 3), so learning must move it."""
    return [
        make_suggestion("compression", track_id="vox", track_type="vocals", band=None,
                        parameters={"threshold_db": -20.0, "ratio": 3.0, "release_ms": 120.0},
                        priority=2, confidence=0.8, reason="crest factor"),
        make_suggestion("eq_cut", track_id="vox", track_type="vocals", band="low_mid",
                        parameters={"freq_hz": 350.0, "gain_db": -3.0, "q": 1.4},
                        priority=3, confidence=0.7, reason="boxy"),
        make_suggestion("eq_cut", track_id="bass", track_type="bass", band="low_mid",
                        parameters={"freq_hz": 300.0, "gain_db": -2.0, "q": 1.0},
                        priority=3, confidence=0.7, reason="masking"),
        make_suggestion("limiting", track_id="master", track_type="master", band=None,
                        parameters={"ceiling_dbtp": -1.0}, priority=3, confidence=0.6, reason="true peak"),
        make_suggestion("de_ess", track_id="vox", track_type="vocals", band="presence",
                        parameters={"freq_hz": 6500.0, "reduction_db": -3.0}, priority=4, confidence=0.6,
                        reason="sibilance"),
    ]  # fmt: skip


def seed_session_analysis(
    services: Ports, *, owner: str, session_id: str, suggestions: list[Suggestion] | None = None
) -> dict[str, Suggestion]:
    """Store a done session job and its result, as the session job does; return by type/track."""
    chosen = mix_suggestions() if suggestions is None else suggestions
    tracks: dict[str, list[Suggestion]] = {}
    for s in chosen:
        tracks.setdefault(s.target.track_id, []).append(s)
    result = {
        "session_id": session_id,
        "tracks": [],
        "summary": {},
        "session_analysis": {
            "tracks": [
                {"track_id": t, "track_type": ss[0].track_type, "suggestions": [s.to_dict() for s in ss]}
                for t, ss in tracks.items()
            ]
        },
    }
    job = Job(new_id(), owner, kind=JobKind.SESSION, status=JobStatus.DONE, progress=1.0, stage="done",
              session_id=session_id)  # fmt: skip
    key = services.jobs.put_session_result(job.job_id, result)
    services.jobs.create_job(replace(job, result_key=key))
    services.jobs.set_latest_session_job(owner, session_id, job.job_id)
    index_session_suggestions(services, owner=owner, result=result)
    return {f"{s.type}:{s.target.track_id}": s for s in chosen}


def forget_learning(services: Ports) -> None:
    """Start a test from no feedback at all (the test users share one Redis database)."""
    keys = [key(u) for u in USERS for key in (store_keys.feedback, store_keys.profile, store_keys.acted)]
    dirty = (store_keys.POPULATION, store_keys.POPULATION_DIRTY, store_keys.LEARNING_USERS)
    redis_client(services.settings).delete(*keys, *dirty)
