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


@pytest.mark.parametrize("target", ["core", "core.analysis", "core.cache", "core.session_summary"])
def test_core_loads_no_service_or_heavy_library(target: str) -> None:
    assert offenders(loaded_after(f"import {target}"), HEAVY_OR_SERVICE) == []


def test_no_core_module_loads_a_service_library() -> None:
    imports = "\n".join(f"import {m}" for m in core_modules())
    assert (
        offenders(loaded_after(imports), ("flask", "celery", "redis", "socketio", "engineio", "kombu")) == []
    )


def test_the_worker_never_loads_flask() -> None:
    code = "import worker.celery_app, worker.queue, worker.tasks, service.submit, service.track_job"
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


def test_the_service_layer_loads_no_framework() -> None:
    imports = "\n".join(f"import {m}" for m in _package_modules("service"))
    assert (
        offenders(loaded_after(imports), ("flask", "celery", "redis", "socketio", "kombu", "werkzeug")) == []
    )


def test_nothing_imports_api() -> None:
    outside = [p for p in ROOT.glob("*.py")] + _sources(
        "core", "service", "store", "worker", "scripts", "bench"
    )
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
    bad = [f"{p.relative_to(ROOT)}:{n}" for p in _sources(*LAYERS) for n in _environment_reads(p)]
    assert bad == []


def test_no_pickle_anywhere() -> None:
    bad = [str(p.relative_to(ROOT)) for p in _sources(*LAYERS) if "pickle" in _imports(p)]
    assert bad == []


# --- the layer rule (STYLE.md, ../shared/design/middle-layer.md) ------------------------------------

#: Our top-level packages and modules; third-party imports are not ruled here.
OURS = ("config", "core", "service", "store", "worker", "api")
LAYERS = ("core", "service", "store", "worker", "api")

#: What each layer may import of ours (a name allows the module and everything under it).
#: store may import service.model and service.messages besides service.ports: the ports speak in
#: their Job, Batch and Message types.
ALLOWED: dict[str, tuple[str, ...]] = {
    "core": ("core",),
    "service": ("service", "core", "config"),
    "store": ("store", "core", "config", "service.ports", "service.model", "service.messages"),
    "worker": ("worker", "service", "store", "config"),
    "api": ("api", "service", "store.wiring", "worker.queue", "core.errors", "config"),
}
#: core's command line is an entry point: it reads Settings (STYLE.md, convention 7).
ENTRY_POINT_EXTRAS = {"core.__main__": ("config",)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_modules(package: str) -> list[str]:
    return sorted(_module_name(p) for p in (ROOT / package).rglob("*.py"))


def _our_imports(path: Path) -> set[str]:
    return {n for n in _imports(path) if n.split(".")[0] in OURS}


def _within(name: str, allowed: tuple[str, ...]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def test_each_layer_imports_only_what_the_rule_allows() -> None:
    bad = []
    for layer in LAYERS:
        for path in _sources(layer):
            module = _module_name(path)
            allowed = ALLOWED[layer] + ENTRY_POINT_EXTRAS.get(module, ())
            bad += [
                f"{module} -> {name}" for name in sorted(_our_imports(path)) if not _within(name, allowed)
            ]
    assert bad == []


def test_no_import_hides_inside_a_function() -> None:
    """Imports of our own modules sit at the top of the module, never inside a function to dodge a cycle.

    The middle layer and the API; core keeps a few lazy imports of heavy optional modules.
    """
    bad = []
    for path in _sources("service", "store", "worker", "api"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                bad += [f"{_module_name(path)}:{node.lineno} {n}" for n in names if n.split(".")[0] in OURS]
    assert bad == []


def _resolve(name: str, modules: set[str]) -> str | None:
    """The module of ours an import names (``from a.b import c`` names a.b, or a.b.c when that exists)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in _sources(*LAYERS)} | {"config": ROOT / "config.py"}
    modules = set(paths)
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        edges = set()
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                found = _resolve(target, modules)
                if found is not None and found != module:
                    edges.add(found)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as a list of modules, or [] when it is acyclic (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_find_cycle_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_import_graph_is_acyclic() -> None:
    """Package __init__ re-exports count: ``from core.session import x`` depends on core.session."""
    assert find_cycle(import_graph()) == []


def test_worker_holds_only_celery_code() -> None:
    """No Redis key, no store class, no service logic in worker/: the modules the design names."""
    assert sorted(p.name for p in (ROOT / "worker").glob("*.py")) == [
        "__init__.py", "app.py",
        "broker.py",  # kombu's Redis transport, a closed connection as a connection error
        "celery_app.py", "celery_config.py", "heartbeat.py",
        "metrics.py",  # Prometheus metrics (issue 13)
        "queue.py",
        "retention.py",  # the timer that runs service.retention (issue 13)
        "tasks.py",
        "tracing.py",  # request ids in message headers, JSON logs (issue 13)
    ]  # fmt: skip


def _environment_writes(path: Path) -> list[int]:
    """Lines changing the environment: os.environ.setdefault/update/pop, os.environ[...] = ..., os.putenv."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        call = isinstance(node, ast.Attribute) and node.attr in ("setdefault", "update", "pop", "clear")
        if call and isinstance(node.value, ast.Attribute) and node.value.attr == "environ":
            lines.append(node.lineno)
        store = isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
        if store and isinstance(node.value, ast.Attribute) and node.value.attr == "environ":
            lines.append(node.lineno)
        if isinstance(node, ast.Attribute) and node.attr == "putenv":
            lines.append(node.lineno)
    return lines


def test_nothing_below_the_entry_points_writes_the_environment() -> None:
    """core/ask used to set HF_HUB_OFFLINE; only entry points (celery_app.py, __main__.py) set variables."""
    below = [
        p for p in _sources("core", "service", "store", "api") if p.name != "__main__.py"
    ]  # entry points
    bad = [f"{p.relative_to(ROOT)}:{n}" for p in below for n in _environment_writes(p)]
    assert bad == []
