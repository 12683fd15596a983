"""``litdigest eval``: reports, thresholds, baselines, CI summary, and the CI gate catching a
deliberately broken summarizer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from litdigest.cli.app import main
from litdigest.cli.eval import EvalOptions, run_eval
from litdigest.config import load_settings
from litdigest.documents import Chunk, Document
from litdigest.evaluate.report import latest_report_pointer
from litdigest.summarize.backends.base import CallContext
from litdigest.summarize.backends.extractive import ExtractiveBackend
from litdigest.summarize.schema import DocumentSummary
from tests.eval_support import GOLDEN, REPO, SMALL_SET, eval_env, write_golden
from tests.test_eval_validity import swap_fields

__all__ = ["eval_env"]

TOP_KEYS = {
    "report_version",
    "litdigest_version",
    "backend",
    "model",
    "prompt_version",
    "match_threshold",
    "budget",
    "random_draws",
    "passed",
    "metrics",
    "baselines",
    "margins",
    "intervals",
    "splits",
    "totals",
    "matcher",
    "golden_sets",
    "thresholds",
    "regressions",
    "baseline",
    "cases",
}


def _cli(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert isinstance(exc.value.code, int)
    return exc.value.code


def test_reports_written_with_stable_keys(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    out = eval_env / "report"
    assert _cli(["eval", str(golden), "--backend", "extractive", "--report", str(out)]) == 0
    err = capsys.readouterr().err
    assert "litdigest eval: passed" in err
    # the headline and its margin over random, each with its interval over the cases
    assert re.search(
        r"budgeted placed recall \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] "
        r"\([+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\] over random, 95% intervals\)",
        err,
    ), err
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "recall.png"}
    assert (out / "recall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report) == TOP_KEYS
    assert report["passed"] is True and report["backend"] == "extractive"
    assert [c["status"] for c in report["cases"]] == ["ok", "ok", "skipped"]
    assert "document not found" in report["cases"][2]["note"]
    assert report["golden_sets"][0]["skipped"] == 1
    for key in ("key_point_recall", "quote_verified_rate", "rouge_l", "placed_recall"):
        assert isinstance(report["metrics"][key], float)
    for key in ("budgeted_placed_recall", "compression", "unsupported_rate"):
        assert isinstance(report["metrics"][key], float)
    assert set(report["baselines"]) == {"random", "lead", "whole"}
    assert set(report["splits"]) == {"train", "heldout"}
    assert set(report["golden_sets"][0]["splits"]) == {"train", "heldout"}
    margin = report["margins"]["budgeted_placed_recall"]
    rnd = report["baselines"]["random"]["budgeted_placed_recall"]
    assert margin == pytest.approx(report["metrics"]["budgeted_placed_recall"] - rnd, abs=1e-5)
    assert {"pairs", "cross_case"} <= set(report["matcher"])
    cd73 = report["cases"][0]
    assert cd73["split"] == "train" and set(cd73["baselines"]) == {"random", "lead", "whole"}
    kp = cd73["explanation"]["key_points"][0]
    assert {"field", "key_point", "covered", "placed", "best_claim", "parts"} <= set(kp)
    assert {"score", "cosine", "containment", "order", "terms"} <= set(kp["parts"])
    assert all("covers" in c for c in cd73["explanation"]["claims"])
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Aggregate" in md and "### small / cd73" in md and "### small / absent" in md
    assert "## Headline" in md and "Key points (budgeted view)" in md
    assert "| interval | margin interval |" in md
    for scope in (report, report["golden_sets"][0], report["splits"]["train"]):
        spans = scope["intervals"]
        assert spans["level"] == 0.95
        low, high = spans["metrics"]["budgeted_placed_recall"]
        assert low <= scope["metrics"]["budgeted_placed_recall"] <= high
        low, high = spans["margins"]["budgeted_placed_recall"]
        assert low <= scope["margins"]["budgeted_placed_recall"] <= high
    # one scored case in the held-out split: no spread, no interval
    assert report["splits"]["heldout"]["scored"] <= 1
    assert report["splits"]["heldout"]["intervals"]["metrics"]["budgeted_placed_recall"] is None
    pointer = latest_report_pointer()
    assert pointer.is_relative_to(eval_env)
    assert pointer.read_text(encoding="utf-8").strip() == str((out / "report.json").resolve())


def test_deltas_against_a_baseline(eval_env: Path) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    first = run_eval(EvalOptions([golden], backend="extractive", report_dir=eval_env / "first"))
    baseline = json.loads((eval_env / "first" / "report.json").read_text(encoding="utf-8"))
    for case in baseline["cases"]:
        if case["id"] == "cd73":
            case["metrics"]["rouge_l"] -= 0.01  # we are better now: ▲
        if case["id"] == "tls":
            case["metrics"]["rouge_l"] += 0.015  # we are worse, within tolerance: ▼
    base_path = eval_env / "baseline.json"
    base_path.write_text(json.dumps(baseline), encoding="utf-8")
    second = run_eval(
        EvalOptions(
            [golden],
            backend="extractive",
            report_dir=eval_env / "second",
            baseline=base_path,
            max_regression=0.02,
        )
    )
    assert first.exit_code == second.exit_code == 0
    md = (eval_env / "second" / "report.md").read_text(encoding="utf-8")
    assert "▲0.010" in md and "▼0.015" in md
    assert second.report["baseline"]["compared_cases"] == 2
    assert second.report["regressions"] == []
    # the same summaries: the paired change of the headline is exactly 0, interval [0, 0]
    row = second.report["baseline"]["metrics"]["budgeted_placed_recall"]
    assert row["delta"] == 0.0 and row["delta_interval"] == [0.0, 0.0]
    assert "rouge_l" in second.report["baseline"]["metrics"]
    assert "delta_interval" not in second.report["baseline"]["metrics"]["rouge_l"]
    assert "| small | 2 |" in md and "| [+0.000, +0.000] |" in md


def test_threshold_above_achieved_exits_1(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = SMALL_SET.replace("key_point_recall: 0.5", "rouge_l: 0.99")
    golden = write_golden(eval_env / "g.yaml", body)
    argv = ["eval", str(golden), "--backend", "extractive", "--report", str(eval_env / "r")]
    assert _cli(argv) == 1
    err = capsys.readouterr().err
    assert "threshold not met: small: rouge_l" in err
    report = json.loads((eval_env / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] is False
    assert [t["passed"] for t in report["thresholds"] if t["metric"] == "rouge_l"] == [False]


def test_margin_threshold_unmet_exits_1(eval_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = SMALL_SET.replace("cases:", "margins: {budgeted_placed_recall: 0.99}\ncases:", 1)
    golden = write_golden(eval_env / "g.yaml", body)
    argv = ["eval", str(golden), "--backend", "extractive", "--report", str(eval_env / "r")]
    argv += ["--random-draws", "3"]
    assert _cli(argv) == 1
    assert "threshold not met: small: budgeted_placed_recall − random" in capsys.readouterr().err


def test_regression_beyond_tolerance_exits_1(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    run_eval(EvalOptions([golden], backend="extractive", report_dir=eval_env / "base"))
    baseline = json.loads((eval_env / "base" / "report.json").read_text(encoding="utf-8"))
    for case in baseline["cases"]:
        if case["status"] == "ok":
            case["metrics"]["rouge_l"] += 0.05
    base_path = eval_env / "baseline.json"
    base_path.write_text(json.dumps(baseline), encoding="utf-8")
    argv = ["eval", str(golden), "--backend", "extractive", "--baseline", str(base_path)]
    argv += ["--max-regression", "0.02", "--report", str(eval_env / "r")]
    assert _cli(argv) == 1
    assert "regression: small: rouge_l" in capsys.readouterr().err
    # within a wider tolerance it passes
    argv[argv.index("0.02")] = "0.1"
    assert _cli(argv) == 0


def test_github_step_summary_is_appended(eval_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = eval_env / "step-summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    golden = write_golden(eval_env / "g.yaml", SMALL_SET)
    run_eval(EvalOptions([golden], backend="extractive", report_dir=eval_env / "r"))
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("previous step\n")
    assert "# litdigest eval — extractive" in text and "### small / cd73" in text


class FieldSwappingBackend:
    """The extractive summarizer, broken on purpose: every claim lands in the wrong field."""

    name = "extractive-swapped"

    def __init__(self) -> None:
        self.inner = ExtractiveBackend.from_settings(load_settings().summarize)
        self.model = self.inner.model
        self.prompt_version = self.inner.prompt_version

    def settings_hash(self) -> str:
        return "swapped-" + self.inner.settings_hash()

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        summary = await self.inner.summarize(doc, chunks, ctx)
        return swap_fields(summary, summary)


def test_breaking_the_summarizer_fails_the_gate(eval_env: Path) -> None:
    """Swapping fields makes CI fail against the committed extractive baseline."""
    options = EvalOptions(
        [GOLDEN / "examples.yaml"],
        backend="extractive",
        baseline=REPO / "evals" / "baseline" / "extractive" / "report.json",
        max_regression=0.02,
        report_dir=eval_env / "broken",
    )
    honest = run_eval(options)
    assert honest.exit_code == 0, honest.report["regressions"]
    broken = run_eval(options, backend=FieldSwappingBackend())
    assert broken.exit_code == 1
    regressed = {r["metric"] for r in broken.report["regressions"]}
    assert {"budgeted_placed_recall", "placed_recall", "placement_accuracy"} <= regressed
