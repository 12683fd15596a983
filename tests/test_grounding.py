from __future__ import annotations

import random
import re
import time
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from litdigest.documents import content_hash
from litdigest.summarize.grounding import (
    GroundingIndex,
    Located,
    NotFound,
    ground_claims,
    locate_quote,
    normalize_quote,
    quote_problem,
    verify_summary,
)
from litdigest.summarize.schema import (
    Claim,
    DocumentSummary,
    EvidenceKind,
    ModelClaim,
    ModelEvidenceClaim,
    Quote,
)

TEXT = (
    "Cancer immunotherapy review\n\n"
    "Type I interferon signalling shapes the tumour microenvironment. In mice, STING agonists "
    "increased CD8+ T-cell\ninfiltration by 2.4-fold (Fig. 2).\n\n"
    "Smith et al. reported a hazard ratio of 0.62 (95% CI 0.48–0.80) in 312 patients — a "
    "“clinically meaningful” benefit… that the authors call ‘durable’.\n\n"
    "Blocking TGF-β restored infiltration. Blocking TGF-β restored infiltration in EMT6 "
    "tumours as well. Foxp3+ regulatory T cells were depleted in mice."
)


def _slice(text: str, span: tuple[int, int] | None) -> str:
    assert span is not None
    return text[span[0] : span[1]]


# --- exact and normalised matches --------------------------------------------------------


def test_exact_match_returns_offsets() -> None:
    q = "STING agonists increased CD8+ T-cell"
    span = locate_quote(q, TEXT)
    assert span == (TEXT.index(q), TEXT.index(q) + len(q))
    found = GroundingIndex(TEXT).search(q)
    assert isinstance(found, Located) and found.exact


def test_repeated_phrase_prefers_occurrence_nearest_hint() -> None:
    q = "Blocking TGF-β restored infiltration"
    first = TEXT.index(q)
    second = TEXT.index(q, first + 1)
    ix = GroundingIndex(TEXT)
    assert ix.locate(q) == (first, first + len(q))
    assert ix.locate(q, hint=second) == (second, second + len(q))
    assert ix.locate(q, hint=second - 3) == (second, second + len(q))
    assert ix.locate(q, hint=len(TEXT) + 100) == (second, second + len(q))
    assert ix.locate(q, hint=-5) == (first, first + len(q))
    # Same through the normalised path (curly/straight difference forces it).
    text = "He said “we saw it all” twice. Later: “we saw it all” again."
    second = text.rindex("“we")
    ix = GroundingIndex(text)
    assert ix.locate('"we saw it all"') == (text.index("“we"), text.index("“we") + 15)
    assert ix.locate('"we saw it all"', hint=second) == (second, second + 15)


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        # curly vs straight double and single quotes
        (
            'a "clinically meaningful" benefit',
            "a “clinically meaningful” benefit",
        ),
        ("authors call 'durable'", "authors call ‘durable’"),
        # en dash vs hyphen; em dash vs hyphen
        ("95% CI 0.48-0.80) in 312", "95% CI 0.48–0.80) in 312"),
        ("312 patients - a", "312 patients — a"),
        # line break inside the quote; double spaces; tab
        ("increased CD8+ T-cell infiltration by", "increased CD8+ T-cell\ninfiltration by"),
        ("STING  agonists\tincreased   CD8+", "STING agonists increased CD8+"),
        # ellipsis character vs three dots, both directions
        ("meaningful” benefit... that the", "meaningful” benefit… that the"),
        # minus sign vs hyphen inside a word
        ("Blocking TGF−β restored", "Blocking TGF-β restored"),
        # soft hyphen / zero-width space from a copy-paste
        ("regula\u00adtory T cells\u200b were", "regulatory T cells were"),
    ],
)
def test_normalised_match_maps_back_to_original(quote: str, expected: str) -> None:
    ix = GroundingIndex(TEXT)
    found = ix.search(quote)
    assert isinstance(found, Located), found
    assert not found.exact
    assert TEXT[found.start : found.end] == expected
    assert normalize_quote(TEXT[found.start : found.end]) == normalize_quote(quote)


