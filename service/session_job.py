"""A session job: the chord's body. Gather the tracks' analyses, summarise, analyse the session, publish.

The session document was validated at PUT (core.session.spec.SessionSpec); the job analyses the copy
frozen when it was submitted. Before anything is stored, the advice is vetted (``vetted``: every
renderable move rendered on its stem and re-measured, core.verify.vet_session), so a move that does
not prove itself is demoted or dropped before anyone sees it. The result is typed
(core.session.result.SessionResult); its suggestions are indexed for feedback, with where their
audio is for previews, as it is stored. Reads only read.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from core.analysis import ANALYZER_VERSION
from core.errors import CodetteError
from core.results import TrackAnalysis, from_dict
from core.session.analyze import SessionAnalysis
from core.session.result import SessionResult, SessionTrackStatus, TrackError
from core.session.spec import SessionSpec
from core.session.tempo import TempoVote, mix_tempo
from core.session_summary import SessionTrack, summarize_session
from core.suggestions.model import BUS_TYPES, Suggestion
from core.verify import StepContext, step, vet_session
from service.cached import code_fingerprint, hashed_key, readable, readable_analysis
from service.compare import session_context
from service.messages import JobProgress, JobStatus
from service.model import Job
from service.ports import Ports
from service.preview import MAX_RENDER_S, PREVIEW_VERSION, decode
from service.style import record_session_style
from service.suggestions import session_scope, source_of
from service.track_job import (
    SESSION_TRACKS_SHARE,
    failed_by,
    finish_done,
    reannounce,
    rooms_for,
)
from service.vet_share import LastStem, Move, holder_id, measure_if_free, measured, send_helpers, unmeasured

log = logging.getLogger(__name__)


#: Share of a session job's progress at which vetting (render and re-measure each move) starts.
SESSION_VET_SHARE = 0.93


#: Decoded samples a session job keeps between their two uses (the tempo of the stems' sum, then
#: vetting), in bytes: a 7-stem 35 s session (float32 stereo, 44.1 kHz) is 85 MB and is decoded
#: once; of seven 3-minute stems (445 MB) those that fit are kept and the rest decoded again.
DECODED_BUDGET_BYTES = 256 * 2**20


def stem_hashes(doc: Mapping[str, Any]) -> dict[str, str]:
    """Each track's blob hash (sha256) in a session document, by track id."""
    return {t["track_id"]: t["sha256"] for t in doc["tracks"]}


class Stems(Mapping[str, tuple[np.ndarray, int]]):
    """The session's stems by track id, decoded from the blob store when first asked for and kept
    (by content: two tracks of one blob share it) while they fit ``budget_bytes``; past the budget a
    stem is decoded each time it is asked for, so memory stays bounded. ``decodes`` counts them."""

    def __init__(
        self, ports: Ports, sha256_by_track: Mapping[str, str], *, budget_bytes: int = DECODED_BUDGET_BYTES
    ) -> None:
        self._ports = ports
        self._sha256 = dict(sha256_by_track)
        self._kept: dict[str, tuple[np.ndarray, int]] = {}
        self._held = 0
        self._budget = budget_bytes
        self.decodes = 0

    def __getitem__(self, track_id: str) -> tuple[np.ndarray, int]:
        sha256 = self._sha256[track_id]
        kept = self._kept.get(sha256)
        if kept is not None:
            return kept
        y, sr = decode(self._ports, sha256)
        self.decodes += 1
        if self._held + y.nbytes <= self._budget:
            y.flags.writeable = False  # shared between the tempo and every render: never changed
            self._kept[sha256] = (y, sr)
            self._held += y.nbytes
        return y, sr

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._sha256  # without decoding (Mapping's default would)

    def __iter__(self) -> Iterator[str]:
        return iter(self._sha256)

    def __len__(self) -> int:
        return len(self._sha256)


def short_stems(ports: Ports, doc: Mapping[str, Any], analyses: Mapping[str, TrackAnalysis]) -> Stems:
    """The session's analysed stems short enough to decode whole (MAX_RENDER_S), one job's store
    for both the tempo of their sum and vetting, so a stem is decoded once."""
    sha256 = stem_hashes(doc)
    return Stems(
        ports,
        {k: sha256[k] for k, a in analyses.items() if k in sha256 and a.audio.duration_s <= MAX_RENDER_S},
    )


#: Part of the vetted advice's cache key, with ANALYZER_VERSION, PREVIEW_VERSION (vetting judges a
#: move as its preview does) and the code's fingerprint: bump it when vetting changes what it keeps,
#: demotes or drops.
VETTED_VERSION = "2"


