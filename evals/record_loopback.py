"""Re-record the committed LLM run against the loopback OpenAI-compatible test server.

    .venv/bin/python evals/record_loopback.py

Starts ``tests.loopback_server.LoopbackServer`` on 127.0.0.1, runs
``litdigest eval evals/golden/examples.yaml --backend openai --model loopback-1 --base-url …
--record evals/recordings/examples-loopback`` (the old recording is removed first), then
replays it once to check it is complete. CI evaluates the openai backend from this recording
with ``--replay`` (see the Makefile ``eval`` target). Re-record after changing a prompt, the
schema or the model settings, and regenerate ``evals/baseline/openai-replay``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORDING = REPO / "evals" / "recordings" / "examples-loopback"
GOLDEN = REPO / "evals" / "golden" / "examples.yaml"


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tests.loopback_server import LoopbackServer

    from litdigest.cli.eval import EvalOptions, run_eval

    if RECORDING.exists():
        shutil.rmtree(RECORDING)
    with LoopbackServer() as server:
        recorded = run_eval(
            EvalOptions(
                golden=[GOLDEN],
                backend="openai",
                model="loopback-1",
                base_url=server.base_url,
                record=RECORDING,
                report_dir=REPO / "out" / "eval" / "openai-record",
            )
        )
    replayed = run_eval(
        EvalOptions(
            golden=[GOLDEN],
            backend="openai",
            replay=RECORDING,
            report_dir=REPO / "out" / "eval" / "openai-replay-check",
        )
    )
    files = len(list(RECORDING.glob("*.json"))) - 1
    print(f"recorded {files} exchange(s) into {RECORDING.relative_to(REPO)}")

    def quality(report: dict[str, object]) -> dict[str, object]:
        metrics = report["metrics"]
        assert isinstance(metrics, dict)
        return {k: v for k, v in metrics.items() if k != "latency_s"}

    if quality(recorded.report) != quality(replayed.report):
        print("warning: the replayed metrics differ from the recorded run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
