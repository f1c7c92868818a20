"""Previews on the in-memory ports: a suggestion rendered on its track, judged, excerpted, cached.

The track is a vocal with 15 Hz rumble: its typed track job suggests a high-pass, whose preview must
show the low end gone (share below the corner falls), resolved, with loudness-matched excerpts the
owner (only) can fetch; the same preview asked again is done at once, from the cache.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from core.errors import InvalidParameter, NotFound
from core.loudness import measure_loudness
from service import moved, session_job
from service.messages import JobKind, JobStatus
from service.model import Upload, suggestion_from_dict
from service.moved import moved_key
from service.ports import Ports
from service.preview import decode as preview_decode
from service.preview import preview_audio, submit_preview
from service.preview_job import run_preview_job
from service.session_job import Stems, run_session_job
from service.session_preview import submit_session_preview
from service.sessions import put_session
from service.submit import submit_batch, submit_session
from service.track_job import run_track_job
from tests.fakes import record_puts

SR = 44_100


def _wav(y: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.stack([y, y], axis=1).astype(np.float32), SR, format="WAV", subtype="PCM_24")
    return buf.getvalue()


def rumbling_vocal(seconds: float = 6.0) -> bytes:
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * SR)) / SR
    voice = sum(0.15 / k * np.sin(2 * np.pi * 220.0 * k * t) for k in range(1, 8))
    breath = 0.01 * rng.standard_normal(t.size)
    return _wav(voice + breath + 0.3 * np.sin(2 * np.pi * 15.0 * t))


def bass_line(seconds: float = 6.0) -> bytes:
    t = np.arange(int(seconds * SR)) / SR
    return _wav(0.4 * np.sin(2 * np.pi * 55.0 * t) + 0.2 * np.sin(2 * np.pi * 110.0 * t))


def typed_track(ports: Ports, data: bytes, track_type: str, owner: str = "alice") -> list[dict]:
    sha = ports.blobs.put_bytes(data)
    ports.jobs.add_blob(owner, sha)
    _, (job,) = submit_batch(
        ports, owner=owner, uploads=[Upload(name="t.wav", sha256=sha, track_type=track_type)]
    )
    run_track_job(ports, job_id=job.job_id, sha256=sha, hostname="test")
    return ports.jobs.track_suggestions(job.job_id)


def run_queued_preview(ports: Ports) -> str:
    (job_id,), *_ = reversed(ports.queue.named("preview"))  # type: ignore[attr-defined]
    assert run_preview_job(ports, job_id=job_id, hostname="test")["status"] == "done"
    return str(job_id)


def test_a_high_pass_preview_shows_the_rumble_gone_with_matched_excerpts(ports: Ports) -> None:
    found = typed_track(ports, rumbling_vocal(), "vocals")
    high_pass = next(s for s in found if s["type"] == "high_pass")
    job = submit_preview(ports, owner="alice", suggestion_id=high_pass["id"])
    assert job.kind is JobKind.PREVIEW and job.status is JobStatus.QUEUED
    job_id = run_queued_preview(ports)
    done = ports.jobs.job(job_id)
    assert done is not None and done.status is JobStatus.DONE and not done.cached
    result = ports.jobs.load_json(done.result_key)
    assert result is not None
    assert result["suggestion_id"] == high_pass["id"] and result["scope"] == "track"
    assert result["resolved"] is True and result["improved"] is False
    assert result["after"]["share_below_db"] < result["before"]["share_below_db"] - 6.0
    assert result["before"]["share_below_db"] == pytest.approx(
        high_pass["evidence"]["share_below_db"], abs=0.05
    )
    audio = result["audio"]
    assert audio["before"] == f"/api/v1/previews/{job_id}/before.wav"
    assert audio["loudness_matched"] is True and audio["duration_s"] == pytest.approx(6.0, abs=0.01)
    path, _ = preview_audio(ports, owner="alice", job_id=job_id, name="after")
    after, sr = sf.read(path, always_2d=True)
    before, _ = sf.read(preview_audio(ports, owner="alice", job_id=job_id, name="before")[0], always_2d=True)
    assert sr == SR and after.shape == before.shape and after.shape[1] == 2
    lufs = [measure_loudness(x.T, SR).integrated_lufs for x in (before, after)]
    assert lufs[0] is not None and lufs[1] is not None and abs(lufs[0] - lufs[1]) < 0.5  # loudness-matched
    with pytest.raises(NotFound):
        preview_audio(ports, owner="bob", job_id=job_id, name="after")
    # The frozen input names the excerpts: blob retention (JobStore.referenced_blobs) keeps them.
    assert ports.jobs.session_input(job_id)["excerpts"] == [audio["before_sha256"], audio["after_sha256"]]
    # Asked again: done at once, from the cache, no second message to the workers.
    again = submit_preview(ports, owner="alice", suggestion_id=high_pass["id"])
    assert again.status is JobStatus.DONE and again.cached
    assert len(ports.queue.named("preview")) == 1  # type: ignore[attr-defined]
    cached = ports.jobs.load_json(again.result_key)
    assert cached is not None and cached["after"] == result["after"]
    assert cached["audio"]["after"] == f"/api/v1/previews/{again.job_id}/after.wav"


def test_unknown_foreign_and_unrenderable_suggestions_are_refused(ports: Ports) -> None:
    found = typed_track(ports, rumbling_vocal(seconds=3.0), "vocals")
    with pytest.raises(NotFound):
        submit_preview(ports, owner="bob", suggestion_id=found[0]["id"])
    with pytest.raises(NotFound):
        submit_preview(ports, owner="alice", suggestion_id="sug_nothing")
    reverb = {**found[0], "id": "sug_reverb", "type": "reverb", "parameters": {"send_db": -12.0}}
    ports.learning.index_suggestions("alice", [reverb])
    with pytest.raises(InvalidParameter) as refused:
        submit_preview(ports, owner="alice", suggestion_id="sug_reverb")
    assert refused.value.code == "not_renderable"
    assert ports.queue.named("preview") == []  # type: ignore[attr-defined]


def _session(ports: Ports, *, bpm: float | None = 120, session_id: str = "s", bass_db: float = 0.0) -> str:
    tracks = []
    for track_id, track_type, data in (("v", "vocals", rumbling_vocal()), ("b", "bass", bass_line())):
        sha = ports.blobs.put_bytes(data)
        ports.jobs.add_blob("alice", sha)
        tracks.append({"track_id": track_id, "name": track_id, "type": track_type, "sha256": sha})
    tracks[1]["volume_db"] = bass_db
    put_session(ports, owner="alice", session_id=session_id, doc={"bpm": bpm, "tracks": tracks})
    job = submit_session(ports, owner="alice", session_id=session_id)
    (_, pending), *_ = reversed(ports.queue.named("analyze_session"))  # type: ignore[attr-defined]
    for job_id, sha256 in pending:
        run_track_job(ports, job_id=job_id, sha256=sha256, hostname="test")
    assert run_session_job(ports, job_id=job.job_id)["status"] == "done"
    return job.job_id


def test_session_advice_is_vetted_before_it_is_stored_and_previews_in_the_mix(ports: Ports) -> None:
    session_job_id = _session(ports)
    job = ports.jobs.job(session_job_id)
    assert job is not None
    result = ports.jobs.load_json(job.result_key)
    assert result is not None
    advice = [s for t in result["session_analysis"]["tracks"] for s in t["suggestions"]]
    vetted = [s for s in advice if "verified" in s["evidence"]]
    assert vetted, advice  # every renderable move was rendered and judged before storing
    high_pass = next(s for s in advice if s["type"] == "high_pass" and s["target"]["track_id"] == "v")
    assert high_pass["evidence"]["verified"] == 1
    # The session preview: the move in the mix, session measures before/after, a stereo mixdown.
    with pytest.raises(InvalidParameter):
        submit_session_preview(ports, owner="alice", session_id="s", suggestion_ids=[])
    submit_session_preview(ports, owner="alice", session_id="s", suggestion_ids=[high_pass["id"]])
    job_id = run_queued_preview(ports)
    done = ports.jobs.job(job_id)
    assert done is not None
    preview = ports.jobs.load_json(done.result_key)
    assert preview is not None
    assert preview["suggestion_ids"] == [high_pass["id"]] and preview["track_ids"] == ["v"]
    assert "mix_lufs" in preview["before"] and "mix_lufs" in preview["after"]
    assert preview["resolved_by_suggestion"] == {high_pass["id"]: True}
    mix, sr = sf.read(preview_audio(ports, owner="alice", job_id=job_id, name="before")[0], always_2d=True)
    assert sr == SR and mix.shape[1] == 2 and mix.shape[0] == pytest.approx(6 * SR, abs=SR // 10)


def _advice(ports: Ports, session_job_id: str) -> list[dict]:
    job = ports.jobs.job(session_job_id)
    assert job is not None
    result = ports.jobs.load_json(job.result_key)
    assert result is not None
    return [s for t in result["session_analysis"]["tracks"] for s in t["suggestions"]]


def test_two_sessions_sharing_their_stems_keep_their_own_suggestion_ids_and_previews(ports: Ports) -> None:
    """Track ids are a session's own names ('v', 'keys'), so the same move on the same stems in two
    sessions (two versions of a song) must be two suggestions: once one id named both, previewing the
    first session's advice after the second was analysed was refused as not of that session."""
    first = _advice(ports, _session(ports, session_id="song-a"))
    second = _advice(ports, _session(ports, session_id="song-b"))
    assert [s["type"] for s in first] == [s["type"] for s in second]  # the same advice...
    assert not {s["id"] for s in first} & {s["id"] for s in second}  # ...under ids of its own session
    high_pass = next(s for s in first if s["type"] == "high_pass" and s["target"]["track_id"] == "v")
    submit_session_preview(ports, owner="alice", session_id="song-a", suggestion_ids=[high_pass["id"]])
    job_id = run_queued_preview(ports)
    done = ports.jobs.job(job_id)
    assert done is not None
    preview = ports.jobs.load_json(done.result_key)
    assert preview is not None and preview["session_id"] == "song-a"
    assert preview["suggestion_ids"] == [high_pass["id"]]
    again = _advice(ports, _session(ports, session_id="song-a"))  # re-analysed: the same ids
    assert {s["id"] for s in again} == {s["id"] for s in first}


