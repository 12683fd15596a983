"""extractive-v3 on real documents: roles first, the budget, evidence kinds, statements.

The shared-corpus tests read ../shared and skip cleanly when it is absent. The hand labels
(training/labels.jsonl) hold no text: a label is keyed by document and sentence hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Final

import pytest

from litdigest.config import Settings
from litdigest.documents import Document
from litdigest.prepare import iter_documents
from litdigest.summarize.backends.extractive_statements import statement
from litdigest.summarize.backends.extractive_v3 import ExtractiveV3Backend as ExtractiveBackend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.schema import DocumentSummary

REPO: Final = Path(__file__).resolve().parents[1]
LABELS: Final = REPO / "training" / "labels.jsonl"
SEEDS: Final = [
    "000_2e075370cdfdb477.txt",
    "001_462c940776106215.txt",
    "002_77d95767849ded9b.txt",
    "003_2fad74b5604542e7.txt",
    "004_0463867cad2aa2a5.txt",
]
PMC: Final = [
    "1471-2180-11-174.nxml",
    "1472-6831-8-11.nxml",
    "6605965a.nxml",
    "ehp-116-1694.nxml",
    "mds526.nxml",
    "pntd.0002065.nxml",
    "pone.0000217.nxml",
    "pone.0046493.nxml",
]
# Independent of the classifier: unmistakable meta-discourse and methods markers, written
# for this test (the examples and the labelling guide's rules 2 and 3).
META_RE: Final = re.compile(
    r"\b(?:here|herein),? we (?:review|discuss|describe|summari[sz]e|outline|highlight|"
    r"consider|explore|examine|extend|focus)\b|"
    r"\b(?:we|they|the authors|researchers) (?:also )?(?:discuss|review|describe|outline|"
    r"summari[sz]e|highlight|extend the discussion)\b|"
    r"\bin this (?:joint )?(?:focus|issue|review|article|perspective)\b|"
    r"\bthis (?:review|article|focus|perspective) (?:discusses|describes|summari[sz]es|"
    r"outlines|highlights|considers)\b|"
    r"\b(?:the )?(?:aim|objective|purpose) of (?:this|the present|our) (?:study|review|work)\b",
    re.IGNORECASE,
)
METHODS_RE: Final = re.compile(
    r"\b(?:was|were) (?:incubated|centrifuged|washed|stained|diluted|purchased|stored at|"
    r"homogeni[sz]ed|transfected|amplified using|sequenced using)\b|"
    r"\baccording to the manufacturer|\bwe searched\b|\b\d+\s?°C\b|\b\d+ ?rpm\b|"
    r"\bstatistical analys[ie]s (?:was|were) performed\b|\bexpression of recombinant\b",
    re.IGNORECASE,
)


def _sha(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).lower().encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=1)
def _labels() -> dict[tuple[str, str], str]:
    rows = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    return {(r["doc"], r["sha"]): r["label"] for r in rows}


def _summaries(
    paths: list[Path], backend: ExtractiveBackend | None = None
) -> list[tuple[str, Document, DocumentSummary]]:
    backend = backend or ExtractiveBackend()
    out = []
    for path in paths:
        docs = [d for d in iter_documents([path], Settings()) if isinstance(d, Document)]
        assert len(docs) == 1, path
        out.append((path.name, docs[0], backend.summarize_sync(docs[0])))
    return out


# --- statements -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Moreover, the interaction was strong (F[1,3] = 81.04, p < 0.001) [12].",
            "The interaction was strong (F[1,3] = 81.04, p < 0.001).",
        ),
        (
            "However, PD-1 blockade restored IFN-γ release [3–5, 9] in 12 of 20 mice.",
            "PD-1 blockade restored IFN-γ release in 12 of 20 mice.",
        ),
        (
            "Tumours shrank by 45% (95% CI 30 to 60%) after 14 days (Smith et al., 2019).",
            "Tumours shrank by 45% (95% CI 30 to 60%) after 14 days.",
        ),
        (
            "In this Review, we argue that IL-2 (at 10 ng/ml) expands Treg cells ([4], [7]).",
            "We argue that IL-2 (at 10 ng/ml) expands Treg cells.",
        ),
        (  # a connective closed by a colon or a dash
            "In conclusion: IL-2 at 10 ng/ml expands Treg cells [4].",
            "IL-2 at 10 ng/ml expands Treg cells.",
        ),
        (
            "Taken together — CD73 blockade restored NK-cell killing in 7 of 9 donors.",
            "CD73 blockade restored NK-cell killing in 7 of 9 donors.",
        ),
        (
            "The χ2[2] = 6.1 test and the HR [0.61] held in 3 cohorts.",
            "The χ2[2] = 6.1 test and the HR [0.61] held in 3 cohorts.",
        ),
    ],
)
def test_statement_trims_citations_never_numbers(sentence: str, expected: str) -> None:
    assert statement(sentence) == expected


def test_statement_keeps_every_number() -> None:
    sentence = "Thus, F[1,3] = 81.04 and t(12) = 2.5 (P = 0.03; n = 14) at 37 °C [2]."
    numbers = re.findall(r"\d+(?:\.\d+)?", sentence.replace("[2]", ""))
    assert re.findall(r"\d+(?:\.\d+)?", statement(sentence)) == numbers


# --- the shared corpus ----------------------------------------------------------------------


@pytest.mark.shared
def test_no_meta_or_methods_claims_in_seeds_and_pmc(shared_dir: Path) -> None:
    paths = [shared_dir / "seeds" / n for n in SEEDS] + [
        shared_dir / "corpus" / "pmc" / n for n in PMC
    ]
    if not all(p.is_file() for p in paths):
        pytest.skip("seeds or PMC articles missing")
    labels = _labels()
    marked: list[str] = []
    labelled: list[str] = []
    n_claims = 0
    for name, doc, summary in _summaries(paths):
        key = f"seeds/{name}" if name in SEEDS else f"corpus/pmc/{name}"
        assert verify_summary(summary, doc.text) == [], name
        for section, _, claim in summary.iter_claims():
            n_claims += 1
            quote = claim.quotes[0].text
            if META_RE.search(quote) or METHODS_RE.search(quote):
                marked.append(f"{name} {section}: {quote[:90]}")
            label = labels.get((key, _sha(quote)))
            if label in ("meta", "methods"):
                labelled.append(f"{name} {section} ({label}): {quote[:90]}")
    assert n_claims >= 50
    # No sentence with an unmistakable meta-discourse or methods marker, ever.
    assert marked == []
    # Against our hand labels (where a document is labelled): one known miss, a theory
    # paper's model assumption in its Results (pone.0000217, a test-split document), read
    # as evidence. More than one is a regression.
    assert len(labelled) <= 1, labelled


@pytest.mark.shared
def test_budget_on_seeds_and_pmc(shared_dir: Path) -> None:
    paths = [shared_dir / "seeds" / n for n in SEEDS] + [
        shared_dir / "corpus" / "pmc" / n for n in PMC
    ]
    if not all(p.is_file() for p in paths):
        pytest.skip("seeds or PMC articles missing")
    capped = ExtractiveBackend(quote_share=0.25, tiny_quote_share=0.45)  # the cap
    for name, doc, summary in _summaries(paths, capped):
        words = len(doc.text.split())
        quoted = sum(len(c.quotes[0].text.split()) for _, _, c in summary.iter_claims())
        assert quoted <= (0.45 if words < 300 else 0.25) * words, name
        k = 3 if words < 1500 else 5
        for section in ("mechanism", "evidence", "therapeutic_implication"):
            assert len(summary.section(section)) <= k, (name, section)
        assert summary.tldr, name
        assert not METHODS_RE.search(summary.tldr), name