def test_ellipsis_in_text_matched_by_three_dots() -> None:
    text = "The response was durable… in most of the treated patients."
    assert _slice(text, locate_quote("was durable... in most", text)) == "was durable… in most"
    text2 = "The response was durable... in most of the treated patients."
    assert _slice(text2, locate_quote("was durable… in most", text2)) == "was durable... in most"


def test_match_never_ends_inside_an_expanded_ellipsis() -> None:
    # "benefit.." would match the first two dots of "…" in the folded text; it must not.
    text = "a clear clinical benefit… was reported in the trial"
    ix = GroundingIndex(text)
    assert ix._search_folded("clear clinical benefit..", 0) is None
    assert ix._search_folded(".. was reported", 0) is None
    assert ix._search_folded("clear clinical benefit...", 0) == Located(2, 25, exact=False)


def test_edge_punctuation_and_quote_marks_trimmed() -> None:
    q = "  “Foxp3+ regulatory T cells were depleted in mice,”  "
    span = locate_quote(q, TEXT)
    assert _slice(TEXT, span) == "Foxp3+ regulatory T cells were depleted in mice"
    # a trailing full stop that *is* in the text is kept (exact match)
    q = "Type I interferon signalling shapes the tumour microenvironment."
    assert _slice(TEXT, locate_quote(q, TEXT)) == q


def test_whitespace_only_differences_at_paragraph_breaks() -> None:
    text = "First paragraph ends here.\n\n  Second paragraph starts here."
    span = locate_quote("ends here. Second paragraph", text)
    assert _slice(text, span) == "ends here.\n\n  Second paragraph"


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quote",
    [
        "STING agonists decreased CD8+ T-cell infiltration",  # one word changed
        "STING agonists raised CD8+ T-cell infiltration",  # paraphrase
        "interferon signalling shapes the tumor microenvironment",  # US spelling
        "PD-1 blockade doubled overall survival in melanoma",  # invented
        "Summarise the mechanism, evidence and therapeutic implication",  # from a prompt
        "STING agonists increased CD8+ T-cell infiltration by 2.5-fold",  # wrong number
        "STING agonists increasedCD8+ T-cell",  # missing space is not a whitespace variant
    ],
)
def test_invented_or_paraphrased_quotes_are_not_found(quote: str) -> None:
    found = GroundingIndex(TEXT).search(quote)
    assert isinstance(found, NotFound)
    assert "not found verbatim" in found.reason


def test_quote_from_a_different_text_is_refused() -> None:
    prompt = (
        "You are summarising a cancer immunology review. Quote the article verbatim and "
        "return mechanism, evidence and therapeutic implication claims."
    )
    for sentence in prompt.split(". "):
        assert locate_quote(sentence, prompt) is not None
        assert locate_quote(sentence, TEXT) is None


def test_case_is_not_folded_but_diagnosed() -> None:
    found = GroundingIndex(TEXT).search("FOXP3+ REGULATORY T cells were depleted")
    assert isinstance(found, NotFound)
    assert "letter case" in found.reason


def test_elided_quote_is_refused_with_a_useful_reason() -> None:
    for q in (
        "In mice, STING agonists ... infiltration by 2.4-fold",
        "In mice, STING agonists […] infiltration by 2.4-fold",
    ):
        found = GroundingIndex(TEXT).search(q)
        assert isinstance(found, NotFound)
        assert "contiguous" in found.reason


@pytest.mark.parametrize(
    "quote",
    ["", "   ", "...", "“”", "Fig. 2", "TGF-β", "in 312 pts", "CD8+ T-cell", "a b c"],
)
def test_too_short_quotes_are_refused(quote: str) -> None:
    reason = quote_problem(quote)
    assert reason is not None
    found = GroundingIndex(TEXT).search(quote)
    assert found == NotFound(reason)
    assert locate_quote(quote, TEXT) is None


