"""Issue 13's word budget, on by default: the extractive summary quotes at most 25% of a
document's words (45% under 300 words), counted exactly as the eval counts ``compression``."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.config import Settings
from litdigest.documents import Document
from litdigest.evaluate.metrics import _concision
from litdigest.prepare import iter_documents
from litdigest.summarize.backends import extractive_v3
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend as ExtractiveBackend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import SECTIONS, DocumentSummary, Section
from tests.extractive_support import REVIEW, cochrane_documents, make_doc, seed_documents

ROOT = Path(__file__).resolve().parents[1]


def compression(summary: DocumentSummary, text: str) -> float:
    """The eval's own ``compression`` (merged quote spans' words / document words)."""
    out: dict[str, float | None] = {}
    _concision(out, summary, text)
    value = out["compression"]
    assert value is not None
    return value


def cap(text: str) -> float:
    return 0.45 if len(text.split()) < 300 else 0.25


def check_budget(backend: ExtractiveBackend, doc: Document) -> DocumentSummary:
    summary = backend.summarize_sync(doc)
    assert verify_summary(summary, doc.text) == [], doc.source
    words = len(doc.text.split())
    quoted = sum(len(q.text.split()) for _, _, c in summary.iter_claims() for q in c.quotes)
    assert quoted <= backend.word_budget(words), doc.source  # the backend's own count ...
    assert compression(summary, doc.text) <= cap(doc.text), doc.source  # ... and the eval's
    return summary


def test_the_default_is_the_issue_budget() -> None:
    settings = Settings().summarize
    assert (settings.quote_share, settings.tiny_quote_share) == (0.25, 0.45)
    default = ExtractiveBackend()
    assert (default.quote_share, default.tiny_quote_share) == (0.25, 0.45)
    configured = ExtractiveBackend.from_settings(settings)
    assert configured.settings_hash() == default.settings_hash()
    uncapped = ExtractiveBackend(quote_share=1.0, tiny_quote_share=1.0)
    assert uncapped.settings_hash() != default.settings_hash()  # no cached summary reused
    # 45% below 300 words, 25% from 300 on; the budget never rounds up.
    assert default.word_budget(299) == 134
    assert default.word_budget(300) == 75
    assert default.word_budget(1001) == 250


def test_examples_respect_the_cap_by_default() -> None:
    backend = ExtractiveBackend()
    docs = [d for d in iter_documents([ROOT / "examples"], Settings()) if isinstance(d, Document)]
    assert len(docs) >= 10
    claimed = 0
    for doc in docs:
        summary = check_budget(backend, doc)
        claimed += bool(list(summary.iter_claims()))
    assert claimed >= len(docs) - 1  # the cap leaves room for claims, not empty summaries


def test_the_invented_review_fills_every_field_within_the_cap() -> None:
    summary = check_budget(ExtractiveBackend(), make_doc(REVIEW))
    assert all(summary.section(section) for section in SECTIONS)


# Long sentences (~30 words each): three first claims cannot all fit 45% of 140 words.
LONG_SENTENCES = (
    "Tumour-intrinsic STING signalling in melanoma cells drives type I interferon release that "
    "recruits and activates cross-presenting dendritic cells in the tumour bed of treated mice "
    "over several weeks. In a syngeneic mouse model of melanoma with twelve animals per group, "
    "tumours lacking STING grew threefold faster than control tumours and recruited far fewer "
    "CD8 T cells. In a cohort of 210 patients with advanced melanoma, high tumour STING "
    "expression was associated with longer overall survival after anti-PD-1 therapy (HR 0.61). "
    "STING agonists given into the tumour should therefore be tested together with PD-1 "
    "blockade in patients whose melanomas express little STING at diagnosis or relapse."
)


@pytest.mark.parametrize("share", [0.05, 0.15, 0.25, 0.35, 0.45, 0.6])
def test_first_claims_never_break_the_cap(share: float) -> None:
    backend = ExtractiveBackend(quote_share=share, tiny_quote_share=share)
    for text in (LONG_SENTENCES, REVIEW):
        doc = make_doc(text)
        summary = backend.summarize_sync(doc)
        assert verify_summary(summary, text) == []
        assert compression(summary, text) <= share
        # A field left empty by the budget says so.
        empty = [s for s in SECTIONS if not summary.section(s)]
        assert len(summary.warnings) >= len(empty)


def test_selection_never_exceeds_the_budget_before_the_fill(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The chosen spans themselves fit (the later move of a claim to an empty field adds none).
    seen: list[int] = []
    select = ExtractiveBackend._select

    def spy(
        self: ExtractiveBackend, sentences: list[extractive_v3._Sentence], doc_words: int
    ) -> dict[Section, list[extractive_v3._Sentence]]:
        fields = select(self, sentences, doc_words)
        quoted = sum(s.n_words for chosen in fields.values() for s in chosen)
        assert quoted <= self.word_budget(doc_words)
        seen.append(quoted)
        return fields

    monkeypatch.setattr(ExtractiveBackend, "_select", spy)
    ExtractiveBackend().summarize_sync(make_doc(LONG_SENTENCES))
    ExtractiveBackend().summarize_sync(make_doc(REVIEW))
    assert len(seen) == 2 and all(seen)


@pytest.mark.shared
def test_shared_documents_respect_the_cap_by_default(seeds_dir: Path, shared_dir: Path) -> None:
    backend = ExtractiveBackend()
    docs = seed_documents(seeds_dir) + cochrane_documents(shared_dir)[::8]
    shares = []
    for doc in docs:
        summary = check_budget(backend, doc)
        shares.append(compression(summary, doc.text))
    assert len(shares) == 5 + 60
    assert sum(shares) / len(shares) > 0.15  # the budget is used, not left idle
