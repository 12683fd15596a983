#!/usr/bin/env bash
# Wheel smoke: build litdigest's wheel, install it into a fresh venv with no extras, and use it
# the way a new user would (outside the repository, so nothing is imported from src/).
#
#   scripts/wheel_smoke.sh            # PYTHON=python3 by default; KEEP=1 keeps the work folder
#
# Steps: --version; clean on every file in examples/; summarize examples/ offline (extractive and extractive-v3); summarize
# through the openai backend against the loopback server; review started and quit headless;
# eval evals/golden/examples.yaml. Any failing step stops the script with a non-zero exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/litdigest-smoke.XXXXXX")
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else echo "smoke: kept $WORK"; fi
}
trap cleanup EXIT
step() { printf '\n== smoke: %s\n' "$*"; }

step "build the wheel (from a copy of the tracked and new files)"
mkdir -p "$WORK/tree" "$WORK/dist"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
    | tar --null -T - -cf -) | tar -xf - -C "$WORK/tree"
else
  cp -r "$ROOT/." "$WORK/tree"
fi
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$WORK/tree"
WHEEL=$(ls "$WORK"/dist/litdigest-*.whl)
echo "built $(basename "$WHEEL")"

step "install it into a fresh venv, no extras"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"
LD="$WORK/venv/bin/litdigest"

# A clean user environment: no keys, no litdigest settings, a home of its own.
mkdir -p "$WORK/home" "$WORK/run"
cp -r "$ROOT/examples" "$WORK/run/examples"
cd "$WORK/run"
run() {
  env -i PATH="$WORK/venv/bin:/usr/bin:/bin" HOME="$WORK/home" LANG=C.UTF-8 TERM=xterm-256color \
    XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share" \
    XDG_CACHE_HOME="$WORK/home/.cache" "$@"
}

step "litdigest --version"
run "$LD" --version | tee "$WORK/version.txt"
grep -q "^litdigest [0-9]" "$WORK/version.txt"

step "clean every file in examples/"
for f in examples/*; do
  run "$LD" clean "$f" > "$WORK/clean.out"
  test -s "$WORK/clean.out" || { echo "clean $f printed nothing" >&2; exit 1; }
  echo "ok  $f"
done

step "summarize examples/ offline"
run "$LD" summarize --backend extractive --db "$WORK/offline.db" examples/ > "$WORK/offline.jsonl"
echo "$(wc -l < "$WORK/offline.jsonl") summaries"
test "$(wc -l < "$WORK/offline.jsonl")" -ge 10

step "summarize examples/ offline with extractive-v3 (its role model is package data)"
run "$LD" summarize --backend extractive-v3 --db "$WORK/v3.db" examples/ > "$WORK/v3.jsonl"
echo "$(wc -l < "$WORK/v3.jsonl") summaries"
test "$(wc -l < "$WORK/v3.jsonl")" -ge 10

step "summarize through the openai backend against the loopback server"
(cd "$ROOT" && exec "$PYTHON" -m tests.loopback_server --port 0) > "$WORK/server.url" \
  2> "$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do [[ -s "$WORK/server.url" ]] && break; sleep 0.1; done
URL=$(head -n 1 "$WORK/server.url")
[[ "$URL" == http://127.0.0.1:* ]] || { echo "loopback server did not start" >&2; exit 1; }
run OPENAI_API_KEY=sk-smoke-not-a-real-key "$LD" summarize --backend openai --base-url "$URL" \
  --db "$WORK/openai.db" examples/ > "$WORK/openai.jsonl"
echo "$(wc -l < "$WORK/openai.jsonl") summaries"
test "$(wc -l < "$WORK/openai.jsonl")" -ge 10
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

step "review started and quit headless (a pseudo-terminal, then q)"
run "$WORK/venv/bin/python" "$ROOT/scripts/tui_quit.py" "$LD" review --db "$WORK/offline.db"

step "eval evals/golden/examples.yaml"
mkdir -p evals/golden  # the set names its documents as ../../examples/...
cp "$ROOT/evals/golden/examples.yaml" evals/golden/
run "$LD" eval evals/golden/examples.yaml --backend extractive --report "$WORK/eval-report" \
  > "$WORK/eval.out"
tail -n 5 "$WORK/eval.out"

printf '\nsmoke: all steps passed\n'
