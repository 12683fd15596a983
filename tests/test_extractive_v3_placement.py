"""Field placement rules of extractive-v3 (issue 13): which field a claim sentence joins.

Sentences are our own, invented for these tests."""

from __future__ import annotations

import re

from litdigest.summarize.backends.extractive_common import CONCLUSION
from litdigest.summarize.backends.extractive_v3 import (
    _bears_on_use,
    _field_scores,
    _Sentence,
    _unobserved,
)

# role probabilities in ``ROLES`` order: mechanism, evidence, implication, background, methods,
# meta, other
EVIDENCE_PROBS = [0.05, 0.7, 0.05, 0.1, 0.05, 0.0, 0.05]
IMPLICATION_PROBS = [0.05, 0.1, 0.6, 0.1, 0.1, 0.0, 0.05]
NO_CUES = [0.0] * 7


def sentence(
    text: str,
    probs: list[float],
    cues: list[float],
    section: int = 0,
) -> _Sentence:
    role = max(range(len(probs)), key=probs.__getitem__)
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    return _Sentence(0, len(text), 0, 0, 0, False, section, 0, None, text, text.lower(), words,
                     len(text.split()), probs=probs, cues=cues, role_index=role)  # fmt: skip


def test_evidence_without_an_observation_is_a_mechanism() -> None:
    """A statement of how molecules act, with no number, study population, reporting verb or
    past tense, is mechanism even when the classifier leans to evidence."""
    how = "Lactate binds the GPR81 receptor of macrophages, lowering cAMP and shifting them to repair."
    assert _unobserved(how)
    s = sentence(how, EVIDENCE_PROBS, [0.4, 0.2, 0.0, 0, 0, 0, 0])
    fields = _field_scores(s, last=False, tail=False)
    assert fields[0] > fields[1]
    # Names with digits (GPR81, CD8) are no figures, but a number, a population, a reporting
    # verb or the past tense is an observation: evidence stays evidence.
    for seen in (
        "Lactate binds GPR81 on 40% of macrophages, lowering cAMP.",
        "In mice, lactate binds the GPR81 receptor of macrophages and lowers cAMP.",
        "We show that lactate binds the GPR81 receptor of macrophages.",
        "Lactate bound the GPR81 receptor of macrophages and lowered cAMP.",
        "Receptor transcripts were raised in the liver.",
    ):
        assert not _unobserved(seen), seen
        s = sentence(seen, EVIDENCE_PROBS, [0.4, 0.2, 0.0, 0, 0, 0, 0])
        fields = _field_scores(s, last=False, tail=False)
        assert fields[1] > fields[0], seen
    # a present passive or a hyphenated participle is no past tense
    assert _unobserved("The receptor is regulated by a CD4-activated kinase.")
    assert _unobserved("The sensor binds a messenger produced by the cyclase.")
    # without a mechanism cue the rule does not apply
    s = sentence(how, EVIDENCE_PROBS, NO_CUES)
    fields = _field_scores(s, last=False, tail=False)
    assert fields[1] > fields[0]


def test_the_conclusion_bonus_needs_a_word_of_use() -> None:
    """A finding restated in the discussion or the last lines is no implication; a sentence that
    speaks of use, outlook or consequence (or that the classifier calls implication) is."""
    restated = "In the gut, exposure lowered receptor transcripts in both sexes."
    s = sentence(restated, EVIDENCE_PROBS, NO_CUES, section=CONCLUSION)
    assert not _bears_on_use(s)
    fields = _field_scores(s, last=True, tail=True)
    assert fields[2] == EVIDENCE_PROBS[2]  # no bonus
    for advice in (
        "The choice of dressing will depend on what is locally available.",
        "Exposure could disturb receptor signalling in wild fish as well.",
    ):
        s = sentence(advice, EVIDENCE_PROBS, NO_CUES, section=CONCLUSION)
        assert _bears_on_use(s), advice
        fields = _field_scores(s, last=True, tail=True)
        assert fields[2] > EVIDENCE_PROBS[2] + 0.6 - 1e-9, advice  # both bonuses
    # the classifier's own implication keeps the bonus
    s = sentence("This makes the scan an easy routine.", IMPLICATION_PROBS, NO_CUES, CONCLUSION)
    assert _bears_on_use(s)
    assert _field_scores(s, last=True, tail=True)[2] > 0.6 + IMPLICATION_PROBS[2] - 1e-9


