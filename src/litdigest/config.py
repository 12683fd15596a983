"""Settings: nested pydantic models, read from ``LITDIGEST_*`` env vars and an optional TOML file.

Nested fields use ``__``: ``LITDIGEST_CHUNK__MAX_TOKENS=500``. ``OPENAI_API_KEY`` and
``OPENAI_BASE_URL`` are honoured when the ``LITDIGEST_OPENAI__*`` equivalents are unset.
The TOML file is ``$LITDIGEST_CONFIG`` or ``<user config dir>/litdigest/config.toml``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Self

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from litdigest.errors import ConfigError

APP_NAME = "litdigest"


def default_config_file() -> Path:
    env = os.environ.get("LITDIGEST_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "litdigest.db"


class _Section(BaseModel):
    """A settings section: an unknown key is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class IngestSettings(_Section):
    max_file_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1,
        description="Files larger than this are refused with a clear message instead of being read.",
    )
    max_records_per_file: int = Field(
        default=100_000,
        ge=1,
        description="Upper bound on records taken from one multi-record file.",
    )
    follow_symlinks: bool = Field(
        default=True,
        description="Follow symbolic links when recursing directories (loops are detected).",
    )
    per_file_timeout_s: float = Field(
        default=120.0,
        ge=0,
        description="Reading a file, or cleaning one of its records, is stopped after this many"
        " seconds and reported (0: no limit; reading then runs in-process).",
    )
    include_all: bool = Field(
        default=False,
        description="Read every file, also those that are not articles (licences, READMEs,"
        " source code, data tables, texts with no prose sentences), which are skipped otherwise.",
    )


class CleanSettings(_Section):
    repair_hyphenation: bool = Field(
        default=True, description="Rejoin words split across PDF line ends (immuno- + genicity)."
    )
    drop_references: bool = Field(
        default=True, description="Drop reference lists and citation tails."
    )


class ChunkSettings(_Section):
    encoding: str = Field(
        default="o200k_base", description="tiktoken encoding used to count tokens (works offline)."
    )
    max_tokens: int = Field(default=800, ge=16, description="Largest chunk, in tokens.")
    overlap_tokens: int = Field(
        default=80,
        ge=0,
        description="Tokens of trailing context repeated at the start of the next chunk.",
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkSettings:
        if self.overlap_tokens >= self.max_tokens:
            raise ValueError("overlap_tokens must be smaller than max_tokens")
        return self


class OpenAISettings(_Section):
    api_key: SecretStr | None = Field(
        default=None, description="API key; falls back to OPENAI_API_KEY. Never stored or printed."
    )
    base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server URL (vLLM, Ollama, llama.cpp); falls back to OPENAI_BASE_URL.",
    )
    model: str = Field(default="gpt-4o-mini", description="Model name sent to the server.")
    timeout_s: float = Field(default=60.0, gt=0, description="Per-request timeout in seconds.")


class SummarizeSettings(_Section):
    backend: str = Field(
        default="auto",
        min_length=1,
        description="'auto' picks 'openai' when an API key or base URL is configured, else"
        " 'extractive'; or any registered backend (entry-point group litdigest.backends).",
    )
    concurrency: int = Field(
        default=8, ge=1, le=256, description="Model requests in flight at once."
    )
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Stop the batch cleanly once this estimated cost is spent."
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="Stop the batch cleanly once this many tokens are used."
    )
    max_retries: int = Field(
        default=5, ge=0, le=20, description="Retries per request on 429, 5xx, timeouts and resets."
    )
    reask_attempts: int = Field(
        default=2,
        ge=0,
        le=3,
        description="Re-asks with the error on invalid output or unverified quotes.",
    )
    single_call_max_tokens: int | None = Field(
        default=None,
        ge=256,
        description="Documents up to this many tokens are summarized in one call; longer ones"
        " map-reduce. None: a quarter of the model's context window (llm.context_window).",
    )
    reduce_budget_tokens: int = Field(
        default=12000,
        ge=1000,
        description="Token budget of the reduce step's input (never overflows).",
    )
    max_claims_per_field: int = Field(default=5, ge=1, le=20, description="Claims kept per field.")
    short_doc_claims: int = Field(
        default=3,
        ge=1,
        le=20,
        description="extractive: claims kept per field for documents under 1,500 words"
        " (max_claims_per_field above).",
    )
    quote_share: float = Field(
        default=0.25,
        gt=0.0,
        le=1.0,
        description="extractive: cap on quoted words / document words, counted as the eval's"
        " compression (issue 13: 0.25; 1.0: no cap). First claims respect it too.",
    )
    tiny_quote_share: float = Field(
        default=0.45,
        gt=0.0,
        le=1.0,
        description="extractive: the quote_share cap for documents under 300 words (issue 13:"
        " 0.45).",
    )


