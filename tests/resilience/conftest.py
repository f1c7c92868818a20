"""Fixtures for the resilience suite: a private stack per test module (see tests/resilience/stack.py).

A failing test's report carries the tail of every log its stacks wrote (workers, APIs), so a failure
seen once in CI can be read after the temporary directories are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for stack in _LIVE:
            for path in dict.fromkeys(stack.log_files):
                if path.exists():
                    tail = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
                    report.sections.append((f"{path.name} (last {len(tail)} lines)", "\n".join(tail)))
