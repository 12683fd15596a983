"""Acceptance on the five seed documents (../shared/seeds): the issue's "done when"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import shared_root


@pytest.fixture(scope="module")
def seed_docs() -> dict[str, dict[str, Any]]:
    seeds = shared_root() / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is not present")
    result = subprocess.run(
        [sys.executable, "-m", "litdigest", "clean", "--json", str(seeds)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    return {Path(d["source"]).name[:3]: d for d in out}


def test_five_documents(seed_docs: dict[str, dict[str, Any]]) -> None:
    assert sorted(seed_docs) == ["000", "001", "002", "003", "004"]


def test_ris_seed_has_its_abstract_once(seed_docs: dict[str, dict[str, Any]]) -> None:
    doc = seed_docs["002"]
    assert doc["format"] == "ris"
    assert doc["text"].count("It has recently become clear that the tumour microenvironment") == 1
    assert " g- " not in doc["text"]
    assert "Funding" not in doc["text"]
    md = doc["metadata"]
    assert md["title"] == "The secret ally"
    assert md["doi"] == "10.1038/nrd3626"
    assert md["year"] == 2012
    assert md["journal"] == "Nature Reviews Drug Discovery"
    assert md["authors"][0].startswith("Galluzzi")


def test_nature_seed(seed_docs: dict[str, dict[str, Any]]) -> None:
    doc = seed_docs["000"]
    text = doc["text"]
    assert text.splitlines()[0] == "Immuno-epigenetic escape of cancer stem cells"
    assert "suboptimal IFN-I signaling promotes tumor progression" in text
    assert "Fig. 1: Suboptimal ICD induction coupled to CSC expansion" in text
    for junk in (
        "Skip to main content",
        "Buy article",
        "Google Scholar",
        "Competing interests",
        "Rights and permissions",
        "Sign up for",
        "ReadCube",
        "prices",
        "Cite this article",
        "McNab",
        "Download references",
    ):
        assert junk not in text, junk
    md = doc["metadata"]
    assert md["title"] == "Immuno-epigenetic escape of cancer stem cells"
    assert md["journal"] == "Nat Immunol"
    assert md["year"] == 2022


def test_jci_seed(seed_docs: dict[str, dict[str, Any]]) -> None:
    doc = seed_docs["001"]
    text = doc["text"]
    assert text.splitlines()[0].startswith("Interferons in cancer immunoediting")
    assert "Interferons (IFNs) are pleiotropic cytokines" in text
    assert "exploiting IFN-mediated antitumor immunity." in text
    for junk in (
        "Find articles by",
        "Address correspondence",
        "subscription",
        "Purchase",
        "$",
        "Advertisement",
        "View PDF",
        "Barcelona",
    ):
        assert junk not in text, junk
    md = doc["metadata"]
    assert md["doi"] == "10.1172/jci143296"
    assert md["year"] == 2021
    assert md["journal"] and "Clin Invest" in md["journal"]
    assert (
        md["title"]
        == "Interferons in cancer immunoediting: sculpting metastasis and immunotherapy response"
    )


def test_scientist_seed(seed_docs: dict[str, dict[str, Any]]) -> None:
    doc = seed_docs["003"]
    text = doc["text"]
    assert text.splitlines()[0] == "Cancers Relapse by Feeding Off Immune Signals"
    assert "minimal residual disease (MRD)" in text
    assert "takes the blindfolds off the immune system" in text
    for junk in (
        "Speechify",
        "0:00",
        "Become a Member",
        "Bunsen",
        "Thermo",
        "sartorius",
        "Shawna was an editor",
        "Zymo",
        "Login Here",
        "min read",
    ):
        assert junk not in text, junk
    assert doc["metadata"]["title"] == "Cancers Relapse by Feeding Off Immune Signals"


def test_pdf_seed_is_repaired(seed_docs: dict[str, dict[str, Any]]) -> None:
    text = seed_docs["004"]["text"]
    for good in (
        "enduring protection",
        "immunogenicity of a tumour",
        "encouragingly",
        "combining immunotherapies",
        "different immune cell",
        "promote the development",
        "The immune system can promote the elimination of tumours",
    ):
        assert good in text, good
    for bad in ("endur\n", "immuno\n", " encourag ", "combin ing"):
        assert bad not in text
