#!/usr/bin/env bash
# Creates .venv in the repository root and installs the pinned stack. Idempotent: a second run only checks
# a stamp and takes about a second. The CPU build of torch goes in first, or pip pulls several GB of CUDA.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${CLINRAG_PYTHON:-$(command -v python3.11 || command -v python3)}"
want="$(cat requirements.txt requirements-nodeps.txt requirements-ray.txt constraints.txt pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
stamp=".venv/.clinrag-setup-$want"
if [ -f "$stamp" ]; then
  exit 0
fi
echo "clinrag setup: installing into $root/.venv (first run takes about 10 minutes: llama-cpp-python compiles)"
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --disable-pip-version-check --no-input)
"${pip[@]}" torch==2.13.0
# llama.cpp compiles for a portable x86-64 baseline (AVX2, FMA, F16C) instead of the build machine's own CPU: a
# native build turns on AMX kernels wherever the CPU reports AMX, and those die with "illegal instruction" in
# virtual machines that do not enable AMX state (seen here with Qwen2.5-1.5B). --no-cache-dir: a wheel cached
# from a native build must not be reused.
if [ "$(uname -m)" = "x86_64" ]; then
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}" \
    "${pip[@]}" --no-cache-dir "llama-cpp-python[server]==0.3.36" -c constraints.txt
fi
"${pip[@]}" -r requirements.txt -c constraints.txt
# the optional Ray extra (ingest --engine ray); the tests start a real local Ray cluster with it
"${pip[@]}" -r requirements-ray.txt -c constraints.txt
"${pip[@]}" --no-deps -r requirements-nodeps.txt
"${pip[@]}" --no-deps -e .
rm -f .venv/.clinrag-setup-*
touch "$stamp"
echo "clinrag setup: done"
