#!/usr/bin/env bash
# The one set-up script behind `make run`, `make test` and `.ci/run`:
# creates .venv with Python 3.11+ if needed, installs the project when pyproject.toml changed, then runs.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] || { echo "codette: no python3 found; install Python 3.11" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian splits venv out of the interpreter; install it when we may.
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv .venv
    else
      echo "codette: '$PY -m venv' failed; install the python3-venv package" >&2; exit 1
    fi
  fi
fi

stamp=.venv/.codette-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # torch first, pinned, so the resolver takes the CPU wheel and never the CUDA build (several GB)
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev,ask]"
  echo "$want" > "$stamp"
fi

cmd=${1:-}
shift || true
case "$cmd" in
  run)   exec .venv/bin/python -m scripts.run_stack "$@" ;;
  test)
    # The browser test (tests/e2e) drives Debian's chromium; install it when missing and we may.
    if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
        || echo "codette: could not install chromium; the browser test will be skipped" >&2
    fi
    exec .venv/bin/python -m pytest -q "$@" ;;
  check) .venv/bin/python -m ruff check . && exec .venv/bin/python -m pytest -q "$@" ;;
  bench) exec .venv/bin/python -m bench "$@" ;;
  *) echo "usage: scripts/dev.sh run|test|check|bench [args]" >&2; exit 2 ;;
esac
