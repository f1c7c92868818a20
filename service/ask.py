"""Ask Codette: the answerer a process holds (no module globals), its model loaded in the background.

The knowledge base, its index and (when installed) the embedding model are built once per process
by ``Answerer.start`` on a background thread, so the first question is as fast as the hundredth
once ``ready`` is true (GET /health reports it); a question asked before waits for the load. A done
session analysis never changes, so its facts are kept per analysis job (a small LRU).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from core.ask import Asker, KnowledgeBase, SessionFacts, VectorCache, load_embedder
from core.ask.habits import (
    HabitAnswer,
    Topic,
    answer_reference,
    answer_style,
    answer_workflow,
    merge,
    topic_of,
)
from core.errors import NotFound, shown
from core.session.style_profile import usual_bpm, usual_genre
from service.cached import readable_analysis
from service.messages import JobStatus
from service.ports import Ports
from service.snapshots import track_result
from service.style import style_profile
from service.workflow import workflow_result

log = logging.getLogger(__name__)
FACTS_CACHE_SIZE = 32
#: The intent an answer about the user reports (AskAnswer.intent).
TOPIC_INTENT = {Topic.REFERENCE: "compare", Topic.STYLE: "explain", Topic.WORKFLOW: "how_to"}


class Answerer:
    """One per process: ``start()`` builds the Asker in the background; ``answer`` uses it."""

    def __init__(
        self, build: Callable[[], Asker], *, spawn: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self._build = build
        #: Runs the load in the background; under gevent, pass one that uses a native thread
        #: (deploy/wsgi.py), or loading the model would stall the event loop for its whole duration.
        self._spawn = spawn or _thread
        self._asker: Asker | None = None
        self._error: BaseException | None = None
        self._loaded = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._facts: OrderedDict[str, SessionFacts] = OrderedDict()

    def start(self) -> None:
        """Begin loading on a daemon thread (idempotent)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._spawn(self._load)

    def _load(self) -> None:
        try:
            self._asker = self._build()
        except BaseException as exc:  # reported to every question, never swallowed
            log.exception("Ask Codette could not load")
            self._error = exc
        finally:
            self._loaded.set()

    @property
    def ready(self) -> bool:
        return self._loaded.is_set() and self._asker is not None

    @property
    def retrieval(self) -> str:
        """ "loading", "failed" or the retrieval method ("embedding" or "bm25")."""
        if not self._loaded.is_set():
            return "loading"
        return "failed" if self._asker is None else self._asker.retriever.method

    def asker(self) -> Asker:
        self.start()
        self._loaded.wait()
        if self._asker is None:
            raise RuntimeError("Ask Codette failed to load") from self._error
        return self._asker

    def session_facts(self, ports: Ports, *, owner: str, session_id: str) -> tuple[SessionFacts | None, str]:
        """The latest done analysis's facts, or None and a note saying why there are none.

        NotFound when the session is neither stored nor has a context (an unknown id).
        """
        try:
            job = ports.jobs.latest_session_job(owner, session_id)
        except NotFound:
            if not ports.contexts.exists(owner, session_id):
                ports.jobs.owned_session(owner, session_id)  # NotFound for an unknown session
            note = f"Session {session_id!r} has not been analysed yet, so this answer is general advice."
            return None, note
        if job.status is not JobStatus.DONE or not job.result_key:
            status = job.status.value
            return None, f"The session analysis is {status}; this answer is general advice until it is done."
        with self._lock:
            if job.job_id in self._facts:
                self._facts.move_to_end(job.job_id)
                return self._facts[job.job_id], ""
        result = ports.jobs.load_json(job.result_key) or {}
        try:
            doc: dict[str, Any] | None = ports.jobs.session_input(job.job_id)
        except NotFound:
            doc = None
        analyses = {}
        for child in ports.jobs.jobs(job.children):
            if child.status is JobStatus.DONE and child.result_key and child.track_id:
                # the quality its owner reads: a stem judged as a stem (service.snapshots)
                value = track_result(ports.cache.load(child.result_key), child)
                analysis = readable_analysis(value, key=child.result_key)
                if analysis is not None:
                    analyses[child.track_id] = analysis
        facts = SessionFacts.from_result(result, session=doc, analyses=analyses)
        with self._lock:
            self._facts[job.job_id] = facts
            while len(self._facts) > FACTS_CACHE_SIZE:
                self._facts.popitem(last=False)
        return facts, ""

    def answer(self, ports: Ports, *, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /ask's body (and the ``ask`` ack): answer, intent, entities, evidence, sources, suggestions.

        The suggestions an answer cites come from the session result, indexed when it was stored.
        """
        session_id, track_id = body.get("session_id"), body.get("track_id")
        facts, note = (None, "")
        if session_id:
            facts, note = self.session_facts(ports, owner=owner, session_id=session_id)
            if facts is not None and track_id and track_id not in {t.track_id for t in facts.tracks}:
                raise NotFound(
                    f"track {shown(track_id)} is not in the analysis of session {shown(session_id)}"
                )
        answer = self.asker().ask(body["question"], facts=facts, track_id=track_id, session_note=note or None)
        out = answer.to_dict()
        topic = topic_of(body["question"])
        if topic is not None:
            habit = habit_answer(ports, owner=owner, topic=topic, session_id=session_id)
            out = merge(habit, out, intent=TOPIC_INTENT[topic])
        if session_id:
            out["session_id"] = session_id
        return out


def _latest_session_analysis(ports: Ports, *, owner: str, session_id: str | None) -> dict[str, Any] | None:
    if not session_id:
        return None
    try:
        job = ports.jobs.latest_session_job(owner, session_id)
    except NotFound:
        return None
    if job.status is not JobStatus.DONE or not job.result_key:
        return None
    analysis = (ports.jobs.load_json(job.result_key) or {}).get("session_analysis")
    return dict(analysis) if analysis else None


def habit_answer(ports: Ports, *, owner: str, topic: Topic, session_id: str | None) -> HabitAnswer:
    """The part of an answer about the reference, the user's style or their workflow."""
    if topic is Topic.REFERENCE:
        return answer_reference(_latest_session_analysis(ports, owner=owner, session_id=session_id))
    if topic is Topic.STYLE:
        profile = style_profile(ports, owner=owner)
        return answer_style(profile, usual_genre=usual_genre(profile), usual_bpm=usual_bpm(profile))
    workflow = workflow_result(ports, owner=owner, session_id=session_id) if session_id else None
    return answer_workflow(workflow)


def _thread(target: Callable[[], None]) -> None:
    # Not a daemon: interpreter exit waits for the load (seconds) instead of tearing torch down
    # under it, which aborts the process ("terminate called without an active exception", exit
    # 134) when it is short-lived (a test module that builds the app, a quick CLI run).
    threading.Thread(target=target, name="ask-model", daemon=False).start()


def answerer_for(
    knowledge: Callable[[], KnowledgeBase],
    vectors: VectorCache | None = None,
    *,
    spawn: Callable[[Callable[[], None]], None] | None = None,
) -> Answerer:
    """Ask Codette over the knowledge base ``knowledge()`` reads (store.knowledge), with the model when
    installed (else BM25) and its embeddings kept in ``vectors``."""
    return Answerer(lambda: Asker(knowledge(), embedder=load_embedder(), cache=vectors), spawn=spawn)
