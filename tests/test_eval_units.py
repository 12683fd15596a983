"""The matcher folds unit spellings after a number (``match.unit_form``); invented sentences."""

from __future__ import annotations

import pytest

from litdigest.evaluate.match import Matcher, match_form, unit_form
from litdigest.terms import numbers


def _keys(text: str) -> list[str]:
    return [n.key for n in numbers(match_form(text))]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("cells were stimulated for 10 min", "cells were stimulated for 10 minutes"),
        ("a 10-min pulse", "a 10min pulse"),
        ("after 30 seconds", "after 30 s"),
        ("a 24-hour infusion", "a 24 h infusion"),
        ("dosed for 48 hrs", "dosed for 48 hours"),
        ("within 3 d", "within 3 days"),
        ("for 6 wk", "for 6 weeks"),
        ("a 12-month follow-up", "after 12 mo"),
        ("5-year survival", "survival at 5 years"),
        ("followed for 2 yr", "followed for 2 y"),
        ("200 mg daily", "200 milligrams daily"),
        ("1,000 mg daily", "1,000 milligrams daily"),
        ("5 mcg of antigen", "5 µg of antigen"),
        ("5 ug of antigen", "5 micrograms of antigen"),
        ("2 g of protein", "2 grams of protein"),
        ("a 70 kg adult", "a 70 kilograms adult"),
        ("in 100 mL", "in 100 millilitres"),
        ("in 2 L", "in 2 litres"),
        ("at 10 mM", "at 10 millimolar"),
        ("at 50 nM", "at 50 nanomolar"),
        ("at 3 µM", "at 3 micromolar"),
        ("3 mg/kg every week", "3 mg per kg every week"),
        ("in 40% of patients", "in 40 per cent of patients"),
        ("in 40 percent of patients", "in 40% of patients"),
        ("fell by 5 percentage points", "fell by 5%"),
        ("a 1.5-fold rise", "a 1.5 fold rise"),
        ("1.7 times the odds", "1.7-fold odds"),
        ("incubated at 37 degrees Celsius", "incubated at 37 °C"),
        ("incubated at 37 degrees C", "incubated at 37°C"),
    ],
)
def test_unit_spellings_give_one_number(a: str, b: str) -> None:
    assert _keys(a) == _keys(b) and _keys(a)


def test_fold_words_and_digits_agree() -> None:
    forms = ["a twofold rise", "a two-fold rise", "a 2-fold rise", "a 2 fold rise", "a 2x rise"]
    assert {match_form(f) for f in forms} == {match_form("a twofold rise")}
    assert match_form("a sevenfold rise") == match_form("a 7-fold rise")


def test_units_keep_numbers_apart() -> None:
    assert _keys("after 10 min") != _keys("after 10 h")
    assert _keys("at 10 mM") != _keys("at 10 mg")


@pytest.mark.parametrize(
    "text",
    [
        "CD8 h",  # digits of a name
        "IL-2 days of treatment",
        "3D imaging",  # one-letter units are lower-case only
        "2 MM patients",
        "a 2 x 10 design",  # a product, not a fold
        "taken 3 times a day",
        "seen 19 times in the field",  # a count of occasions, not a ratio
    ],
)
def test_non_units_are_left_alone(text: str) -> None:
    assert unit_form(text) == text


def test_ranges_keep_their_unit_on_the_last_number() -> None:
    assert _keys("over 10-20 minutes") == _keys("over 10-20 min")


def test_matcher_accepts_another_unit_spelling() -> None:
    key_point = "a 10-min exposure to the antigen activated T cells"
    claim = "Exposure to the antigen for 10 minutes activated the T cells."
    parts = Matcher().parts([claim], [key_point])[0][0]
    assert parts.numbers_ok and "#10min" not in parts.missing
    other = Matcher().parts(
        ["Exposure to the antigen for 10 hours activated the T cells."], [key_point]
    )
    assert not other[0][0].numbers_ok


def test_decades_are_not_seconds() -> None:
    assert unit_form("in the 1990s") == "in the 1990s"
    assert unit_form("after 30 s") == "after 30 s"


def test_decimal_folds_are_not_the_lexicon_words() -> None:
    """ "3.4-fold" is 3.4 fold, not "3." followed by the lexicon's "fourfold"."""
    assert _keys("a 3.4-fold rise") == ["#3.4fold"]
    assert _keys("2 times higher") == _keys("a 2-fold rise") == []