def advice_key(doc: Mapping[str, Any], analysis_keys: Mapping[str, str], context: StepContext) -> str:
    """The cache key of a session's vetted advice: a hash of everything the session step and vetting
    depend on, known before either runs. The session document names every stem by content and holds
    its fader, pan, type, inserts and mute; each analysed track's analysis is named by its cache key
    (its content, the analysis parameters, the analyser's version); the step's context
    (references, style, heard tempo) and the code that judges (service.cached.code_fingerprint: a
    release that changes a rule does not serve its predecessor's advice) complete it."""
    versions = {
        "vetted": VETTED_VERSION,
        "preview": PREVIEW_VERSION,
        "analyzer": ANALYZER_VERSION,
        "code": code_fingerprint(),
    }
    parts = {**versions, "doc": doc, "analyses": dict(analysis_keys), "context": dataclasses.asdict(context)}
    return hashed_key(f"vetted:v{VETTED_VERSION}:", parts)


def cached_advice(ports: Ports, key: str) -> SessionAnalysis | None:
    """The session's vetted advice stored under ``key`` (advice_key); None when absent or unreadable."""
    return readable(
        ports.cache.load(key),
        key=key,
        parse=lambda value: from_dict(SessionAnalysis, value),
        what="vetted advice",
        again="analysing the session again",
    )


def vetted(
    ports: Ports,
    job: Job,
    spec: SessionSpec,
    doc: Mapping[str, Any],
    stems: Stems,
    analyses: Mapping[str, TrackAnalysis],
    analysis: SessionAnalysis,
    context: StepContext,
    *,
    key: str,
) -> SessionAnalysis:
    """The session's advice after core.verify.vet_session: each renderable move rendered on its stem
    and re-measured (session advice on the session step run with ``context``, as ``analysis`` was);
    one that does not resolve what it cites is demoted, one that also harms is dropped, and the
    verdict is written into its evidence (``verified``, ``side_effects``).

    Stored under ``key`` (advice_key), which the job reads before it runs the step: a session
    analysed again unchanged, what a DAW does many times a day, runs neither the step nor vetting
    again; after an edit, only the moves whose parameters changed are rendered and measured (each
    rendered stem's analysis is cached by its recipe, service.moved), and a stem none of whose moves
    changed is not decoded. A stem that cannot be decoded again leaves the advice as analysed
    (logged, not stored), never fails the job; one too long to hold twice in memory (not in
    ``stems``) keeps its advice unvetted.
    """
    shown = [SESSION_VET_SHARE]

    def report(done: int, total: int) -> None:
        progress = round(SESSION_VET_SHARE + (1.0 - SESSION_VET_SHARE) * done / max(total, 1), 4)
        if progress <= shown[0]:
            return  # the shared pass got further than vet_session's count of tracks
        shown[0] = progress
        ports.jobs.set_progress(job.job_id, progress, "vetting")
        ports.publisher.publish(JobProgress(job.job_id, progress, "vetting"), rooms=rooms_for(job))

    sha256 = stem_hashes(doc)
    holder = holder_id(f"job:{job.job_id}")
    stem = LastStem(stems)  # a stem past the decode budget decoded once per run of its moves

    def remeasure(track_id: str, suggestion: Suggestion) -> TrackAnalysis:
        return measured(ports, Move(track_id, sha256[track_id], suggestion), holder, stem(track_id))

    started = time.perf_counter()
    try:
        # the pool measures with the job (service.vet_share): helpers from the first stems on, the
        # job from the last; vet_session then finds each move measured, or waits for its holder
        todo = unmeasured(ports, analysis, sha256, stems)
        if send_helpers(ports, job.job_id, todo):
            for i, move in enumerate(reversed(todo)):
                measure_if_free(ports, move, holder, stem(move.track_id))
                report(i + 1, len(todo))
        checked, _ = vet_session(
            spec, stems, analyses, result=analysis, on_progress=report, context=context, remeasure=remeasure
        )
    except CodetteError as exc:
        log.warning("session job %s: advice not vetted (%s: %s)", job.job_id, exc.code, exc.message)
        return analysis
    ports.cache.put(key, checked.to_dict(), compute_s=time.perf_counter() - started)
    return checked


def heard_tempo(
    ports: Ports,
    job: Job,
    spec: SessionSpec,
    doc: Mapping[str, Any],
    analyses: Mapping[str, TrackAnalysis],
    stems: Stems,
) -> TempoVote | None:
    """The tempo heard in the audible stems' sum (core.session.tempo.mix_tempo), cached by content:
    the stems' hashes and faders. None when a tempo is declared, when no stem is short enough to
    decode whole (MAX_RENDER_S), or when a stem cannot be decoded (logged; the votes decide then).
    """
    if spec.bpm is not None:
        return None
    sha256 = stem_hashes(doc)
    parts = [
        (t.track_id, sha256[t.track_id], t.volume_db)
        for t in spec.tracks
        if t.audible
        and t.type not in BUS_TYPES
        and t.track_id in sha256
        and t.track_id in analyses
        and t.track_id in stems
    ]
    if not parts:
        return None
    key = hashed_key(
        f"mixtempo:v{ANALYZER_VERSION}:",
        {"stems": sorted((h, g) for _, h, g in parts), "version": ANALYZER_VERSION},
    )
    cached = ports.cache.load(key)
    if cached is not None:
        bpm = cached.get("bpm")
        return None if bpm is None else TempoVote(float(bpm), cached["confidence"], cached["confidence"])
    started = time.perf_counter()
    try:
        vote = mix_tempo((*stems[tid], gain) for tid, _, gain in parts)
    except CodetteError as exc:
        log.warning("session job %s: no tempo from the stems' sum (%s)", job.job_id, exc.message)
        return None
    value = {"bpm": None} if vote is None else {"bpm": vote.bpm, "confidence": vote.confidence}
    ports.cache.put(key, value, compute_s=time.perf_counter() - started)
    return vote


