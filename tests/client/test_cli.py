"""`python -m client analyze` against the real stack (Redis, two Celery workers, the API process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, TOKENS, wav_bytes

pytestmark = pytest.mark.integration
TIMEOUT_S = 180


def run_client(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "client", "analyze", *args, "--timeout", "120"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


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


def test_bad_token_and_missing_path_exit_2(stems: Path, api_url: str) -> None:
    done = run_client(str(stems), "--url", api_url, "--token", "not-a-token")
    assert done.returncode == 2 and "unauthorized" in done.stderr
    done = run_client(str(stems / "missing"), "--url", api_url, "--token", TOKENS["alice"])
    assert done.returncode == 2 and "no such file or folder" in done.stderr
