#!/usr/bin/env bash
# One command for the tests: set up .venv (idempotent), then run the fast tests and the real-model
# integration tests (MiniLM, the small local LLMs, real PDFs). Benchmarks (marker `slow`) stay out;
# run them with `.venv/bin/python -m pytest -m slow`. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export CLINRAG_MODEL_CACHE="${CLINRAG_MODEL_CACHE:-$root/var/models}"
exec .venv/bin/python -m pytest -m "not slow" -p no:cacheprovider "$@"