def sources(
    job: Job, doc: Mapping[str, Any], children: Mapping[str, Job], analysis: SessionAnalysis
) -> dict[str, dict[str, Any]]:
    """Where each session suggestion's audio and context are, for previews (by suggestion id)."""
    sha256 = stem_hashes(doc)
    out = {}
    for ts in analysis.tracks:
        child = children.get(ts.track_id)
        source = source_of(
            job_id=job.job_id,
            sha256=sha256.get(ts.track_id, ""),
            track_id=ts.track_id,
            track_type=ts.track_type,
            analysis_key=child.result_key if child is not None else "",
            session_id=job.session_id,
            session_job_id=job.job_id,
            bpm=analysis.bpm,
            genre=analysis.genre_used,
            platform=analysis.platform,
        )
        out.update({s.id: source for s in ts.suggestions})
    return out


def run_session_job(ports: Ports, *, job_id: str) -> dict[str, str]:
    """Summarise the session's tracks, run the session step (core.verify.step: core.session.analyze_session
    with the user's references, style and the heard tempo), vet its advice, store and announce once."""
    job = ports.jobs.job(job_id)
    if job is None:
        log.warning("session job %s expired before it ran; dropping it", job_id)
        return {"job_id": job_id, "status": "missing"}
    if job.status.finished:
        reannounce(ports, job)
        return {"job_id": job_id, "status": job.status.value}
    ports.jobs.set_progress(job_id, SESSION_TRACKS_SHARE, "session")
    doc = ports.jobs.session_input(job_id)
    children = {child.track_id: child for child in ports.jobs.jobs(job.children)}
    analyses: dict[str, TrackAnalysis | None] = {}
    statuses = []
    for track in doc["tracks"]:
        child = children.get(track["track_id"])
        value = ports.cache.load(child.result_key) if child and child.status is JobStatus.DONE else None
        analyses[track["track_id"]] = readable_analysis(value, key=child.result_key if child else "")
        error = child.error if child else None
        track_error = TrackError(str(error.get("code", "")), str(error.get("message", ""))) if error else None
        statuses.append(
            SessionTrackStatus(
                track_id=track["track_id"],
                job_id=child.job_id if child else None,
                status=child.status.value if child else JobStatus.FAILED.value,
                cached=child.cached if child else False,
                error=track_error,
            )
        )
    session_tracks = [
        SessionTrack(
            track_id=t["track_id"],
            name=t.get("name", ""),
            type=t.get("type", ""),
            sha256=t["sha256"],
            volume_db=t.get("volume_db", 0.0),
            pan=t.get("pan", 0.0),
            inserts=tuple(t.get("inserts", ())),
            muted=t.get("muted", False),
        )
        for t in doc["tracks"]
    ]
    try:
        spec = SessionSpec.from_dict(doc)
        summary = summarize_session(session_tracks, analyses, session_bpm=spec.bpm)
        done = {k: v for k, v in analyses.items() if v is not None}
        stems = short_stems(ports, doc, done)  # decoded once, for the tempo and for vetting
        heard = heard_tempo(ports, job, spec, doc, done, stems)  # the sum, as an engineer hears it
        # the references (they replace the genre's tonal target) and the user's style
        context = session_context(ports, doc, owner=job.owner, heard_tempo=heard)
        # the advice of these very inputs, vetted before: neither the step nor vetting runs again
        key = advice_key(doc, {t: children[t].result_key for t in done}, context)
        known = cached_advice(ports, key)
        fresh = known is None
        analysis = step(spec, done, context) if known is None else known
    except CodetteError as exc:
        return failed_by(ports, job, exc)
    if fresh:
        analysis = vetted(ports, job, spec, doc, stems, done, analysis, context, key=key)
    analysis = analysis.in_scope(session_scope(job.session_id))
    result = SessionResult(
        session_id=job.session_id,
        bpm=doc.get("bpm"),
        genre=doc.get("genre"),
        platform=analysis.platform,
        tracks=tuple(statuses),
        summary=summary,
        session_analysis=analysis,
    )
    value = result.to_dict()
    key = ports.jobs.put_session_result(job_id, value)
    ports.learning.index_suggestions(job.owner, [s.to_dict() for s in result.suggestions()])  # for feedback
    record_session_style(
        ports, owner=job.owner, session_id=job.session_id, spec=spec, analysis=analysis, now_s=time.time()
    )
    ports.jobs.put_suggestion_sources(job.owner, sources(job, doc, children, analysis))  # for previews
    finish_done(ports, job, result_key=key, result=value, cached=False)
    return {"job_id": job_id, "status": JobStatus.DONE.value}
