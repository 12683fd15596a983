"""The support check: statements against their quotes (numbers, names, negations, directions)."""

from __future__ import annotations

import pytest

from litdigest.summarize.support import (
    check_support,
    check_terms,
    check_tldr,
    compose_tldr,
    parse_numbers,
    summary_support,
)

# (statement, quote): paraphrases that must pass (false-flag guards)
SUPPORTED = [
    (
        "PD-1 blockade increased CD8+ T-cell infiltration.",
        "Anti-PD-1 therapy increased the infiltration of CD8+ T cells into tumours.",
    ),
    (
        "IL-10 suppresses effector T cells.",
        "Interleukin 10 suppresses effector T cells in the tumour microenvironment.",
    ),
    (
        "High TAM density was associated with poor survival.",
        "A high density of tumor-associated macrophages was associated with worse overall survival.",
    ),
    ("Ipilimumab did not improve OS.", "Ipilimumab did not improve overall survival."),
    ("Ipilimumab had no effect on OS.", "Ipilimumab did not improve overall survival."),
    (
        "Treatment reduced mortality (HR 0.71, 95% CI 0.60 to 0.84).",
        "Mortality was lower with treatment (hazard ratio 0.71; 95% confidence interval 0.60-0.84).",
    ),
    ("The effect was significant (p < 0.05).", "The difference was significant (P<0.05)."),
    ("Median survival was about 12 months.", "Median survival was 11.8 months."),
    ("About 40% of patients responded.", "A response was seen in 39.6% of patients."),
    ("Roughly 40 per cent responded.", "A response was seen in 40% of patients."),
    ("TNF-α promotes tumour growth.", "TNF-alpha promotes tumor growth in mice."),
    (
        "Anti-PD-1 overcomes immunosuppression and enhances antitumor immunity.",
        "PD-1 blockade reverses suppression of antitumor immunity.",
    ),
    ("Three trials were included.", "We included 3 trials with 500 participants."),
    ("Tregs suppress antitumour immunity.", "Regulatory T cells inhibit antitumor immunity."),
    ("There was no difference in pain scores.", "Pain scores were similar between groups."),
    (
        "IFN-gamma signalling drives PD-L1 expression.",
        "IFN-γ signaling induces expression of PD-L1 on tumour cells.",
    ),
    ("Nivolumab was given at 3 mg/kg.", "Patients received nivolumab 3 mg/kg every two weeks."),
    ("The odds ratio was 1.5 (95% CI 1.1 to 2.0).", "OR 1.50, 95% CI 1.10-2.00."),
    ("Risk fell by a relative 20%.", "The relative risk was reduced by 20% (RR 0.80)."),
    (
        "Macrophages polarise towards an M2 phenotype.",
        "Tumour signals polarize macrophages to the M2 phenotype.",
    ),
    ("Neutrophils did not differ between arms.", "Neutrophil counts were comparable between arms."),
    (
        "CTLA-4 inhibition raises T-cell priming.",
        "Blocking CTLA-4 increases the priming of T cells.",
    ),
    (
        "Loss of MHC-I lets tumours evade CD8+ T cells.",
        "Loss of MHC-I allows tumours to escape recognition by CD8+ T cells.",
    ),
    ("The trial enrolled 1,200 patients.", "A total of 1200 patients were enrolled in the trial."),
    (
        "Survival improved and toxicity decreased.",
        "Survival was improved, while toxicity decreased with the combination.",
    ),
    ("Mean difference -1.2 points.", "The mean difference was −1.2 points (95% CI −2.0 to −0.4)."),
    ("The drug lowered blood pressure.", "The drug reduced blood pressure in most participants."),
]

# (statement, quote, what must be reported)
UNSUPPORTED = [
    ("The response rate was 24%.", "The objective response rate was 42% (95% CI 35-49%).", "24%"),
    ("IL-12 suppresses effector T cells.", "IL-10 suppresses effector T cells.", "IL-12"),
    (
        "PD-1 blockade decreased CD8+ T-cell infiltration.",
        "Anti-PD-1 therapy increased the infiltration of CD8+ T cells.",
        "decreased",
    ),
    (
        "High TAM density was associated with worse survival.",
        "High density of tumour-associated macrophages was associated with better survival.",
        "worse",
    ),
    (
        "Ipilimumab improved overall survival.",
        "Ipilimumab did not improve overall survival.",
        "negation dropped",
    ),
    (
        "There was no difference in pain scores.",
        "Pain scores were lower in the intervention group.",
        "negation added",
    ),
    ("Treatment reduced mortality (HR 0.77).", "Mortality was lower (hazard ratio 0.71).", "0.77"),
    (
        "The effect was significant (p > 0.05).",
        "The difference was significant (P<0.05).",
        "> 0.05",
    ),
    ("Statins raise LDL cholesterol.", "Statins lower LDL cholesterol.", "raise"),
    ("TIGIT drives exhaustion.", "PD-1 drives exhaustion of T cells.", "TIGIT"),
    ("Neutrophils promote metastasis.", "Macrophages promote metastasis.", "neutrophil"),
    ("Pembrolizumab extended survival.", "Nivolumab extended survival.", "pembrolizumab"),
    ("Median survival was 18 months.", "Median survival was 12 months.", "18 months"),
    ("The dose was 30 mg.", "The dose was 3 mg.", "30 mg"),
    ("Mean difference 1.2 points lower; worse with -3.5.", "Mean difference -1.2.", "-3.5"),
    (
        "IFN-γ is required for the response.",
        "IFN-gamma is not required for the response.",
        "negation dropped",
    ),
]


