#!/usr/bin/env bash
# The ML figures of `papersieve eval` as JSON (every per-day figure), to compare two versions:
#   bash bench/eval_ml_json.sh OUT_PREFIX [PYTHONPATH_SRC]
# writes OUT_PREFIX-{cold,local,hybrid}.json (cold = local --no-history), from the repository's
# labelled days (data/candidates, data/labels/gpt4o-picks-dev.jsonl) with the built-in profile.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$1"
export PYTHONPATH="${2:-$here/src}"
export PAPERSIEVE_HOME="$(mktemp -d)"
trap 'rm -rf "$PAPERSIEVE_HOME"' EXIT
eval_() { nice -n 10 "$here/.venv/bin/python" -c 'from papersieve.cli.main import main; main()' eval \
  --candidates "$here/data/candidates" --labels "$here/data/labels/gpt4o-picks-dev.jsonl" --json --per-day "$@"; }
eval_ --judge local --no-history > "$out-cold.json"
eval_ --judge local > "$out-local.json"
eval_ --judge hybrid > "$out-hybrid.json"
