"""Fixtures for the resilience suite: a private stack per test module (see tests/resilience/stack.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.resilience.stack import Stack


@pytest.fixture(scope="module")
def make_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Stack]]:
    """``make_stack(**settings_overrides)``: a new Redis and data dir; tests start workers and APIs."""
    stacks: list[Stack] = []

    def make(**overrides: Any) -> Stack:
        stack = Stack.create(tmp_path_factory.mktemp("stack"), **overrides)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()