@pytest.mark.parametrize(("statement", "quote"), SUPPORTED)
def test_paraphrases_pass(statement: str, quote: str) -> None:
    result = check_support(statement, [quote])
    assert result.ok, result.describe()


@pytest.mark.parametrize(("statement", "quote", "item"), UNSUPPORTED)
def test_unsupported_items_are_named(statement: str, quote: str, item: str) -> None:
    result = check_support(statement, [quote])
    assert not result.ok
    assert any(item.lower() in t.lower() for t in result.terms), result.terms


def test_any_quote_of_the_claim_may_support() -> None:
    quotes = ["IL-6 activates STAT3 in tumour cells.", "STAT3 then induces VEGF."]
    assert check_support("IL-6 induces VEGF through STAT3.", quotes).ok
    assert not check_support("IL-6 induces VEGF through STAT1.", quotes).ok


def test_numbers_keep_unit_sign_operator() -> None:
    (n,) = parse_numbers("p ≤ 0.01")
    assert (n.op, n.value) == ("<=", 0.01)
    (n,) = parse_numbers("a fall of −2.5 mg")
    assert n.negative and n.unit == "mg" and n.value == 2.5
    assert [x.value for x in parse_numbers("IL-10, CD8, p53 and PD-1 in 12 mice")] == [12]
    assert [x.unit for x in parse_numbers("10-20% of cells")] == ["%", "%"]
    assert [x.value for x in parse_numbers("less than 5% and more than 3 months")] == [5, 3]
    assert [x.op for x in parse_numbers("less than 5% and more than 3 months")] == ["<", ">"]


def test_rounding_is_allowed_but_not_changing() -> None:
    assert check_support("HR 0.7", ["HR 0.71"]).ok
    assert not check_support("HR 0.75", ["HR 0.71"]).ok
    assert not check_support("42.5%", ["42%"]).ok  # more precise than the quote: invented


def test_direction_pairs_in_mixed_sentences() -> None:
    quote = "The combination increased CD8+ T cells and decreased regulatory T cells."
    assert check_support("The combination decreased Tregs.", [quote]).ok
    assert not check_support("The combination decreased CD8+ T cells.", [quote]).ok


def test_tldr_terms_must_come_from_cited_quotes() -> None:
    quotes = ["Macrophages secrete IL-10 in 40% of tumours."]
    ok = check_tldr([("Macrophages produce IL-10 in 40% of tumours.", quotes)])
    assert ok.ok
    bad = check_tldr(
        [("Interleukin-99 secreted by lunar macrophages reverses all tumours in 1 hour.", quotes)]
    )
    assert not bad.ok
    assert "IL-99" in bad.terms and any("1 hour" in t for t in bad.terms)
    uncited = check_tldr([("IL-10 matters.", [])])
    assert not uncited.ok
    assert check_terms("Tumours grow.", quotes).ok


def test_compose_tldr() -> None:
    assert compose_tldr(["a first claim", "Second one.", "third"]) == "A first claim. Second one."
    assert compose_tldr([]) == ""


def test_a_statement_stopping_before_the_negation_did_not_drop_it() -> None:
    quote = "In total 1800 people were randomised to drainage versus no drainage at all."
    assert check_support("In total 1800 people were randomised to drainage.", [quote]).ok
    assert not check_support("1800 people were randomised to drainage at all.", [quote]).ok


def test_summary_support_counts_fields_and_the_tldr() -> None:
    from litdigest.summarize.schema import Claim, DocumentSummary, Quote, TldrCitation

    def claim(statement: str, quote: str) -> Claim:
        return Claim(statement=statement, quotes=[Quote(text=quote, start=0, end=len(quote))])

    summary = DocumentSummary(
        doc_id="d",
        source="s",
        tldr="IL-10 rose by 42%.",
        mechanism=[claim("IL-10 rose by 42%.", "IL-10 increased by 42%.")],
        therapeutic_implication=[claim("IL-12 rose.", "IL-10 increased by 42%.")],
        backend="b",
        model="m",
        prompt_version="v",
        tldr_citations=[TldrCitation(sentence="IL-10 rose by 42%.", claims=["mechanism[0]"])],
    )
    result = summary_support(summary)
    assert result.fields == {"mechanism": (1, 0), "therapeutic_implication": (1, 1)}
    assert result.rate == 0.5 and result.tldr_unsupported is False
    bad = summary.model_copy(update={"tldr": "IL-99 rose.", "tldr_citations": []})
    assert summary_support(bad).tldr_unsupported is True


def test_one_of_two_negations_dropped() -> None:
    quote = "The results did not exclude the point of no effect."
    assert not check_support("The results did exclude the point of no effect.", [quote]).ok
    assert check_support("The results did not exclude the point of no effect.", [quote]).ok
    quote = "Without antibiotics, 46% improved, whether or not confirmed by imaging."
    assert not check_support("Without antibiotics, 46% improved, whether or confirmed.", [quote]).ok
    quote = "The meta-analysis revealed no statistically significant difference."
    assert not check_support("The meta-analysis revealed statistically.", [quote]).ok
