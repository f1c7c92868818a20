"""Ask about the reference, your style and your workflow, answered from those results (in-memory ports)."""

from __future__ import annotations

import pytest

from core.ask import Asker
from core.ask.habits import Topic, topic_of
from service.ask import Answerer
from service.context import update_context
from service.ports import Ports
from store.knowledge import read_knowledge
from tests.conftest import wav_bytes
from tests.service.test_references_style import analyse, owned, pink


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(lambda: Asker(read_knowledge()))  # BM25: no model needed


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("How does my mix compare to the reference?", Topic.REFERENCE),
        ("how do I usually mix?", Topic.STYLE),
        ("What's my production style?", Topic.STYLE),
        ("How could I work faster?", Topic.WORKFLOW),
        ("is my workflow efficient", Topic.WORKFLOW),
        ("why is my mix muddy?", None),
        ("what is true peak?", None),
    ],
)
def test_topics(question: str, topic: Topic | None) -> None:
    assert topic_of(question) == topic


def test_the_reference_question_is_answered_from_the_session_comparison(
    ports: Ports, answerer: Answerer
) -> None:
    dark = owned(ports, pink(seconds=3.0, seed=21, lowpass_hz=2500.0))
    bright = owned(ports, pink(seconds=3.0, seed=22))
    analysis = analyse(
        ports, "s", {"tracks": [{"track_id": "syn", "type": "synth", "sha256": dark}], "references": [bright]}
    )
    body = {"question": "How does my mix compare to the reference?", "session_id": "s"}
    out = answerer.answer(ports, owner="alice", body=body)
    assert out["intent"] == "compare" and out["grounded"]
    assert out["answer"].startswith("Against the reference") and "the air" in out["answer"]
    moves = {s["id"] for t in analysis["tracks"] for s in t["suggestions"] if "reference" in s["evidence"]}
    assert moves and set(out["suggestions"]) & moves
    assert any(e["field"] == "session.reference.tonal_balance" for e in out["evidence"])

    plain = answerer.answer(ports, owner="alice", body={"question": "compare with my reference"})
    assert "names no reference" in plain["answer"]


def test_how_do_i_usually_mix_reads_the_style(ports: Ports, answerer: Answerer) -> None:
    sha = owned(ports, wav_bytes(seconds=1.0, seed=23))
    tracks = [{"track_id": "k", "type": "kick", "sha256": sha, "inserts": ["EQ", "Compressor"]}]
    for k in range(3):
        analyse(ports, f"e{k}", {"bpm": 128, "genre": "edm", "tracks": tracks})
    out = answerer.answer(ports, owner="alice", body={"question": "How do I usually mix?"})
    assert out["answer"].startswith("From your 3 analysed sessions: mostly Electronic/EDM (3 of 3).")
    assert "128 BPM" in out["answer"] and "kick: eq → compressor" in out["answer"]
    assert out["intent"] == "explain"
    fresh = answerer.answer(ports, owner="bob", body={"question": "How do I usually mix?"})
    assert "not seen any of your sessions" in fresh["answer"]


def test_how_could_i_work_faster_reads_the_workflow(ports: Ports, answerer: Answerer) -> None:
    for k in range(24):
        data = {
            "selected_track": ["vox", "gtr", "keys", "pad"][k % 4],
            "action": "solo" if k % 2 else "adjust_eq",
        }
        update_context(ports, owner="alice", session_id="w", data=data, now_s=100.0 + 5 * k)
    out = answerer.answer(
        ports, owner="alice", body={"question": "How could I work faster?", "session_id": "w"}
    )
    assert out["answer"].startswith("In this session you work scattered")
    assert "To work faster:" in out["answer"] and "solo" in out["answer"].lower()
    assert out["intent"] == "how_to" and out["session_id"] == "w"
    assert {e["field"] for e in out["evidence"]} >= {"workflow.pattern", "workflow.efficiency"}