def test_a_session_job_decodes_each_stem_once_for_the_tempo_of_the_sum_and_for_vetting(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []

    def counting(p: Ports, sha256: str) -> tuple[np.ndarray, int]:
        decoded.append(sha256)
        return preview_decode(p, sha256)

    monkeypatch.setattr("service.session_job.decode", counting)
    session_job_id = _session(ports, bpm=None)  # no tempo declared: the stems' sum is heard first
    job = ports.jobs.job(session_job_id)
    assert job is not None
    result = ports.jobs.load_json(job.result_key)
    assert result is not None
    advice = [s for t in result["session_analysis"]["tracks"] for s in t["suggestions"]]
    assert any("verified" in s["evidence"] for s in advice)  # vetted, on the same decoded stems
    tracks = ports.jobs.session_input(session_job_id)["tracks"]
    assert sorted(decoded) == sorted(t["sha256"] for t in tracks)


def test_a_session_analysed_again_unchanged_reuses_its_vetted_advice_and_a_moved_fader_vets_again(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a DAW does many times a day: the same session again decodes and renders nothing (the
    tempo is declared, so only vetting would decode), and stores the same vetted advice."""
    decoded: list[str] = []

    def counting(p: Ports, sha256: str) -> tuple[np.ndarray, int]:
        decoded.append(sha256)
        return preview_decode(p, sha256)

    monkeypatch.setattr("service.session_job.decode", counting)

    def advice(session_job_id: str) -> list[dict[str, object]]:
        job = ports.jobs.job(session_job_id)
        assert job is not None
        result = ports.jobs.load_json(job.result_key)
        assert result is not None
        return [s for t in result["session_analysis"]["tracks"] for s in t["suggestions"]]

    first = advice(_session(ports))
    vetting = len(decoded)
    assert vetting > 0 and any("verified" in s["evidence"] for s in first)
    assert advice(_session(ports)) == first
    assert len(decoded) == vetting  # nothing decoded, nothing rendered
    moved = advice(_session(ports, bass_db=-6.0))  # another mix: its moves are judged again
    assert len(decoded) > vetting and any("verified" in s["evidence"] for s in moved)


def test_stems_are_kept_read_only_within_their_budget_and_decoded_again_past_it(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(bass_line(seconds=2.0))
    kept = Stems(ports, {"a": sha, "b": sha})
    y, _ = kept["a"]
    assert kept["b"][0] is y and kept.decodes == 1 and not y.flags.writeable
    assert "a" in kept and "c" not in kept and kept.decodes == 1  # membership decodes nothing
    tight = Stems(ports, {"a": sha}, budget_bytes=y.nbytes - 1)
    assert tight["a"][0] is not tight["a"][0] and tight.decodes == 2


def test_a_track_too_long_to_render_fails_its_preview_once_and_keeps_its_advice_unvetted(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = typed_track(ports, rumbling_vocal(seconds=6.0), "vocals")
    monkeypatch.setattr("service.preview.MAX_RENDER_S", 3.0)
    monkeypatch.setattr("service.session_job.MAX_RENDER_S", 3.0)
    submit_preview(ports, owner="alice", suggestion_id=found[0]["id"])
    (job_id,), *_ = reversed(ports.queue.named("preview"))  # type: ignore[attr-defined]
    assert run_preview_job(ports, job_id=job_id, hostname="test")["status"] == "failed"
    failed = ports.jobs.job(job_id)
    assert failed is not None and failed.error is not None and failed.error["code"] == "audio_too_long"
    session_job_id = _session(ports)  # 6 s stems, over the (patched) bound: stored as analysed
    done = ports.jobs.job(session_job_id)
    assert done is not None
    result = ports.jobs.load_json(done.result_key)
    assert result is not None
    advice = [s for t in result["session_analysis"]["tracks"] for s in t["suggestions"]]
    assert advice and not any("verified" in s["evidence"] for s in advice)


def _move(ports: Ports, like: dict, *, suggestion_id: str, track_id: str, gain_db: float) -> str:
    """A gain move on ``track_id`` of the session ``like`` belongs to, indexed with its audio's source."""
    source = ports.jobs.suggestion_source("alice", like["id"])
    assert source is not None
    doc = ports.jobs.session_input(str(source["session_job_id"]))
    sha = next(t["sha256"] for t in doc["tracks"] if t["track_id"] == track_id)
    move = {**like, "id": suggestion_id, "type": "gain", "parameters": {"gain_db": gain_db},
            "target": {**like["target"], "track_id": track_id}}  # fmt: skip
    ports.learning.index_suggestions("alice", [move])
    ports.jobs.put_suggestion_sources(
        "alice", {suggestion_id: {**source, "sha256": sha, "track_id": track_id}}
    )
    return suggestion_id


def test_the_same_moves_in_another_order_are_the_same_session_preview(ports: Ports) -> None:
    """Tracks are summed, so their order changes nothing: the cache key is the set of moves (a repeated
    id once), the result names the ids in the order each request sent them. On one track the order is
    the insert chain's (a compressor before an EQ is not the EQ before it), so it is a preview of its own."""
    advice = _advice(ports, _session(ports))
    high_pass = next(s for s in advice if s["type"] == "high_pass" and s["target"]["track_id"] == "v")
    quieter_bass = _move(ports, high_pass, suggestion_id="sug_bass_down", track_id="b", gain_db=-3.0)
    submit_session_preview(
        ports, owner="alice", session_id="s", suggestion_ids=[high_pass["id"], quieter_bass]
    )
    first = ports.jobs.load_json(ports.jobs.job(run_queued_preview(ports)).result_key)  # type: ignore[union-attr]
    assert first is not None and first["suggestion_ids"] == [high_pass["id"], quieter_bass]
    assert first["track_ids"] == ["b", "v"]
    again = submit_session_preview(
        ports, owner="alice", session_id="s", suggestion_ids=[quieter_bass, high_pass["id"], quieter_bass]
    )
    assert again.status is JobStatus.DONE and again.cached
    assert len(ports.queue.named("preview")) == 1  # type: ignore[attr-defined]
    cached = ports.jobs.load_json(again.result_key)
    assert cached is not None and cached["suggestion_ids"] == [quieter_bass, high_pass["id"]]
    assert (
        cached["after"] == first["after"]
        and cached["resolved_by_suggestion"] == first["resolved_by_suggestion"]
    )
    # Two moves on one track: the insert order is part of the preview.
    louder_vocal = _move(ports, high_pass, suggestion_id="sug_vocal_up", track_id="v", gain_db=2.0)
    one = submit_session_preview(
        ports, owner="alice", session_id="s", suggestion_ids=[high_pass["id"], louder_vocal]
    )
    other = submit_session_preview(
        ports, owner="alice", session_id="s", suggestion_ids=[louder_vocal, high_pass["id"]]
    )
    assert ports.jobs.session_input(one.job_id)["key"] != ports.jobs.session_input(other.job_id)["key"]


def test_a_rendered_move_is_measured_once_for_vetting_edits_and_its_preview(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rendered move's analysis is cached by its recipe (the stem's hash, the move's type and
    parameters): a session vetted again after a fader edit measures only the moves the edit changed,
    and the preview of a vetted move measures nothing again. An entry that does not parse is a miss."""
    measured: list[str] = []
    real = moved.analyze

    def counting(source: Any, **kw: Any) -> Any:
        measured.append(kw["name"])
        return real(source, **kw)

    monkeypatch.setattr("service.moved.analyze", counting)
    lives = record_puts(ports)
    first = _advice(ports, _session(ports))
    vetted = [s for s in first if "verified" in s["evidence"]]
    assert len(measured) >= len(vetted) > 0
    moved_lives = {ttl for key, ttl in lives if key.startswith("moved:")}
    assert moved_lives == {ports.settings.moved_ttl_s}  # kept while the session is worked on, not a month
    assert {ttl for key, ttl in lives if not key.startswith("moved:")} == {None}  # the cache's own
    recipes = {(s["target"]["track_id"], s["type"], repr(sorted(s["parameters"].items()))) for s in first}

    count = len(measured)
    edited = _advice(ports, _session(ports, bass_db=-6.0))  # another mix: vetted again...
    assert any("verified" in s["evidence"] for s in edited)
    recipe = {
        s["id"]: (s["target"]["track_id"], s["type"], repr(sorted(s["parameters"].items()))) for s in edited
    }
    kept = [s for s in edited if "verified" in s["evidence"] and recipe[s["id"]] in recipes]
    changed = [s for s in edited if "verified" in s["evidence"] and recipe[s["id"]] not in recipes]
    assert kept and len(measured) - count == len(changed)  # ...measuring only what the edit changed

    high_pass = next(s for s in edited if s["type"] == "high_pass" and s["target"]["track_id"] == "v")
    count = len(measured)
    submit_preview(ports, owner="alice", suggestion_id=high_pass["id"])
    preview = ports.jobs.load_json(ports.jobs.job(run_queued_preview(ports)).result_key)  # type: ignore[union-attr]
    assert (
        len(measured) == count and preview is not None and preview["resolved"] is True
    )  # vetting's measures

    sha = next(t["sha256"] for t in ports.jobs.owned_session("alice", "s")["tracks"] if t["track_id"] == "v")
    key = moved_key(sha, "v", (suggestion_from_dict(high_pass),))
    assert ports.cache.load(key) is not None
    ports.cache.put(key, {"name": "v"})  # of another shape: measured again, and overwritten
    again = moved.moved_analysis(
        ports, sha256=sha, name="v", moves=(suggestion_from_dict(high_pass),),
        rendered=lambda: preview_decode(ports, sha),
    )  # fmt: skip
    assert len(measured) == count + 1 and again.name == "v"
    assert ports.cache.load(key) == again.to_dict()


def test_a_session_job_run_again_after_a_crash_in_vetting_measures_only_what_it_had_not(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker dies (here: a transient error) after measuring one move; the job run again (what
    a redelivered message does) finds that move's measures cached and measures only the others."""
    measured: list[str] = []
    real = moved.analyze

    def dying_after_one(source: Any, **kw: Any) -> Any:
        if measured:
            raise ConnectionError("worker lost mid-vetting")
        measured.append(kw["name"])
        return real(source, **kw)

    monkeypatch.setattr("service.moved.analyze", dying_after_one)
    with pytest.raises(ConnectionError):
        _session(ports, bass_db=-3.0)
    (session_job_id, _), *_ = reversed(ports.queue.named("analyze_session"))  # type: ignore[attr-defined]
    again: list[str] = []

    def counting(source: Any, **kw: Any) -> Any:
        again.append(kw["name"])
        return real(source, **kw)

    monkeypatch.setattr("service.moved.analyze", counting)
    assert run_session_job(ports, job_id=session_job_id)["status"] == "done"
    vetted = [s for s in _advice(ports, session_job_id) if "verified" in s["evidence"]]
    assert len(vetted) >= 2 and len(again) == len(vetted) - 1  # the one measured before the crash is not


def test_a_session_analysed_again_unchanged_runs_neither_the_step_nor_vetting(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vetted advice is stored under its inputs (session_job.advice_key): the same document,
    analyses and context find it before the session step runs; a fader edit is another input."""
    steps: list[int] = []
    real = session_job.step

    def counting(*args: Any, **kw: Any) -> Any:
        steps.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(session_job, "step", counting)
    first = _advice(ports, _session(ports))
    assert len(steps) == 1
    again = _advice(ports, _session(ports))
    assert len(steps) == 1 and again == first  # the same advice, read back
    edited = _advice(ports, _session(ports, bass_db=-6.0))
    assert len(steps) == 2 and edited != first


def test_a_track_job_reads_as_done_only_once_its_suggestions_are_stored(
    ports: Ports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client polling GET /api/v1/jobs/<id> reads the status and the stored suggestions: they were
    stored after the status turned done, and a poll between the two saw none."""
    seen: list[int] = []
    finish = ports.jobs.finish_job

    def finishing(job_id: str, **changes: Any) -> Any:
        seen.append(len(ports.jobs.track_suggestions(job_id)))  # what a poll right after would read
        return finish(job_id, **changes)

    monkeypatch.setattr(ports.jobs, "finish_job", finishing)
    found = typed_track(ports, rumbling_vocal(seconds=3.0), "vocals")
    assert found and seen == [len(found)]
