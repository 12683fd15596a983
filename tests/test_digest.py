"""``litdigest digest``: grouping, agreement/disagreement detection, cited synthesis, HTML."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from litdigest.config import OpenAISettings, Settings, SummarizeSettings
from litdigest.digest.build import build_digest
from litdigest.digest.cluster import cluster
from litdigest.digest.model import Digest, Sentence, topic_text
from litdigest.digest.polarity import compare_claims
from litdigest.digest.render_html import render_html
from litdigest.digest.render_md import render_json, render_markdown
from litdigest.digest.synthesis import Synthesizer, check_sentence
from litdigest.documents import Document, Format, Metadata, content_hash
from litdigest.store.store import Store
from litdigest.summarize.backends.base import CallContext
from litdigest.summarize.backends.openai import OpenAIBackend
from litdigest.summarize.schema import Claim, DocumentSummary, EvidenceKind, Quote
from tests.loopback_server import LoopbackServer
from tests.support import clean_env, digest_claims, run

DOC_A = """Interferon signalling and T cell infiltration in melanoma

Type I interferon signalling in tumour cells increases CD8+ T cell infiltration in melanoma. \
In a cohort of 212 patients, high STAT1 expression was associated with better overall survival \
(HR 0.62, 95% CI 0.45 to 0.85). Therapies that activate the STING pathway could therefore \
improve responses to PD-1 blockade.
"""
DOC_B = """Interferon signalling limits T cell entry into melanoma

Type I interferon signalling in tumour cells decreases CD8+ T cell infiltration in melanoma. \
In a cohort of 198 patients, high STAT1 expression was associated with worse overall survival \
(HR 1.74, 95% CI 1.21 to 2.50). Blocking the interferon receptor may therefore be needed to \
restore responses to PD-1 blockade.
"""


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(*args, env=env, timeout=300)


@pytest.fixture(scope="module")
def contra_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the two contradicting documents, summarized offline by extractive-v2
    (fixed claims: every field filled, one claim per sentence of these short texts)."""
    tmp = tmp_path_factory.mktemp("contra")
    (tmp / "in").mkdir()
    (tmp / "in" / "a.txt").write_text(DOC_A, encoding="utf-8")
    (tmp / "in" / "b.txt").write_text(DOC_B, encoding="utf-8")
    db = tmp / "c.db"
    result = _run(
        "summarize",
        "--backend",
        "extractive-v2",
        "--db",
        str(db),
        str(tmp / "in"),
        env=clean_env(tmp),
    )
    assert result.returncode == 0, result.stderr
    return db


# ---- the disagreement detector --------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        (
            "Type I interferon signalling increases CD8+ T cell infiltration in melanoma.",
            "Type I interferon signalling decreases CD8+ T cell infiltration in melanoma.",
            "disagree",
        ),
        (
            "PD-1 blockade promotes tumour regression in mice.",
            "PD-1 blockade suppresses tumour regression in mice.",
            "disagree",
        ),
        (
            "High STAT1 expression was associated with better overall survival.",
            "High STAT1 expression was associated with worse overall survival.",
            "disagree",
        ),
        (
            "In 212 patients, high STAT1 expression was linked to overall survival (HR 0.62, "
            "95% CI 0.45-0.85).",
            "In 198 patients, high STAT1 expression was linked to overall survival (HR 1.74, "
            "95% CI 1.21-2.50).",
            "disagree",
        ),
        (
            "Exercise improved quality of life in cancer survivors.",
            "Exercise worsened quality of life in cancer survivors.",
            "disagree",
        ),
        (
            "Exercise improved quality of life in cancer survivors.",
            "Exercise did not improve quality of life in cancer survivors.",
            "disagree",
        ),
        (  # mortality is survival with the opposite sign
            "IFN-I signalling reduced mortality in the cohort.",
            "IFN-I signalling increased mortality in the cohort.",
            "disagree",
        ),
        (
            "IFN-I signalling reduced mortality in the cohort.",
            "IFN-I signalling improved survival in the cohort.",
            "agree",
        ),
        (
            "Myeloid-derived suppressor cells suppress T cell responses.",
            "Myeloid-derived suppressor cells inhibit T cell responses.",
            "agree",
        ),
        # different subjects acting on the same target: not a contradiction
        (
            "PD-1 blockade increases T cell infiltration.",
            "TGF-beta decreases T cell infiltration.",
            None,
        ),
        # same subject, different targets
        (
            "STAT1 increases MHC class I expression in melanoma.",
            "STAT1 decreases tumour cell proliferation in melanoma.",
            None,
        ),
        # a hedged claim is no evidence of an effect in either direction
        (
            "There is no evidence that special equipment decreases mortality after liver resection.",
            "There is no evidence that special equipment increases mortality after liver resection.",
            None,
        ),
        (
            "Tumour cells are killed by cytotoxic T cells.",
            "Regulatory T cells increase tumour growth.",
            None,
        ),
    ],
)
def test_compare_claims(a: str, b: str, kind: str | None) -> None:
    found = compare_claims(a, b)
    assert (found[0] if found else None) == kind, found


