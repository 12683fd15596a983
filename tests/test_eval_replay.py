"""Record → replay of model HTTP exchanges against the loopback server (real sockets)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from litdigest.cli.app import main
from litdigest.cli.eval import EvalOptions, run_eval
from litdigest.evaluate.replay import request_key
from litdigest.redaction import redact
from tests.eval_support import REPO, SECRET, SMALL_SET, eval_env, write_golden
from tests.loopback_server import LoopbackServer

__all__ = ["eval_env"]


def _quality(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report["metrics"].items() if k != "latency_s"}


def _no_socket(*args: object, **kwargs: object) -> None:
    raise AssertionError("replay opened a socket")


def test_request_key_ignores_headers_host_and_key_order() -> None:
    a = request_key("post", "/v1/chat/completions", b'{"model": "m", "messages": [1]}')
    b = request_key("POST", "/v1/chat/completions", b'{"messages":[1],"model":"m"}')
    assert a == b
    assert a != request_key("POST", "/v1/chat/completions", b'{"messages":[2],"model":"m"}')
    assert a != request_key("POST", "/v2/chat/completions", b'{"messages":[1],"model":"m"}')


def test_record_then_replay_round_trip(eval_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    recording = eval_env / "rec"
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with LoopbackServer() as server:
        recorded = run_eval(
            EvalOptions(
                [golden],
                backend="openai",
                model="loopback-1",
                base_url=server.base_url,
                record=recording,
                report_dir=eval_env / "recorded",
            )
        )
        sent = list(server.requests)
    assert recorded.exit_code == 0, recorded.report["thresholds"]
    assert sent and all(r.headers.get("authorization") == f"Bearer {SECRET}" for r in sent)
    files = sorted(p for p in recording.glob("*.json") if p.name != "meta.json")
    assert len(files) == len({r.body["messages"][-1]["content"] for r in sent}) > 0
    meta = json.loads((recording / "meta.json").read_text(encoding="utf-8"))
    assert meta["model"] == "loopback-1"

    # Replay: another base URL, a dummy key, and no socket may be opened at all.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-replay-key-000000000000")
    monkeypatch.setattr(socket.socket, "connect", _no_socket)
    monkeypatch.setattr(socket.socket, "connect_ex", _no_socket)
    replayed = run_eval(
        EvalOptions(
            [golden],
            backend="openai",
            base_url="http://10.255.255.1:9/v1",  # not the recording server; never contacted
            replay=recording,
            report_dir=eval_env / "replayed",
        )
    )
    assert replayed.exit_code == 0
    assert replayed.report["model"] == "loopback-1"
    assert _quality(replayed.report) == _quality(recorded.report)
    assert [c["claims"] for c in replayed.report["cases"] if c["status"] == "ok"] == [
        c["claims"] for c in recorded.report["cases"] if c["status"] == "ok"
    ]

    # The key was sent to the server but is written nowhere.
    written = [*recording.iterdir(), *(eval_env / "recorded").iterdir()]
    written += list((eval_env / "replayed").iterdir())
    for path in written:
        blob = path.read_bytes()
        assert SECRET.encode() not in blob, path
        assert b"authorization" not in blob.lower() or path.suffix == ".png", path


def test_replay_miss_exits_2_with_hash_and_hint(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    recording = eval_env / "rec"
    with LoopbackServer() as server:
        run_eval(
            EvalOptions(
                [golden],
                backend="openai",
                model="loopback-1",
                base_url=server.base_url,
                record=recording,
                report_dir=eval_env / "recorded",
            )
        )
    victim = sorted(p for p in recording.glob("*.json") if p.name != "meta.json")[0]
    victim.unlink()
    with pytest.raises(SystemExit) as exc:
        main(["eval", str(golden), "--backend", "openai", "--replay", str(recording)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert victim.stem in err[0] and "replay miss" in err[0] and "--record" in err[0]
    assert "Traceback" not in "\n".join(err)


def test_replay_dir_missing_and_record_with_extractive_exit_2(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    for argv in (
        ["eval", str(golden), "--backend", "openai", "--replay", str(eval_env / "none")],
        ["eval", str(golden), "--backend", "extractive", "--record", str(eval_env / "r")],
        ["eval", str(golden), "--backend", "extractive-v2", "--replay", str(eval_env / "r")],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "no such recording directory" in err and "not extractive" in err
    assert "not extractive-v2" in err


def test_committed_recording_has_no_secret() -> None:
    recording = REPO / "evals" / "recordings" / "examples-loopback"
    files = list(recording.glob("*.json"))
    assert len(files) > 1
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert redact(text) == text, path  # nothing that looks like a key
        assert "authorization" not in text.lower() and "bearer" not in text.lower()
