"""Bad input over REST and the command line: every hostile file or request gets a 4xx or a per-file
error naming the problem, the process keeps serving, and the good file in the same batch finishes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, auth, wav_bytes
from tests.resilience.calls import get, submit, upload, wait_batch
from tests.resilience.corpus import build_corpus
from tests.resilience.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(make_stack) -> Stack:
    stack: Stack = make_stack(max_files_per_batch=32, max_tracks_per_session=4, max_file_bytes=3_000_000)
    stack.start_worker("w1", concurrency=2)
    return stack


@pytest.fixture(scope="module")
def url(stack: Stack) -> str:
    return stack.start_api()


@pytest.fixture(scope="module")
def corpus(stack: Stack) -> dict[str, tuple[bytes, set[str]]]:
    return build_corpus(max_duration_s=stack.settings.max_duration_s)


def test_each_bad_file_fails_its_own_job_and_the_good_one_finishes(url: str, corpus) -> None:
    files = [(name, data) for name, (data, _) in corpus.items()] + [("good.wav", wav_bytes(seed=61))]
    batch = submit(url, files)
    final = wait_batch(url, batch["batch_id"])
    by_name = {j["name"]: j for j in final["jobs"]}
    assert by_name["good.wav"]["status"] == "done"
    for name, (_, codes) in corpus.items():
        job = by_name[name]
        assert job["status"] == "failed", (name, job)
        assert job["error"]["code"] in codes, (name, job["error"])
        assert len(job["error"]["message"]) > 10, job["error"]
    assert requests.get(f"{url}/health", timeout=5).json()["workers"] >= 1  # the worker survived them all


def test_the_command_line_reports_each_bad_file_and_goes_on(tmp_path: Path, corpus) -> None:
    paths = []
    for name, (data, _) in corpus.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    (tmp_path / "good.wav").write_bytes(wav_bytes(seed=62))
    paths.append(str(tmp_path / "good.wav"))
    run = subprocess.run([sys.executable, "-m", "core", "analyze", "--json", *paths], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["file"] for line in lines] == paths
    for line, (name, (_, codes)) in zip(lines, corpus.items(), strict=False):
        assert line["error"]["code"] in codes, (name, line)
    assert "analysis" in lines[-1]
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("body", "status", "mentions"),
    [
        (b'{"tracks": [', 400, "not valid JSON"),
        (b'{"tracks": [], "bpm": NaN}', 400, "not valid JSON"),
        (b'{"tracks": "kick"}', 422, "$.tracks"),
        (b'{"tracks": [], "bpm": "fast"}', 422, "$.bpm"),
        (b'{"tracks": [], "colour": "red"}', 422, "colour"),
        (b'[1, 2, 3]', 422, "$"),
        (json.dumps({"tracks": [{"track_id": f"t{i}", "sha256": "0" * 64} for i in range(1000)]}).encode(),
         413, "at most 4"),
        (json.dumps({"tracks": [{"track_id": f"t{i}", "sha256": "0" * 64} for i in range(5000)]}).encode(),
         422, "$.tracks: 5000 items; at most 1024"),
        (b'{"tracks": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "nested more than 32 levels"),
        (json.dumps({"tracks": []}).encode("utf-16"), 400, "not UTF-8"),
        (json.dumps({"tracks": [], "genre": "x" * 100_000}).encode(), 422, "$.genre"),
        (json.dumps({"tracks": [{"track_id": "../../etc", "sha256": "0" * 64}]}).encode(), 422, "track_id"),
    ],
)  # fmt: skip
def test_bad_session_documents_get_a_4xx_naming_the_problem(
    url: str, body: bytes, status: int, mentions: str
):
    r = requests.put(f"{url}/api/v1/sessions/s1", data=body, timeout=10,
                     headers={**auth(), "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == status, r.text
    assert mentions in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("form", "status", "mentions"),
    [
        ({"track_types": "[kick"}, 400, "track_types"),
        ({"track_types": '"kick"'}, 422, "$"),
        ({"track_types": json.dumps(["kick"] * 1000)}, 422, "track_types has 1000 entries for 1 files"),
        ({"track_types": json.dumps(["kick"] * 100_000)}, 413, "form field"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_upload_forms_get_a_4xx(url: str, form: dict[str, str], status: int, mentions: str) -> None:
    r = upload(url, [("a.wav", wav_bytes(seconds=0.5, seed=63))], **form)
    assert r.status_code == status, r.text
    assert mentions in r.json()["error"]["message"]


def test_hostile_file_names_never_reach_the_file_system(url: str, stack: Stack) -> None:
    names = ["../../etc/passwd", "/etc/passwd", "C:\\x\\..\\boot.ini", "..", "a\x00b\x1b[31m.wav",
             "🎛️ mix — final.wav", "\u202eevil.wav", "x" * 1000 + ".wav"]  # fmt: skip
    files = [(n, wav_bytes(seconds=0.2, seed=64 + i)) for i, n in enumerate(names)]
    batch = submit(url, files)
    shown = [j["name"] for j in batch["jobs"]]
    # (Werkzeug reads a backslash in a multipart filename as an escape: "C:x..boot.ini" arrives.)
    assert shown[:2] == ["passwd", "passwd"] and shown[2] in ("boot.ini", "C:x..boot.ini")
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in shown), shown
    assert all(ch.isprintable() for n in shown for ch in n), shown
    assert shown[5] == "🎛️ mix — final.wav" and len(shown[7]) <= 200
    # Every stored file is <blob dir>/<2 hex>/<64 hex>: names chose no path.
    data_dir = stack.settings.data_dir
    stored = [p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file()]
    assert stored and all(p.parts[0] == "blobs" and len(p.parts) == 3 and len(p.name) == 64 for p in stored)
    assert get(url, f"/api/v1/batches/{batch['batch_id']}")["total"] == len(names)


def test_limits_answer_413_with_a_clear_message(url: str, stack: Stack) -> None:
    r = upload(url, [(f"f{i}.wav", b"RIFF") for i in range(33)])
    assert r.status_code == 413 and "at most 32" in r.json()["error"]["message"]
    limit = stack.settings.max_file_bytes
    r = requests.post(f"{url}/api/v1/blobs", headers=auth(), timeout=60,
                      files={"file": ("big.wav", b"\0" * (limit + 1))})  # fmt: skip
    assert r.status_code == 413 and str(limit) in r.json()["error"]["message"]
