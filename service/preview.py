"""Previews: do what a suggestion says, measure before and after, and cut excerpts to listen to.

``POST /api/v1/suggestions/<id>/preview`` submits a preview job (``submit_preview``) that a worker
runs (``run_preview_job``): the suggestion's track is decoded from the blob store, the move rendered
(core.render), the track re-analysed and judged (core.verify: the cited measures before and after,
``resolved``, ``side_effects``; session advice by re-running the session step), and the passage the
move changed most cut before/after, loudness-matched, into two WAV blobs (core.excerpt). ``POST
/api/v1/sessions/<id>/preview`` does the same for a set of moves across a session's tracks
(service.session_preview).

Where a suggestion's audio is: recorded when the suggestion is stored (service.suggestions.source_of),
never guessed at read time. A preview is cached by
content (the track's hash, its analysis, the suggestion and its context): the same preview asked
again, by anyone, is done at once. The job's own result (with URLs under its id, so only its owner
can fetch the audio) is stored with the job; service.preview_job runs the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.analysis import ANALYZER_VERSION, analyze
from core.audio import read_all
from core.errors import InvalidParameter, NotFound, shown
from core.excerpt import EXCERPT_S, Excerpt, encode_wav, make_excerpt
from core.render import NotRenderable, is_renderable, render_suggestion
from core.results import TrackAnalysis
from core.suggestions import Suggestion
from core.verify import compare_analyses, is_session_advice, verify_in_session
from service.cached import hashed_key, readable_analysis
from service.compare import session_context
from service.messages import JobKind, JobProgress, JobStatus
from service.model import Job, new_id, suggestion_from_dict
from service.moved import already, moved_analysis
from service.ports import Ports
from service.preview_result import PreviewAudio, TrackPreview
from service.recovery import note_sent
from service.track_job import rooms_for

#: Part of every preview's cache key, with core's ANALYZER_VERSION: bump it when the result's shape or
#: the verdict's method changes (2: a track cut down towards another is no new masking clash; 3: new
#: advice to take down a band the move did not raise is no side effect, overlaps read from the matrix,
#: the step after the moves keeps the genre and tempo of the step before).
PREVIEW_VERSION = "3"
#: Longest track a preview (or the session job's vetting) decodes whole (s): the track and its
#: rendering are both held in memory (2 x 127 MB for 12 min of 44.1 kHz stereo float32).
MAX_RENDER_S = 12 * 60.0
#: Before/after excerpts, by the names the audio route serves.
AUDIO_NAMES = ("before", "after")


def content_key(kind: str, parts: Mapping[str, Any]) -> str:
    """The cache key of a preview: a hash of everything its result depends on."""
    versions = {"v": PREVIEW_VERSION, "analyzer": ANALYZER_VERSION}
    return hashed_key(f"preview:v{PREVIEW_VERSION}:", {**versions, "kind": kind, **parts})


def previewable(ports: Ports, *, owner: str, suggestion_id: str) -> tuple[Suggestion, dict[str, Any]]:
    """The owner's suggestion and its source; NotFound (404) or NotRenderable (422, not_renderable)."""
    suggestion = ports.learning.suggestion(owner, suggestion_id)
    if suggestion is None:
        raise NotFound(f"suggestion {shown(suggestion_id)} not found")
    if not is_renderable(suggestion):
        process = suggestion.parameters.get("process")
        detail = f" ({process})" if suggestion.type == "cleanup" else ""
        raise NotRenderable(
            f"suggestion {suggestion_id}: a {suggestion.type}{detail} move cannot be rendered for a preview"
        )
    source = ports.jobs.suggestion_source(owner, suggestion_id)
    if source is None or not ports.blobs.exists(str(source.get("sha256", ""))):
        raise NotFound(f"the audio of suggestion {shown(suggestion_id)} is no longer stored")
    return suggestion, source


def audio_url(job_id: str, name: str) -> str:
    return f"/api/v1/previews/{job_id}/{name}.wav"


