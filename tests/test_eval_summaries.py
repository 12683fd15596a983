"""``litdigest eval --summaries FILE.jsonl``: score summaries written elsewhere (here: by
hand), matched to golden cases by doc_id or by source file name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from litdigest.cli.eval import EvalOptions, run_eval
from litdigest.config import load_settings
from litdigest.errors import UsageError
from litdigest.evaluate.golden import load_golden
from litdigest.evaluate.runner import resolve_case
from tests.eval_support import SMALL_SET, eval_env, write_golden

__all__ = ["eval_env"]

# What a person might write for the CD73 record: two claims of their own, quoting the text.
CD73_CLAIMS = {
    "mechanism": [
        (
            "CD73 on ovarian tumours turns extracellular AMP into adenosine.",
            "the ectoenzyme CD73, which converts extracellular AMP",
        )
    ],
    "therapeutic_implication": [
        (
            "Blocking CD73 or A2A could give NK cells their killing back.",
            "Ovarian tumours express high levels of the ectoenzyme CD73",
        )
    ],
}


def _line(source: str, doc_id: str, text: str, claims: dict[str, list[tuple[str, str]]]) -> str:
    """One hand-assembled DocumentSummary JSON line (quote offsets located in ``text``)."""
    body: dict[str, object] = {
        "doc_id": doc_id,
        "source": source,
        "tldr": "CD73 makes adenosine, which silences NK cells.",
        "backend": "by-hand",
        "model": "a person",
        "prompt_version": "none",
    }
    for field, items in claims.items():
        body[field] = [
            {
                "statement": statement,
                "quotes": [
                    {
                        "text": quote,
                        "start": text.index(quote),
                        "end": text.index(quote) + len(quote),
                    }
                ],
                "evidence_kind": "unspecified" if field == "evidence" else None,
            }
            for statement, quote in items
        ]
    return json.dumps(body)


def test_hand_written_jsonl_is_scored_by_source_name(eval_env: Path) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    case = load_golden(golden).cases[0]
    resolved = resolve_case(case, load_settings())
    assert not isinstance(resolved, str)
    doc, _ = resolved
    jsonl = eval_env / "mine.jsonl"
    # matched by file name and record ("records.ris#2"), not by doc_id
    jsonl.write_text(
        _line("somewhere/else/records.ris#2", "0" * 16, doc.text, CD73_CLAIMS) + "\n\n",
        encoding="utf-8",
    )
    outcome = run_eval(EvalOptions([golden], summaries=jsonl, report_dir=eval_env / "r"))
    report = outcome.report
    assert report["backend"] == "summaries"
    by_id = {c["id"]: c for c in report["cases"]}
    cd73 = by_id["cd73"]
    assert cd73["status"] == "ok"
    assert cd73["metrics"]["quote_verified_rate"] == 1.0
    assert cd73["metrics"]["key_point_recall"] > 0
    assert cd73["explanation"]["claims"][0]["covers"] != "unmatched"
    assert set(cd73["baselines"]) == {"random", "lead", "whole"}
    assert by_id["tls"]["status"] == "error" and "no summary" in by_id["tls"]["note"]
    assert "budgeted_placed_recall" in report["margins"]


def test_doc_id_match_and_bad_lines(eval_env: Path) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    case = load_golden(golden).cases[0]
    resolved = resolve_case(case, load_settings())
    assert not isinstance(resolved, str)
    doc, _ = resolved
    jsonl = eval_env / "mine.jsonl"
    jsonl.write_text(_line("unrelated-name.txt", doc.doc_id, doc.text, CD73_CLAIMS) + "\n")
    report = run_eval(EvalOptions([golden], summaries=jsonl, report_dir=eval_env / "r")).report
    assert {c["id"]: c["status"] for c in report["cases"]}["cd73"] == "ok"
    jsonl.write_text('{"doc_id": "x"}\n', encoding="utf-8")
    with pytest.raises(UsageError, match="line 1: not a DocumentSummary"):
        run_eval(EvalOptions([golden], summaries=jsonl, report_dir=eval_env / "r"))
