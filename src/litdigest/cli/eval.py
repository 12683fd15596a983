"""``litdigest eval``: score a backend (or any system's summaries, ``--summaries``) on golden
sets, beside the ``random``, ``lead`` and ``whole`` baselines; the CI gate.

Exit codes: 0 every threshold met and no regression beyond ``--max-regression``; 1 a
threshold unmet or a regression; 2 an error (bad YAML, missing baseline, replay miss…), with
one line on stderr. Heavy imports (numpy, WordLlama, matplotlib) happen inside the command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from litdigest.cli.conventions import StoreCounter, on_interrupt
from litdigest.errors import LitdigestError, UsageError

if TYPE_CHECKING:
    from litdigest.summarize.backends.base import Backend

__all__ = ["EvalOptions", "EvalOutcome", "eval_command", "run_eval"]


class EvalBackend(StrEnum):
    AUTO = "auto"
    EXTRACTIVE = "extractive"
    EXTRACTIVE_V2 = "extractive-v2"
    EXTRACTIVE_V3 = "extractive-v3"
    OPENAI = "openai"


@dataclass
class EvalOptions:
    golden: list[Path]
    backend: str = "auto"
    model: str | None = None
    base_url: str | None = None
    report_dir: Path | None = None
    baseline: Path | None = None
    max_regression: float = 0.02
    record: Path | None = None
    replay: Path | None = None
    db: Path | None = None
    concurrency: int = 4
    summaries: Path | None = None
    budget_claims: int = 3
    budget_words: int = 40
    random_draws: int = 20
    pairs: Path | None = None
    text: bool = True


@dataclass
class EvalOutcome:
    exit_code: int
    report: dict[str, Any]
    paths: dict[str, Path]


def _settings(options: EvalOptions) -> Any:
    from pydantic import ValidationError

    from litdigest.config import OpenAISettings, load_settings

    settings = load_settings()
    opts = settings.openai.model_dump()
    if options.model is not None:
        opts["model"] = options.model
    if options.base_url is not None:
        opts["base_url"] = options.base_url
    try:
        openai_settings = OpenAISettings(**opts)
    except ValidationError as exc:
        raise UsageError(f"invalid options: {exc.errors()[0]['msg']}") from None
    return settings.model_copy(update={"openai": openai_settings})


def _prepare(options: EvalOptions) -> tuple[Any, Backend | None, Any]:
    """Settings, backend (None with ``--summaries``) and cassette of a run."""
    from litdigest.evaluate.runner import build_backend
    from litdigest.redaction import register_secret

    settings = _settings(options)
    if settings.openai.api_key is not None:
        register_secret(settings.openai.api_key.get_secret_value())
    if options.summaries is not None:
        if options.record is not None or options.replay is not None:
            raise UsageError("--summaries cannot be used with --record or --replay")
        return settings, None, None
    backend, cassette = build_backend(
        options.backend,
        settings,
        record=options.record,
        replay=options.replay,
        model_given=options.model is not None,
    )
    return settings, backend, cassette


def run_eval(options: EvalOptions, *, backend: Backend | None = None) -> EvalOutcome:
    """Run the eval (``backend`` overrides the one named in ``options``, e.g. in tests)."""
    from litdigest.evaluate.calibration import DEFAULT_PAIRS, matcher_info
    from litdigest.evaluate.match import MATCH_THRESHOLD, Matcher
    from litdigest.evaluate.metrics import Budget
    from litdigest.evaluate.report import build_report, load_baseline, write_reports
    from litdigest.evaluate.runner import SummaryFile, load_sets, run_sets

    if options.max_regression < 0:
        raise UsageError("--max-regression must be >= 0")
    if options.budget_claims < 1 or options.budget_words < 1 or options.random_draws < 0:
        raise UsageError("--budget-claims and --budget-words must be >= 1, --random-draws >= 0")
    sets = load_sets(options.golden)
    baseline = load_baseline(options.baseline) if options.baseline is not None else None
    summaries = SummaryFile(options.summaries) if options.summaries is not None else None
    cassette = None
    if backend is None:
        settings, backend, cassette = _prepare(options)
    else:
        settings = _settings(options)
    matcher = Matcher(MATCH_THRESHOLD)
    matcher.matrix(["warm up"], ["the embedding model"])  # load it (a ConfigError) up front
    run = run_sets(
        sets,
        None if summaries is not None else backend,
        settings,
        matcher,
        concurrency=options.concurrency,
        store_path=options.db,
        cassette=cassette,
        summaries=summaries,
        budget=Budget(options.budget_claims, options.budget_words),
        random_draws=options.random_draws,
    )
    report = build_report(
        run,
        match_threshold=matcher.threshold,
        baseline=baseline,
        max_regression=options.max_regression,
        matcher_info=matcher_info(sets, matcher, options.pairs or DEFAULT_PAIRS),
        text=options.text,
    )
    report_dir = options.report_dir or Path("out/eval") / run.backend
    paths = write_reports(report, report_dir)
    return EvalOutcome(0 if report["passed"] else 1, report, paths)


def _summary_line(outcome: EvalOutcome) -> str:
    from litdigest.evaluate.report import format_interval

    report = outcome.report
    m, margins = report["metrics"], report["margins"]

    def f(key: str) -> str:
        v = m.get(key)
        return "–" if v is None else f"{v:.3f}"

    def d(key: str) -> str:
        v = margins.get(key)
        return "–" if v is None else f"{v:+.3f}"

    def span(kind: str) -> str:
        bounds = (report.get("intervals") or {}).get(kind, {}).get("budgeted_placed_recall")
        return f" {format_interval(bounds, signed=kind == 'margins')}" if bounds else ""

    scored = sum(s["scored"] for s in report["golden_sets"])
    skipped = sum(s["skipped"] for s in report["golden_sets"])
    verdict = "passed" if report["passed"] else "FAILED"
    return (
        f"litdigest eval: {verdict}: {report['backend']} on {scored} case(s) "
        f"({skipped} skipped): budgeted placed recall {f('budgeted_placed_recall')}"
        f"{span('metrics')} ({d('budgeted_placed_recall')}{span('margins')} "
        f"over random, 95% intervals), recall {f('key_point_recall')}, "
        f"placed {f('placed_recall')}, quotes {f('quote_verified_rate')}, compression "
        f"{f('compression')}, unsupported {f('unsupported_rate')}; report {outcome.paths['md']}"
    )


_Golden = Annotated[list[Path], typer.Argument(help="Golden-set YAML files.", show_default=False)]
_Backend = Annotated[
    EvalBackend,
    typer.Option(
        "--backend",
        help="auto, extractive (= extractive-v3), extractive-v2, extractive-v3 or openai.",
    ),
]
_Model = Annotated[str | None, typer.Option("--model", help="Model name for the openai backend.")]
_BaseUrl = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")]
_Report = Annotated[
    Path | None,
    typer.Option("--report", help="Directory for report.json / report.md / recall.png."),
]
_Baseline = Annotated[
    Path | None, typer.Option("--baseline", help="A previous report.json to compare against.")
]
_MaxRegression = Annotated[
    float, typer.Option("--max-regression", help="Largest tolerated drop of a metric vs baseline.")
]
_Record = Annotated[
    Path | None,
    typer.Option("--record", help="Record every model HTTP exchange into this directory."),
]
_Replay = Annotated[
    Path | None,
    typer.Option("--replay", help="Answer model requests from this recording; no network."),
]
_Db = Annotated[
    Path | None, typer.Option("--db", help="SQLite store for the LLM call log and request cache.")
]
_Concurrency = Annotated[
    int, typer.Option("--concurrency", min=1, max=64, help="Documents in flight.")
]
_Summaries = Annotated[
    Path | None,
    typer.Option(
        "--summaries",
        help="Score these DocumentSummary JSON lines (any system's), matched to cases by "
        "doc_id or source file name, instead of running a backend.",
    ),
]
_BudgetClaims = Annotated[
    int, typer.Option("--budget-claims", help="Claims per field the headline recall counts.")
]
_BudgetWords = Annotated[
    int, typer.Option("--budget-words", help="Words per claim the headline recall reads.")
]
_Draws = Annotated[int, typer.Option("--random-draws", help="Seeded draws of the random baseline.")]
_Text = Annotated[
    bool,
    typer.Option(
        "--text/--no-text",
        help="Include the claims' text in the report (--no-text: for committed baselines).",
    ),
]


def _print_outcome(outcome: EvalOutcome, max_regression: float) -> None:
    print(_summary_line(outcome), file=sys.stderr, flush=True)
    for th in outcome.report["thresholds"]:
        if not th["passed"]:
            print(
                f"litdigest eval: threshold not met: {th['set']}: {th['metric']} "
                f"{th['value']:.3f} < {th['minimum']}",
                file=sys.stderr,
            )
    for r in outcome.report["regressions"]:
        print(
            f"litdigest eval: regression: {r['scope']}: {r['metric']} {r['value']:.3f} vs "
            f"baseline {r['baseline']:.3f} (tolerance {max_regression})",
            file=sys.stderr,
        )


def _eval_interrupted(db: Path | None) -> Callable[[], str]:
    """What an interrupted eval keeps: no report; the summaries committed to ``--db``."""
    if db is None:
        return lambda: "no report written (pass --db to keep finished summaries)"
    counter = StoreCounter(db)
    return lambda: f"no report written; {counter.kept()}"


def eval_command(
    golden: _Golden,
    backend: _Backend = EvalBackend.AUTO,
    model: _Model = None,
    base_url: _BaseUrl = None,
    report: _Report = None,
    baseline: _Baseline = None,
    max_regression: _MaxRegression = 0.02,
    record: _Record = None,
    replay: _Replay = None,
    db: _Db = None,
    concurrency: _Concurrency = 4,
    summaries: _Summaries = None,
    budget_claims: _BudgetClaims = 3,
    budget_words: _BudgetWords = 40,
    random_draws: _Draws = 20,
    text: _Text = True,
) -> None:
    """Evaluate a backend (or --summaries) on golden sets, beside random / lead / whole
    baselines (thresholds, margins, baseline regressions, reports)."""
    options = EvalOptions(
        golden=list(golden),
        backend=backend.value,
        model=model,
        base_url=base_url,
        report_dir=report,
        baseline=baseline,
        max_regression=max_regression,
        record=record,
        replay=replay,
        db=db,
        concurrency=concurrency,
        summaries=summaries,
        budget_claims=budget_claims,
        budget_words=budget_words,
        random_draws=random_draws,
        text=text,
    )
    try:
        with on_interrupt(_eval_interrupted(options.db)):
            outcome = run_eval(options)
    except LitdigestError as exc:
        from litdigest.redaction import redact

        print(f"litdigest: error: {' '.join(redact(exc.message).split())}", file=sys.stderr)
        raise typer.Exit(2) from None
    _print_outcome(outcome, options.max_regression)
    raise typer.Exit(outcome.exit_code)
