"""python -m core: JSON lines in input order, per-file errors, exit codes, text, progress on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

import core.__main__ as cli
from tests.core.mixes import SR, clean_mix, dc_offset

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _strict(text: str) -> object:
    def refuse(name: str) -> object:
        raise ValueError(f"non-finite number {name} in JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    y = clean_mix(duration_s=10.0)
    paths = {
        "good": d / "good.wav",
        "dc": d / "dc.flac",
        "corrupt": d / "corrupt.wav",
        "empty": d / "empty.wav",
    }
    sf.write(paths["good"], y.T, SR, subtype="PCM_16")
    sf.write(paths["dc"], dc_offset(y)[0], SR, subtype="PCM_24")  # mono FLAC with a DC offset
    good_bytes = paths["good"].read_bytes()
    paths["corrupt"].write_bytes(good_bytes[:12] + b"\x00garbage" * 50)
    paths["empty"].write_bytes(b"")
    return paths


def test_json_lines_one_per_file_in_order_and_exit_1_on_a_bad_file(files: dict[str, Path]) -> None:
    order = [files["good"], files["corrupt"], files["dc"], files["empty"]]
    proc = run_cli("analyze", "--json", *map(str, order))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(order)
    objs = [_strict(line) for line in lines]
    assert [o["file"] for o in objs] == [str(p) for p in order]  # type: ignore[index]
    good, corrupt, dc, empty = objs
    assert corrupt["error"]["code"] == "corrupt_audio" and corrupt["error"]["message"]  # type: ignore[index]
    assert empty["error"]["code"] == "empty_audio"  # type: ignore[index]
    assert "error" not in good and "error" not in dc  # type: ignore[operator]
    assert good["analysis"]["audio"]["channels"] == 2  # type: ignore[index]
    assert good["analysis"]["quality"]["issues"] == []  # type: ignore[index]
    assert dc["analysis"]["audio"]["channels"] == 1  # type: ignore[index]
    assert "dc_offset" in [i["code"] for i in dc["analysis"]["quality"]["issues"]]  # type: ignore[index]
    assert "internal_error" not in proc.stdout and "Traceback" not in proc.stderr


def test_all_good_exits_0(files: dict[str, Path]) -> None:
    proc = run_cli("analyze", "--json", str(files["good"]))
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert _strict(line)["analysis"]["name"] == "good.wav"  # type: ignore[index]


def test_text_summary_names_levels_tempo_key_bands_and_issues(files: dict[str, Path]) -> None:
    proc = run_cli("analyze", str(files["dc"]), str(files["corrupt"]))
    assert proc.returncode == 1
    out = proc.stdout
    for needle in ("LUFS", "dBTP", "LRA", "Tempo", "Key", "low_mid", "Quality", "dc_offset", "fix:"):
        assert needle in out, needle
    assert "corrupt.wav: error [corrupt_audio]" in out
    assert out.index("dc.flac") < out.index("corrupt.wav")


def test_progress_goes_to_stderr_only(files: dict[str, Path]) -> None:
    proc = run_cli("analyze", "--json", "--progress", str(files["good"]), str(files["dc"]))
    assert proc.returncode == 0
    assert "[#" in proc.stderr and "2/2" in proc.stderr  # (text mode turns its \r into \n)
    assert all(line.startswith('{"file":') for line in proc.stdout.splitlines())
    assert len(proc.stdout.splitlines()) == 2


def test_usage_errors_exit_2() -> None:
    assert run_cli().returncode == 2
    assert run_cli("analyze").returncode == 2
    assert run_cli("frobnicate", "x.wav").returncode == 2


def test_compare_json_and_a_missing_file(files: dict[str, Path], tmp_path: Path) -> None:
    proc = run_cli("compare", "--json", str(files["good"]), str(files["good"]))
    assert proc.returncode == 0, proc.stderr
    obj = _strict(proc.stdout)
    assert obj["comparison"]["similarity"] == 1.0  # type: ignore[index]
    missing = run_cli("compare", "--json", str(files["good"]), str(tmp_path / "missing.wav"))
    assert missing.returncode == 1
    (line,) = missing.stdout.splitlines()
    assert _strict(line)["error"]["code"] == "invalid_audio"  # type: ignore[index]
    text = run_cli("compare", str(files["good"]), str(files["dc"]))
    assert text.returncode == 0 and "Similarity" in text.stdout and "B - A" in text.stdout


def test_an_unexpected_exception_is_reported_as_internal_error_and_the_rest_continue(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = cli.analyze

    def flaky(source: object, **kwargs: object) -> object:
        if str(source).endswith("dc.flac"):
            raise ZeroDivisionError("boom")
        return real(source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "analyze", flaky)
    code = cli.main(["analyze", "--json", "--no-progress", str(files["dc"]), str(files["good"])])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_FAILED
    first, second = (_strict(line) for line in out.splitlines())
    assert first["error"] == {"code": "internal_error", "message": "ZeroDivisionError: boom"}  # type: ignore[index]
    assert "analysis" in second  # type: ignore[operator]
    assert "Traceback" in err and "ZeroDivisionError" in err


def test_a_directory_is_a_per_file_error_not_a_crash(tmp_path: Path) -> None:
    proc = run_cli("analyze", "--json", str(tmp_path))
    assert proc.returncode == 1
    error = _strict(proc.stdout)["error"]  # type: ignore[index]
    assert error["code"] == "invalid_audio" and "not a regular file" in error["message"]
