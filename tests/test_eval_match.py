"""The semantic matcher: lexical part, embeddings, and the calibrated threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.errors import ConfigError
from litdigest.evaluate import match, roles
from litdigest.evaluate.match import (
    MATCH_THRESHOLD,
    Matcher,
    calibrate,
    content_tokens,
    lexical_features,
    load_pairs,
    match_form,
    match_score,
    number_words_ok,
    polarity,
    relations,
    stance,
    stem,
)
from litdigest.llm import embed as embed_module
from litdigest.terms import salient_terms, term_keys
from tests.eval_support import REPO

PAIRS = REPO / "evals" / "calibration" / "pairs.yaml"


def test_stemming_and_content_tokens() -> None:
    assert stem("induces") == stem("induced") == stem("inducing")
    assert stem("tumours") == stem("tumor")
    assert content_tokens("The tumour is not in the T cells") == ["tumor", "t", "cell"]


def test_lexical_features_order_matters() -> None:
    same = lexical_features("IFN-γ induces PD-L1 on melanoma cells", "IFN-γ induces PD-L1")
    flipped = lexical_features("PD-L1 induces IFN-γ on melanoma cells", "IFN-γ induces PD-L1")
    assert same == (1.0, 1.0)
    assert flipped[0] == 1.0 and flipped[1] < 1.0  # same words, other order


def test_polarity() -> None:
    assert polarity("anti-CD73 extended survival") == 1
    assert polarity("lactate reduced IFN-γ release") == -1
    assert polarity("the antagonist did not extend survival") == -1
    assert polarity("CD73 converts AMP into adenosine") == 0


def test_polarity_skips_contrasts_and_intervention_nouns() -> None:
    assert polarity("oxaliplatin, but not cisplatin, increases calreticulin exposure") == 1
    assert polarity("TCF1+ cells, not terminal cells, expand after PD-1 blockade") == 1
    assert polarity("CSF1R inhibition enhances T-cell therapy") == 1  # "inhibition" = the drug
    assert polarity("compared with no treatment, the rinse reduced mucositis") == -1
    assert polarity("soluble PD-L1 fell as tumours progressed") == -1


def test_stance_and_relations() -> None:
    assert stance("steroid use was not associated with survival (HR 1.05)") == (True, 0)
    assert stance("G-CSF roughly halves febrile neutropenia") == (False, 0)
    assert stance("it remains uncertain whether acupuncture helps")[1] == -1
    assert stance("high-quality evidence shows that acupuncture helps")[1] == 1
    assert relations("NK cells are the main source of IL-2") == {"source"}
    assert relations("IL-2 increases NK-cell expansion") == {"effect"}


def test_numbers_in_words_must_be_stated() -> None:
    key_point = "G-CSF roughly halves the risk of febrile neutropenia versus placebo"
    assert number_words_ok("G-CSF cut febrile neutropenia (RR 0.52, 95% CI 0.4 to 0.6)", key_point)
    assert not number_words_ok("G-CSF reduced febrile neutropenia by about 10%", key_point)
    assert number_words_ok("48% responded", "nearly half of the patients responded")
    assert not number_words_ok("a single 8 Gy fraction", "8 Gy given in three fractions")
    assert number_words_ok("8 Gy in 3 fractions", "8 Gy given in three fractions")
    assert number_words_ok("change ±3 points in a third of patients", "a third of patients")


def test_conditions_and_their_lay_names() -> None:
    assert match.conditions("relapsed glioblastoma and rectal cancer") == {
        "glioblastoma",
        "site:rectal",
    }
    assert not match.condition_substituted("M2 TAMs dominate glioblastoma", "TAMs dominate glioma")
    assert match_form("inflammation of the colon") == "colitis"
    assert match_form("NF-kB") == "NF-κB"
    assert not relations("tumour-associated macrophages")


def test_match_form_folds_expansions() -> None:
    assert match_form("a high neutrophil-to-lymphocyte ratio") == "a high NLR"
    assert match_form("indoleamine 2,3-dioxygenase 1 makes kynurenine") == "IDO1 makes kynurenine"
    assert match_form("non-small cell lung cancer") == "non-small cell lung cancer"
    assert match_form("relapsed small-cell lung cancer") == "relapsed SCLC"


@pytest.mark.parametrize(
    ("claim", "key_point"),
    [
        (  # the claim names a sibling of the key point's name (IL-12 for IL-2)
            "IL-12 raises the proliferation of NK cells.",
            "interleukin 2 increases natural killer cell expansion",
        ),
        (  # another checkpoint than the key point's
            "CXCR4 inhibition with plerixafor acts synergistically with CTLA-4 blockade.",
            "CXCR4 inhibition with plerixafor acts synergistically with PD-L1 blockade",
        ),
        (  # no effect vs an effect
            "Compared with placebo, G-CSF did not reduce febrile neutropenia (RR 0.95).",
            "G-CSF roughly halves the risk of febrile neutropenia versus placebo",
        ),
        (  # certain vs uncertain evidence
            "High-quality evidence from large trials shows that acupuncture reduces cancer pain.",
            "it remains uncertain whether acupuncture reduces pain in people with cancer",
        ),
        (  # X makes Y vs Y acts on X
            "Natural killer cells are the main source of IL-2 in tumours.",
            "interleukin 2 increases natural killer cell expansion",
        ),
        (  # another disease in place of the key point's (a substitution, like a drug)
            "Immune-related hepatitis is more frequent with anti-CTLA-4 than with anti-PD-1.",
            "CTLA-4 inhibitors cause colitis more often than PD-1 inhibitors",
        ),
        (  # another cancer site
            "Laparoscopic and open surgery gave similar overall survival in colon cancer.",
            "laparoscopic and open resection gave similar overall survival for rectal cancer",
        ),
        (  # X makes Y vs X takes Y up
            "Regulatory T cells secrete IL-2 inside tumours.",
            "Tregs consume interleukin-2 and so deprive effector T cells of it",
        ),
        (  # "as often as" states no difference
            "Tumours poor in T cells responded to checkpoint inhibitors as often as inflamed ones.",
            "tumours without T cells respond poorly to checkpoint inhibitors",
        ),
        (  # a key point naming nothing: none of its specific words is there
            "Dormant leftover tumour cells are reawakened by immune-derived cues and regrow.",
            "recurring tumour cells send their own signals that hide them from immune cells",
        ),
    ],
)
def test_hard_negatives_fail_the_gate(claim: str, key_point: str) -> None:
    assert not Matcher().parts([claim], [key_point])[0][0].gated


@pytest.mark.parametrize(
    ("claim", "key_point", "expected"),
    [
        # another name between two shared words: the same statement about another entity
        (
            "Hypoxia in the tumour drives VISTA expression on myeloid cells.",
            "hypoxia in the tumour drives CD39 expression on myeloid cells",
            True,
        ),
        # another name just before the first shared word (no family in common: TREM2 / MARCO)
        (
            "TREM2 marks suppressive macrophages in the tumour.",
            "MARCO marks suppressive macrophages in the tumour",
            True,
        ),
        # the key point's name is there: nothing is substituted
        (
            "On myeloid cells, CD39 expression is driven by tumour hypoxia.",
            "hypoxia in the tumour drives CD39 expression on myeloid cells",
            False,
        ),
        # an extra name outside the absent one's slot (the claim describes CD39 in words)
        (
            "Myeloid cells make adenosine through an ectoenzyme, in 40 tumours stained for FOXP3.",
            "CD39 on myeloid cells makes adenosine",
            False,
        ),
    ],
)
def test_slot_substitution(claim: str, key_point: str, expected: bool) -> None:
    kp = match_form(key_point)
    absent = [t for t in salient_terms(kp) if t.key not in term_keys(match_form(claim))]
    assert match.slot_substituted(absent, match_form(claim), kp) is expected
    parts = Matcher().parts([claim], [key_point])[0][0]
    if expected:
        assert parts.substituted and not parts.gated


def test_slots_are_short_gaps_of_the_shared_frame() -> None:
    a = "ifn gamma upregul mhc class ii cancer cell".split()
    b = "ifn gamma upregul pd l1 cancer cell".split()
    assert match._slots(a, b) == [(["mhc", "class", "ii"], ["pd", "l1"])]
    # a slot longer than SLOT_REACH words is no slot; no shared word, no frame
    assert match._slots([*a[:3], "x", "y", "z", "w", *a[-2:]], b) == []
    assert match._slots(["alpha"], ["beta"]) == []


@pytest.mark.parametrize(
    ("claim", "key_point", "expected"),
    [
        # two names swap agent and patient
        ("NK cells kill CD4+ T cells in the tumour.", "CD4+ T cells suppress NK cells", True),
        # a passive keeps the roles: no swap
        ("NK cells are suppressed by CD4+ T cells.", "CD4+ T cells suppress NK cells", False),
        # the reduced passive "X made by Y" alone also reads as Y acting on X
        ("IL-10 made by Tregs.", "IL-10 inhibits Tregs", True),
        # a participle modifying the subject is passed over for the main verb
        (
            "IL-10 released by Tregs inhibits dendritic cells.",
            "Tregs inhibit dendritic cells",
            False,
        ),
        # one name moving sides is not a swap ("IFN-γ from T cells" vs "T cells release IFN-γ")
        ("T cells release IFN-γ that induces PD-L1.", "IFN-γ from T cells induces PD-L1", False),
        # no relation verb: no reading
        ("CD4+ T cells and NK cells in tumours.", "NK cells suppress CD4+ T cells", False),
    ],
)
def test_role_swaps(claim: str, key_point: str, expected: bool) -> None:
    assert roles.swapped(claim, key_point) is expected
    parts = Matcher().parts([claim], [key_point])[0][0]
    assert parts.swapped is expected and (not parts.gated if expected else True)


def test_embedding_similarity_paraphrase_vs_unrelated() -> None:
    close = embed_module.similarity(
        "cytotoxic drugs induce immunogenic death of tumour cells",
        "chemotherapy causes immunogenic cell death in tumours",
    )
    far = embed_module.similarity(
        "cytotoxic drugs induce immunogenic death of tumour cells",
        "metal stents relieve biliary obstruction",
    )
    assert close > 0.6 > far
    vectors = embed_module.embed(["a b c", "d e f"])
    assert vectors.shape == (2, embed_module.EMBED_DIM)


@pytest.mark.parametrize(
    ("claim", "key_point", "expected"),
    [
        (
            "Adenosine acting on the A2A receptor suppresses granzyme B and IFN-γ release by NK cells.",
            "adenosine signalling through A2A receptors inhibits NK-cell effector function",
            True,
        ),
        (
            "Claudin 18.2 CAR T cells gave a 48% objective response rate in gastric cancer.",
            "nearly half of gastric cancer patients responded to claudin 18.2 CAR T cells",
            True,
        ),
        (
            "Metal stents had a lower risk of recurrent biliary obstruction than plastic stents.",
            "STING agonists license dendritic cells for cross-presentation",
            False,
        ),
    ],
)
def test_matcher_on_pairs(claim: str, key_point: str, expected: bool) -> None:
    matcher = Matcher()
    assert matcher.matches(claim, key_point) is expected
    assert matcher.matrix([claim], [key_point])[0, 0] == pytest.approx(
        match_score(claim, key_point), abs=1e-5
    )


def test_opposite_direction_fails_the_gate() -> None:
    key_point = "temozolomide with radiotherapy improves overall survival"
    agree = match_score("Temozolomide with radiotherapy prolonged overall survival.", key_point)
    oppose = match_score("Temozolomide with radiotherapy reduced overall survival.", key_point)
    assert agree >= MATCH_THRESHOLD and oppose == 0.0


def test_salient_terms_gate_the_match() -> None:
    """Same relation, other entities: the key point's names must be in the claim or quotes."""
    key_point = "KDM1B activation couples immunogenic cell death to stem cell expansion"
    claim = "Weak interferon signalling lets tumours grow and escape immunity."
    parts = Matcher().parts([claim], [key_point])[0][0]
    assert not parts.gated and "kdm1b" in parts.missing
    quoted = Matcher().parts([claim], [key_point], ["KDM1B links cell death to stem cells"])
    assert "kdm1b" not in quoted[0][0].missing
    numbers = Matcher().parts(["The response rate was 38%."], ["the response rate was 83%"])
    assert not numbers[0][0].numbers_ok and not numbers[0][0].gated