def test_confidence_interval_through_one_is_no_effect() -> None:
    a = "In 212 patients, STAT1 expression was linked to survival (HR 0.62, 95% CI 0.45 to 0.85)."
    b = "In 198 patients, STAT1 expression was linked to survival (HR 1.04, 95% CI 0.81 to 1.30)."
    found = compare_claims(a, b)
    assert found is not None and found[:2] == ("disagree", "effect_vs_null")


def test_topic_text_drops_statistics() -> None:
    text = "Pain was reduced (SMD -0.27, 95% CI -0.37 to -0.17; 3 trials) with exercise."
    assert topic_text(text) == "Pain was reduced with exercise."


def test_cluster_average_linkage() -> None:
    v = np.array(
        [[1, 0, 0], [0.95, 0.3, 0], [0, 1, 0], [0, 0.96, 0.28], [0, 0, 1]], dtype=np.float32
    )
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert cluster(v, 0.8) == [[0, 1], [2, 3], [4]]
    assert cluster(v, 0.0) == [[0, 1, 2, 3, 4]] or len(cluster(v, 0.0)) <= 2
    assert cluster(v[:0], 0.5) == []


# ---- the digest of two contradicting documents ----------------------------------------------


def test_digest_flags_the_disagreement(contra_db: Path, tmp_path: Path) -> None:
    result = _run("digest", "--db", str(contra_db), "--format", "json", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["documents"] == 2 and data["synthesis"] == "extractive"
    kinds = {(d["opposition"], d["target"]) for d in data["disagreements"]}
    assert ("opposite", "cd8 t cell infiltration") in kinds
    assert any("survival" in target for _, target in kinds)
    claims = {c["id"]: c for c in data["claims"]}
    for d in data["disagreements"]:  # each side from a different document
        assert claims[d["a"]]["doc_id"] != claims[d["b"]]["doc_id"]
    # every claim cites its document and carries a verbatim quote
    assert all(c["ref"] in (1, 2) and c["quote"] for c in data["claims"])
    assert [r["n"] for r in data["references"]] == [1, 2]
    md = _run("digest", "--db", str(contra_db), env=clean_env(tmp_path)).stdout
    assert "## Where the documents disagree" in md and "increases vs decreases" in md
    assert "## References" in md and "1. Interferon signalling and T cell" in md


def test_accepted_status_uses_review_decisions(contra_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    db.write_bytes(contra_db.read_bytes())
    with Store(db) as store:
        summaries = [
            DocumentSummary.model_validate_json(s.summary_json) for s in store.iter_summaries()
        ]
        first = summaries[0]
        store.record_decision(first.doc_id, "mechanism", 0, "accept")
        store.record_decision(
            first.doc_id,
            "evidence",
            0,
            "edit",
            statement_after="STAT1-high tumours: longer survival.",
        )
        store.record_decision(first.doc_id, "evidence", 0, "accept")
        store.record_decision(summaries[1].doc_id, "mechanism", 0, "reject")
        accepted = build_digest(store, status="accepted")
        everything = build_digest(store, status="all")
    assert {c.statement for c in accepted.claims.values()} == {
        first.mechanism[0].statement,
        "STAT1-high tumours: longer survival.",
    }
    assert all(c.status == "accepted" for c in accepted.claims.values())
    assert any(c.edited for c in accepted.claims.values())
    # all: every claim except the rejected one, edits applied
    assert len(everything.claims) == 5
    assert "STAT1-high tumours: longer survival." in {
        c.statement for c in everything.claims.values()
    }


def test_query_filters_claims(contra_db: Path) -> None:
    with Store(contra_db) as store:
        digest = build_digest(store, query="STAT1 survival")
    assert digest.claims and all("STAT1" in c.statement for c in digest.claims.values())
    with Store(contra_db) as store:
        none = build_digest(store, query="zebrafish cardiac regeneration")
    assert not none.claims
    assert "No claims match." in render_markdown(none)


# ---- synthesis: every sentence cites claims ---------------------------------------------------


def test_check_sentence_requires_valid_citations() -> None:
    allowed = digest_claims(
        "STAT1-high tumours had longer survival (HR 0.62).", "STAT1 is linked to worse survival."
    )
    ok = check_sentence("Two reports disagree on STAT1 and survival [C1][C2].", [], allowed)
    assert ok == Sentence("Two reports disagree on STAT1 and survival.", [1, 2])
    assert check_sentence("Survival differs.", [1], allowed) == Sentence("Survival differs.", [1])
    assert "not supported" in str(check_sentence("Cohorts differ.", [1], allowed))  # issue 14
    assert isinstance(check_sentence("No citation here.", [], allowed), str)
    assert "unknown" in str(check_sentence("Invented support.", [1, 7], allowed))
    assert "unknown" in str(check_sentence("Inline invention [C9].", [1], allowed))
    assert "number" in str(check_sentence("The HR was 0.5.", [1], allowed))
    assert check_sentence("The HR was 0.62.", [1], allowed) == Sentence("The HR was 0.62.", [1])


def test_llm_synthesis_through_the_loopback_server(contra_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    db.write_bytes(contra_db.read_bytes())
    with LoopbackServer() as srv, Store(db) as store:
        settings = Settings(
            openai=OpenAISettings(base_url=srv.base_url, api_key=SecretStr("sk-test"), model="m"),
            summarize=SummarizeSettings(backend="openai", max_retries=1),
        )
        backend = OpenAIBackend(settings)
        synth = Synthesizer(backend.caller, CallContext(store=store), label="openai m")
        digest = build_digest(store, synthesizer=synth)
        assert srv.stats()["total"] >= 1
    assert digest.synthesis == "openai m"
    multi = [t for t in digest.themes if len(t.claims) >= 2]
    assert multi and any(t.paragraph for t in multi)
    for t in multi:
        for s in t.paragraph:
            assert s.cites and set(s.cites) <= set(t.claims)  # only the theme's claims
            assert "[" not in s.text  # inline markers are turned into checked citations
        assert set(t.heading_cites) <= set(t.claims)
    md = render_markdown(digest)
    assert re.search(r"\(C\d+ \[\d\]", md)  # rendered sentence citations
    with Store(db) as store:  # calls are logged like any LLM call
        assert any(c.prompt_version == "digest-v2" for c in store.llm_calls())


# ---- output ---------------------------------------------------------------------------------


def _store_with_hostile_title(path: Path) -> None:
    text = (
        "Regulatory T cells suppress antitumour immunity in the tumour microenvironment. "
        "Depleting regulatory T cells increases CD8 T cell infiltration in mouse models."
    )
    doc_id = content_hash(text)
    meta = Metadata(
        title='<script>alert("x")</script> & <img src=http://evil.example/x.png>',
        authors=["Doe, J.", "<b>Roe</b>, R."],
        journal="J <i>Immunol</i>",
        year=2023,
        doi='10.5555/x"><script>alert(1)</script>',
    )
    doc = Document(doc_id=doc_id, text=text, metadata=meta, format=Format.TEXT, source="x.txt")
    first = text.split(". ")[0] + "."
    second = text[len(first) + 1 :]
    summary = DocumentSummary(
        doc_id=doc_id,
        source="x.txt",
        metadata=meta,
        tldr=first,
        mechanism=[Claim(statement=first, quotes=[Quote(text=first, start=0, end=len(first))])],
        evidence=[
            Claim(
                statement="<script>evil()</script> " + second,
                quotes=[Quote(text=second, start=len(first) + 1, end=len(text))],
                evidence_kind=EvidenceKind.ANIMAL_MODEL,
            )
        ],
        backend="test",
        model="test",
        prompt_version="t",
    )
    with Store(path) as store:
        store.add_document(doc)
        store.put_summary(doc_id, "test", "test", "t", "h", summary.model_dump_json())


def test_html_is_self_contained_and_escapes_untrusted_text(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _store_with_hostile_title(db)
    out = tmp_path / "digest.html"
    result = _run(
        "digest", "--db", str(db), "--format", "html", "--out", str(out), env=clean_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    lowered = html.lower()
    assert "<script" not in lowered  # neither our own nor the document's
    assert "&lt;script&gt;" in html
    assert not re.search(r"<(?:img|link|iframe|object|embed|video|audio|source)\b", lowered)
    assert not re.search(r"""<[^>]*\bsrc\s*=""", lowered)  # "<" in text is escaped
    assert not re.search(r"<link[^>]+rel=[\"']?stylesheet", lowered)
    assert "@import" not in lowered and "url(" not in lowered
    # the only absolute URLs are DOI hyperlinks (not assets), percent-encoded
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.startswith("#") or href.startswith("https://doi.org/10.5555/x%22%3E")
    assert "default-src 'none'" in html


def test_markdown_escapes_and_json_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _store_with_hostile_title(db)
    with Store(db) as store:
        digest = build_digest(store)
    md = render_markdown(digest)
    assert "<script>" not in md and "&lt;script&gt;" in md
    data = json.loads(render_json(digest))
    assert data["references"][0]["title"].startswith("<script>")  # JSON keeps the raw text
    assert isinstance(digest, Digest) and render_html(digest).count("<article") >= 1


def test_examples_digest_offline(tmp_path: Path) -> None:
    """The bundled examples, summarized offline, give a cited digest in every format."""
    env = clean_env(tmp_path)
    db = str(tmp_path / "ex.db")
    repo = Path(__file__).resolve().parents[1]
    assert (
        _run(
            "summarize", "--backend", "extractive", "--db", db, str(repo / "examples"), env=env
        ).returncode
        == 0
    )
    for fmt in ("md", "json", "html"):
        result = _run("digest", "--db", db, "--format", fmt, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()
    data = json.loads(_run("digest", "--db", db, "--format", "json", env=env).stdout)
    refs = {r["n"] for r in data["references"]}
    assert data["claims"] and all(c["ref"] in refs for c in data["claims"])
    assert all(c for t in data["themes"] for c in t["claims"])
