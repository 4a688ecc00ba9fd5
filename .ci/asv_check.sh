#!/usr/bin/env bash
# CI for the asv suite (benchmarks/): `asv check`, then a quick run of every benchmark at HEAD.
#
# Both use the environment CI already has (.venv, --python=same): no virtualenv is built and no
# commit range is measured (asv refuses ranges in an existing environment); --quick runs each
# benchmark once, so this proves the suite runs, not how fast anything is. `asv setup` is not
# needed here (it exits 1 even when it succeeds in asv 0.6, so nothing here calls it). HOME is a
# temporary directory because `asv machine --yes` writes ~/.asv-machine.json. The run's results
# (machine "ci", in .asv/results) are removed on exit: one sample each says nothing about speed,
# and a second machine there would make a plain `asv compare` ask which machine to use.
set -euo pipefail
cd "$(dirname "$0")/.."

asv=.venv/bin/asv
home=$(mktemp -d)
trap 'rm -rf "$home" .asv/results/ci' EXIT
export HOME="$home"

"$asv" machine --yes --machine ci >/dev/null
echo "+ asv check --python=same"
"$asv" check --python=same
echo "+ asv run --python=same --quick (HEAD)"
start=$SECONDS
"$asv" run --python=same --quick --machine ci --set-commit-hash "$(git rev-parse HEAD)"
echo "asv quick run over HEAD: $((SECONDS - start)) s"
