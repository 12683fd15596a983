"""Eval reports: ``report.json`` (stable keys), ``report.md`` and a PNG of per-field recall,
thresholds and the regression check against a baseline report."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from litdigest import __version__
from litdigest.errors import UsageError
from litdigest.evaluate.metrics import QUALITY_METRICS, Metrics, aggregate
from litdigest.evaluate.runner import EvalRun, display_path
from litdigest.redaction import redact
from litdigest.summarize.schema import SECTIONS

__all__ = [
    "REPORT_VERSION",
    "Baseline",
    "build_report",
    "latest_report_pointer",
    "load_baseline",
    "write_reports",
]

REPORT_VERSION: Final = 1
_EPS: Final = 1e-9
# Shown in the Markdown case tables, in this order.
_CASE_COLUMNS: Final = (
    "schema_valid",
    "quote_verified_rate",
    "key_point_recall",
    "key_point_precision",
    "placed_recall",
    "placement_accuracy",
    "rouge_l",
    "must_not_include_ok",
)


@dataclass(frozen=True)
class Baseline:
    path: Path
    report: dict[str, Any]

    def case_metrics(self) -> dict[tuple[str, str], Metrics]:
        out: dict[tuple[str, str], Metrics] = {}
        for c in self.report.get("cases", []):
            if isinstance(c, dict) and c.get("status") == "ok":
                out[(str(c.get("set")), str(c.get("id")))] = dict(c.get("metrics") or {})
        return out


def load_baseline(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--baseline {path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--baseline {path}: not a readable report.json ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise UsageError(f"--baseline {path}: not an eval report.json (no 'cases')")
    return Baseline(path, data)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _rounded(metrics: Mapping[str, float | None]) -> dict[str, float | None]:
    return {k: _round(v) for k, v in metrics.items()}


def _compare(
    current: Sequence[Metrics], base: Sequence[Metrics], max_regression: float
) -> tuple[dict[str, dict[str, float | None]], list[str]]:
    """Per quality metric: value, baseline, delta over the same cases; and regressed metrics."""
    cur_agg, base_agg = aggregate(current), aggregate(base)
    rows: dict[str, dict[str, float | None]] = {}
    regressed: list[str] = []
    for m in QUALITY_METRICS:
        c, b = cur_agg.get(m), base_agg.get(m)
        if c is None or b is None:
            continue
        delta = c - b
        rows[m] = {"value": _round(c), "baseline": _round(b), "delta": _round(delta)}
        if delta < -max_regression - _EPS:
            regressed.append(m)
    return rows, regressed


def build_report(
    run: EvalRun,
    *,
    match_threshold: float,
    baseline: Baseline | None = None,
    max_regression: float = 0.02,
) -> dict[str, Any]:
    """The report as a JSON-ready dict; ``passed`` is False on an unmet threshold or a
    regression beyond ``max_regression`` against ``baseline``."""
    cases_out: list[dict[str, Any]] = []
    sets_out: list[dict[str, Any]] = []
    thresholds_out: list[dict[str, Any]] = []
    all_ok: list[Metrics] = []
    for gs, cases in run.sets:
        ok = [c.metrics for c in cases if c.status != "skipped"]
        all_ok.extend(ok)
        agg = aggregate(ok)
        sets_out.append(
            {
                "name": gs.name,
                "path": display_path(gs.path),
                "cases": len(cases),
                "scored": len(ok),
                "skipped": sum(c.status == "skipped" for c in cases),
                "errors": sum(c.status == "error" for c in cases),
                "thresholds": dict(gs.thresholds),
                "metrics": _rounded(agg),
            }
        )
        for metric, minimum in gs.thresholds.items():
            value = agg.get(metric)
            thresholds_out.append(
                {
                    "set": gs.name,
                    "metric": metric,
                    "minimum": minimum,
                    "value": _round(value),
                    # a set with no scored case cannot fail (its cases were all skipped)
                    "passed": value is None or value >= minimum - _EPS,
                    "note": "no scored case" if value is None else "",
                }
            )
        for c in cases:
            entry: dict[str, Any] = {
                "set": gs.name,
                "id": c.case.id,
                "document": display_path(c.case.document)
                + (f":{c.case.line}" if c.case.line else "")
                + (f"#{c.case.record}" if c.case.record else ""),
                "status": c.status,
                "note": redact(c.note),
                "doc_id": c.doc.doc_id if c.doc is not None else None,
                "metrics": _rounded(c.metrics),
            }
            if c.summary is not None:
                entry["claims"] = {
                    s: [cl.statement for cl in c.summary.section(s)] for s in SECTIONS
                }
            cases_out.append(entry)

    overall = aggregate(all_ok)
    totals = {
        k: _round(sum(m.get(k) or 0.0 for m in all_ok))
        for k in ("tokens", "cost_usd", "calls", "latency_s")
    }
    baseline_out: dict[str, Any] | None = None
    regressions: list[dict[str, Any]] = []
    if baseline is not None:
        base_cases = baseline.case_metrics()
        current = {(c.set_name, c.case.id): c.metrics for c in run.cases if c.status != "skipped"}
        common = sorted(set(current) & set(base_cases))
        per_set: dict[str, Any] = {}
        for gs, _ in run.sets:
            keys = [k for k in common if k[0] == gs.name]
            if not keys:
                continue
            rows, regressed = _compare(
                [current[k] for k in keys], [base_cases[k] for k in keys], max_regression
            )
            per_set[gs.name] = {"compared_cases": len(keys), "metrics": rows}
            regressions.extend({"scope": gs.name, "metric": m, **rows[m]} for m in regressed)
        rows, regressed = _compare(
            [current[k] for k in common], [base_cases[k] for k in common], max_regression
        )
        regressions.extend({"scope": "all", "metric": m, **rows[m]} for m in regressed)
        baseline_out = {
            "path": display_path(baseline.path),
            "backend": baseline.report.get("backend"),
            "model": baseline.report.get("model"),
            "max_regression": max_regression,
            "compared_cases": len(common),
            "metrics": rows,
            "sets": per_set,
            "cases": {f"{s}/{i}": _rounded(base_cases[(s, i)]) for s, i in common},
        }
    passed = all(t["passed"] for t in thresholds_out) and not regressions
    return {
        "report_version": REPORT_VERSION,
        "litdigest_version": __version__,
        "backend": run.backend,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "match_threshold": match_threshold,
        "passed": passed,
        "metrics": _rounded(overall),
        "totals": totals,
        "golden_sets": sets_out,
        "thresholds": thresholds_out,
        "regressions": regressions,
        "baseline": baseline_out,
        "cases": cases_out,
    }


# --------------------------------------------------------------------------------------------
# Markdown


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.3f}"
    return str(value)


def _delta(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return ""
    d = value - base
    if abs(d) < 5e-4:
        return " (=)"
    return f" ({'▲' if d > 0 else '▼'}{abs(d):.3f})"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping[str, Any]) -> str:
    lines: list[str] = []
    verdict = "✅ passed" if report["passed"] else "❌ failed"
    lines.append(
        f"# litdigest eval — {report['backend']} ({_md_escape(str(report['model']))}): {verdict}"
    )
    lines.append("")
    lines.append(
        f"prompt `{report['prompt_version']}` · match threshold {report['match_threshold']} · "
        f"litdigest {report['litdigest_version']}"
    )
    base = report.get("baseline")
    base_rows: Mapping[str, Any] = base["metrics"] if base else {}
    if base:
        lines.append(
            f"Baseline `{base['path']}` ({base['backend']}, {base['compared_cases']} common "
            f"cases; tolerance {base['max_regression']}): deltas ▲/▼ over the common cases."
        )
    lines += ["", "## Aggregate", "", "| metric | value | baseline | Δ |", "|---|---|---|---|"]
    for m, v in report["metrics"].items():
        row = base_rows.get(m) if base_rows else None
        if row is not None:
            lines.append(
                f"| {m} | {_fmt(row['value'])} | {_fmt(row['baseline'])} |"
                f"{_delta(row['value'], row['baseline'])} |"
            )
        else:
            lines.append(f"| {m} | {_fmt(v)} | | |")
    t = report["totals"]
    lines.append("")
    lines.append(
        f"Totals: {int(t['tokens'] or 0)} tokens, ${_fmt(t['cost_usd'])}, "
        f"{int(t['calls'] or 0)} calls, {_fmt(t['latency_s'])} s summarizing."
    )
    lines += ["", "## Thresholds", ""]
    if report["thresholds"]:
        lines += ["| set | metric | minimum | value | |", "|---|---|---|---|---|"]
        for th in report["thresholds"]:
            mark = "✅" if th["passed"] else "❌"
            lines.append(
                f"| {th['set']} | {th['metric']} | {th['minimum']} | {_fmt(th['value'])} | "
                f"{mark} {th['note']} |"
            )
    else:
        lines.append("(none)")
    if report["regressions"]:
        lines += ["", "## Regressions beyond tolerance", ""]
        for r in report["regressions"]:
            lines.append(
                f"- ❌ {r['scope']}: {r['metric']} {_fmt(r['value'])} vs baseline "
                f"{_fmt(r['baseline'])} (▼{abs(r['delta']):.3f})"
            )
    lines += ["", "## Golden sets", "", "| set | cases | scored | skipped | errors |"]
    lines.append("|---|---|---|---|---|")
    for s in report["golden_sets"]:
        lines.append(
            f"| {s['name']} | {s['cases']} | {s['scored']} | {s['skipped']} | {s['errors']} |"
        )
    base_cases: Mapping[str, Any] = base["cases"] if base else {}
    lines += ["", "## Cases"]
    for c in report["cases"]:
        lines += ["", f"### {c['set']} / {c['id']}", ""]
        lines.append(f"`{_md_escape(c['document'])}` — {c['status']}")
        if c["note"]:
            lines.append(f"> {_md_escape(c['note'])}")
        if c["status"] == "skipped":
            continue
        prev = base_cases.get(f"{c['set']}/{c['id']}") or {}
        lines += ["", "| metric | value | Δ baseline |", "|---|---|---|"]
        metrics = c["metrics"]
        for m in _CASE_COLUMNS:
            if metrics.get(m) is None:
                continue
            lines.append(f"| {m} | {_fmt(metrics[m])} | {_delta(metrics[m], prev.get(m))} |")
        per_field = " · ".join(
            f"{s}: recall {_fmt(metrics.get(f'key_point_recall.{s}'))}, "
            f"ROUGE-L {_fmt(metrics.get(f'rouge_l.{s}'))}"
            for s in SECTIONS
        )
        lines.append("")
        lines.append(f"Fields — {per_field}")
        lines.append(
            f"Usage — {int(metrics.get('tokens') or 0)} tokens, "
            f"${_fmt(metrics.get('cost_usd'))}, {_fmt(metrics.get('latency_s'))} s"
        )
    return redact("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------------
# Plot


def write_plot(report: Mapping[str, Any], path: Path) -> None:
    """Bar chart of per-field key-point recall (and placed recall), current vs baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = report.get("baseline")
    metrics = report["metrics"]
    labels = [s.replace("_", "\n") for s in SECTIONS]
    series: list[tuple[str, list[float]]] = []
    for kind, title in (("key_point_recall", "recall"), ("placed_recall", "placed recall")):
        series.append(
            (f"{title} (this run)", [metrics.get(f"{kind}.{s}") or 0.0 for s in SECTIONS])
        )
        if base:
            rows = base["metrics"]
            series.append(
                (
                    f"{title} (baseline)",
                    [(rows.get(f"{kind}.{s}") or {}).get("baseline") or 0.0 for s in SECTIONS],
                )
            )
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=100)
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(SECTIONS))]
        ax.bar(xs, values, width=width, label=name)
    ax.set_xticks(range(len(SECTIONS)), labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of key points")
    ax.set_title(f"Per-field recall — {report['backend']} ({report['model']})")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# Writing


def latest_report_pointer() -> Path:
    """The one-line file naming the latest report (read by the review TUI)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("litdigest")) / "latest-eval-report"


def write_reports(report: Mapping[str, Any], directory: Path) -> dict[str, Path]:
    """Write report.json, report.md, recall.png into ``directory``; append the Markdown to
    ``$GITHUB_STEP_SUMMARY`` when set; point ``latest-eval-report`` at the JSON."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report {directory}: cannot create ({exc.strerror or exc})") from None
    paths = {
        "json": directory / "report.json",
        "md": directory / "report.md",
        "png": directory / "recall.png",
    }
    blob = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False)
    paths["json"].write_text(redact(blob) + "\n", encoding="utf-8")
    markdown = render_markdown(report)
    paths["md"].write_text(markdown, encoding="utf-8")
    write_plot(report, paths["png"])
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    pointer = latest_report_pointer()
    try:
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(str(paths["json"].resolve()) + "\n", encoding="utf-8")
    except OSError:
        pass  # a read-only state dir must not fail the eval
    return paths