def test_a_reviews_verdict_is_its_implication() -> None:
    """A review's verdict on the evidence it gathered is the authors' conclusion, wherever it
    stands; a figure reported as a result stays evidence."""
    from litdigest.summarize.backends.extractive_v3 import _is_verdict

    for verdict in (
        "This review found weak evidence that neither favours nor argues against cold packs.",
        "Results from three small randomised trials suggest that cold packs may ease the pain.",
        "These two trials do not support routine use of cold packs after knee surgery.",
    ):
        assert _is_verdict(verdict), verdict
        s = sentence(verdict, EVIDENCE_PROBS, NO_CUES)
        fields = _field_scores(s, last=False, tail=False)
        assert fields[2] > fields[1], verdict
    for result in (
        "Results of this trial show fewer falls with cold packs (RR 0.61).",
        "Two trials compared cold packs with warm packs.",
        "Cold packs were used in both trials.",
    ):
        assert not _is_verdict(result), result


def test_an_open_question_is_no_mechanism_nor_evidence() -> None:
    """What is not known is no claim of how things work or of what was found; a concessive
    clause does not make the main clause an open question."""
    from litdigest.summarize.backends.extractive_v3 import _open_question

    mechanism_probs = [0.6, 0.2, 0.05, 0.1, 0.0, 0.0, 0.05]
    for question in (
        "How the solvent lowers hormone levels in carp remains unclear.",
        "It is not known whether the toxin reaches the brain of exposed eels.",
        "Binding of the toxin to serum carriers has yet to be examined.",
    ):
        s = sentence(question, mechanism_probs, [0.5, 0.2, 0.0, 0, 0, 0, 0])
        assert _open_question(s), question
        assert _field_scores(s, last=False, tail=False)[:2] == [0.0, 0.0]
    for question in (
        "How the toxin crosses the gill epithelium remains to be determined.",
        "Important questions remain unanswered about the toxin's route in eels.",
    ):
        s = sentence(question, mechanism_probs, [0.5, 0.2, 0.0, 0, 0, 0, 0])
        assert _open_question(s), question
    concessive = "Although the route is unclear, the toxin lowers hormone levels in carp."
    s = sentence(concessive, mechanism_probs, [0.5, 0.2, 0.0, 0, 0, 0, 0])
    assert not _open_question(s)
    assert _field_scores(s, last=False, tail=False)[0] > 0.6


def test_a_legend_listing_its_panels_is_never_a_claim() -> None:
    from litdigest.summarize.backends.extractive_v3 import _never_claim

    legend = "Ranges of the voles at three times: A. early Holocene B. mid Holocene C. today."
    assert _never_claim(sentence(legend, EVIDENCE_PROBS, NO_CUES))
    prose = "Vitamin A. Levels of B. cereus rose in the stored rice."
    assert not _never_claim(sentence(prose, EVIDENCE_PROBS, NO_CUES))


def test_a_tested_hypothesis_is_an_aim_not_a_claim() -> None:
    from litdigest.summarize.backends.extractive_v3 import _never_claim

    aim = "We tested the hypothesis that dietary solvents alter gene transcripts in carp."
    assert _never_claim(sentence(aim, EVIDENCE_PROBS, NO_CUES))
    found = "We show that dietary solvents alter gene transcripts in carp."
    assert not _never_claim(sentence(found, EVIDENCE_PROBS, NO_CUES))
    for aim in (
        "We turned to giant pandas, an extreme case, to test our hypothesis that milk matures "
        "slowly.",
        "We hypothesized that IL-2 expands regulatory T cells in the tumour bed.",
    ):
        assert _never_claim(sentence(aim, EVIDENCE_PROBS, NO_CUES)), aim
    confirmed = "This hypothesis was confirmed in mice lacking CD73 on NK cells."
    assert not _never_claim(sentence(confirmed, EVIDENCE_PROBS, NO_CUES))


def test_a_generic_outlook_is_never_a_claim() -> None:
    """A generic "many issues remain" names no finding, mechanism or use: no claim in any field. An
    open question that names what is unknown stays an outlook (implication at most)."""
    from litdigest.summarize.backends.extractive_v3 import _never_claim

    for outlook in (
        "Of course, many issues remain to be resolved in the growing field of eel toxicology.",
        "Many questions remain unanswered.",
        "Much remains to be learned about solvent toxicity in fish.",
    ):
        assert _never_claim(sentence(outlook, EVIDENCE_PROBS, NO_CUES)), outlook
    for named in (
        "Several issues remain, including the dose and the timing of exposure.",
        "The best dose of the antidote for exposed carp is still unknown.",
        "Toxin levels remain high in exposed carp after six weeks.",
    ):
        assert not _never_claim(sentence(named, EVIDENCE_PROBS, NO_CUES)), named
