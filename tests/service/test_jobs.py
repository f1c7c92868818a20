"""Submitting and running track jobs on in-memory ports: one cache decision, finish once, suggestions once."""

from __future__ import annotations

import io
import threading
from dataclasses import replace

import numpy as np
import soundfile as sf
from scipy import signal

from core.analysis import cache_key
from service.cached import readable_analysis
from service.messages import Event, JobStatus
from service.model import Upload
from service.ports import Ports
from service.snapshots import job_snapshot, subscription_snapshot
from service.submit import submit_batch
from service.track_job import analysis_key, analysis_params, run_track_job
from tests.conftest import wav_bytes


def events(ports: Ports) -> list[str]:
    return [m.event.value for m, _ in ports.publisher.sent]  # type: ignore[attr-defined]


def run_queued(ports: Ports) -> None:
    """Play the worker: run every queued track job, in order."""
    for job_id, sha256 in ports.queue.named("analyze_track"):  # type: ignore[attr-defined]
        run_track_job(ports, job_id=job_id, sha256=sha256, hostname="test")


def test_three_new_and_three_cached_tracks_count_three_misses_and_three_hits(ports: Ports) -> None:
    shas = [ports.blobs.put_bytes(wav_bytes(seconds=0.5, seed=s)) for s in (1, 2, 3)]
    uploads = [Upload(name=f"{i}.wav", sha256=s) for i, s in enumerate(shas)]
    _, first = submit_batch(ports, owner="alice", uploads=uploads)
    assert len(ports.queue.named("analyze_track")) == 3  # type: ignore[attr-defined]
    run_queued(ports)  # the worker loads without counting: no second decision for the same job
    _, again = submit_batch(ports, owner="alice", uploads=uploads)
    assert [j.cached for j in first] == [False] * 3 and [j.cached for j in again] == [True] * 3
    stats = ports.cache.stats()
    assert (stats.hits, stats.misses, stats.puts) == (3, 3, 3) and stats.hit_ratio == 0.5
    assert len(ports.queue.named("analyze_track")) == 3  # type: ignore[attr-defined]  # cached: not queued


def test_a_track_job_finishes_once_and_stores_its_suggestions_once(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=1.0, seed=4))
    batch, (job,) = submit_batch(ports, owner="alice", uploads=[Upload("v.wav", sha, track_type="vocals")])
    run_queued(ports)
    done = ports.jobs.job(job.job_id)
    assert done is not None and done.status is JobStatus.DONE and done.announced
    assert events(ports)[-2:] == [Event.JOB_DONE, Event.BATCH_DONE]
    stored = ports.jobs.track_suggestions(job.job_id)
    assert stored and all(ports.learning.suggestion("alice", s["id"]) is not None for s in stored)
    assert ports.learning.suggestion("bob", stored[0]["id"]) is None  # indexed for the owner only

    sent = len(ports.publisher.sent)  # type: ignore[attr-defined]
    run_queued(ports)  # a redelivered message: nothing new is announced
    assert len(ports.publisher.sent) == sent  # type: ignore[attr-defined]

    snapshot = job_snapshot(ports, done)
    assert snapshot["suggestions"] == stored
    assert snapshot["result"]["cache_key"] == cache_key(sha, analysis_params(ports.settings))
    view, messages = subscription_snapshot(ports, owner="alice", target={"batch_id": batch.batch_id})
    assert view is not None and view["status"] == "done"
    assert [m.event for m in messages] == [Event.JOB_DONE, Event.BATCH_DONE]


