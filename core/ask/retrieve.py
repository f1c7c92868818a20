"""Retrieval over the knowledge base: meaning (embeddings) or words (BM25), plus what the question names.

score = similarity + entity boosts. Similarity is the cosine of the question's and the entry's
embeddings when a model is loaded, else BM25 scaled to 0-1 by the best hit. Boosts reward entries
about the track types, problems, bands and platforms the question names and the topic its intent
asks for (an explanation prefers a term entry); they are small against the similarity range, so
they reorder close candidates rather than override the text. The weights are house choices, tuned
on tests/ask_questions.json and fixed here in one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.ask.embedding import Embedder, VectorCache, cached_embeddings
from core.ask.knowledge import KnowledgeBase, KnowledgeEntry
from core.ask.lexical import Bm25Index
from core.ask.understand import Intent, Question


@dataclass(frozen=True)
class Boosts:
    track_type: float = 0.06
    #: an entry for another track type than the one(s) named
    other_track_type: float = -0.04
    problem: float = 0.06
    band: float = 0.04
    platform: float = 0.08
    effect_topic: float = 0.04
    intent_topic: float = 0.05
    #: "what is X" nearly always wants the definition
    explain_term: float = 0.12


BOOSTS = Boosts()
INTENT_TOPICS: dict[Intent, frozenset[str]] = {
    Intent.EXPLAIN: frozenset({"term"}),
    Intent.COMPARE: frozenset({"loudness", "mastering"}),
    Intent.DIAGNOSE: frozenset({"problem", "quality", "session"}),
    Intent.HOW_TO: frozenset({"eq", "compression", "reverb", "delay", "gain_staging", "stereo", "mastering"}),
}
EFFECT_TOPICS: dict[str, str] = {
    "eq": "eq", "high_pass": "eq", "low_pass": "eq", "compression": "compression", "limiting": "mastering",
    "reverb": "reverb", "delay": "delay", "de_ess": "eq", "panning": "stereo", "width": "stereo",
}  # fmt: skip


@dataclass(frozen=True)
class Hit:
    entry: KnowledgeEntry
    score: float
    similarity: float


class Retriever:
    """Ranks knowledge entries for a question; embeddings are computed once, at construction."""

    def __init__(
        self, kb: KnowledgeBase, *, embedder: Embedder | None = None, cache: VectorCache | None = None
    ) -> None:
        self.kb = kb
        self.embedder = embedder
        documents = [e.document for e in kb.entries]
        self._bm25 = Bm25Index(documents)
        self._vectors = (
            cached_embeddings(embedder, documents, key=kb.digest, cache=cache)
            if embedder is not None
            else None
        )
        self._types = [frozenset(e.track_types) for e in kb.entries]
        self._problems = [frozenset(e.problems) for e in kb.entries]
        self._bands = [frozenset(e.bands) for e in kb.entries]

    @property
    def method(self) -> str:
        return f"embedding:{self.embedder.name}" if self.embedder is not None else "bm25"

    def similarity(self, text: str) -> np.ndarray:
        if self._vectors is not None and self.embedder is not None:
            query = self.embedder.embed([text])[0]
            return np.asarray(self._vectors @ query, dtype=np.float64)
        raw = self._bm25.scores(text)
        top = float(raw.max()) if raw.size else 0.0
        return raw / top if top > 0 else raw

    def boosts(self, question: Question) -> np.ndarray:
        ent = question.entities
        types, problems, bands = set(ent.track_types), set(ent.problems), set(ent.bands)
        topics = INTENT_TOPICS[question.intent]
        effect_topics = {EFFECT_TOPICS[e] for e in ent.effects if e in EFFECT_TOPICS}
        out = np.zeros(len(self.kb.entries))
        for i, e in enumerate(self.kb.entries):
            b = 0.0
            if types and self._types[i]:
                b += BOOSTS.track_type if types & self._types[i] else BOOSTS.other_track_type
            if problems & self._problems[i]:
                b += BOOSTS.problem
            if bands & self._bands[i]:
                b += BOOSTS.band
            if e.platform is not None and e.platform in ent.platforms:
                b += BOOSTS.platform
            if e.topic in effect_topics:
                b += BOOSTS.effect_topic
            if e.topic in topics:
                b += BOOSTS.explain_term if question.intent is Intent.EXPLAIN else BOOSTS.intent_topic
            out[i] = b
        return out

    def search(self, question: Question, *, k: int = 5) -> list[Hit]:
        """The ``k`` best entries for ``question``, best first."""
        sim = self.similarity(question.text)
        score = sim + self.boosts(question)
        order = np.argsort(-score, kind="stable")[:k]
        return [Hit(self.kb.entries[i], float(score[i]), float(sim[i])) for i in order]

    def search_many(self, questions: Sequence[Question], *, k: int = 5) -> list[list[Hit]]:
        return [self.search(q, k=k) for q in questions]
