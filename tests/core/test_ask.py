"""Ask Codette in core: the knowledge base, question understanding, retrieval and grounded answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.ask import Asker, Intent, SessionFacts, TrackRef, embedding, understand
from core.ask.embedding import cached_embeddings
from core.ask.knowledge import KnowledgeBase
from core.ask.retrieve import Retriever
from core.bands import BAND_NAMES
from core.errors import InvalidParameter
from core.session import analyze_session
from store.knowledge import FileVectorCache, read_knowledge
from tests.core.session_fixtures import (
    BASS,
    GUITAR,
    HATS,
    KICK,
    VOCAL,
    make_analysis,
    muddy_session_entries,
    spectrum,
    track,
)

QUESTIONS = json.loads((Path(__file__).resolve().parents[1] / "ask_questions.json").read_text())
#: Top-3 retrieval accuracy on tests/ask_questions.json without the model (BM25 + entity boosts).
LEXICAL_MIN_TOP3 = 0.85
INTENT_MIN = 0.9


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return read_knowledge()


@pytest.fixture(scope="module")
def lexical(kb: KnowledgeBase) -> Asker:
    return Asker(kb)


# --- knowledge base ------------------------------------------------------------------------------


def test_the_knowledge_base_has_hundreds_of_sourced_entries_in_one_vocabulary(kb: KnowledgeBase) -> None:
    assert len(kb) >= 300
    assert len({e.id for e in kb.entries}) == len(kb)
    for e in kb.entries:
        assert e.sources and all(s in kb.citations for s in e.sources), e.id
        assert set(e.bands) <= set(BAND_NAMES), e.id
        assert len(e.text) >= 60, e.id
    topics = {e.topic for e in kb.entries}
    assert {"eq", "compression", "loudness", "reverb", "delay", "gain_staging", "problem", "term"} <= topics
    # Numbers from standards carry the standard.
    spotify = kb.by_id["loudness.platform.spotify"]
    assert "-14 LUFS" in spotify.text and "spotify_loudness" in spotify.sources
    assert "ebu_r128" in kb.by_id["loudness.platform.ebu_r128"].sources


def test_every_test_question_names_existing_entries(kb: KnowledgeBase) -> None:
    assert len(QUESTIONS) >= 40
    for q in QUESTIONS:
        assert q["expected"] and all(e in kb.by_id for e in q["expected"]), q["question"]


def test_a_bad_entry_is_rejected_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "sources.json").write_text('{"x": "A book"}')
    good = {"id": "a", "topic": "eq", "title": "T", "text": "t", "sources": ["x"], "bands": ["low_mid"]}
    (tmp_path / "a.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "bands": ["mud"]}) + "\n")
    with pytest.raises(InvalidParameter, match=r"a\.jsonl:2.*mud"):
        read_knowledge(tmp_path)
    (tmp_path / "a.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(InvalidParameter, match="duplicate id"):
        read_knowledge(tmp_path)


# --- understanding -------------------------------------------------------------------------------


def test_intent_and_entities_of_plain_questions() -> None:
    tracks = [TrackRef("gtr1", "Rhythm Gtr", "guitar"), TrackRef("vox", "Lead Vox", "vocals")]
    q = understand("there's something harsh around 3k on the Rhythm Gtr", tracks=tracks)
    assert q.intent is Intent.DIAGNOSE
    assert q.entities.track_ids == ("gtr1",) and "guitar" in q.entities.track_types
    assert q.entities.frequencies_hz == (3000.0,) and q.entities.bands == ("upper_mid",)
    assert q.entities.problems == ("harsh",)
    q = understand("is my master loud enough for Apple Music?")
    assert q.intent is Intent.COMPARE and q.entities.platforms == ("apple_music",)
    q = understand("what is a de-esser")
    assert q.intent is Intent.EXPLAIN and q.entities.effects == ("de_ess",)
    q = understand("how should I compress the low mids of the piano at 300 Hz")
    assert q.intent is Intent.HOW_TO and q.entities.effects == ("compression",)
    assert q.entities.track_types == ("keys",) and q.entities.bands == ("low_mid",)


def test_intents_of_the_question_set() -> None:
    right = sum(understand(q["question"]).intent.value == q["intent"] for q in QUESTIONS)
    assert right / len(QUESTIONS) >= INTENT_MIN


# --- retrieval -----------------------------------------------------------------------------------


def top3_accuracy(asker: Asker) -> float:
    hits = 0
    for q in QUESTIONS:
        found = asker.retriever.search(understand(q["question"]), k=3)
        hits += any(h.entry.id in q["expected"] for h in found)
    return hits / len(QUESTIONS)


def test_lexical_retrieval_puts_a_correct_entry_in_the_top_3(lexical: Asker) -> None:
    assert lexical.retriever.method == "bm25"
    assert top3_accuracy(lexical) >= LEXICAL_MIN_TOP3


def test_embeddings_are_cached_on_disk_by_kb_digest_and_model(kb: KnowledgeBase, tmp_path: Path) -> None:
    class Fake:
        name = "fake/model"
        calls = 0

        def embed(self, texts):  # type: ignore[no-untyped-def]
            import numpy as np

            Fake.calls += 1
            rng = np.random.default_rng(len(texts))
            v = rng.standard_normal((len(texts), 8)).astype("float32")
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    def forget() -> None:
        # as a new process would: the fake's vectors only, so the real model's stay for later tests
        for memo in [m for m in embedding._MEMORY if m[0] == Fake.name]:
            del embedding._MEMORY[memo]

    docs = [e.document for e in kb.entries]
    first = cached_embeddings(Fake(), docs, key=kb.digest, cache=FileVectorCache(tmp_path))
    forget()  # a new process: read from disk
    again = cached_embeddings(Fake(), docs, key=kb.digest, cache=FileVectorCache(tmp_path))
    assert Fake.calls == 1 and (first == again).all()
    assert len(list(tmp_path.glob("kb-fake_model-*.npy"))) == 1
    forget()
    Retriever(kb, embedder=Fake(), cache=FileVectorCache(tmp_path))  # reads the same file
    assert Fake.calls == 1
    forget()


# --- grounded answers on constructed sessions ----------------------------------------------------


def facts_for(entries: list, *, session_id: str = "s1") -> SessionFacts:
    doc = {"bpm": 120, "tracks": [t for t, _ in entries]}
    analyses = {t["track_id"]: a for t, a in entries}
    analysis = analyze_session(doc, analyses)  # the real session step on constructed analyses
    result = {"session_id": session_id, "tracks": [], "summary": {}, "session_analysis": analysis.to_dict()}
    return SessionFacts.from_result(json.loads(json.dumps(result)), session=doc, analyses=analyses)


@pytest.fixture(scope="module")
def muddy() -> SessionFacts:
    return facts_for(muddy_session_entries())


@pytest.fixture(scope="module")
def clean() -> SessionFacts:
    return facts_for([
        (track("kick", "kick"), make_analysis("kick", third_octave_db=spectrum((31.5, 50, -14.0)))),
        (track("hats", "drums", name="Hats"), make_analysis("hats", third_octave_db=HATS)),
        (track("vox", "vocals", name="Lead Vox"),
         make_analysis("vox", third_octave_db=spectrum((1000, 3150, -24.0)))),
    ])  # fmt: skip


def test_muddy_mix_names_the_two_tracks_and_the_band_and_quotes_the_masking_fix(
    lexical: Asker, muddy: SessionFacts
) -> None:
    answer = lexical.ask("why is my mix muddy", facts=muddy)
    text = answer.text
    assert answer.question.intent is Intent.DIAGNOSE
    assert "Rhythm Gtr" in text and "Warm Pad" in text and "low mid" in text
    assert "measurements show mud" in text
    masking = [e for e in answer.evidence if e.field == "session.masking"]
    assert masking and masking[0].band == "low_mid" and set(masking[0].track_ids) == {"gtr", "pad"}
    # The fix is the session's own remedy, with its parameters: answer and suggestions agree.
    remedy = next(c for c in muddy.conflicts if c.band == "low_mid").remedy_id
    assert remedy is not None and answer.suggestion_ids[0] == remedy
    advice = next(a for a in muddy.advice if a.id == remedy)
    assert advice.type == "eq_cut" and advice.track_id == "pad"
    assert (
        f"{advice.parameters['freq_hz']:.0f} Hz" in text and f"{advice.parameters['gain_db']:+.1f} dB" in text
    )
    assert {s["id"] for s in answer.sources} & {
        "prob.muddy_mix",
        "session.low_mid_buildup",
        "fix.mix_bus.mud",
    }


def test_clean_session_says_the_measurements_do_not_show_mud(lexical: Asker, clean: SessionFacts) -> None:
    answer = lexical.ask("why is my mix muddy", facts=clean)
    assert "do not show mud" in answer.text
    assert answer.evidence == () and answer.suggestion_ids == ()
    assert "masking" in answer.text  # says what it checked


def test_a_question_about_one_track_is_grounded_on_that_track(lexical: Asker, muddy: SessionFacts) -> None:
    on_pad = lexical.ask("the pad sounds muddy", facts=muddy)
    assert "Warm Pad" in on_pad.text and on_pad.suggestion_ids
    on_kick = lexical.ask("is the kick muddy?", facts=muddy)
    assert "do not show mud" in on_kick.text


def test_without_a_session_the_answer_is_knowledge_only(lexical: Asker) -> None:
    answer = lexical.ask("why is my mix muddy")
    assert not answer.grounded and answer.evidence == () and answer.suggestion_ids == ()
    assert "session_id" in answer.text and answer.sources
    assert all(s["citations"] for s in answer.sources)


def test_compare_quotes_the_session_loudness_against_the_platform(
    lexical: Asker, muddy: SessionFacts
) -> None:
    answer = lexical.ask("is my mix loud enough for spotify?", facts=muddy)
    assert answer.question.intent is Intent.COMPARE
    assert any(e.field == "session.mix.integrated_lufs" for e in answer.evidence)
    assert "-14 LUFS" in answer.text


def test_answers_are_json_clean(lexical: Asker, muddy: SessionFacts) -> None:
    body = lexical.ask("why is my mix muddy", facts=muddy).to_dict()
    assert json.loads(json.dumps(body, allow_nan=False)) == body
    assert set(body) >= {"answer", "intent", "entities", "evidence", "sources", "suggestions"}


# --- level claims: the direction the numbers show, a track against its place in the balance ------


def balance_entries(*, snare_over_db: float) -> list:  # type: ignore[type-arg]
    """Five stem types at their usual levels against the lead (core.session.balance.USUAL_LEVEL_DB)
    summing to about -16 LUFS, with the snare ``snare_over_db`` off its usual place."""
    lead = -21.2
    parts = [
        ("vox", "vocals", VOCAL, 0.0), ("kick", "kick", KICK, -1.0), ("bass", "bass", BASS, -1.0),
        ("gtr", "guitar", GUITAR, -4.0),
        ("snare", "snare", spectrum((150, 8000, -26.0)), -3.0 + snare_over_db),
    ]  # fmt: skip
    return [
        (
            track(tid, type_, name=tid.title()),
            make_analysis(tid, third_octave_db=sp, integrated_lufs=lead + usual),
        )
        for tid, type_, sp, usual in parts
    ]


@pytest.fixture(scope="module")
def snare_under() -> SessionFacts:
    return facts_for(balance_entries(snare_over_db=-2.1), session_id="s066")


@pytest.fixture(scope="module")
def snare_over() -> SessionFacts:
    return facts_for(balance_entries(snare_over_db=8.0), session_id="s067")


@pytest.mark.parametrize(
    "question", ["is my mix too loud?", "is my mix too hot for spotify?", "is the master too loud?"]
)
def test_a_mix_under_the_target_never_reads_as_too_much_level(
    lexical: Asker, snare_under: SessionFacts, question: str
) -> None:
    assert snare_under.mix_lufs == pytest.approx(-16.0, abs=0.05)
    text = lexical.ask(question, facts=snare_under).text
    assert "measurements show too much level" not in text
    assert "2.0 dB quieter than the -14 LUFS Spotify plays at" in text
    assert "+2.0 dB" not in text


def test_a_mix_under_the_target_reads_as_quieter_for_a_low_level_question(
    lexical: Asker, snare_under: SessionFacts
) -> None:
    answer = lexical.ask("is my mix too quiet?", facts=snare_under)
    assert "measurements show low level" in answer.text
    assert "2.0 dB quieter than the -14 LUFS" in answer.text
    (e,) = [e for e in answer.evidence if e.field == "session.issues.loudness_estimate"]
    assert e.value == -2.0


def test_a_snare_under_its_usual_place_is_not_too_loud(lexical: Asker, snare_under: SessionFacts) -> None:
    answer = lexical.ask("is the snare too loud?", facts=snare_under, track_id="snare")
    text = answer.text
    assert "do not show too much level" in text
    assert "'Snare' sits 2.1 dB under its usual place" in text and "not too loud" in text
    assert "LUFS" not in text  # answered from the balance, not from the mix against a streaming target
    (e,) = answer.evidence
    assert e.field == "session.balance.level_error_db" and e.value == -2.1 and e.track_ids == ("snare",)
    assert answer.suggestion_ids == ()


def test_a_snare_8_db_over_its_usual_place_is_too_loud(lexical: Asker, snare_over: SessionFacts) -> None:
    answer = lexical.ask("is the snare too loud?", facts=snare_over, track_id="snare")
    text = answer.text
    assert "measurements show too much level" in text
    assert "'Snare' sits 8.0 dB over its usual place" in text and "): too loud" in text
    gain = next(a for a in snare_over.advice if a.type == "gain" and a.track_id == "snare")
    assert answer.suggestion_ids == (gain.id,) and f"{gain.parameters['gain_db']:+.1f} dB" in text


def test_a_question_on_one_track_ignores_another_tracks_level(
    lexical: Asker, snare_over: SessionFacts
) -> None:
    text = lexical.ask("is the vocal too loud?", facts=snare_over).text
    assert "do not show too much level" in text and "'Vox' sits" in text and "Snare" not in text


def test_joined_evidence_reads_as_one_sentence(
    lexical: Asker, muddy: SessionFacts, snare_over: SessionFacts
) -> None:
    """Clauses after '; and ' start lower case ("...over 15 s); and the mix's low mids ...")."""
    import re

    for facts in (muddy, snare_over):
        for q in ("why is my mix muddy", "is my mix too loud?", "is my mix boomy?"):
            text = lexical.ask(q, facts=facts).text
            assert not re.search(r";( and)? (The|Sub|A) ", text), text


def test_a_tonal_region_shows_the_problems_of_its_bands_and_the_opposite_of_the_rest() -> None:
    """A dark mix, 60 Hz-2 kHz 6.5-8.3 dB over the rest, is one region issue: it shows mud and boom
    (its own bands, too loud) and dullness (the rest, too quiet), not harshness or thinness."""
    from core.ask.facts import Issue
    from core.ask.grounding import _tonal
    from core.ask.vocabulary import PROBLEM_BY_KEY

    dark = Issue("tonal_balance", "a dark mix", {"band": "low_mid", "deviation_db": 8.3,
                                                  "bands": "bass,low_mid,mid"})  # fmt: skip
    shown = {key for key in ("mud", "boom", "dull", "harsh", "thin") if _tonal(dark, PROBLEM_BY_KEY[key])}
    assert shown == {"mud", "boom", "dull"}
    one = Issue("tonal_balance", "low mids", {"band": "low_mid", "deviation_db": 5.0})
    assert _tonal(one, PROBLEM_BY_KEY["mud"]) and not _tonal(one, PROBLEM_BY_KEY["dull"])


def test_a_level_question_reads_the_knowledge_on_level_balance(
    lexical: Asker, snare_over: SessionFacts
) -> None:
    # "snare" and "too" retrieve the snare's boxiness first; the answer rests on the level balance,
    # so the general advice is the entry on level balance
    answer = lexical.ask("is the snare too loud?", facts=snare_over, track_id="snare")
    assert answer.sources[0]["id"] == "session.level_balance", [s["id"] for s in answer.sources]
    assert "boxy" not in answer.text and "usual level relative to the lead" in answer.text


def test_a_grounded_answer_keeps_the_entry_for_the_asked_part(
    lexical: Asker, snare_over: SessionFacts
) -> None:
    answer = lexical.ask("why does my vocal sound harsh?", facts=snare_over)
    assert answer.sources[0]["id"] == "fix.vocals.harsh", [s["id"] for s in answer.sources]
