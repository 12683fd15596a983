"""Helpers shared by the bench modules (no bench here)."""

from __future__ import annotations

import os
from typing import Any

from litdigest.clean import clean_text
from litdigest.config import Settings
from litdigest.documents import CleanMode, Document, Format, Metadata, content_hash
from litdigest.errors import LitdigestError
from litdigest.summarize.schema import DocumentSummary

__all__ = ["CollectingFailures", "CollectingSink", "line_documents", "loopback_settings"]


def line_documents(sources: list[str]) -> list[Document]:
    """One cleaned document per line of a one-document-per-line corpus (Cochrane's
    ``test.source``), sourced ``test.source#N``."""
    out = []
    for i, raw in enumerate(sources):
        text, _ = clean_text(raw, CleanMode.SCRAPED)
        out.append(
            Document(
                doc_id=content_hash(text),
                text=text,
                metadata=Metadata(),
                format=Format.TEXT,
                source=f"test.source#{i + 1}",
            )
        )
    return out


class CollectingSink:
    """A ``run_batch`` sink that keeps every summary."""

    def __init__(self) -> None:
        self.summaries: list[DocumentSummary] = []

    def write(self, summary: DocumentSummary) -> None:
        self.summaries.append(summary)

    def close(self) -> None:
        pass


class CollectingFailures:
    """A ``run_batch`` failure reporter that keeps every message."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, err: LitdigestError) -> None:
        self.errors.append(err.message)


def loopback_settings(base_url: str, api_key: str, **settings: Any) -> Settings:
    """Settings for the loopback server (``gpt-4o-mini``), read with its URL and a fake key in
    the environment (restored afterwards)."""
    env = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": api_key}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = Settings(**settings)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    result.openai.model = "gpt-4o-mini"
    return result