def test_calibration_pairs_are_sound() -> None:
    pairs = load_pairs(PAIRS)
    assert len(pairs) >= 300
    assert 0.3 < sum(p.match for p in pairs) / len(pairs) < 0.7
    assert sum(p.hard for p in pairs) >= 100 and not any(p.hard and p.match for p in pairs)
    assert len({(p.claim, p.key_point) for p in pairs}) == len(pairs)
    heldout = sum(p.split == "heldout" for p in pairs) / len(pairs)
    assert 0.3 <= heldout <= 0.36
    assert {p.split for p in pairs} == {"train", "heldout"}


def test_stored_threshold_is_still_the_calibrated_best() -> None:
    """Recompute the F1-maximising threshold on the *train* pairs; the stored one must still
    be (nearly) best. The held-out pairs are only reported (README "Evaluation")."""
    pairs = load_pairs(PAIRS)
    train = [p for p in pairs if p.split == "train"]
    best = calibrate(train)
    f1_stored, _, _ = match._prf(
        match.pair_scores(train), [p.match for p in train], MATCH_THRESHOLD
    )
    assert abs(best.threshold - MATCH_THRESHOLD) <= 0.03
    assert f1_stored >= best.f1 - 0.01
    heldout = match.evaluate_pairs([p for p in pairs if p.split == "heldout"], MATCH_THRESHOLD)
    # measured 0.720 on the 276 held-out pairs (0.764 on the 194 of session 5, 0.605 on the 82
    # written in session 6), train 0.845 on 597 (target 0.85 not reached: README); with the
    # slot substitution gate (session 7): held-out 0.733 (P 0.690, R 0.781), train 0.849
    assert heldout["f1"] >= 0.7
    easy = [p for p in train if p.kind in {"paraphrase", "detail", "unrelated"}]
    assert calibrate(easy).f1 >= 0.9


