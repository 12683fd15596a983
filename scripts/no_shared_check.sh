#!/usr/bin/env bash
# A user's clone has no ../shared. Check that ours passes too: copy the repository into a
# temporary folder with nothing beside it, then run there (with this checkout's venv)
#   * every test module that reads ../shared or falls back when it is absent: the modules
#     that use the shared_dir / seeds_dir fixtures, shared_root() or cochrane_or_examples(),
#     the golden-set (eval) tests and the bench smoke (bench/ defaults to ../shared);
#     found by grep, so a new reader is picked up without editing this script;
#   * `make eval`, whose golden sets name documents under ../../../shared.
# That covers every reader of ../shared: tests/conftest.py + tests/support.py (the fixtures
# and the fallback corpus), evaluate/golden.py (relative document paths) and bench/.
#
#   scripts/no_shared_check.sh        # VENV=.venv by default
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$(cd "${VENV:-$ROOT/.venv}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/litdigest-noshared.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/repo"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
  | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
  | tar --null -T - -cf -) | tar -xf - -C "$WORK/repo"
cd "$WORK/repo"
test ! -e ../shared

mapfile -t TESTS < <(grep -lE 'shared_dir|seeds_dir|shared_root|cochrane_or_examples|golden|bench' \
  tests/test_*.py)
echo "no ../shared: ${#TESTS[@]} test modules: ${TESTS[*]}"
export LITDIGEST_SHARED_DIR="$WORK/shared"  # missing, like ../shared here
export PYTHONPATH="$WORK/repo/src"          # this copy's code, not the editable install's
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" \
  "${TESTS[@]}"
make --no-print-directory eval VENV="$VENV" -o "$VENV/.installed"
echo "no ../shared: passed"
