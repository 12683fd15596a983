"""Tokenization works offline, on a fresh machine with an empty tiktoken cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from litdigest.chunk.tokens import OFFLINE_ENCODINGS, count_tokens, get_encoding
from litdigest.errors import ConfigError

# Runs in a fresh interpreter: every socket connection fails, caches and HOME are empty.
_OFFLINE_SCRIPT = textwrap.dedent(
    """
    import socket, sys

    def refuse(*args, **kwargs):
        raise OSError("network disabled for this test")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    import tiktoken
    if sys.argv[1] == "plain":
        try:
            tiktoken.get_encoding("o200k_base")
        except Exception as exc:
            print("FAILED", type(exc).__name__)
        else:
            print("LOADED")
    else:
        from litdigest.chunk.tokens import count_tokens, get_encoding
        enc = get_encoding("o200k_base")
        print(enc.name, count_tokens("Interferon-gamma upregulates PD-L1 on tumour cells."))
        print(len(get_encoding("cl100k_base").encode_ordinary("hello world")))
    """
)


def _fresh_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TIKTOKEN", "DATA_GYM", "XDG_"))
    }
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    return env


def _run(mode: str, env: dict[str, str], prefix: list[str] | None = None) -> str:
    cmd = [*(prefix or []), sys.executable, "-c", _OFFLINE_SCRIPT, mode]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_plain_tiktoken_fails_offline_but_ours_works(tmp_path: Path) -> None:
    env = _fresh_env(tmp_path)
    # Control: with no network and an empty cache, tiktoken alone cannot load its BPE file...
    assert _run("plain", env).startswith("FAILED")
    # ...while litdigest's tokenizer works in the very same conditions.
    out = _run("ours", env).split("\n")
    name, n = out[0].split()
    assert name == "o200k_base"
    assert 8 <= int(n) <= 16
    assert out[1] == "2"
    assert list((tmp_path / "cache" / "litdigest" / "tiktoken").iterdir())


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_tokenizer_in_a_network_namespace_without_interfaces(tmp_path: Path) -> None:
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user/network namespaces are not permitted here")
    env = _fresh_env(tmp_path)
    out = _run("ours", env, prefix=["unshare", "-rn"])
    assert out.startswith("o200k_base ")


def test_counts_match_known_values() -> None:
    enc = get_encoding("o200k_base")
    assert enc.encode_ordinary("hello world") == [24912, 2375]
    assert count_tokens("") == 0


def test_special_token_text_is_plain_text() -> None:
    # A document containing "<|endoftext|>" must neither raise nor be read as a control token.
    n = count_tokens("before <|endoftext|> after")
    assert n > 3


def test_unknown_encoding_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="available offline"):
        get_encoding("no_such_encoding")
    assert "o200k_base" in OFFLINE_ENCODINGS
