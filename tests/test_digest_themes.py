"""The digest synthesizes: themes across documents with short labels, "Only in" sections, the
evidence table, entity-gated agreement/disagreement, cited and supported synthesis, scale."""

from __future__ import annotations

import ast
import csv
import io
import sys
from pathlib import Path

import numpy as np
import pytest

from litdigest.digest.build import assemble, build_digest
from litdigest.digest.cluster import Embedder, blocks, candidate_pairs, theme_labels
from litdigest.digest.model import Digest, DigestClaim, Reference, Sentence
from litdigest.digest.polarity import compare_claims, salient_terms
from litdigest.digest.render_html import render_html
from litdigest.digest.render_md import render_csv, render_markdown
from litdigest.digest.synthesis import check_sentence
from litdigest.store.store import Store
from tests.support import digest_claims

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_digest  # noqa: E402


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planted") / "planted.db"
    bench_digest._planted_store(db)
    return db


@pytest.fixture(scope="module")
def planted_digest(planted: Path) -> Digest:
    with Store(planted) as store:
        return build_digest(store)


# ---- themes, labels, "Only in" ----------------------------------------------------------------


def test_every_theme_spans_two_documents_and_the_rest_is_only_in(planted_digest: Digest) -> None:
    d = planted_digest
    assert d.themes
    themed = {c for t in d.themes for c in t.claims}
    only = {c for ids in d.only_in.values() for c in ids}
    assert themed | only == set(d.claims) and not themed & only
    for t in d.themes:
        assert len({d.claims[c].ref for c in t.claims}) >= 2
        assert t.documents == sorted({d.claims[c].ref for c in t.claims})
    for ref, ids in d.only_in.items():
        assert all(d.claims[c].ref == ref for c in ids)


def test_labels_are_short_and_never_a_truncated_sentence(planted_digest: Digest) -> None:
    d = planted_digest
    for t in d.themes:
        words = t.label.split()
        assert 2 <= len(words) <= 6, t.label
        assert "…" not in t.label
        for c in t.claims:  # not the start of any member's statement
            assert not d.claims[c].statement.casefold().startswith(t.label.casefold())
    labels = " | ".join(t.label for t in d.themes)
    assert "Regulatory T cells" in labels and "PD-1 blockade" in labels


def test_theme_labels_prefer_terms_shared_by_documents() -> None:
    classes = [
        [
            ("PD-1 blockade raised T cell infiltration.", 1),
            ("PD-1 blockade lowered T cell infiltration.", 2),
            ("Zebrafish fins regrow.", 1),
        ],
        [("Exercise reduced fatigue.", 3)],
    ]
    ((label, terms),) = theme_labels(classes, 1)
    assert "zebrafish" not in label.casefold()
    assert "PD-1 blockade" in label or "T cell infiltration" in label
    assert 2 <= len(label.split()) <= 6 and terms


# ---- relations ----------------------------------------------------------------------------------


def test_planted_relations_precision_and_recall(planted_digest: Digest) -> None:
    result = bench_digest.documents_eval()
    for kind in ("disagree", "agree"):
        assert result[kind]["precision"] >= 0.8, result
        assert result[kind]["recall"] >= 0.6, result


def test_labelled_pairs_precision_and_recall_on_both_halves() -> None:
    result = bench_digest.pairs_eval()
    assert result["pairs"] >= 40
    for split in ("tune", "heldout"):
        for kind in ("disagree", "agree"):
            assert result[split][kind]["precision"] >= 0.8, (split, kind, result[split])
            assert result[split][kind]["recall"] >= 0.6, (split, kind, result[split])


def test_a_shared_generic_word_is_not_a_relation() -> None:
    # the spurious flag: LDHA inhibition raising tumour pH vs anti-PD-1 raising control
    assert (
        compare_claims(
            "LDHA inhibition raised the tumour pH in mouse melanoma.",
            "Anti-PD-1 therapy raised tumour control in mouse melanoma.",
        )
        is None
    )
    # same relation, incompatible settings
    assert (
        compare_claims(
            "Anti-PD-1 therapy increased CD8+ T cell infiltration in melanoma.",
            "Anti-PD-1 therapy decreased CD8+ T cell infiltration in pancreatic cancer.",
        )
        is None
    )


def test_salient_terms_fold_spellings() -> None:
    assert {"pd1", "ifngamma"} <= salient_terms("Anti-PD-1 plus IFN-γ")
    assert "tgfbeta" in salient_terms("TGF-β") and "tgfbeta" in salient_terms("TGF-beta")
    assert "survival" in salient_terms("mortality fell")


def test_flagged_pairs_show_both_quotes_side_by_side(planted_digest: Digest) -> None:
    d = planted_digest
    html = render_html(d)
    md = render_markdown(d)
    rel = d.disagreements[0]
    a, b = d.claims[rel.a], d.claims[rel.b]
    assert '<div class="pair">' in html
    pair = html.split('<div class="pair">', 1)[1].split("</div></div>", 1)[0]
    assert a.quote[:30] in pair and b.quote[:30] in pair
    assert f"| C{a.id} [{a.ref}] | C{b.id} [{b.ref}] |" in md


def test_none_found_is_said_explicitly(tmp_path: Path) -> None:
    claims = {
        1: DigestClaim(
            1,
            "a",
            1,
            "mechanism",
            0,
            "Yoga improved sleep.",
            "Yoga improved sleep.",
            None,
            "pending",
            False,
        ),
        2: DigestClaim(
            2,
            "b",
            2,
            "mechanism",
            0,
            "Zinc lowered fever.",
            "Zinc lowered fever.",
            None,
            "pending",
            False,
        ),
    }
    refs = [
        Reference(n, d, None, [], None, None, None, f"{d}.txt") for n, d in ((1, "a"), (2, "b"))
    ]
    d = assemble(claims, refs, Embedder(lexical=True))
    text = "No disagreements found among 2 claims from 2 documents."
    assert text in render_markdown(d) and text in render_html(d)
    assert "No agreements found among 2 claims from 2 documents." in render_markdown(d)