def test_bad_audio_fails_the_job_once_with_its_code(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(b"RIFF....this is not a wave file")
    _, (job,) = submit_batch(ports, owner="alice", uploads=[Upload("x.wav", sha)])
    run_queued(ports)
    failed = ports.jobs.job(job.job_id)
    assert failed is not None and failed.status is JobStatus.FAILED and failed.error is not None
    assert failed.error["code"] in {"unsupported_format", "corrupt_audio", "invalid_audio"}
    assert events(ports).count(Event.JOB_FAILED) == 1


def _dark_part_with_rests(seconds: float = 12.0, sr: int = 44100) -> bytes:
    """Noise low-passed at 2 kHz (broadband below it, no air above): 2 s played, 2 s of rest."""
    rng = np.random.default_rng(5)
    y = signal.sosfilt(signal.butter(8, 2000.0, fs=sr, output="sos"), rng.standard_normal(int(seconds * sr)))
    y = 0.3 * y / np.max(np.abs(y))
    t = np.arange(y.size) / sr
    y[(t % 4.0) >= 2.0] = 0.0
    buf = io.BytesIO()
    sf.write(buf, np.stack([y, y], axis=1), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def test_a_stem_is_judged_as_a_stem_and_the_same_file_as_a_mix_is_not(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(_dark_part_with_rests())
    _, (as_mix, as_bass) = submit_batch(
        ports, owner="alice", uploads=[Upload("x.wav", sha), Upload("b.wav", sha, track_type="bass")]
    )
    run_queued(ports)
    mix = job_snapshot(ports, ports.jobs.job(as_mix.job_id))["result"]["quality"]  # type: ignore[arg-type]
    bass = job_snapshot(ports, ports.jobs.job(as_bass.job_id))["result"]["quality"]  # type: ignore[arg-type]
    mix_codes = {i["code"]: i["severity"] for i in mix["issues"]}
    bass_codes = {i["code"]: i["severity"] for i in bass["issues"]}
    # As a file of unknown type it may be a mix: no air and long rests are defects.
    assert mix_codes.get("missing_air") in ("warning", "critical")
    assert mix_codes.get("long_silence") in ("warning", "critical")
    # As a bass stem: no air is its nature (not judged), rests are its part (information, no cost).
    assert "missing_air" not in bass_codes and bass_codes.get("long_silence") == "info"
    assert bass["score"] > mix["score"]
    assert bass["score"] == 100 - round(sum(i["evidence"]["penalty"] for i in bass["issues"]))
    # The job.done event carries the same view; the cached analysis itself is unchanged.
    done = [m for m, _ in ports.publisher.sent if m.event == Event.JOB_DONE]  # type: ignore[attr-defined]
    by_job = {m.job_id: m.result["quality"] for m in done}
    assert by_job[as_bass.job_id] == bass and by_job[as_mix.job_id] == mix


def test_a_twin_delivery_leaves_the_announcement_to_a_finisher_still_announcing(ports: Ports) -> None:
    """The job is stored done but its finisher has not marked it announced yet (it is publishing): a
    twin delivery waits for that instead of sending job.done a second time."""
    sha = ports.blobs.put_bytes(wav_bytes(seconds=0.5, seed=9))
    _, (job,) = submit_batch(ports, owner="alice", uploads=[Upload("t.wav", sha)])
    run_queued(ports)
    ports.jobs.update_job(job.job_id, announced=False)  # the finisher's window: stored, not yet marked
    sent = len(ports.publisher.sent)  # type: ignore[attr-defined]
    finisher = threading.Timer(0.2, lambda: ports.jobs.update_job(job.job_id, announced=True))
    finisher.start()
    try:
        run_queued(ports)  # the twin
    finally:
        finisher.join()
    assert len(ports.publisher.sent) == sent  # type: ignore[attr-defined]


def test_a_cached_analysis_is_the_owners_own_and_carries_the_name_this_upload_gave_it(ports: Ports) -> None:
    """The cache never tells one user what another analysed: bob's upload of the bytes alice analysed
    is analysed for him (not "cached" at once). Within one user's cache, an analysis is keyed by content,
    so a later upload under a new name, or a job that found the cache filled while it was queued, reads
    its own name, never the name of the upload that computed it."""
    sha = ports.blobs.put_bytes(wav_bytes(seconds=0.5, seed=5))
    submit_batch(ports, owner="alice", uploads=[Upload("Unreleased_FINAL_v7.wav", sha)])
    _, (queued,) = submit_batch(ports, owner="alice", uploads=[Upload("mine.wav", sha)])  # before it ran
    run_queued(ports)  # the first computes; the second, next in the queue, finds the cache filled
    _, (theirs,) = submit_batch(ports, owner="bob", uploads=[Upload("bob.wav", sha, track_type="keys")])
    _, (renamed,) = submit_batch(ports, owner="alice", uploads=[Upload("take 2.wav", sha)])
    assert not theirs.cached and renamed.cached
    run_queued(ports)
    for job, name in ((theirs, "bob.wav"), (renamed, "take 2.wav")):
        stored = ports.jobs.job(job.job_id)
        assert stored is not None and stored.status is JobStatus.DONE
        assert job_snapshot(ports, stored)["result"]["name"] == name
    sent = ports.publisher.sent  # type: ignore[attr-defined]
    (own,) = [m for m, _ in sent if m.event is Event.JOB_DONE and m.job_id == queued.job_id]
    assert own.result["name"] == "mine.wav"
    assert ports.cache.stats().puts == 2  # alice's analysis and bob's: one each


def test_a_cached_analysis_that_does_not_parse_is_analysed_again_not_an_error(ports: Ports) -> None:
    """An entry of another shape under the same version (a deploy that kept ANALYZER_VERSION, a
    damaged value) is a miss: the track is queued, analysed again and the entry overwritten."""
    sha = ports.blobs.put_bytes(wav_bytes(seconds=1.0, seed=21))
    upload = [Upload("v.wav", sha, track_type="vocals")]
    submit_batch(ports, owner="alice", uploads=upload)
    run_queued(ports)
    key = analysis_key("alice", sha, analysis_params(ports.settings))
    ports.cache.put(key, {"name": "v.wav", "loudness": None})  # no field of today's shape

    _, (job,) = submit_batch(ports, owner="alice", uploads=upload)  # raised TypeError before
    assert not job.cached and job.status is JobStatus.QUEUED
    assert job_snapshot(ports, job)["status"] == "queued"
    run_queued(ports)
    done = ports.jobs.job(job.job_id)
    assert done is not None and done.status is JobStatus.DONE and not done.cached
    assert readable_analysis(ports.cache.load(key), key=key) is not None  # overwritten
    assert ports.jobs.track_suggestions(job.job_id)


def test_an_untyped_track_whose_cached_quality_does_not_parse_still_reads(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=0.5, seed=22))
    submit_batch(ports, owner="alice", uploads=[Upload("x.wav", sha)])
    run_queued(ports)
    key = analysis_key("alice", sha, analysis_params(ports.settings))
    ports.cache.put(key, {"name": "x.wav", "quality": {"score": "high"}})
    _, (job,) = submit_batch(ports, owner="alice", uploads=[Upload("x.wav", sha, track_type="kick")])
    assert not job.cached  # typed: read and found unreadable, analysed again
    _, (untyped,) = submit_batch(ports, owner="alice", uploads=[Upload("x.wav", sha)])
    assert untyped.cached  # untyped: one EXISTS decides, and the snapshot still answers
    assert job_snapshot(ports, replace(untyped, track_type="kick"))["result"]["quality"] == {"score": "high"}


def test_a_worker_with_another_length_limit_analyses_and_caches_as_the_api_decided(ports: Ports) -> None:
    """Hosts configured with different CODETTE_MAX_DURATION_S: the job carries the submitter's limit,
    so the worker caches where the API looks, and a file over that limit fails as the API would say."""
    short, long = (ports.blobs.put_bytes(wav_bytes(seconds=s, seed=6)) for s in (1.5, 3.0))
    api = replace(ports, settings=replace(ports.settings, max_duration_s=2.0))
    worker = replace(ports, settings=replace(ports.settings, max_duration_s=600.0))
    uploads = [Upload("short.wav", short), Upload("long.wav", long)]
    _, jobs = submit_batch(api, owner="alice", uploads=uploads)
    assert [ports.jobs.job(j.job_id).max_duration_s for j in jobs] == [2.0, 2.0]  # type: ignore[union-attr]
    run_queued(worker)
    done, failed = (ports.jobs.job(j.job_id) for j in jobs)
    assert done is not None and done.status is JobStatus.DONE
    assert done.result_key == analysis_key("alice", short, analysis_params(api.settings))
    assert failed is not None and failed.status is JobStatus.FAILED and "2 s" in failed.error["message"]  # type: ignore[index]
    _, (again, _) = submit_batch(api, owner="alice", uploads=uploads)
    assert again.cached
