from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.config import load_settings
from litdigest.errors import ConfigError, InputError, LitdigestError, UsageError, UserError


def test_nested_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITDIGEST_CHUNK__MAX_TOKENS", "321")
    monkeypatch.setenv("LITDIGEST_INGEST__MAX_FILE_BYTES", "1234")
    s = load_settings()
    assert s.chunk.max_tokens == 321
    assert s.ingest.max_file_bytes == 1234


def test_openai_env_fallback_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITDIGEST_OPENAI__API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-123")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    s = load_settings()
    assert s.openai.api_key is not None
    assert s.openai.api_key.get_secret_value() == "sk-test-SECRET-123"
    assert s.openai.base_url == "http://127.0.0.1:9/v1"
    assert "SECRET" not in repr(s) and "SECRET" not in s.model_dump_json()


def test_prefixed_openai_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LITDIGEST_OPENAI__BASE_URL", "http://127.0.0.1:10/v1")
    assert load_settings().openai.base_url == "http://127.0.0.1:10/v1"


def test_toml_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[chunk]\nmax_tokens = 222\noverlap_tokens = 11\n")
    monkeypatch.setenv("LITDIGEST_CONFIG", str(cfg))
    s = load_settings()
    assert (s.chunk.max_tokens, s.chunk.overlap_tokens) == (222, 11)
    monkeypatch.setenv("LITDIGEST_CHUNK__MAX_TOKENS", "333")
    assert load_settings().chunk.max_tokens == 333  # env beats the file


def test_invalid_settings_are_one_line_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITDIGEST_CHUNK__MAX_TOKENS", "10")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "chunk.max_tokens" in str(info.value)
    assert "\n" not in info.value.message


def test_overlap_must_be_below_size() -> None:
    with pytest.raises(ConfigError, match="overlap_tokens"):
        load_settings(chunk={"max_tokens": 100, "overlap_tokens": 100})


def test_error_hierarchy() -> None:
    err = InputError("a.txt", "empty file")
    assert isinstance(err, UserError) and isinstance(err, LitdigestError)
    assert str(err) == "a.txt: empty file"
    assert not err.retryable
    assert issubclass(ConfigError, UsageError)
    assert LitdigestError("x", retryable=True).retryable


def test_with_overrides_nested_and_dotted() -> None:
    base = load_settings()
    s = base.with_overrides(
        summarize={"backend": "openai", "max_tokens": None},
        **{"openai.model": "m-1", "review.keys.accept": "x"},
    )
    assert s.summarize.backend == "openai"
    assert s.summarize.max_tokens == base.summarize.max_tokens  # None: not given
    assert s.openai.model == "m-1"
    assert s.review.keys.accept == "x" and s.review.keys.reject == base.review.keys.reject
    assert base.openai.model != "m-1" or base.summarize.backend == "auto"  # base untouched
    assert s.chunk is base.chunk  # untouched sections are shared, not re-read


def test_with_overrides_validates_and_rejects_unknown_names() -> None:
    from pydantic import ValidationError

    base = load_settings()
    with pytest.raises(ValidationError):
        base.with_overrides(chunk={"max_tokens": 100, "overlap_tokens": 100})
    with pytest.raises(ConfigError, match="sumarize"):
        base.with_overrides(sumarize={"backend": "openai"})
    with pytest.raises(ConfigError, match=r"summarize\.max_token\b"):
        base.with_overrides(**{"summarize.max_token": 5})


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[sumarize]\nbackend = "openai"\n', "unknown settings section sumarize"),
        ("[summarize]\nmax_token = 5\n", "unknown setting summarize.max_token"),
        ('[review.keys]\naccpet = "x"\n', "unknown setting review.keys.accpet"),
    ],
)
def test_unknown_toml_key_or_section_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, named: str
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(toml)
    monkeypatch.setenv("LITDIGEST_CONFIG", str(cfg))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert named in info.value.message and "\n" not in info.value.message


@pytest.mark.parametrize(
    ("var", "named"),
    [
        ("LITDIGEST_SUMARIZE__BACKEND", "LITDIGEST_SUMARIZE__BACKEND"),
        ("LITDIGEST_SUMMARIZE__MAX_TOKEN", "summarize.max_token"),
    ],
)
def test_unknown_env_key_or_section_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, var: str, named: str
) -> None:
    monkeypatch.setenv(var, "5")
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_unknown_setting_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from litdigest.cli.app import main

    cfg = tmp_path / "config.toml"
    cfg.write_text("[sumarize]\nbackend = 'openai'\n")
    monkeypatch.setenv("LITDIGEST_CONFIG", str(cfg))
    doc = tmp_path / "a.txt"
    doc.write_text("Some text about T cells.\n")
    with pytest.raises(SystemExit) as info:
        main(["clean", str(doc)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == "litdigest: error: invalid settings: unknown settings section sumarize\n"
