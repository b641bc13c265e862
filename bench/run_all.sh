#!/usr/bin/env bash
# Run every benchmark script in bench/, one after another, each printing its figures and the
# command that produced them. Usage: bash bench/run_all.sh [output file]
# The figures are only honest on a quiet machine: nothing else should run meanwhile.
# Skipped: scripts that build artifacts rather than measure (they would overwrite shipped or
# cached files): build_semantic_space.py (writes src/papersieve/data/lsa-*.npz) and
# embed_cache.py (writes artifacts/, needs the optional embeddings model).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-/dev/stdout}
SKIP=" bench/build_semantic_space.py bench/embed_cache.py "
{
  echo "# bench/run_all.sh on $(uname -n), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for script in bench/*.py; do
    if [[ "$SKIP" == *" $script "* ]]; then
      echo; echo "## $script: skipped (builds an artifact, measures nothing)"
      continue
    fi
    echo
    echo "## $script (load $(cut -d' ' -f1 /proc/loadavg))"
    "$PY" "$script"
  done
} >"$OUT" 2>&1