class SupportSettings(_Section):
    """The support check: a claim's statement against its verified quotes (issue 14)."""

    enabled: bool = Field(
        default=True,
        description="Check every statement and the TL;DR against the quotes they rest on.",
    )
    unsupported: Literal["drop", "flag"] = Field(
        default="drop",
        description="A claim still unsupported after one re-ask is dropped ('drop', the"
        " default, for batch runs) or kept marked support: 'unverified' with its missing or"
        " contradicted terms ('flag'); either way a warning is added.",
    )


class LLMSettings(_Section):
    """Talking to a model server: request sizes and failure handling (issue 15)."""

    context_window: int | None = Field(
        default=None,
        ge=2048,
        description="Context window of the model in tokens. None: from the table of known"
        " models (llm.context_windows, then litdigest's own), else 32768.",
    )
    context_windows: dict[str, int] = Field(
        default_factory=dict,
        description="Extra context windows by model-name prefix, e.g. {'my-llama' = 131072}.",
    )
    map_chunk_tokens: int | None = Field(
        default=None,
        ge=64,
        description="Largest map-step chunk in tokens. None: sized from the context window.",
    )
    max_output_tokens: int | None = Field(
        default=None,
        ge=64,
        description="max_tokens sent with every request. None: sized from the schema and the"
        " claim limits.",
    )
    reasoning_tokens: int = Field(
        default=0,
        ge=0,
        description="Extra output tokens allowed for reasoning models that think before"
        " answering (added to the sized max_tokens).",
    )
    timeout_retries: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Retries after a request timed out (the server may still be working).",
    )


class StoreSettings(_Section):
    db_path: Path = Field(
        default_factory=default_db_path, description="SQLite database file (WAL mode)."
    )


class KeySettings(_Section):
    """Keys of ``litdigest review``, by binding id (Textual key names; "a,x" binds both)."""

    accept: str = Field(default="a", description="Accept the selected claim.")
    reject: str = Field(default="r", description="Reject the selected claim.")
    edit: str = Field(default="e", description="Edit the statement of the selected claim.")
    flag: str = Field(default="f", description="Flag the selected claim with a note.")
    undo: str = Field(default="u", description="Undo the last review action.")
    done: str = Field(default="d", description="Mark the document done (again: reopen it).")
    accept_all: str = Field(
        default="A", description="Accept every claim of the document not yet rejected."
    )
    next: str = Field(default="j", description="Next item in the focused list (stops at the end).")
    previous: str = Field(
        default="k", description="Previous item in the focused list (stops at the top)."
    )
    next_document: str = Field(default="n", description="Next document (its first claim).")
    previous_document: str = Field(default="p", description="Previous document (its first claim).")
    switch_pane: str = Field(default="tab", description="Move focus to the next pane.")
    filter: str = Field(
        default="slash", description="Filter by title, author, journal or full text."
    )
    status_filter: str = Field(default="s", description="Cycle the document status filter.")
    toggle_documents: str = Field(default="l", description="Hide or show the document list.")
    digest: str = Field(default="g", description="Open the digest of accepted claims.")
    help: str = Field(default="question_mark,f1", description="Show the keys.")
    quit: str = Field(default="q", description="Quit.")

    @model_validator(mode="after")
    def _keys_not_blank(self) -> KeySettings:
        for name, value in self.model_dump().items():
            if not value.strip() or any(not part.strip() for part in value.split(",")):
                raise ValueError(f"key for {name!r} is empty")
        return self

    def keymap(self) -> dict[str, str]:
        """Binding id -> keys, for ``App.set_keymap`` (spaces removed)."""
        return {name: value.replace(" ", "") for name, value in self.model_dump().items()}


class ReviewSettings(_Section):
    keys: KeySettings = Field(
        default_factory=KeySettings, description="Key bindings of the review app."
    )


