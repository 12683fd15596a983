"""Smoke test of the real-PDF benchmark (bench/bench_pdf.py) on the article typeset in
tests/test_pdf_layout.py, with a small JATS file we write as its ground truth."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_pdf, run  # noqa: E402

from tests.test_pdf_layout import ABSTRACT, BODY, DOI, TITLE, article_pdf  # noqa: E402


def _jats() -> str:
    paragraphs = "".join(
        f"<p>{text}</p>" if kind == "p" else f"<sec><title>{text}</title></sec>"
        for kind, text in BODY[:12]
        if kind in ("p", "h")
    )
    return (
        "<article><front><article-meta>"
        f'<article-id pub-id-type="doi">{DOI}</article-id>'
        f"<title-group><article-title>{TITLE}</article-title></title-group>"
        '<contrib-group><contrib contrib-type="author"><name><surname>Lindqvist</surname>'
        "<given-names>Ana</given-names></name></contrib></contrib-group>"
        '<pub-date pub-type="epub"><year>2024</year></pub-date>'
        f"<abstract><p>{ABSTRACT}</p></abstract>"
        f"</article-meta></front><body>{paragraphs}"
        '<p>Cells were counted <xref ref-type="bibr" rid="b1">1</xref>.<table-wrap>'
        "<caption><p>Table 1. Response rates by dendritic cell density in the biopsy.</p>"
        "</caption><table><tr><td>Low 40 12</td></tr></table></table-wrap></p>"
        "</body><back><ack><p>We thank the funders.</p></ack></back></article>"
    )


def test_bench_pdf_scores_our_article(tmp_path: Path) -> None:
    root = tmp_path / "shared" / "corpus" / "pdf"
    (root / "truth").mkdir(parents=True)
    (root / "article.pdf").write_bytes(article_pdf())
    (root / "truth" / "article.xml").write_text(_jats(), encoding="utf-8")
    truth = bench_pdf.load_truth(root / "truth" / "article.xml")
    assert "Low 40 12" not in truth.text and "We thank the funders" not in truth.text
    assert "Table 1. Response rates" in truth.text
    assert "Cells were counted ." in truth.text  # the numbered citation is left out

    result = bench_pdf.run(tmp_path / "shared", repeats=1)
    ours = result["per_pdf"]["litdigest"]["article"]
    assert ours["title_ok"] and ours["doi_ok"] and ours["year_ok"] and ours["author_ok"]
    assert ours["f4"] > 0.85
    assert ours["f4"] > result["per_pdf"]["pypdf raw"]["article"]["f4"]
    assert result["table"][0]["held_out"]["f4"] == 0.0  # no held-out PDF here

    md = run.markdown({"machine": run.machine(), "pdf": result})
    assert "Real PDFs" in md and "| litdigest | all |" in md


def test_bench_pdf_skips_without_the_corpus(tmp_path: Path) -> None:
    result = bench_pdf.run(tmp_path)
    assert "skipped" in result
    assert "skipped" in "\n".join(bench_pdf.markdown(result))
