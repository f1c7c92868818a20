"""Ask Codette: a question in, an answer grounded in the knowledge base and the session's measurements out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from core.ask.compose import compose
from core.ask.embedding import Embedder, VectorCache
from core.ask.facts import SessionFacts
from core.ask.grounding import Evidence, ground
from core.ask.knowledge import KnowledgeBase
from core.ask.retrieve import Hit, Retriever
from core.ask.understand import Question, understand

#: Knowledge entries returned as sources with an answer.
TOP_K = 3
#: With a session, this many entries are retrieved and those about the measurements the answer
#: rests on come first ("is the snare too loud?" answered from the level balance reads the entry on
#: level balance, not the snare's boxiness that shares its words).
GROUNDED_POOL = 10


@dataclass(frozen=True)
class Answer:
    answer_id: str
    text: str
    question: Question
    evidence: tuple[Evidence, ...]
    sources: tuple[dict[str, Any], ...]
    suggestion_ids: tuple[str, ...]
    grounded: bool
    retrieval: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer_id": self.answer_id,
            "answer": self.text,
            "intent": self.question.intent.value,
            "entities": self.question.entities.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
            "sources": list(self.sources),
            "suggestions": list(self.suggestion_ids),
            "grounded": self.grounded,
            "retrieval": self.retrieval,
        }


class Asker:
    """Holds the knowledge base and its index for a process; ``ask`` is pure given its arguments."""

    def __init__(
        self, kb: KnowledgeBase, *, embedder: Embedder | None = None, cache: VectorCache | None = None
    ) -> None:
        self.kb = kb
        self.retriever = Retriever(self.kb, embedder=embedder, cache=cache)

    def ask(
        self,
        text: str,
        *,
        facts: SessionFacts | None = None,
        track_id: str | None = None,
        session_note: str | None = None,
        k: int = TOP_K,
    ) -> Answer:
        """Answer ``text``; ``facts`` are the session's latest analysis (None: knowledge only)."""
        question = understand(text, tracks=facts.tracks if facts is not None else ())
        grounding = ground(question, facts, track_id=track_id) if facts is not None else None
        if grounding is None:
            hits = self.retriever.search(question, k=k)
        else:
            fields = [e.field for f in grounding.findings for e in f.evidence] + [
                e.field for e in grounding.evidence
            ]
            hits = about_first(self.retriever.search(question, k=max(k, GROUNDED_POOL)), fields, question)[:k]
        body = compose(question, hits, grounding=grounding, facts=facts, session_note=session_note)
        evidence: tuple[Evidence, ...] = ()
        suggestion_ids: tuple[str, ...] = ()
        if grounding is not None:
            evidence = tuple(e for f in grounding.findings for e in f.evidence) + grounding.evidence
            suggestion_ids = tuple(dict.fromkeys(a.id for a in grounding.advice))
        sources = tuple(
            {**h.entry.to_dict(citations=self.kb.citations), "score": round(h.score, 4)} for h in hits
        )
        digest = hashlib.sha256(
            "|".join([text, facts.session_id if facts else "", track_id or "", *suggestion_ids]).encode()
        ).hexdigest()
        return Answer(
            answer_id="ans_" + digest[:24],
            text=body,
            question=question,
            evidence=evidence,
            sources=sources,
            suggestion_ids=suggestion_ids,
            grounded=grounding is not None,
            retrieval=self.retriever.method,
        )


def about_first(hits: list[Hit], fields: list[str], question: Question) -> list[Hit]:
    """``hits`` reordered for a grounded answer, each group in retrieval order: first by how well an
    entry fits, counting an entry about one of ``fields`` (its ``measurements`` name a field or its
    parent: "session.balance" for "session.balance.level_error_db") 1, one for the asked part's type
    2 and a general one 1 (one for another part 0), and one for the asked problem 1."""
    types, problems = set(question.entities.track_types), set(question.entities.problems)

    def fit(h: Hit) -> int:
        e = h.entry
        about = any(f == m or f.startswith(m + ".") for f in fields for m in e.measurements)
        part = 2 if types & set(e.track_types) else 1 if not e.track_types else 0
        return about + part + bool(problems & set(e.problems))

    return sorted(hits, key=lambda h: -fit(h))
