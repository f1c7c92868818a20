"""BM25 over the knowledge base in numpy: the retrieval used when no embedding model is installed.

Okapi BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond",
Foundations and Trends in IR 3(4), 2009) with k1 = 1.2, b = 0.75 and the non-negative idf
log(1 + (N - n + 0.5) / (n + 0.5)). Tokens are lower-case words and numbers with a light suffix
stemmer, so "muddy"/"mud" and "compressor"/"compression" meet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

K1 = 1.2
B = 0.75
_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "be",
        "it",
        "its",
        "my",
        "i",
        "me",
        "do",
        "does",
        "how",
        "what",
        "why",
        "which",
        "with",
        "at",
        "by",
        "this",
        "that",
        "from",
        "as",
        "can",
        "should",
        "there",
        "when",
    }
)
#: Suffixes stripped (longest first) when at least three letters stay; "muddy" -> "mud".
_SUFFIXES = ("ation", "ness", "ing", "ers", "er", "ed", "dy", "es", "ly", "y", "s")


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    return [stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOP]


class Bm25Index:
    """A term-document matrix of BM25 weights; ``scores(query)`` is one sparse-by-dense product."""

    def __init__(self, documents: Sequence[str]) -> None:
        tokenized = [tokenize(d) for d in documents]
        vocab = sorted({t for doc in tokenized for t in doc})
        self.vocab = {t: i for i, t in enumerate(vocab)}
        tf = np.zeros((len(documents), len(vocab)), dtype=np.float64)
        for row, doc in enumerate(tokenized):
            for token in doc:
                tf[row, self.vocab[token]] += 1.0
        lengths = tf.sum(axis=1)
        avg = float(lengths.mean()) if len(documents) else 1.0
        df = (tf > 0).sum(axis=0)
        idf = np.log1p((len(documents) - df + 0.5) / (df + 0.5))
        norm = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        self.weights = idf[None, :] * tf * (K1 + 1) / (tf + norm[:, None])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (shape ``(n_documents,)``)."""
        cols = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not cols:
            return np.zeros(self.weights.shape[0])
        return np.asarray(self.weights[:, cols].sum(axis=1))
