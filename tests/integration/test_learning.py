"""Learning through the real stack: feedback over HTTP, the rebuild task on real workers' `learning`
queue, rankings that move for one user only, and a report that survives restarting Redis (AOF),
the worker and the API."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from config import Settings
from scripts.run_stack import free_port, start_redis, stop
from store.keys import feedback as feedback_key
from store.learning import RedisLearningStore as LearningStore
from store.wiring import redis_client
from tests.conftest import ROOT, TOKENS, auth, stack_env
from tests.seeded_sessions import forget_learning, seed_session_analysis, services_for

pytestmark = pytest.mark.integration
TIMEOUT_S = 30


def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def feedback(api_url: str, suggestion_id: str, kind: str, user: str = "alice") -> None:
    r = requests.post(f"{api_url}/api/v1/feedback", json={"suggestion_id": suggestion_id, "kind": kind},
                      headers=auth(user), timeout=10)  # fmt: skip
    assert r.status_code == 201, r.text


def get(api_url: str, path: str, user: str = "alice") -> Any:
    r = requests.get(f"{api_url}{path}", headers=auth(user), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def worker_stored_everything(store: LearningStore, user: str) -> bool:
    stored = store.stored_profile(user)
    return (
        stored is not None
        and stored[0] == store.last_id(user)
        and store.redis.exists("codette:population") == 1
    )


def order(api_url: str, session_id: str, user: str) -> list[str]:
    body = get(api_url, f"/api/v1/sessions/{session_id}/suggestions?limit=50", user)
    return [f"{s['type']}:{s['target']['track_id']}" for s in body["suggestions"]]


def test_twenty_events_rank_compression_below_eq_for_that_user_only(
    api_urls: list[str], workers: list[str], stack_settings: Settings
) -> None:
    services = services_for(stack_settings)
    forget_learning(services)
    session_id = "learn-" + uuid.uuid4().hex[:8]
    sugs = seed_session_analysis(services, owner="alice", session_id=session_id)
    seed_session_analysis(services, owner="bob", session_id=session_id)
    assert order(api_urls[0], session_id, "alice")[0] == "compression:vox"  # before any feedback
    forget_learning(services)  # (that read stored an empty profile; start the log clean)
    for i in range(10):  # applies EQ cuts, rejects compression, on both API processes
        feedback(api_urls[i % 2], sugs["eq_cut:vox" if i % 2 else "eq_cut:bass"].id, "applied")
        feedback(api_urls[(i + 1) % 2], sugs["compression:vox"].id, "negative")
    store = LearningStore(redis_client(stack_settings), ttl_s=stack_settings.result_ttl_s)
    until(lambda: worker_stored_everything(store, "alice"), "the learning task to fold all 20 events")
    assert store.stored_profile("alice")[1].events == 20  # type: ignore[index]
    alice, bob = order(api_urls[1], session_id, "alice"), order(api_urls[0], session_id, "bob")
    assert alice.index("compression:vox") > max(alice.index("eq_cut:vox"), alice.index("eq_cut:bass"))
    assert bob.index("compression:vox") < min(bob.index("eq_cut:vox"), bob.index("eq_cut:bass"))
    report = get(api_urls[0], "/api/v1/users/me/learning-report")
    assert report["events"] == 20 and report["application_rate"] == 1.0 and report["satisfaction"] == 0.0
    assert report["least_effective"][0]["suggestion_type"] == "compression"
    assert any(t["code"] == "held_back" and t["suggestion_type"] == "compression" for t in report["tips"])


# --- restarts ---------------------------------------------------------------------------------


class Stack:
    """A private Redis with AOF, one worker and one API process, each restartable."""

    def __init__(self, root: Path) -> None:
        self.root, self.port, self.api_port = root, free_port(), free_port()
        self.settings = Settings(redis_url=f"redis://127.0.0.1:{self.port}/0", data_dir=root / "data",
                                 api_tokens=dict(TOKENS), worker_concurrency=1)  # fmt: skip
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        self.procs["redis"] = start_redis(self.root / "redis", port=self.port, appendonly=True)
        env = stack_env(self.settings, PORT=str(self.api_port), CODETTE_HOST="127.0.0.1")
        log = open(self.root / "stack.log", "ab")  # noqa: SIM115 - kept open for the processes' life
        worker = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
                  "-Q", "analysis,learning", "-c", "1", "-n", "restart@%h",
                  "--without-mingle", "--without-gossip"]  # fmt: skip
        api = [sys.executable, "-m", "api.wsgi"]
        self.procs["worker"] = subprocess.Popen(worker, cwd=ROOT, env=env, stdout=log, stderr=log)
        self.procs["api"] = subprocess.Popen(api, cwd=ROOT, env=env, stdout=log, stderr=log)

        def up() -> bool:
            try:
                return requests.get(self.url + "/health", timeout=1).json()["workers"] >= 1
            except (requests.ConnectionError, ValueError):
                return False

        until(up, "the API and the worker")

    def stop(self) -> None:
        for name in ("api", "worker", "redis"):
            if name in self.procs:
                stop(self.procs.pop(name), sig=signal.SIGTERM, timeout_s=30)


@pytest.fixture
def aof_stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(tmp_path)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_the_report_survives_restarting_redis_the_worker_and_the_api(aof_stack: Stack) -> None:
    client = redis.Redis.from_url(aof_stack.settings.require_redis_url(), decode_responses=True)
    assert client.config_get("appendonly")["appendonly"] == "yes"
    services = services_for(aof_stack.settings)
    sugs = seed_session_analysis(services, owner="alice", session_id="restart")
    for kind, key in [("applied", "eq_cut:vox"), ("negative", "compression:vox"), ("applied", "eq_cut:bass"),
                      ("ignored", "de_ess:vox"), ("positive", "limiting:master")] * 2:  # fmt: skip
        feedback(aof_stack.url, sugs[key].id, kind)
    store = LearningStore(client, ttl_s=aof_stack.settings.result_ttl_s)
    until(lambda: worker_stored_everything(store, "alice"), "the learning task")
    before = requests.get(f"{aof_stack.url}/api/v1/users/me/learning-report", headers=auth(), timeout=10).text
    exported = requests.get(f"{aof_stack.url}/api/v1/users/me/learning-data", headers=auth(), timeout=10).text
    ranked = order(aof_stack.url, "restart", "alice")
    aof_stack.stop()
    aof_stack.start()
    assert client.xlen(feedback_key("alice")) == 10
    after = requests.get(f"{aof_stack.url}/api/v1/users/me/learning-report", headers=auth(), timeout=10).text
    assert after == before and '"events":10' in after.replace(" ", "")
    again = requests.get(f"{aof_stack.url}/api/v1/users/me/learning-data", headers=auth(), timeout=10).text
    assert again == exported and order(aof_stack.url, "restart", "alice") == ranked
    feedback(aof_stack.url, sugs["eq_cut:vox"].id, "applied")  # and learning carries on
    assert get(aof_stack.url, "/api/v1/users/me/learning-report")["events"] == 11
    client.close()
