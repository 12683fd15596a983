"""extractive-v3 selection under the word budget: fields balanced by their own best rank, and
claims that restate a chosen claim (in any field) passed over (MMR-like). Invented sentences."""

from __future__ import annotations

import pytest

from litdigest.summarize.backends import extractive_v3
from litdigest.summarize.backends.extractive_v3 import (
    ExtractiveV3Backend,
    _novelty,
    _options,
    _pick,
    _Sentence,
    _topic_terms,
)
from litdigest.summarize.schema import SECTIONS, Section
from tests.extractive_support import make_doc, v3_sentence


def sentence(text: str, index: int = 0) -> _Sentence:
    return v3_sentence(text, index)


def test_topic_terms_are_those_most_sentences_share() -> None:
    texts = [
        "Zorvamab slowed tumour growth in treated mice.",
        "Zorvamab raised splenic natural killer cell counts.",
        "Zorvamab caused mild rashes in two animals.",
        "Body weight stayed stable during dosing.",
    ]
    topic = _topic_terms([sentence(t, i) for i, t in enumerate(texts)])
    assert "zorvamab" in topic
    assert "rash" not in topic


def test_novelty_counts_shared_terms_but_not_topic_terms() -> None:
    chosen = frozenset({"zorvamab", "slowed", "tumour", "growth"})
    repeat = frozenset({"zorvamab", "slowed", "tumour", "growth", "mice"})
    new = frozenset({"zorvamab", "raised", "killer", "cell", "count"})
    assert _novelty(repeat, [chosen]) < _novelty(new, [chosen]) < 1.0
    assert _novelty(new - {"zorvamab"}, [chosen - {"zorvamab"}]) == 1.0
    assert _novelty(repeat, []) == 1.0


def test_pick_passes_over_a_restatement_of_another_fields_claim() -> None:
    first = sentence(
        "Zorvamab blocks the Qel receptor on dendritic cells and halts their migration."
    )
    again = sentence("Blocking the Qel receptor halts dendritic cell migration in treated mice.", 1)
    other = sentence("Treated mice lived 40% longer than controls in the Vantor model.", 2)
    mechanism = _options([(1.0, first)])[0]
    options = _options([(0.9, again), (0.8, other)])
    assert options[0].sentence is again  # the better rank ...
    pick = _pick(options, 100, {}, [], [mechanism.terms], frozenset())
    assert pick is not None
    assert options[pick[1]].sentence is other  # ... repeats the mechanism claim
    # with nothing chosen yet, the best rank wins
    assert _pick(options, 100, {}, [], [], frozenset()) == (1.0, 0)


def test_pick_respects_the_room_left() -> None:
    long = sentence(
        "Zorvamab reduced the number of lung nodules in every treated animal across "
        "three independent cohorts of mice followed for twelve weeks.",
    )
    short = sentence("Zorvamab halved lung nodules in treated mice.", 1)
    options = _options([(1.0, long), (0.5, short)])
    pick = _pick(options, 10, {}, [], [], frozenset())
    assert pick is not None
    assert options[pick[1]].sentence is short
    assert _pick(options, 3, {}, [], [], frozenset()) is None


def fake_pools(
    ranks: dict[Section, list[tuple[float, str]]],
) -> dict[Section, list[tuple[float, _Sentence]]]:
    n = 0
    out: dict[Section, list[tuple[float, _Sentence]]] = {s: [] for s in SECTIONS}
    for section, pool in ranks.items():
        for rank, text in pool:
            out[section].append((rank, sentence(text, n)))
            n += 1
    return out


def test_a_field_whose_scores_run_low_still_gets_its_next_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Evidence ranks run high, mechanism ranks low: once each field has its first claim,
    the next words go to the field whose next option is good *for that field*."""
    pools = fake_pools(
        {
            "evidence": [
                (1.0, "Zorvamab halved lung nodules in treated mice."),
                (0.3, "Body weight of treated mice stayed within normal limits."),
            ],
            "mechanism": [
                (0.2, "Zorvamab blocks the Qel receptor on dendritic cells."),
                (0.18, "Without Qel signalling, dendritic cells stop migrating to lymph nodes."),
            ],
        }
    )
    monkeypatch.setattr(extractive_v3, "_pools", lambda _: pools)
    backend = ExtractiveV3Backend(short_doc_claims=3)
    # room for both first claims and one of the two second ones, not both
    firsts = sum(pool[0][1].n_words for pool in pools.values() if pool)
    budget_words = firsts + 10
    monkeypatch.setattr(ExtractiveV3Backend, "word_budget", lambda self, n: budget_words)
    chosen = backend._select([], 200)
    assert len(chosen["mechanism"]) == 2
    assert len(chosen["evidence"]) == 1
    monkeypatch.setattr(extractive_v3, "FIELD_BALANCE", 0.0)
    chosen = backend._select([], 200)
    assert len(chosen["evidence"]) == 2  # raw densities: evidence took the words


_HOUSEKEEPING_ABSTRACT = (
    "Four trials enrolling 612 adults with chronic sinus pain compared nasal saline rinses "
    "with usual care. Two of the four trials had a high risk of bias. Since the last version "
    "of this review we found two new trials. Saline rinses lowered symptom scores at three "
    "months (mean difference -1.2 points, 95% CI -1.9 to -0.5). Pooling of quality of life "
    "data was not possible. Adverse events were not reported in three trials. The trial size "
    "ranged from 40 to 300 participants. No measure of sleep quality was assessed in the "
    "included trials. Rinses reduced antibiotic courses over one year "
    "(RR 0.71, 95% CI 0.55 to 0.92). Rinsing with saline may be offered to adults with "
    "chronic sinus pain. Larger trials with low risk of bias are needed to confirm the "
    "benefit."
)


def test_review_housekeeping_is_never_a_claim() -> None:
    summary = extractive_v3.ExtractiveV3Backend().summarize_sync(make_doc(_HOUSEKEEPING_ABSTRACT))
    quotes = [q.text for sec in SECTIONS for c in getattr(summary, sec) for q in c.quotes]
    assert quotes
    for marker in (
        "had a high risk of bias",
        "Since the last version",
        "was not possible",
        "were not reported",
        "trial size ranged",
        "sleep quality",
    ):
        assert not any(marker in q for q in quotes), marker
    assert any("antibiotic courses" in q for q in quotes)
    # advice that names risk of bias is an implication, not housekeeping
    advice = [q.text for c in summary.therapeutic_implication for q in c.quotes]
    assert any("low risk of bias are needed" in q for q in advice)


@pytest.mark.parametrize(
    "sentence",
    [
        "Twenty-nine trials did not mention whether they monitored adverse events.",
        "There was inadequate reporting on adverse events in the included trials.",
        "No reports described adverse effects associated with the drugs in those trials.",
    ],
)
def test_what_the_trials_left_unreported_is_housekeeping(sentence: str) -> None:
    from litdigest.summarize.backends.extractive_v3 import _HOUSEKEEPING_RE

    assert _HOUSEKEEPING_RE.search(sentence.lower())
    finding = "Rinses reduced adverse events over one year (RR 0.71, 95% CI 0.55 to 0.92)."
    assert not _HOUSEKEEPING_RE.search(finding.lower())