def test_short_quote_thresholds() -> None:
    assert quote_problem("hazard ratio of") is None  # 3 words, 15 chars
    assert "too short" in (quote_problem("in 312 pts") or "")  # 3 words, 10 chars
    assert "too short" in (quote_problem("immunosuppressive cytokines") or "")  # 2 words
    assert "too short" in (quote_problem("- - - - - - - - - -") or "")  # no real words


# --- unicode -----------------------------------------------------------------------------


def test_unicode_text() -> None:
    text = (
        "IFN-γ and TNF-α act together; β2-microglobulin loss 🧬 blocks MHC-I display.\n"
        "免疫检查点抑制剂显著改善了黑色素瘤患者的总生存期。"
        "Cafe\u0301 au lait spots were noted in 3 patients 👩‍🔬."
    )
    for q in [
        "IFN-γ and TNF-α act together",
        "β2-microglobulin loss 🧬 blocks",
        "免疫检查点抑制剂显著改善了",
        "Cafe\u0301 au lait spots",
        "noted in 3 patients 👩‍🔬",
    ]:
        assert _slice(text, locate_quote(q, text)) == q
    # dash and whitespace variants next to non-ASCII characters
    assert _slice(text, locate_quote("IFN–γ and  TNF—α act", text)) == "IFN-γ and TNF-α act"
    # CJK quotes are judged by characters, not spaces
    assert quote_problem("免疫检查点抑制剂显著改善了") is None
    assert quote_problem("免疫检查点") is not None
    # A composed é in the quote finds the NFC form; the decomposed text is not rewritten.
    nfc_text = unicodedata.normalize("NFC", text)
    span = locate_quote("Cafe\u0301 au lait spots", nfc_text)
    assert _slice(nfc_text, span) == "Café au lait spots"
    assert locate_quote("Greek ΑΒΓ δεζ quote absent", text) is None


# --- hypothesis --------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    list("abcdeTXYZ019 .,;:-'\"\n\t")
    + list("“”‘’″′–—−‐…")
    + ["\u00a0", "\u200b", "\u00ad", "γ", "β", "免", "疫", "\u0301", "🧬", "é"]
)
_WORD = st.text(st.sampled_from([*"abcdeTXYZ019γβé免🧬", "\u0301"]), min_size=1, max_size=8)
_SEPARATOR = st.one_of(
    st.text(_ALPHABET, min_size=1, max_size=3),
    st.builds(
        lambda a, w, b: a + w + b,
        st.text(_ALPHABET, max_size=2),
        st.sampled_from([" ", "  ", "\n", " \n\n ", "\u00a0", " \u200b "]),
        st.text(_ALPHABET, max_size=2),
    ),
)
# Word-rich texts where every kind of special character occurs between words.
_TEXTS = st.lists(st.tuples(_WORD, _SEPARATOR), min_size=3, max_size=60).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


_VARIANTS = ['"“”„‟″«»＂', "'‘’‚‛′＇", "-‐‑‒–—―−⁃﹘﹣－"]
_SPACE_RUNS = [" ", "  ", "\n", "\t", " \n\n ", "\u00a0", " \u200b "]


