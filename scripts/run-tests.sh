#!/usr/bin/env bash
# One command for the tests: set up .venv (idempotent), then run the fast tests and the real-model
# integration tests (MiniLM, the small local LLMs, real PDFs, the real-browser UI test with Debian's chromium,
# installed here when missing and this is root with apt). Under CI (CI=true) a skipped browser test fails the run.
# Benchmarks (marker `slow`) stay out; run them with `.venv/bin/python -m pytest -m slow`. Extra arguments go to
# pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/ensure-chromium.sh  # Debian's chromium for the browser test, when missing and root with apt
export CLINRAG_MODEL_CACHE="${CLINRAG_MODEL_CACHE:-$root/var/models}"
exec .venv/bin/python -m pytest -m "not slow" -p no:cacheprovider "$@"
