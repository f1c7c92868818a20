"""Feedback on in-memory ports: any suggestion ever stored takes feedback; one population per burst."""

from __future__ import annotations

import pytest

from core.errors import InvalidParameter, NotFound
from service.feedback import rebuild_learning, record_feedback
from service.ports import Ports
from tests.seeded_sessions import seed_session_analysis


def test_a_burst_of_feedback_rebuilds_the_population_once(ports: Ports) -> None:
    suggestions = seed_session_analysis(ports, owner="alice", session_id="s")
    ids = [s.id for s in suggestions.values()]
    for i in range(10):
        record_feedback(ports, owner="alice", body={"suggestion_id": ids[i % len(ids)], "kind": "applied"},
                        now_s=1000.0 + i)  # fmt: skip
    queued = ports.queue.named("rebuild_learning")  # type: ignore[attr-defined]
    assert queued == [("alice",)] * 10  # every event asks; the debounce decides
    outcomes = [rebuild_learning(ports, user=user) for (user,) in queued]
    assert [o["population_rebuilt"] for o in outcomes] == [True] + [False] * 9
    assert ports.learning.population_builds == 1  # type: ignore[attr-defined]
    assert outcomes[-1]["events"] == 10

    record_feedback(ports, owner="alice", body={"suggestion_id": ids[0], "kind": "positive"}, now_s=2000.0)
    assert rebuild_learning(ports, user="alice")["population_rebuilt"]  # a new burst, a new rebuild
    assert ports.learning.population_builds == 2  # type: ignore[attr-defined]


def test_feedback_names_only_the_owners_suggestions(ports: Ports) -> None:
    suggestions = seed_session_analysis(ports, owner="alice", session_id="s")
    some = next(iter(suggestions.values()))
    with pytest.raises(NotFound):
        record_feedback(ports, owner="bob", body={"suggestion_id": some.id, "kind": "applied"}, now_s=1.0)
    with pytest.raises(NotFound):
        record_feedback(
            ports, owner="alice", body={"suggestion_id": "sug_unknown", "kind": "applied"}, now_s=1.0
        )


def test_modified_feedback_out_of_range_is_refused_and_not_logged(ports: Ports) -> None:
    eq = seed_session_analysis(ports, owner="alice", session_id="s")["eq_cut:vox"]
    body = {"suggestion_id": eq.id, "kind": "modified", "parameters_after": {"gain_db": 1e308, "freq_hz": -5}}
    with pytest.raises(InvalidParameter, match=r"gain_db=1e\+308 is outside -12\.\.0"):
        record_feedback(ports, owner="alice", body=body, now_s=1.0)
    assert list(ports.learning.events("alice")) == []
    assert ports.queue.named("rebuild_learning") == []  # type: ignore[attr-defined]
    at_limit = {**body, "parameters_after": {"gain_db": -12.0, "freq_hz": 20.0}}
    _, event = record_feedback(ports, owner="alice", body=at_limit, now_s=2.0)
    assert dict(event.parameters_after or ()) == {"freq_hz": 20.0, "gain_db": -12.0}