def test_cross_validation_scores_the_procedure() -> None:
    """The threshold chosen on 4 folds of topic groups (``pair_groups``) and scored on the
    fifth: within the train pairs it must stay close to the in-sample figure (a threshold that
    only fits its own pairs would not). Measured 0.847 (in-sample 0.849)."""
    train = [p for p in load_pairs(PAIRS) if p.split == "train"]
    cv = match.cross_validate(train, seeds=2)
    assert cv["pairs"] == len(train)
    assert cv["f1"] >= calibrate(train).f1 - 0.03
    assert cv["f1"] >= 0.83
    groups = match.pair_groups(train)
    assert len(set(groups)) < len(train)  # twins and topic-mates share a group


def test_embedder_load_failure_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import wordllama

    def broken(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("tokenizer/l2_supercat_tokenizer_config.json")

    embed_module.embedder.cache_clear()
    monkeypatch.setattr(wordllama.WordLlama, "load", broken)
    try:
        with pytest.raises(ConfigError, match="cannot load the WordLlama embedding model"):
            embed_module.embedder()
    finally:
        embed_module.embedder.cache_clear()


def test_load_pairs_rejects_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("pairs:\n  - {claim: a, key_point: b}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="match"):
        load_pairs(bad)


def test_key_points_stay_with_their_own_case() -> None:
    """Cross-case match rate over the committed golden sets (key points of different cases
    of a set matching each other): at most 0.05 on every set; measured 0.012 or less on
    every set but seeds (0.034; 0.18 before the specific-word gate and two sharper seeds
    key points), pooled 0.007."""
    from litdigest.evaluate.calibration import cross_case_counts
    from litdigest.evaluate.runner import load_sets

    sets = load_sets(sorted((REPO / "evals" / "golden").glob("*.yaml")))
    counts = {gs.name: cross_case_counts(gs, Matcher()) for gs in sets}
    hits = sum(h for h, _ in counts.values())
    total = sum(t for _, t in counts.values())
    assert total > 10_000
    assert hits / total <= 0.05
    too_high = {name: round(h / t, 3) for name, (h, t) in counts.items() if t and h / t > 0.05}
    assert not too_high
