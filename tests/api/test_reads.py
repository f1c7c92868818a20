"""Reads that only read, and one cache decision per job: the API in-process with an eager worker.

The tasks run in this process (Celery eager mode) against a real Redis, so a POST leaves finished
jobs behind; then reads are repeated and Redis is compared key by key (DUMP of every key).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient

from api.app import create_app
from config import Settings
from service.snapshots import subscription_snapshot
from store import keys
from store.wiring import build_stores, redis_client
from tests.conftest import auth, wav_bytes
from tests.fakes import RecordingPublisher
from worker.app import CodetteCelery, create_celery

READS = 100


@pytest.fixture
def celery_app(settings: Settings) -> CodetteCelery:
    ports = build_stores(settings, publisher=RecordingPublisher())
    return create_celery(settings, ports=ports, task_always_eager=True, task_eager_propagates=True)


@pytest.fixture
def client(settings: Settings, celery_app: CodetteCelery) -> FlaskClient:
    return create_app(settings, ports=celery_app.ports).test_client()


@pytest.fixture
def db(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.require_redis_url())  # bytes: DUMP is binary
    yield client
    client.close()


def dump(db: redis.Redis) -> dict[bytes, bytes]:
    """Every key of the database and its serialised value (DUMP), which changes with any write."""
    return {key: db.dump(key) for key in sorted(db.scan_iter(count=1000))}


def analyse(client: FlaskClient, *seeds: int, track_type: str = "kick") -> dict:
    files = [(io.BytesIO(wav_bytes(seconds=1.0, seed=s)), f"{s}.wav") for s in seeds]
    types = "[" + ",".join(f'"{track_type}"' for _ in seeds) + "]"
    r = client.post("/api/v1/analyses", data={"files": files, "track_types": types}, headers=auth(),
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 202, r.json
    return dict(r.json)


def test_a_hundred_reads_of_a_finished_job_leave_redis_byte_identical(
    client: FlaskClient, celery_app: CodetteCelery, db: redis.Redis
) -> None:
    batch = analyse(client, 9101)
    job_id = batch["jobs"][0]["job_id"]
    first = client.get(f"/api/v1/jobs/{job_id}", headers=auth()).json
    assert first["status"] == "done" and first["result"]["loudness"] is not None
    before = dump(db)
    assert len(before) > 5  # the job, its batch, the analysis, the suggestions, ...
    for _ in range(READS):
        assert client.get(f"/api/v1/jobs/{job_id}", headers=auth()).json == first
        assert client.get(f"/api/v1/batches/{batch['batch_id']}", headers=auth()).status_code == 200
        subscription_snapshot(celery_app.ports, owner="alice", target={"job_id": job_id})
        subscription_snapshot(celery_app.ports, owner="alice", target={"batch_id": batch["batch_id"]})
    assert dump(db) == before


def test_the_dump_sees_a_write(db: redis.Redis) -> None:
    """The comparison above can fail: one changed field of one hash changes the dump."""
    db.hset("codette:test:probe", "a", "1")
    before = dump(db)
    db.hset("codette:test:probe", "a", "2")
    assert dump(db) != before
    db.delete("codette:test:probe")


def test_a_track_jobs_suggestions_are_stored_with_it_and_take_feedback(
    client: FlaskClient, celery_app: CodetteCelery
) -> None:
    """Computed and indexed once, when the job finished: feedback on one needs no earlier read."""
    batch = analyse(client, 9102, track_type="vocals")  # a 1 s tone as vocals draws tonal advice
    job_id = batch["jobs"][0]["job_id"]
    suggestions = celery_app.ports.jobs.track_suggestions(job_id)  # stored, not computed by a read
    assert suggestions
    # Feedback before any GET of the job: the ids were indexed as the result was stored.
    r = client.post("/api/v1/feedback", json={"suggestion_id": suggestions[-1]["id"], "kind": "negative"},
                    headers=auth())  # fmt: skip
    assert r.status_code == 201, r.json
    listed = client.get(f"/api/v1/jobs/{job_id}", headers=auth()).json["suggestions"]
    assert listed == suggestions
    r = client.post("/api/v1/feedback", json={"suggestion_id": listed[0]["id"], "kind": "applied"},
                    headers=auth())  # fmt: skip
    assert r.status_code == 201, r.json


def test_health_counts_one_cache_decision_per_job(client: FlaskClient, settings: Settings) -> None:
    """Three new tracks and the same three again: 3 misses and 3 hits, a hit ratio of exactly 0.5."""
    redis_client(settings).delete(keys.CACHE_STATS)
    first = analyse(client, 9201, 9202, 9203)
    assert [j["cached"] for j in first["jobs"]] == [False, False, False]
    again = analyse(client, 9201, 9202, 9203)
    assert [j["cached"] for j in again["jobs"]] == [True, True, True]
    cache = client.get("/health").json["cache"]
    assert (cache["hits"], cache["misses"], cache["puts"]) == (3, 3, 3)
    assert cache["hit_ratio"] == 0.5