def for_job(value: Mapping[str, Any], job_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A cached preview as one job's result: the audio as URLs under that job (owner only); a session
    preview's ``suggestion_ids`` in the order this job's request named them (the cache is shared)."""
    audio = dict(value.get("audio") or {})
    audio.update({name: audio_url(job_id, name) for name in AUDIO_NAMES})
    named = doc.get("suggestion_ids")
    if named is not None and set(named) == set(value.get("suggestion_ids") or ()):
        return {**value, "audio": audio, "suggestion_ids": list(named)}
    return {**value, "audio": audio}


def cached_preview(ports: Ports, key: str) -> dict[str, Any] | None:
    """A cached preview whose excerpts are still stored (retention may have removed them)."""
    value = ports.cache.load(key)
    if value is None:
        return None
    audio = value.get("audio") or {}
    if all(ports.blobs.exists(str(audio.get(f"{n}_sha256", ""))) for n in AUDIO_NAMES):
        return value
    return None


def with_excerpts(doc: Mapping[str, Any], value: Mapping[str, Any]) -> dict[str, Any]:
    """The job's frozen input naming its excerpts, so blob retention keeps them while the job lives."""
    audio = value.get("audio") or {}
    return {**doc, "excerpts": [audio.get(f"{n}_sha256") for n in AUDIO_NAMES]}


def create_preview_job(ports: Ports, job: Job, *, doc: dict[str, Any]) -> Job:
    """Store the frozen input and the job: done at once from the cache, else queued for a worker."""
    cached = cached_preview(ports, doc["key"])
    # The frozen input of any job kind is stored by job id (JobStore.put_session_input).
    ports.jobs.put_session_input(job.job_id, doc if cached is None else with_excerpts(doc, cached))
    if cached is not None:
        key = ports.jobs.put_session_result(job.job_id, for_job(cached, job.job_id, doc))
        done = Job(
            job.job_id, job.owner, kind=job.kind, status=JobStatus.DONE, progress=1.0, stage="done",
            name=job.name, sha256=job.sha256, cached=True, track_id=job.track_id,
            track_type=job.track_type, result_key=key, announced=True,
        )  # fmt: skip
        return ports.jobs.create_job(done)
    ports.jobs.create_job(job)
    note_sent(ports, job.job_id)
    ports.queue.preview(job.job_id)
    return job


def submit_preview(ports: Ports, *, owner: str, suggestion_id: str) -> Job:
    """Queue the preview of one suggestion (done at once when cached); see the module docstring."""
    suggestion, source = previewable(ports, owner=owner, suggestion_id=suggestion_id)
    in_session = is_session_advice(suggestion) and bool(source.get("session_job_id"))
    parts = {
        "suggestion": suggestion.to_dict(),
        "source": {k: v for k, v in source.items() if k != "job_id"},
        "session_job_id": source.get("session_job_id") if in_session else "",
        "excerpt_s": EXCERPT_S,
    }
    job = Job(
        new_id(), owner, kind=JobKind.PREVIEW, name=f"preview {suggestion_id}", sha256=source["sha256"],
        track_id=suggestion.target.track_id, track_type=str(source.get("track_type") or ""),
    )  # fmt: skip
    doc = {"kind": "track", "key": content_key("track", parts), "suggestion": suggestion.to_dict(),
           "source": source, "in_session": in_session}  # fmt: skip
    return create_preview_job(ports, job, doc=doc)


def stage(ports: Ports, job: Job, progress: float, name: str) -> None:
    """Report a preview's progress (REST and the job's room)."""
    ports.jobs.set_progress(job.job_id, progress, name)
    ports.publisher.publish(JobProgress(job.job_id, progress, name), rooms=rooms_for(job))


def decode(ports: Ports, sha256: str) -> tuple[np.ndarray, int]:
    """A blob's samples, (channels, n) float32, and its rate; AudioTooLong past MAX_RENDER_S."""
    limit = min(ports.settings.max_duration_s, MAX_RENDER_S)
    return read_all(ports.blobs.open_path(sha256), max_duration_s=limit)


def cached_analysis(ports: Ports, key: str) -> TrackAnalysis | None:
    return readable_analysis(ports.cache.load(key), key=key) if key else None


def session_analyses(ports: Ports, session_job_id: str) -> tuple[dict[str, Any], dict[str, TrackAnalysis]]:
    """A session analysis's frozen document and its tracks' analyses (from the cache)."""
    doc = ports.jobs.session_input(session_job_id)
    parent = ports.jobs.job(session_job_id)
    children = ports.jobs.jobs(parent.children) if parent is not None else []
    analyses = {}
    for child in children:
        found = cached_analysis(ports, child.result_key) if child.status is JobStatus.DONE else None
        if found is not None:
            analyses[child.track_id] = found
    return doc, analyses


def store_excerpt(ports: Ports, excerpt: Excerpt, sr: int, channels: int) -> PreviewAudio:
    """Both excerpts into the blob store; their description (URLs filled in per job by ``for_job``)."""
    sha = {
        name: ports.blobs.put_bytes(encode_wav(y, sr), name=f"preview-{name}.wav")
        for name, y in (("before", excerpt.before), ("after", excerpt.after))
    }
    return PreviewAudio(
        before="",
        after="",
        format="wav",
        sample_rate=int(sr),
        channels=int(channels),
        start_s=excerpt.start_s,
        duration_s=excerpt.duration_s,
        loudness_matched=excerpt.loudness_matched,
        match_gain_db=excerpt.match_gain_db,
        before_lufs=excerpt.before_lufs,
        after_lufs=excerpt.after_lufs,
        before_sha256=sha["before"],
        after_sha256=sha["after"],
    )


def compute_track_preview(ports: Ports, job: Job, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Render, judge and excerpt one suggestion (the cached value: audio as blob hashes)."""
    suggestion = suggestion_from_dict(doc["suggestion"])
    source = doc["source"]
    stage(ports, job, 0.1, "decoding")
    y, sr = decode(ports, source["sha256"])
    before = cached_analysis(ports, str(source.get("analysis_key") or ""))
    stage(ports, job, 0.3, "rendering")
    track_type = str(source.get("track_type") or "other")
    track_id = suggestion.target.track_id
    rendered = render_suggestion(y, sr, suggestion)  # NotRenderable if the kinds core renders changed
    after = moved_analysis(  # measured once: vetting cached it under the same recipe
        ports, sha256=source["sha256"], name=track_id, moves=(suggestion,), rendered=already(rendered, sr)
    )
    if doc.get("in_session"):
        session_doc, analyses = session_analyses(ports, str(source["session_job_id"]))
        context = session_context(ports, session_doc, owner=job.owner)
        verdict = verify_in_session(session_doc, analyses, suggestion, after, context=context)
    else:
        verdict = compare_analyses(
            suggestion, before if before is not None else analyze((y, sr), name=track_id), after,
            track_type=track_type, bpm=source.get("bpm"), genre=source.get("genre"),
            platform=source.get("platform"),
        )  # fmt: skip
    stage(ports, job, 0.8, "excerpt")
    excerpt = make_excerpt(y, rendered, sr, move_type=suggestion.type)
    return TrackPreview(
        suggestion_id=suggestion.id,
        track_id=suggestion.target.track_id,
        type=suggestion.type,
        scope="session" if doc.get("in_session") else "track",
        resolved=verdict.resolved,
        improved=verdict.improved,
        before=verdict.before,
        after=verdict.after,
        side_effects=verdict.side_effects,
        audio=store_excerpt(ports, excerpt, sr, np.atleast_2d(y).shape[0]),
    ).to_dict()


def preview_audio(ports: Ports, *, owner: str, job_id: str, name: str) -> tuple[Any, str]:
    """The local path of a preview job's ``before`` or ``after`` excerpt and its file name."""
    if name not in AUDIO_NAMES:
        raise NotFound(f"a preview has no {shown(name)} audio (before, after)")
    job = ports.jobs.owned_job(job_id, owner)
    if job.kind is not JobKind.PREVIEW:
        raise NotFound(f"job {shown(job_id)} is not a preview")
    if job.status is not JobStatus.DONE:
        raise InvalidParameter(f"preview {job_id} is {job.status.value}; its audio comes when it is done")
    result = ports.jobs.load_json(job.result_key) or {}
    sha256 = str((result.get("audio") or {}).get(f"{name}_sha256") or "")
    if not sha256 or not ports.blobs.exists(sha256):
        raise NotFound(f"the {name} excerpt of preview {job_id} is no longer stored")
    return ports.blobs.open_path(sha256), f"preview-{job_id[:8]}-{name}.wav"
