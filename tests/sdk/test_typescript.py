"""The TypeScript SDK (sdk/typescript): its own unit tests and strict type-check, its generated types
against the served OpenAPI document, and its integration test in Node against the real stack.

Skipped, with the reason, only where node or npm is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.client.test_direct_upload import s3, s3_api  # noqa: F401 (fixtures: SeaweedFS and an API on it)
from tests.conftest import ROOT, TOKENS, wav_bytes

pytestmark = [pytest.mark.integration]

SDK = ROOT / "sdk" / "typescript"
NPM = shutil.which("npm")
NODE = shutil.which("node")

if NPM is None or NODE is None:
    pytest.skip(
        "node and npm are needed for the TypeScript SDK (apt-get install nodejs npm)", allow_module_level=True
    )


def _run(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    done = subprocess.run(
        list(args),
        cwd=SDK,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def sdk() -> Path:
    """`npm ci` once (the lock file pins every package), unless node_modules matches the lock already."""
    stamp = SDK / "node_modules" / ".codette-lock"
    lock = (SDK / "package-lock.json").read_text()
    if not stamp.exists() or stamp.read_text() != lock:
        _run(str(NPM), "ci", "--no-audit", "--no-fund", timeout=600)
        stamp.write_text(lock)
    return SDK


def test_generated_types_match_the_served_openapi(sdk: Path, api_url: str, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {TOKENS['alice']}"}
    served = requests.get(f"{api_url}/api/v1/openapi.json", headers=headers, timeout=10)
    assert served.status_code == 200, served.text
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(served.json()))
    committed = (sdk / "src" / "generated" / "openapi.ts").read_text()
    try:
        _run(str(NODE), "scripts/gen-types.mjs", str(doc))
        regenerated = (sdk / "src" / "generated" / "openapi.ts").read_text()
    finally:
        (sdk / "src" / "generated" / "openapi.ts").write_text(committed)
    assert regenerated == committed, (
        "sdk/typescript/src/generated/openapi.ts is stale: run `npm run gen` in sdk/typescript"
    )


def test_unit_tests_and_strict_type_check(sdk: Path) -> None:
    out = _run(str(NPM), "test")
    assert "# fail 0" in out


def test_integration_against_the_real_stack(
    sdk: Path, api_url: str, workers: list[str], tmp_path: Path
) -> None:
    for i, seed in enumerate((9101, 9102)):
        (tmp_path / f"pair-{i}.wav").write_bytes(wav_bytes(seconds=3.0, seed=seed))
    for i in range(4):
        (tmp_path / f"batch-{i}.wav").write_bytes(wav_bytes(seconds=6.0, seed=9200 + i))
    env = {"CODETTE_URL": api_url, "CODETTE_TOKEN": TOKENS["alice"], "CODETTE_STEMS": str(tmp_path)}
    out = _run(str(NPM), "run", "test:integration", env=env, timeout=400)
    assert "# pass 5" in out and "# fail 0" in out and "# skipped 0" in out


def test_the_readme_example_works_as_written(
    sdk: Path, api_url: str, workers: list[str], tmp_path: Path
) -> None:
    """The README's example, compiled strictly against the built package and run on two real stems."""
    readme = (sdk / "README.md").read_text()
    example = re.search(r"```ts\n(.*?)```", readme, re.S)
    assert example is not None, "no ```ts example in sdk/typescript/README.md"
    code = example.group(1)
    assert len(code.strip().splitlines()) <= 20
    check = sdk / ".readme-check"  # inside the package, so `@codette/client` resolves to itself
    shutil.rmtree(check, ignore_errors=True)
    check.mkdir()
    try:
        (check / "example.ts").write_text(code.replace("http://127.0.0.1:5000", api_url))
        _run(str(NPM), "run", "build")
        strict = ["--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022"]
        where = ["--rootDir", str(check), "--outDir", str(check / "out")]
        _run(str(NPM), "exec", "--", "tsc", *strict, "--types", "node", "--skipLibCheck", *where,
             str(check / "example.ts"))  # fmt: skip
        for name, seed in (("kick.wav", 9301), ("bass.wav", 9302)):
            (tmp_path / name).write_bytes(wav_bytes(seconds=2.0, seed=seed))
        done = subprocess.run(
            [str(NODE), str(check / "out" / "example.js")], cwd=tmp_path, capture_output=True, text=True,
            timeout=300, env={**os.environ, "CODETTE_TOKEN": TOKENS["alice"]},
        )  # fmt: skip
    finally:
        shutil.rmtree(check, ignore_errors=True)
    assert done.returncode == 0 and not done.stderr, done.stdout + done.stderr
    assert done.stdout.count("LUFS") == 2 and "2 sent, 0 already on the server" in done.stdout, done.stdout


def test_a_file_over_the_limit_is_refused_by_name_on_a_direct_upload(
    sdk: Path,
    s3_api: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    """Against an API on S3 (direct uploads announce only a hash and a size), the 413 names the file."""
    big = tmp_path / "whole album.wav"
    with open(big, "wb") as f:
        f.truncate((64 << 20) + 1)
    _run(str(NPM), "run", "build")
    script = tmp_path / "refused.mjs"
    script.write_text(
        f"import {{ Codette }} from {json.dumps(str(sdk / 'dist' / 'src' / 'index.js'))};\n"
        f"const codette = new Codette({json.dumps({'url': s3_api, 'token': TOKENS['alice']})});\n"
        f"await codette.submit([{json.dumps(str(big))}]).then(\n"
        "  () => console.log(JSON.stringify({ ok: true })),\n"
        "  (e) => console.log(JSON.stringify({ status: e.status, code: e.code, message: e.message })),\n"
        ");\n"
    )
    done = subprocess.run([str(NODE), str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    error = json.loads(done.stdout)
    assert error["status"] == 413 and error["code"] == "file_too_large", error
    assert error["message"].startswith("whole album.wav: "), error
