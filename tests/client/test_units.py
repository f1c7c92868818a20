"""The client's pure parts: file collection, the summary rows and table, job tracking, progress bars."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from client.files import NoAudioFiles, collect_audio
from client.progress import ProgressView, bar
from client.session_cli import report
from client.summary import Row, row_from_result, table, top_issue
from client.tracker import Tracker


def result(*, lufs: float | None = -14.2, issues: list[dict[str, object]] | None = None) -> dict[str, object]:
    """The parts of a TrackAnalysis dict (core.results) the client reads."""
    return {
        "loudness": {"integrated_lufs": lufs, "true_peak_dbtp": -1.5, "range_lu": 6.25},
        "rhythm": {"tempo_bpm": 120.0},
        "tonal": {"key": "A minor"},
        "quality": {"score": 72, "issues": issues or []},
    }


def test_collect_audio_walks_folders_and_keeps_named_files(tmp_path: Path) -> None:
    (tmp_path / "stems" / "drums").mkdir(parents=True)
    for name in ("stems/b.WAV", "stems/a.flac", "stems/drums/kick.aiff", "stems/notes.txt", "solo.mp3"):
        (tmp_path / name).write_bytes(b"x")
    found = collect_audio([tmp_path / "stems", tmp_path / "solo.mp3", tmp_path / "stems" / "a.flac"])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["stems/a.flac", "stems/b.WAV", "stems/drums/kick.aiff", "solo.mp3"]


def test_collect_audio_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        collect_audio([tmp_path / "nope"])
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(NoAudioFiles, match=str(tmp_path)):
        collect_audio([tmp_path])


def test_top_issue_is_the_most_severe_first_listed() -> None:
    issues = [
        {"code": "a", "severity": "info", "message": "A"},
        {"code": "b", "severity": "warning", "message": "B"},
        {"code": "c", "severity": "critical", "message": "C"},
        {"code": "d", "severity": "critical", "message": "D"},
    ]
    assert top_issue(issues) == {"code": "c", "severity": "critical", "message": "C"}
    assert top_issue([]) is None


def test_row_and_table() -> None:
    issue = {"code": "clipping", "severity": "critical", "message": "Clipped samples."}
    rows = [
        row_from_result("kick.wav", result(issues=[issue]), job_id="j1"),
        row_from_result("silence.wav", result(lufs=None)),
        Row("broken.wav", "failed", "j3", error={"code": "unsupported_format", "message": "not audio"}),
    ]
    assert rows[0].integrated_lufs == -14.2 and rows[0].score == 72 and rows[0].top_issue == issue
    text = table(rows).splitlines()
    assert text[0].split() == ["name", "LUFS", "dBTP", "LRA", "tempo", "key", "score", "top", "issue"]
    assert "-14.2" in text[2] and "-1.5" in text[2] and "6.2" in text[2] and "120.0" in text[2]
    assert "critical: Clipped samples." in text[2]
    assert "—" in text[3]  # silence: no loudness
    assert "FAILED: not audio" in text[4]


def test_json_line_is_strict_json() -> None:
    row = row_from_result("kick.wav", result(lufs=None), job_id="j1")
    data = json.loads(row.to_json())
    assert data["name"] == "kick.wav" and data["status"] == "done" and data["integrated_lufs"] is None
    assert set(data) >= {"true_peak_dbtp", "range_lu", "tempo_bpm", "key", "score", "top_issue", "error"}


def test_tracker_applies_events_and_never_moves_finished_jobs_back() -> None:
    tracker = Tracker()
    tracker.add_batch(
        {"batch_id": "b1", "jobs": [
            {"job_id": "j1", "name": "a.wav", "cached": False},
            {"job_id": "j2", "name": "b.wav", "cached": True},
        ]}
    )  # fmt: skip
    assert not tracker.finished
    tracker.apply_event("job.progress", {"job_id": "j1", "progress": 0.5, "stage": "loudness"})
    assert [(j.status, j.progress) for j in tracker.snapshot()] == [("running", 0.5), ("done", 1.0)]
    tracker.apply_event("job.done", {"job_id": "j1", "result": result()})
    tracker.apply_event("job.progress", {"job_id": "j1", "progress": 0.7, "stage": "late"})  # stale
    assert tracker.finished
    assert tracker.snapshot()[0].stage == "done"
    assert tracker.missing_results() == ["j2"]  # cached on arrival: the result comes from GET /jobs
    tracker.apply_snapshot(
        {"job_id": "j2", "status": "done", "progress": 1.0, "stage": "done", "result": result()}
    )
    assert tracker.missing_results() == []
    tracker.apply_event("job.failed", {"job_id": "unknown", "error": {}})  # other people's jobs: ignored


def test_progress_without_a_terminal_prints_one_line_per_change() -> None:
    assert bar(0.5, width=10) == "[#####-----]"
    assert bar(2.0, width=4) == "[####]"
    tracker = Tracker()
    tracker.add_batch({"batch_id": "b", "jobs": [{"job_id": "j", "name": "kick.wav"}]})
    out = io.StringIO()
    view = ProgressView(out)
    view.draw(tracker.snapshot())
    view.draw(tracker.snapshot())
    tracker.apply_event("job.failed", {"job_id": "j", "error": {"code": "x", "message": "not audio"}})
    view.draw(tracker.snapshot())
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "queued" in lines[0] and "FAILED: not audio" in lines[1]


def test_the_client_speaks_only_http() -> None:
    """client/ is a consumer of the public API: it imports none of the server's packages."""
    import ast

    root = Path(__file__).resolve().parents[2] / "client"
    server = ("api", "core", "worker", "config", "scripts")
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad = [n for n in names if n.split(".")[0] in server]
            assert not bad, f"{path.name} imports {bad}"


def test_track_types_are_guessed_from_file_names_with_the_servers_hints() -> None:
    from client.tracktypes import guess_type
    from service.catalog import ui_config

    hints = ui_config()["type_hints"]
    names = ["01_kick.ogg", "02 Snare.wav", "03_hats.flac", "04_bass.ogg", "05_keys.ogg", "Lead Vox.wav",
             "BGV double.wav", "Mixdown v3.wav", "take 7.wav"]  # fmt: skip
    assert [guess_type(n, hints) for n in names] == [
        "kick", "snare", "drums", "bass", "keys", "vocals", "backing_vocals", "mix_bus", "",
    ]  # fmt: skip


def test_the_session_headline_says_where_its_genre_came_from() -> None:
    """'default' and 'style' are codes; the headline says what they mean."""

    def head(source: str, confidence: float = 0.9) -> str:
        analysis = {"bpm": 120.0, "bpm_source": "declared", "genre_used": "Pop", "genre_source": source,
                    "genre": {"genre": "Pop", "confidence": confidence}}  # fmt: skip
        summary = {"analysed": 1, "track_count": 1}
        job = {"result": {"session_id": "s", "summary": summary, "session_analysis": analysis}}
        return report(job, {}).splitlines()[0]

    assert "genre Pop (the default; no genre detected with confidence)" in head("default")
    assert "genre Pop (your usual genre; none detected with confidence)" in head("style")
    assert "genre Pop (detected)" in head("detected") and "genre Pop (declared)" in head("declared")
    assert "genre Pop (detected with confidence 0.30; --genre sets it)" in head("detected", 0.302)