def _retype(quote: str, rng: random.Random) -> str:
    """``quote`` with random equivalent typography: what a model might send back."""
    out: list[str] = []
    for ch in re.split(r"(\s+|\.\.\.|…)", quote):
        if not ch:
            continue
        if ch.isspace():
            out.append(rng.choice(_SPACE_RUNS))
        elif ch in ("...", "…"):
            out.append(rng.choice(["...", "…"]))
        else:
            for c in ch:
                group = next((g for g in _VARIANTS if c in g), None)
                if c in "\u200b\u00ad" and rng.random() < 0.5:
                    continue  # invisible characters may be lost
                out.append(rng.choice(group) if group else c)
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(text=_TEXTS, data=st.data())
def test_property_substrings_are_located(text: str, data: st.DataObject) -> None:
    """Any substring, re-typed with equivalent typography, maps back to an equal span."""
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(min(i + 12, len(text)), len(text)))
    original = text[i:j]
    quote = _retype(original, data.draw(st.randoms(use_true_random=False)))
    assert normalize_quote(quote) == normalize_quote(original)
    found = GroundingIndex(text).search(quote, hint=data.draw(st.integers(-5, len(text) + 5)))
    problem = quote_problem(quote)
    if problem is not None:  # too short: refused for that reason, never located
        assert found == NotFound(problem)
        return
    assert isinstance(found, Located), (text, quote)
    assert normalize_quote(text[found.start : found.end]) == normalize_quote(quote)
    span = text[found.start : found.end]
    if found.exact:  # verbatim, edge punctuation included
        assert span == quote.strip()
    assert span == span.strip()  # never starts or ends with whitespace
    assert 0 <= found.start < found.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["tumour", "cells", "T", "IFN-γ", "“hot”", "CD8+"]), max_size=60
    ),
    seps=st.lists(st.sampled_from([" ", "  ", "\n", " \n\n "]), min_size=60, max_size=60),
    data=st.data(),
)
def test_property_typographic_variants_are_located(
    words: list[str], seps: list[str], data: st.DataObject
) -> None:
    """A quote re-typed with straight quotes, hyphens and single spaces maps to the original."""
    text = "".join(w + s for w, s in zip(words, seps, strict=False))
    assume(len(words) >= 3)
    i = data.draw(st.integers(0, len(words) - 3))
    j = data.draw(st.integers(i + 3, len(words)))
    quote = " ".join(words[i:j]).replace("“", '"').replace("”", '"').replace("-", "–")
    assume(quote_problem(quote) is None)
    span = locate_quote(quote, text)
    assert span is not None
    assert normalize_quote(_slice(text, span)) == normalize_quote(quote)


@settings(max_examples=200, deadline=None)
@given(text=st.text(_ALPHABET, max_size=200), quote=st.text(_ALPHABET, max_size=60))
def test_property_any_located_span_normalises_equal(text: str, quote: str) -> None:
    span = locate_quote(quote, text)
    if span is not None:
        assert normalize_quote(_slice(text, span)) == normalize_quote(quote)
        assert normalize_quote(quote) in normalize_quote(text)


# --- ground_claims -----------------------------------------------------------------------


def test_ground_claims_keeps_verified_quotes_as_exact_slices() -> None:
    claims = [
        ModelClaim(
            statement="STING agonists raise T-cell infiltration.",
            quotes=[
                "STING agonists increased CD8+ T-cell infiltration by 2.4-fold",
                "STING agonists raised CD8+ T cells a lot",  # invented
            ],
        ),
        ModelEvidenceClaim(
            statement="Hazard ratio 0.62.",
            quotes=["hazard ratio of 0.62 (95% CI 0.48-0.80)"],
            evidence_kind=EvidenceKind.PATIENT_COHORT,
        ),
        ModelClaim(statement="Nothing verifiable.", quotes=["tumours melt away overnight"]),
        ModelClaim(statement="No quote at all.", quotes=[]),
        ModelClaim(statement="Too short.", quotes=["TGF-β"]),
    ]
    result = ground_claims(claims, TEXT)
    assert [c.statement for c in result.claims] == [
        "STING agonists raise T-cell infiltration.",
        "Hazard ratio 0.62.",
    ]
    first, second = result.claims
    assert [q.text for q in first.quotes] == [
        "STING agonists increased CD8+ T-cell\ninfiltration by 2.4-fold"
    ]
    assert second.quotes[0].text == "hazard ratio of 0.62 (95% CI 0.48–0.80)"
    assert first.evidence_kind is None
    assert second.evidence_kind is EvidenceKind.PATIENT_COHORT
    for claim in result.claims:
        for q in claim.quotes:
            assert TEXT[q.start : q.end] == q.text
    assert not result.ok
    failures = [(f.claim_index, f.quote, f.claim_dropped) for f in result.failures]
    assert failures == [
        (0, "STING agonists raised CD8+ T cells a lot", False),
        (2, "tumours melt away overnight", True),
        (3, None, True),
        (4, "TGF-β", True),
    ]
    assert [f.claim_index for f in result.dropped] == [2, 3, 4]
    assert "too short" in result.failures[3].reason
    feedback = result.feedback()
    assert "tumours melt away overnight" in feedback and "claim 3" in feedback
    # No unverified quote anywhere in the output.
    produced = {q.text for c in result.claims for q in c.quotes}
    assert not produced & {
        "STING agonists raised CD8+ T cells a lot",
        "tumours melt away overnight",
    }


