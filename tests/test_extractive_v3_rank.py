"""extractive-v3 rank within a field by document length: in an abstract the field score orders
a field's sentences, in a long document it weighs less than importance. Invented
sentences with set scores."""

from __future__ import annotations

from litdigest.summarize.backends import extractive_v3
from litdigest.summarize.backends.extractive_roles import ROLES
from litdigest.summarize.backends.extractive_v3 import _pools, _Sentence
from tests.extractive_support import v3_sentence

_EVIDENCE = ROLES.index("evidence")


def evidence(text: str, ordinal: int, field_score: float, importance: float) -> _Sentence:
    """An evidence sentence: the classifier's pick, with ``field_score`` in evidence only."""
    probs = [0.0] * len(ROLES)
    probs[_EVIDENCE] = 0.9
    return v3_sentence(
        text,
        ordinal,
        paragraph=ordinal,
        first_in_paragraph=True,
        importance=importance,
        probs=probs,
        fields=[0.0, field_score, 0.0],
        role_index=_EVIDENCE,
    )


SURE = "Treated mice lived 40% longer than the untreated controls in the Vantor model."
CENTRAL = "Zorvamab lowered the tumour burden of the treated mice by half within three weeks."


def ranked(offset: int) -> list[str]:
    """The evidence pool, best first, of the two sentences placed at ``offset`` (the second
    one being the document's last sentence: ``offset + 2`` sentences in all)."""
    sentences = [evidence(SURE, offset, 1.2, 0.2), evidence(CENTRAL, offset + 1, 0.5, 0.6)]
    return [s.text for _, s in _pools(sentences)["evidence"]]


def test_an_abstract_ranks_by_field_score_times_importance() -> None:
    # 1.2 × 0.45 beats 0.5 × 0.85: the field score decides
    assert ranked(0) == [SURE, CENTRAL]


def test_a_long_document_ranks_mostly_by_importance() -> None:
    # past the lead, in a document of LEAD_MIN_SENTENCES sentences: 1.2 ** 0.5 × 0.45 loses
    # to 0.5 ** 0.5 × 0.85
    offset = max(extractive_v3.LEAD_MIN_SENTENCES, extractive_v3.LEAD_SENTENCES)
    assert ranked(offset) == [CENTRAL, SURE]


def test_the_power_is_set_per_length_class() -> None:
    assert extractive_v3.SHORT_FIELD_POWER > extractive_v3.LONG_FIELD_POWER >= 0.0