class Settings(BaseSettings):
    """All litdigest settings."""

    model_config = SettingsConfigDict(
        env_prefix="LITDIGEST_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    ingest: IngestSettings = Field(
        default_factory=IngestSettings, description="Reading input files."
    )
    clean: CleanSettings = Field(default_factory=CleanSettings, description="Cleaning text.")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings, description="Token-aware chunking.")
    openai: OpenAISettings = Field(
        default_factory=OpenAISettings, description="OpenAI or compatible server."
    )
    store: StoreSettings = Field(default_factory=StoreSettings, description="Local SQLite store.")
    llm: LLMSettings = Field(
        default_factory=LLMSettings, description="Model server requests (sizes, timeouts)."
    )
    summarize: SummarizeSettings = Field(
        default_factory=SummarizeSettings, description="Summarization and batch limits."
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings, description="The review app (litdigest review)."
    )
    support: SupportSettings = Field(
        default_factory=SupportSettings,
        description="Checking statements and the TL;DR against their quotes.",
    )

    @model_validator(mode="after")
    def _openai_env_fallback(self) -> Settings:
        if self.openai.api_key is None and os.environ.get("OPENAI_API_KEY"):
            self.openai.api_key = SecretStr(os.environ["OPENAI_API_KEY"])
        if self.openai.base_url is None and os.environ.get("OPENAI_BASE_URL"):
            self.openai.base_url = os.environ["OPENAI_BASE_URL"]
        return self

    def with_overrides(self, **overrides: Any) -> Self:
        """A copy with ``overrides`` applied and validated; ``None`` values are skipped.

        Keys are section names with a dict of fields (``summarize={"backend": "openai"}``), or
        dotted paths (``**{"openai.model": "gpt-4o"}``); both may be mixed. Only the touched
        sections are re-validated (the environment and the TOML file are not read again). An
        unknown section or key raises ``ConfigError``; an invalid value raises pydantic's
        ``ValidationError`` (locations relative to the section).
        """
        nested: dict[str, Any] = {}
        for key, value in overrides.items():
            _put(nested, key.split("."), value)
        update: dict[str, BaseModel] = {}
        for section, changes in nested.items():
            current = getattr(self, section, None)
            if section not in type(self).model_fields or not isinstance(current, BaseModel):
                raise ConfigError(f"unknown settings section {section!r}")
            if not isinstance(changes, dict):
                raise ConfigError(f"settings section {section!r} takes a table of keys")
            update[section] = _merged(current, changes, section)
        return self.model_copy(update=update)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = default_config_file()
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


def _put(tree: dict[str, Any], path: list[str], value: Any) -> None:
    """Set ``tree[path[0]][path[1]]… = value`` (dicts in ``value`` merge); ``None`` skips."""
    if value is None:
        return
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(value, dict) and isinstance(tree.get(head), dict):
            for key, item in value.items():
                _put(tree[head], [key], item)
        elif isinstance(value, dict):
            tree[head] = {}
            for key, item in value.items():
                _put(tree[head], [key], item)
        else:
            tree[head] = value
        return
    child = tree.setdefault(head, {})
    if not isinstance(child, dict):
        raise ConfigError(f"setting {head!r} is not a section")
    _put(child, rest, value)


def _merged(model: BaseModel, changes: dict[str, Any], where: str) -> BaseModel:
    """``model`` with ``changes`` applied (nested sections merge), validated."""
    data = {name: getattr(model, name) for name in type(model).model_fields}
    for key, value in changes.items():
        if key not in type(model).model_fields:
            raise ConfigError(f"unknown setting {where}.{key}")
        current = data[key]
        if isinstance(value, dict) and isinstance(current, BaseModel):
            data[key] = _merged(current, value, f"{where}.{key}")
        else:
            data[key] = value
    return type(model).model_validate(data)


def _unknown_env_sections() -> list[str]:
    """``LITDIGEST_<SECTION>__…`` variables whose section does not exist."""
    prefix = "LITDIGEST_"
    known = set(Settings.model_fields)
    return sorted(
        name
        for name in os.environ
        if name.upper().startswith(prefix)
        and "__" in name[len(prefix) :]
        and name[len(prefix) :].split("__", 1)[0].lower() not in known
    )


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        kind = "settings section" if len(err["loc"]) == 1 else "setting"
        return f"unknown {kind} {where}"
    return f"{where}: {err['msg']}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation problems into one-line ``ConfigError``s (an
    unknown section or key, from the TOML file or the environment, is one too)."""
    unknown = _unknown_env_sections()
    if unknown:
        raise ConfigError(f"invalid settings: unknown settings section in {unknown[0]}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read settings: {exc}") from None