# ---- evidence table -----------------------------------------------------------------------------


def test_evidence_table_in_md_html_and_csv(planted_digest: Digest) -> None:
    d = planted_digest
    assert len(d.table) == len(d.references)
    md = render_markdown(d)
    assert "| Document | Mechanism | Evidence (kind) | Implication |" in md
    assert "(clinical trial)" in md
    assert '<table class="evidence">' in render_html(d)
    rows = list(csv.reader(io.StringIO(render_csv(d))))
    assert rows[0] == ["ref", "doc_id", "title", "mechanism", "evidence", "implication"]
    assert len(rows) == len(d.references) + 1
    assert any("(animal model)" in r[4] for r in rows[1:])


def test_csv_cells_cannot_become_formulas() -> None:
    claims = {
        1: DigestClaim(1, "a", 1, "mechanism", 0, "=HYPERLINK(1)", "x", None, "pending", False)
    }
    refs = [Reference(1, "a", "=cmd|' /C calc'!A0", [], None, None, None, "a.txt")]
    d = assemble(claims, refs, Embedder(lexical=True))
    rows = list(csv.reader(io.StringIO(render_csv(d))))
    assert rows[1][2].startswith("'=") and not rows[1][3].startswith("=")


# ---- synthesis: cited and supported -------------------------------------------------------------


def test_synthesis_rejects_uncited_and_unsupported_sentences() -> None:
    allowed = digest_claims(
        "PD-1 blockade increased CD8+ T cell infiltration in melanoma.",
        "PD-1 blockade enhanced CD8+ T cell infiltration into melanoma lesions.",
    )
    ok = check_sentence(
        "PD-1 blockade increased CD8+ T cell infiltration in melanoma.", [1, 2], allowed
    )
    assert isinstance(ok, Sentence) and ok.cites == [1, 2]
    assert check_sentence("PD-1 blockade increased infiltration.", [], allowed) == "no citation"
    invented = check_sentence("STING agonists increased CD8+ T cell infiltration.", [1], allowed)
    assert isinstance(invented, str) and "not supported" in invented
    reversed_ = check_sentence(
        "PD-1 blockade decreased CD8+ T cell infiltration in melanoma.", [1, 2], allowed
    )
    assert isinstance(reversed_, str) and "not supported" in reversed_


def test_synthesis_allows_a_sentence_that_reports_one_side_of_a_disagreement() -> None:
    allowed = digest_claims(
        "PD-1 blockade increased CD8+ T cell infiltration in melanoma.",
        "PD-1 blockade decreased CD8+ T cell infiltration in melanoma.",
    )
    ok = check_sentence(
        "PD-1 blockade increased CD8+ T cell infiltration in melanoma.", [1, 2], allowed
    )
    assert isinstance(ok, Sentence) and ok.cites == [1, 2]


# ---- scale and layering -------------------------------------------------------------------------


def test_blocks_and_candidate_pairs_are_bounded() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    parts = blocks(v, size=100)
    assert sorted(i for b in parts for i in b) == list(range(500))
    assert max(len(b) for b in parts) <= 100
    docs = [i // 5 for i in range(500)]
    ents = [frozenset({"x"}) if i % 2 else frozenset({"y"}) for i in range(500)]
    pairs = candidate_pairs(v, docs, ents, gate=-1.0, per_row=3)
    assert all(docs[x] != docs[y] and ents[x] == ents[y] for x, y, _ in pairs)
    assert len(pairs) <= 500 * 3


def test_synthetic_claims_digest(tmp_path: Path) -> None:
    claims, refs = bench_digest.synthetic_claims(600)
    d = assemble(claims, refs, Embedder())
    assert all(len(t.documents) >= 2 and len(t.label.split()) <= 6 for t in d.themes)
    assert d.disagreements and d.agreements


def test_digest_layer_imports_no_ui() -> None:
    for path in (ROOT / "src" / "litdigest" / "digest").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"typer", "rich", "textual"}, (path, name)
                assert not name.startswith("litdigest.cli"), (path, name)


def test_corpus_themes_span_documents_and_labels_are_short() -> None:
    shared = ROOT.parent / "shared"
    if not (shared / "corpus" / "cochrane").is_dir():
        pytest.skip("../shared is absent")
    result = bench_digest.corpus_eval(shared)
    assert result["documents"] >= 30 and result["themes"] >= 5
    assert result["min_documents_per_theme"] >= 2
    assert result["min_label_words"] >= 2 and result["max_label_words"] <= 6
    assert result["claims_in_themes"] + result["claims_only_in"] == result["claims"]


def test_tui_digest_screen_shows_the_same_themes_and_flags(
    planted: Path,
    planted_digest: Digest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from litdigest.tui.app import ReviewApp
    from litdigest.tui.screens import DigestScreen
    from tests.test_tui_support import isolate_env, make_settings

    isolate_env(monkeypatch, tmp_path)
    app = ReviewApp(
        planted, settings=make_settings(), state_dir=tmp_path / "s", export_dir=tmp_path / "e"
    )

    async def run() -> str:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("g")
            await pilot.pause()
            assert isinstance(app.screen, DigestScreen)
            return str(app.screen.query_one("#digest-themes").render())

    text = asyncio.run(run())
    for theme in planted_digest.themes:
        assert f"{theme.id}. {theme.label}" in text
    assert "disagree on cd8 t cell infiltration" in text
    assert "agree (both increase) on progression-free survival" in text
