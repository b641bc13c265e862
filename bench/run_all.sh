#!/usr/bin/env bash
# Run every benchmark script in bench/, one after another, each printing its figures and the
# command that produced them. Usage: bash bench/run_all.sh [output file]
# The figures are only honest on a quiet machine: nothing else should run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-/dev/stdout}
{
  echo "# bench/run_all.sh on $(uname -n), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for script in bench/*.py; do
    echo
    echo "## $script"
    "$PY" "$script"
  done
} >"$OUT" 2>&1
