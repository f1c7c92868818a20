"""The import rules of STYLE.md, checked in fresh interpreters and by reading the source."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY_OR_SERVICE = ("flask", "celery", "redis", "socketio", "engineio", "kombu", "librosa", "scipy.signal")


def loaded_after(code: str, **env: str) -> set[str]:
    """The modules loaded by running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def offenders(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == b or m.startswith(b + ".") for b in banned))


def core_modules() -> list[str]:
    return sorted(
        "core." + ".".join(p.relative_to(ROOT / "core").with_suffix("").parts)
        for p in (ROOT / "core").rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )


@pytest.mark.parametrize(
    "target", ["core", "core.analysis", "core.messages", "core.cache", "core.session_summary"]
)
def test_core_loads_no_service_or_heavy_library(target: str) -> None:
    assert offenders(loaded_after(f"import {target}"), HEAVY_OR_SERVICE) == []


def test_no_core_module_loads_a_service_library() -> None:
    imports = "\n".join(f"import {m}" for m in core_modules())
    assert (
        offenders(loaded_after(imports), ("flask", "celery", "redis", "socketio", "engineio", "kombu")) == []
    )


def test_the_worker_never_loads_flask() -> None:
    code = "import worker.celery_app, worker.client, worker.tasks, worker.jobs"
    modules = loaded_after(code, REDIS_URL="redis://127.0.0.1:1/0")
    assert offenders(modules, ("flask", "flask_socketio", "werkzeug", "api")) == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in (ROOT / d).rglob("*.py")]


def test_nothing_imports_api() -> None:
    outside = [p for p in ROOT.glob("*.py")] + _sources("core", "worker", "scripts", "bench")
    bad = [
        str(p.relative_to(ROOT))
        for p in outside
        if any(n == "api" or n.startswith("api.") for n in _imports(p))
    ]
    assert bad == []


def _environment_reads(path: Path) -> list[int]:
    """Lines reading configuration from the environment: os.getenv, os.environ.get, os.environ[...]."""

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        getenv = isinstance(node, ast.Attribute) and node.attr == "getenv"
        get = isinstance(node, ast.Attribute) and node.attr == "get" and is_environ(node.value)
        item = isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load)
        if getenv or get or item:
            lines.append(node.lineno)
    return lines


def test_only_config_reads_the_environment() -> None:
    bad = [
        f"{p.relative_to(ROOT)}:{n}" for p in _sources("core", "worker", "api") for n in _environment_reads(p)
    ]
    assert bad == []


def test_no_pickle_anywhere() -> None:
    bad = [str(p.relative_to(ROOT)) for p in _sources("core", "worker", "api") if "pickle" in _imports(p)]
    assert bad == []