def test_ground_claims_dedupes_and_follows_hints() -> None:
    q = "Blocking TGF-β restored infiltration"
    second = TEXT.index(q, TEXT.index(q) + 1)
    index = GroundingIndex(TEXT)
    result = ground_claims(
        [ModelClaim(statement="s", quotes=[q, "Blocking TGF‐β restored infiltration", q])],
        index,
    )
    assert len(result.claims[0].quotes) == 1 and result.ok
    # With a hint (e.g. the chunk's start) the nearer occurrence wins and carries on.
    result = ground_claims(
        [
            ModelClaim(statement="a", quotes=[q]),
            ModelClaim(statement="b", quotes=["infiltration in EMT6 tumours as well", q]),
        ],
        index,
        hint=second,
    )
    emt6 = TEXT.index("infiltration in EMT6")
    assert [c.quotes[0].start for c in result.claims] == [second, emt6]
    assert result.claims[1].quotes[1].start == second
    assert ground_claims([], TEXT).ok


# --- verify_summary ----------------------------------------------------------------------


def _summary(text: str, quotes: list[Quote], doc_id: str | None = None) -> DocumentSummary:
    return DocumentSummary(
        doc_id=doc_id or content_hash(text),
        source="x.txt",
        tldr="t",
        mechanism=[Claim(statement="s", quotes=quotes)],
        evidence=[Claim(statement="e", quotes=quotes, evidence_kind=EvidenceKind.UNSPECIFIED)],
        backend="fake",
        model="m",
        prompt_version="v1",
    )


def test_verify_summary_accepts_grounded_summary() -> None:
    result = ground_claims(
        [ModelClaim(statement="s", quotes=["Type I interferon signalling shapes"])], TEXT
    )
    summary = _summary(TEXT, result.claims[0].quotes)
    assert verify_summary(summary, TEXT) == []


def test_verify_summary_reports_every_mismatch() -> None:
    start = TEXT.index("Type I")
    good = Quote(text=TEXT[start : start + 20], start=start, end=start + 20)
    shifted = Quote(text=TEXT[start : start + 20], start=start + 1, end=start + 21)
    outside = Quote(text="x" * 20, start=len(TEXT), end=len(TEXT) + 20)
    problems = verify_summary(_summary(TEXT, [good, shifted, outside]), TEXT)
    assert len(problems) == 4  # shifted and outside, in both sections
    assert problems[0].startswith("mechanism[0].quotes[1]:")
    assert "outside the text" in problems[1]
    assert problems[2].startswith("evidence[0].quotes[1]:")
    # A summary checked against another text (or an edited one) fails on doc_id and quotes.
    other = TEXT.replace("Type I", "Type II")
    problems = verify_summary(_summary(TEXT, [good]), other)
    assert "content hash" in problems[0]
    assert len(problems) == 3


def test_verify_summary_catches_bypassed_validation() -> None:
    bad = Claim.model_construct(statement="s", quotes=[], evidence_kind=None)
    summary = _summary(TEXT, [Quote(text=TEXT[:5], start=0, end=5)])
    summary.mechanism.append(bad)
    assert verify_summary(summary, TEXT) == ["mechanism[1]: claim has no quote"]


# --- performance -------------------------------------------------------------------------


def test_index_is_fast_on_a_long_text() -> None:
    text = (TEXT + "\n\n") * 400  # ~200k characters
    t0 = time.perf_counter()
    ix = GroundingIndex(text)
    claims = [
        ModelClaim(statement="s", quotes=["hazard ratio of 0.62 (95% CI 0.48-0.80)"])
        for _ in range(200)
    ]
    result = ground_claims(claims, ix)
    elapsed = time.perf_counter() - t0
    assert result.ok and len(result.claims) == 200
    assert elapsed < 5  # generous; typically well under a second
