"""Fixtures for the resilience suite: a private stack per test module (see tests/resilience/stack.py).

A failing test's report carries where each unfinished job is in Redis and the tail of every log its
stacks wrote (workers, APIs), so a failure seen once in CI can be read after the temporary
directories are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from store import keys
from tests.resilience.stack import Stack

#: Lines kept from the end of each log in a failing test's report.
LOG_TAIL_LINES = 150

_LIVE: list[Stack] = []


@pytest.fixture(scope="module")
def make_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Stack]]:
    """``make_stack(**settings_overrides)``: a new Redis and data dir; tests start workers and APIs."""
    stacks: list[Stack] = []

    def make(**overrides: Any) -> Stack:
        stack = Stack.create(tmp_path_factory.mktemp("stack"), **overrides)
        stacks.append(stack)
        _LIVE.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()
        _LIVE.remove(stack)


def redis_state(stack: Stack) -> str:
    """Where each unfinished job is (admission line, admitted set, broker queue, a worker's unacked
    messages or claims), the live worker instances, and the queues' lengths: what a job that never
    finished needs to be traced after the stack is gone."""
    try:
        client = stack.redis()
    except Exception as exc:
        return f"unavailable: {exc!r}"
    try:
        lines = [f"queues: analysis={client.llen('analysis')} learning={client.llen('learning')}",
                 f"unacked: {client.hlen('unacked')}",
                 f"workers: {client.zrange(keys.WORKERS, 0, -1, withscores=True)}"]  # fmt: skip
        unacked = " ".join(str(v) for v in client.hvals("unacked"))
        queued = " ".join(str(v) for v in client.lrange("analysis", 0, -1))
        claims = {k: " ".join(client.hvals(k)) for k in client.scan_iter(keys.worker_claims("*"))}
        for key in client.scan_iter(keys.job("*")):
            job = client.hgetall(key)
            if job.get("status") in ("done", "failed"):
                continue
            job_id, owner = key.rsplit(":", 1)[1], job.get("owner", "")
            where = [
                name
                for name, found in (
                    ("waiting", job_id in client.lrange(keys.waiting_jobs(owner), 0, -1)),
                    ("admitted", client.zscore(keys.admitted_jobs(owner), job_id) is not None),
                    ("in the queue", job_id in queued),
                    ("unacked", job_id in unacked),
                    *((f"claimed by {k}", job_id in v) for k, v in claims.items()),
                )
                if found
            ]
            lines.append(
                f"job {job_id} ({job.get('name')}): {job.get('status')}, {', '.join(where) or 'nowhere'}"
            )
        return "\n".join(lines)
    except Exception as exc:
        return f"unavailable: {exc!r}"
    finally:
        client.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for stack in _LIVE:
            report.sections.append(("redis state", redis_state(stack)))
            for path in dict.fromkeys(stack.log_files):
                if path.exists():
                    tail = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
                    report.sections.append((f"{path.name} (last {len(tail)} lines)", "\n".join(tail)))
