"""`python -m client analyze` against the real stack (Redis, two Celery workers, the API process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from client.session_cli import safe_id, session_doc
from core.render import RENDERABLE_TYPES
from tests.conftest import ROOT, TOKENS, wav_bytes

pytestmark = pytest.mark.integration
TIMEOUT_S = 180


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m client ARGS`` from the checkout, its output captured."""
    cmd = [sys.executable, "-m", "client", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def run_client(*args: str) -> subprocess.CompletedProcess[str]:
    return cli("analyze", *args, "--timeout", "120")


@pytest.fixture
def stems(tmp_path: Path) -> Path:
    """A folder of two synthesized stems (content unique to this module) and a text file."""
    folder = tmp_path / "stems"
    (folder / "sub").mkdir(parents=True)
    (folder / "01 lead.wav").write_bytes(wav_bytes(seconds=2.0, seed=7101))
    (folder / "sub" / "02 pad.wav").write_bytes(wav_bytes(seconds=2.0, seed=7102))
    (folder / "notes.txt").write_text("not uploaded")
    return folder


def test_analyze_folder_live_prints_table(stems: Path, api_url: str, workers: list[str]) -> None:
    done = run_client(str(stems), "--url", api_url, "--token", TOKENS["alice"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["name", "LUFS", "dBTP"]
    assert [line.split()[0] for line in lines[2:]] == ["01", "02"]
    assert "live progress over Socket.IO" in done.stderr
    assert "01 lead.wav" in done.stderr and "100%" in done.stderr


def test_analyze_json_lines_and_failure_exit(stems: Path, api_url: str, workers: list[str]) -> None:
    (stems / "broken.wav").write_bytes(b"this is not audio")
    token_file = stems.parent / "token"
    token_file.write_text(TOKENS["alice"] + "\n")
    done = run_client(str(stems), "--url", api_url, "--token-file", str(token_file), "--json", "--no-live")
    assert done.returncode == 1, done.stderr
    rows = {r["name"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == {"01 lead.wav", "02 pad.wav", "broken.wav"}
    assert rows["broken.wav"]["status"] == "failed"
    assert rows["broken.wav"]["error"]["code"] == "unsupported_format"
    for name in ("01 lead.wav", "02 pad.wav"):
        row = rows[name]
        assert row["status"] == "done" and isinstance(row["integrated_lufs"], float)
        assert isinstance(row["score"], int) and row["true_peak_dbtp"] < 0
    assert "polling for progress over REST" in done.stderr


def test_files_of_the_same_name_in_several_folders_are_told_apart(
    api_url: str, workers: list[str], tmp_path: Path
) -> None:
    """A folder of sessions holds a 01_kick.wav in each: the summary names each by its folder."""
    for i, song in enumerate(("song a", "song b")):
        (tmp_path / "sessions" / song).mkdir(parents=True)
        (tmp_path / "sessions" / song / "01_kick.wav").write_bytes(wav_bytes(seconds=2.0, seed=7111 + i))
    done = run_client(str(tmp_path / "sessions"), "--url", api_url, "--token", TOKENS["alice"], "--json")
    assert done.returncode == 0, done.stderr
    names = [json.loads(line)["name"] for line in done.stdout.splitlines()]
    assert names == ["song a/01_kick.wav", "song b/01_kick.wav"]


def test_bad_token_and_missing_path_exit_2(stems: Path, api_url: str) -> None:
    done = run_client(str(stems), "--url", api_url, "--token", "not-a-token")
    assert done.returncode == 2 and "unauthorized" in done.stderr
    done = run_client(str(stems / "missing"), "--url", api_url, "--token", TOKENS["alice"])
    assert done.returncode == 2 and "no such file or folder" in done.stderr


def song(folder: Path, names: tuple[str, ...], *, seed: int) -> Path:
    """A folder of 3 s synthesized stems with these file names (content from ``seed`` on)."""
    folder.mkdir()
    for i, name in enumerate(names):
        (folder / name).write_bytes(wav_bytes(seconds=3.0, seed=seed + i))
    return folder


def run_session(folder: Path, api_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("session", str(folder), "--url", api_url, "--token", TOKENS["alice"], "--timeout", "120",
               *args)  # fmt: skip


def test_session_of_a_folder_prints_mix_issues_and_ranked_moves(
    api_url: str, workers: list[str], tmp_path: Path
) -> None:
    names = ("Kick.wav", "bass DI.wav", "lead vocal.wav", "fx riser.wav")
    folder = song(tmp_path / "My Song (v2)", names, seed=7201)
    done = run_session(folder, api_url, "--bpm", "120")
    assert done.returncode == 0, done.stderr
    head = done.stdout.splitlines()[0]
    assert head.startswith("session My-Song-v2: 4 of 4 tracks analysed; 120 BPM (declared)"), head
    assert "4 file(s) uploaded, 0 already there" in done.stderr
    typed = {"Kick": "kick", "bass-DI": "bass", "lead-vocal": "vocals", "fx-riser": "fx"}
    for track_id, ttype in typed.items():
        assert f"{track_id}: {ttype}" in done.stderr
    assert "suggestion(s), most wrong first:" in done.stdout and " id sug_" in done.stdout

    again = run_session(folder, api_url, "--json", "--limit", "2")
    assert again.returncode == 0, again.stderr
    assert "0 file(s) uploaded, 4 already there" in again.stderr  # an unchanged folder sends no audio
    body = json.loads(again.stdout)
    assert body["session"]["status"] == "done" and body["session"]["session_id"] == "My-Song-v2"
    moves = body["suggestions"]["suggestions"]
    assert 1 <= len(moves) <= 2 and all(m["id"].startswith("sug_") for m in moves)


def run_preview(api_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("preview", *args, "--url", api_url, "--token", TOKENS["alice"], "--timeout", "120")


def test_preview_prints_the_verdict_and_figures_and_saves_the_excerpts(
    api_url: str, workers: list[str], tmp_path: Path
) -> None:
    names = ("kick.wav", "bass.wav", "keys.wav", "lead vocal.wav")
    folder = song(tmp_path / "preview song", names, seed=7301)
    done = run_session(folder, api_url, "--json", "--limit", "20")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["suggestions"]["suggestions"]
    # what core.render can apply (a "back the compressor off" move cannot be rendered)
    moves = [m for m in found if m["type"] in RENDERABLE_TYPES and m["parameters"].get("action") != "reduce"]
    assert len(moves) >= 2, [m["type"] for m in moves]
    first = moves[0]
    shown = run_preview(api_url, first["id"], "--out", str(tmp_path / "listen"))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"preview of {first['id']} on {first['target']['track_id']}: "), lines[0]
    assert any(" -> " in line for line in lines[1:])
    assert any(line.startswith("side effects:") for line in lines)
    saved = sorted((tmp_path / "listen").iterdir())
    assert [p.name.rsplit("-", 1)[1] for p in saved] == ["after.wav", "before.wav"]
    assert all(p.read_bytes()[:4] == b"RIFF" for p in saved)

    both = [m["id"] for m in moves[:2]]
    together = run_preview(api_url, *both, "--session", "preview-song", "--json")
    assert together.returncode == 0, together.stderr
    result = json.loads(together.stdout)["result"]
    assert result["suggestion_ids"] == both and isinstance(result["resolved"], bool)
    alone = run_preview(api_url, *both)
    assert alone.returncode == 2 and "--session" in alone.stderr
    missing = run_preview(api_url, "sug_0000000000000000")
    assert missing.returncode == 2 and "not_found" in missing.stderr

    def feedback(*args: str) -> subprocess.CompletedProcess[str]:
        return cli("feedback", *args, "--url", api_url, "--token", TOKENS["alice"])

    applied = feedback(first["id"], "applied", "--rating", "5")
    assert applied.returncode == 0 and applied.stdout.startswith(f"recorded: applied {first['id']}"), applied
    name = next(n for n, v in first["parameters"].items() if isinstance(v, int | float))
    too_far = feedback(first["id"], "modified", "--set", f"{name}=1e9")  # out of every parameter's range
    assert too_far.returncode == 2 and name in too_far.stderr, too_far.stderr
    garbled = feedback(first["id"], "modified", "--set", "gain_db")
    assert garbled.returncode == 2 and "NAME=NUMBER" in garbled.stderr


def test_session_ids_and_documents_from_file_names(tmp_path: Path) -> None:
    assert safe_id("My Song (v2)", fallback="x") == "My-Song-v2"
    assert safe_id("***", fallback="session") == "session" and len(safe_id("a" * 300, fallback="x")) == 128
    files = [tmp_path / "a b.wav", tmp_path / "a_b.wav", tmp_path / "a b.flac"]
    hashes = ["1" * 64, "2" * 64, "3" * 64]
    doc = session_doc(files, hashes, ["kick", "", "bass"], bpm=None, genre="pop", platform=None)
    assert [t["track_id"] for t in doc["tracks"]] == ["a-b", "a_b", "a-b-3"]
    assert [t["type"] for t in doc["tracks"]] == ["kick", "other", "bass"]
    assert doc["genre"] == "pop" and "bpm" not in doc and "platform" not in doc
