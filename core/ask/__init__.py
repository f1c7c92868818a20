"""Ask Codette: questions in plain words, answered from mixing knowledge and the session's measurements."""

from core.ask.answer import Answer, Asker
from core.ask.embedding import VectorCache, load_embedder, model_available
from core.ask.facts import SessionFacts, TrackFacts
from core.ask.grounding import Evidence, ground
from core.ask.knowledge import KnowledgeBase, KnowledgeEntry, parse_knowledge
from core.ask.retrieve import Retriever
from core.ask.understand import Intent, Question, TrackRef, understand

__all__ = [
    "Answer", "Asker", "Evidence", "Intent", "KnowledgeBase", "KnowledgeEntry", "Question", "Retriever",
    "SessionFacts", "TrackFacts", "TrackRef", "VectorCache", "ground", "load_embedder", "model_available",
    "parse_knowledge", "understand",
]  # fmt: skip
