"""Golden-set YAML parsing and validation; CLI errors exit 2 with one stderr line."""

from __future__ import annotations

from pathlib import Path

import pytest

from litdigest.cli.app import main
from litdigest.config import load_settings
from litdigest.evaluate.golden import GoldenError, load_golden
from litdigest.evaluate.metrics import known_metrics
from litdigest.evaluate.runner import load_sets, resolve_case
from tests.eval_support import GOLDEN, SMALL_SET, eval_env, write_golden

__all__ = ["eval_env"]


def test_committed_golden_sets_parse() -> None:
    sets = load_sets(sorted(GOLDEN.glob("*.yaml")))
    by_name = {s.name: s for s in sets}
    assert set(by_name) == {"examples", "seeds", "cochrane", "pmc", "pubmed", "pdf"}
    assert len(by_name["cochrane"].cases) == 20
    assert len(by_name["seeds"].cases) == 5
    assert sum(len(s.cases) for s in sets) >= 60
    for gs in sets:  # about a third of every set is held out
        heldout = sum(c.split == "heldout" for c in gs.cases)
        assert 0.2 <= heldout / len(gs.cases) <= 0.45, gs.name
    assert all(c.line is not None and c.reference_file for c in by_name["cochrane"].cases)
    for gs in sets:
        assert all(c.key_points for c in gs.cases), gs.name


def test_small_set_fields(tmp_path: Path) -> None:
    gs = load_golden(write_golden(tmp_path / "g.yaml", SMALL_SET), known_metrics=known_metrics())
    assert gs.name == "small"
    assert gs.thresholds == {"quote_verified_rate": 1.0, "key_point_recall": 0.5}
    cd73, tls, absent = gs.cases
    assert cd73.record == 2 and cd73.expected["mechanism"] == (
        "CD73 converts extracellular AMP into adenosine",
    )
    assert tls.expected["mechanism"] == ()  # absent field → empty
    assert tls.must_not_include == ("Google Scholar",)
    assert absent.document == (tmp_path / "does-not-exist/nowhere.txt").resolve()


def test_missing_document_is_skipped_with_a_note(tmp_path: Path) -> None:
    gs = load_golden(write_golden(tmp_path / "g.yaml", SMALL_SET))
    note = resolve_case(gs.cases[2], load_settings())
    assert isinstance(note, str) and "document not found" in note


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name: x\ncases: [\n", "invalid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("name: x\ncase: []\n", "unknown key(s): case"),
        ("name: x\nthresholds: {recal: 0.5}\ncases: []\n", "unknown metric"),
        ("name: x\nthresholds: {key_point_recall: high}\ncases: []\n", "expected a number"),
        ("cases:\n  - document: a.txt\n", "id"),
        ("cases:\n  - id: a\n", "document"),
        ("cases:\n  - {id: a, document: a.txt}\n  - {id: a, document: b.txt}\n", "duplicate"),
        ("cases:\n  - {id: a, document: a.txt, expected: {mechanisms: [x]}}\n", "unknown field"),
        ("cases:\n  - {id: a, document: a.txt, record: 1, line: 2}\n", "not both"),
        ("cases:\n  - {id: a, document: a.txt, line: 0}\n", "positive integer"),
        ("cases:\n  - {id: a, document: a.txt, must_not_include: [1, 2]}\n", "list of strings"),
        ("cases:\n  - {id: a, document: a.txt, split: test}\n", "split"),
        ("cases:\n  - {id: a, document: a.txt, spilt: heldout}\n", "unknown key(s): spilt"),
    ],
)
def test_invalid_golden_sets(tmp_path: Path, body: str, message: str) -> None:
    path = write_golden(tmp_path / "bad.yaml", body)
    with pytest.raises(GoldenError) as err:
        load_golden(path, known_metrics=known_metrics())
    assert message in err.value.message
    assert str(path) in err.value.message


def _run_cli(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    code = exc.value.code
    assert isinstance(code, int)
    return code


def test_cli_bad_yaml_exits_2_with_one_line(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_golden(eval_env / "bad.yaml", "name: x\ncases: [\n")
    assert _run_cli(["eval", str(path), "--backend", "extractive"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("litdigest: error:") and "invalid YAML" in err[0]
    assert "Traceback" not in capsys.readouterr().err


def test_cli_missing_golden_and_baseline_exit_2(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_cli(["eval", str(eval_env / "nope.yaml"), "--backend", "extractive"]) == 2
    assert "golden set not found" in capsys.readouterr().err
    good = write_golden(eval_env / "g.yaml", SMALL_SET)
    argv = ["eval", str(good), "--backend", "extractive", "--baseline", str(eval_env / "x.json")]
    assert _run_cli(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--baseline" in err[0] and "no such file" in err[0]
