#!/usr/bin/env bash
# One command for the main job: set up .venv (idempotent), ingest the bundled corpus into the default index
# (unchanged documents are skipped, so a second run takes seconds), and start the Streamlit app.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
.venv/bin/clinrag ingest corpora/
exec .venv/bin/clinrag ui --port "${CLINRAG_PORT:-8501}"
