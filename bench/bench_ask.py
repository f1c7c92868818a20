"""Ask Codette on a warm process: answer latency (p50/p95/p99) and top-3 retrieval accuracy, with the
sentence-embedding model against the BM25 fallback, on tests/ask_questions.json.

Every question is asked grounded in a constructed session (the real session step on a guitar and a
pad built to mask in the low mids), as POST /api/v1/ask does once the session's facts are cached.
The target is p95 < 100 ms. Run: python -m bench ask
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.ask import Asker, SessionFacts, load_embedder, understand  # noqa: E402
from core.session import analyze_session  # noqa: E402
from store.knowledge import read_knowledge  # noqa: E402
from tests.core.session_fixtures import muddy_session_entries  # noqa: E402

ROUNDS = 5


def session_facts() -> SessionFacts:
    entries = muddy_session_entries()
    doc = {"bpm": 120, "tracks": [t for t, _ in entries]}
    analyses = {t["track_id"]: a for t, a in entries}
    result = {"session_id": "bench", "session_analysis": analyze_session(doc, analyses).to_dict()}
    return SessionFacts.from_result(result, session=doc, analyses=analyses)


def measure(name: str, asker: Asker, questions: list[dict], facts: SessionFacts) -> tuple[float, float]:
    top3 = sum(
        any(h.entry.id in q["expected"] for h in asker.retriever.search(understand(q["question"]), k=3))
        for q in questions
    ) / len(questions)
    asker.ask("warm up", facts=facts)
    times = []
    for _ in range(ROUNDS):
        for q in questions:
            t0 = time.perf_counter()
            asker.ask(q["question"], facts=facts)
            times.append((time.perf_counter() - t0) * 1000)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    print(f"{name:<28} top-3 {top3:6.1%}   answer p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms"
          f"   ({len(times)} answers)")  # fmt: skip
    return top3, float(p95)


def main() -> None:
    questions = json.loads((ROOT / "tests" / "ask_questions.json").read_text())
    kb = read_knowledge()
    facts = session_facts()
    print(f"knowledge base: {len(kb)} entries; {len(questions)} questions; grounded in a 4-track session")
    t0 = time.perf_counter()
    _, lexical_p95 = measure("bm25 (no model)", Asker(kb), questions, facts)
    embedder = load_embedder()
    if embedder is None:
        print("model not installed (pip install -e '.[ask]'): BM25 only")
        return
    t1 = time.perf_counter()
    semantic = Asker(kb, embedder=embedder)
    print(f"model load + {len(kb)} entry embeddings: {time.perf_counter() - t1:.1f} s (once per process; "
          f"bm25 index {t1 - t0:.2f} s incl. its run)")  # fmt: skip
    _, model_p95 = measure(f"embedding ({embedder.name})", semantic, questions, facts)
    print(f"p95 ratio model / bm25: {model_p95 / lexical_p95:.1f}x; target p95 < 100 ms: "
          f"{'met' if model_p95 < 100 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
