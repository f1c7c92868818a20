"""A session's vetting shared with helper tasks (service/vet_share.py), on the in-memory ports.

The helpers' messages are recorded by the fake queue; the tests run them where a worker would:
before the job's own pass (idle workers took them at once), or not at all.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from service import moved, vet_share
from service.ports import Ports
from service.vet_share import measure_moves
from tests.fakes import memory_ports
from tests.service.test_preview import _advice, _session


@pytest.fixture(autouse=True)
def share_any_number_of_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vet_share, "MIN_SHARED_MOVES", 1)  # the test session has a handful of moves


def _measuring(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, float]]:
    """(who, recipe key's sha256, when) of every move measured from now on: 'helper' inside a
    helper's run, else 'job'."""
    measured: list[tuple[str, str, float]] = []
    real = moved.analyze
    who = ["job"]

    def counting(source: Any, **kw: Any) -> Any:
        measured.append((who[0], kw["sha256"], time.monotonic()))
        return real(source, **kw)

    monkeypatch.setattr("service.moved.analyze", counting)
    real_helper = vet_share.measure_moves

    def helper(ports: Ports, *, job_id: str, stems: Any) -> dict[str, Any]:
        who[0] = "helper"
        try:
            return real_helper(ports, job_id=job_id, stems=stems)
        finally:
            who[0] = "job"

    monkeypatch.setattr(vet_share, "measure_moves", helper)
    return measured


def _verdicts(advice: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            s["target"]["track_id"],
            s["type"],
            repr(sorted(s["parameters"].items())),
            s["evidence"].get("verified"),
        )
        for s in advice
    )


def test_helpers_that_ran_first_leave_the_job_only_reading_and_the_advice_unchanged(
    ports: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = _measuring(monkeypatch)

    def run_at_once(job_id: str, stems: list[dict[str, Any]]) -> None:
        ports.queue.calls.append(("measure_moves", (job_id, stems)))  # type: ignore[attr-defined]
        vet_share.measure_moves(ports, job_id=job_id, stems=stems)  # an idle worker took it at once

    monkeypatch.setattr(ports.queue, "measure_moves", run_at_once)
    shared = _advice(ports, _session(ports))
    sent = ports.queue.named("measure_moves")  # type: ignore[attr-defined]
    assert 1 <= len(sent) <= ports.settings.vet_helpers
    stems = [item for _, share in sent for item in share]
    assert len({item["track_id"] for item in stems}) == len(stems)  # a stem goes to one helper
    moves = sum(len(item["moves"]) for item in stems)
    vetted = [s for s in shared if "verified" in s["evidence"]]
    assert moves == len(vetted) > 0  # every move vetting measures, and nothing else
    assert [m[0] for m in measured] == ["helper"] * moves  # measured once each, all by helpers

    alone = memory_ports(Settings(data_dir=tmp_path / "alone", vet_helpers=0), blob_root=tmp_path / "b2")
    measured.clear()
    advice = _advice(alone, _session(alone))
    assert alone.queue.named("measure_moves") == []  # type: ignore[attr-defined]
    assert [m[0] for m in measured] == ["job"] * moves
    assert _verdicts(advice) == _verdicts(shared)  # the same verdicts whoever measured


def test_a_helper_that_comes_after_the_job_finds_every_move_measured_and_decodes_nothing(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = _measuring(monkeypatch)
    _advice(ports, _session(ports))
    sent = ports.queue.named("measure_moves")  # type: ignore[attr-defined]
    assert sent and {m[0] for m in measured} == {"job"}  # nobody took them: the job did it all
    decoded: list[str] = []
    monkeypatch.setattr("service.vet_share.decode", lambda p, sha256: decoded.append(sha256))
    for job_id, share in sent:
        counts = measure_moves(ports, job_id=job_id, stems=share)
        assert counts["measured"] == 0 and counts["cached"] == sum(len(i["moves"]) for i in share)
    assert decoded == []


def test_a_move_held_by_a_dead_helper_is_taken_over_when_its_claim_runs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper claimed a move and died: the job waits for the claim to run out, then measures it."""
    ttl_s = 0.5
    ports = memory_ports(Settings(data_dir=tmp_path / "d", vet_claim_ttl_s=ttl_s), blob_root=tmp_path / "b")
    measured = _measuring(monkeypatch)
    taken: list[str] = []
    claimed_at: list[float] = []

    def die_holding_the_first(job_id: str, stems: list[dict[str, Any]]) -> None:
        if not taken:
            item = stems[0]
            move = vet_share.Move(
                item["track_id"], item["sha256"], vet_share.suggestion_from_dict(item["moves"][0])
            )
            assert ports.claims.claim(move.key, "helper:dead", ttl_s=ttl_s)
            claimed_at.append(time.monotonic())
            taken.append(move.key)

    monkeypatch.setattr(ports.queue, "measure_moves", die_holding_the_first)
    advice = _advice(ports, _session(ports))
    vetted = [s for s in advice if "verified" in s["evidence"]]
    assert taken and ports.cache.exists(taken[0])
    assert len(measured) == len(vetted) and {m[0] for m in measured} == {"job"}  # each once, by the job
    (when,) = [t for _, sha256, t in measured if sha256 == hashlib.sha256(taken[0].encode()).hexdigest()]
    assert when >= claimed_at[0] + ttl_s * 0.9  # not measured while the claim was alive
