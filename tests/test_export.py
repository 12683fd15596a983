"""Digest export: Markdown, JSON and CSV, with review state, edits, notes and a status filter."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from litdigest.cli.app import main
from litdigest.review.decisions import Reviewer
from litdigest.review.export import CSV_COLUMNS, export_digest
from litdigest.store.store import Store
from tests.test_tui_support import isolate_env, sample_store


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_env(monkeypatch, tmp_path)
    path = tmp_path / "export.db"
    alpha, beta = sample_store(path)
    with Store(path) as store:
        reviewer = Reviewer(store)
        reviewer.accept(alpha, "mechanism", 0)
        reviewer.accept(alpha, "evidence", 0)
        reviewer.edit(alpha, "evidence", 0, "Edited: Tcf7 loss abolished the response.")
        reviewer.flag(alpha, "evidence", 0, "=check the =cmd| mouse strain")
        reviewer.reject(alpha, "evidence", 1)
        reviewer.accept(beta, "therapeutic_implication", 0)
        reviewer.reject(beta, "mechanism", 0)
    return path


REJECTED = (
    "A high progenitor fraction predicted survival in 157 patients.",
    "STING licenses dendritic cells.",
)


def test_markdown_accepted_digest(db: Path) -> None:
    with Store(db) as store:
        text = export_digest(store, "md")
    assert text.startswith("# litdigest digest: accepted claims\n")
    assert "3 claim(s) from 2 document(s)." in text
    assert "PD-1 recruits SHP-2 to dampen TCR signalling." in text
    assert "Edited: Tcf7 loss abolished the response." in text
    assert "Original statement: Deleting Tcf7 abolished the anti-PD-1 response in mice." in text
    assert "Reviewer note: =check the =cmd| mouse strain" in text
    assert "> In mice, deleting Tcf7 abolished the response to anti-PD-1." in text
    assert "animal model" in text and "animal_model" not in text  # kinds in words
    assert "*Alpha: PD-1 and the exhausted T cell* (2024)" in text
    for statement in REJECTED:
        assert statement not in text
    # Grouped by field, in field order.
    assert text.index("## Mechanism") < text.index("## Evidence") < text.index("## Therapeutic")


def test_json_carries_state_edits_and_notes(db: Path) -> None:
    with Store(db) as store:
        data = json.loads(export_digest(store, "json"))
        everything = json.loads(export_digest(store, "json", "all"))
    assert data["status"] == "accepted"
    claims = data["claims"]
    assert [c["field"] for c in claims] == ["mechanism", "evidence", "therapeutic_implication"]
    edited = claims[1]
    assert edited["edited"] is True and edited["flagged"] is True
    assert edited["statement"] == "Edited: Tcf7 loss abolished the response."
    assert edited["original_statement"] == "Deleting Tcf7 abolished the anti-PD-1 response in mice."
    assert edited["note"] == "=check the =cmd| mouse strain"
    assert (
        edited["quotes"][0]["text"] == "In mice, deleting Tcf7 abolished the response to anti-PD-1."
    )
    assert edited["evidence_kind"] == "animal_model"
    assert all(c["status"] == "accepted" for c in claims)
    assert len(everything["claims"]) == 9
    statuses = {c["statement"]: c["status"] for c in everything["claims"]}
    assert all(statuses[s] == "rejected" for s in REJECTED)


def test_csv_rows_and_formula_cells_are_defused(db: Path) -> None:
    with Store(db) as store:
        text = export_digest(store, "csv")
        all_text = export_digest(store, "csv", "all")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == 3
    edited = rows[1]
    assert edited["edited"] == "true" and edited["status"] == "accepted"
    assert edited["original_statement"] == "Deleting Tcf7 abolished the anti-PD-1 response in mice."
    assert edited["note"] == "'=check the =cmd| mouse strain"  # no spreadsheet formula
    assert edited["quote_spans"]
    assert not any(r["statement"] in REJECTED for r in rows)
    assert len(list(csv.DictReader(io.StringIO(all_text)))) == 9


def test_export_is_deterministic(db: Path) -> None:
    with Store(db) as store:
        first = [export_digest(store, fmt) for fmt in ("md", "json", "csv")]
        second = [export_digest(store, fmt) for fmt in ("md", "json", "csv")]
    assert first == second


def test_export_command(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "json", "--status", "all", "--db", str(db)])
    assert exc.value.code == 0
    assert len(json.loads(capsys.readouterr().out)["claims"]) == 9
    out = tmp_path / "digest.md"
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "md", "--out", str(out), "--db", str(db)])
    assert exc.value.code == 0
    assert "Edited: Tcf7 loss" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", str(tmp_path / "missing.db")])
    assert exc.value.code == 2
    assert "no store at" in capsys.readouterr().err
