"""Eval reports: ``report.json`` (stable keys), ``report.md`` and a PNG of per-field recall;
thresholds (on values and on margins over the ``random`` baseline) and the regression check
against a baseline report. Every aggregate is given for all cases and per split (``train``,
``heldout``), with the baselines (``random``, ``lead``, ``whole``) beside the system."""

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
from litdigest.evaluate.golden import SPLITS
from litdigest.evaluate.intervals import LEVEL, mean_interval, paired_interval
from litdigest.evaluate.metrics import HEADLINE_METRICS, QUALITY_METRICS, Metrics, aggregate
from litdigest.evaluate.runner import CaseResult, EvalRun, display_path
from litdigest.redaction import redact
from litdigest.summarize.schema import SECTIONS

__all__ = [
    "REPORT_VERSION",
    "Baseline",
    "build_report",
    "format_interval",
    "latest_report_pointer",
    "load_baseline",
    "write_reports",
]

REPORT_VERSION: Final = 2
_EPS: Final = 1e-9
# Shown in the Markdown case tables, in this order.
_CASE_COLUMNS: Final = (
    "budgeted_placed_recall",
    "budgeted_recall",
    "schema_valid",
    "quote_verified_rate",
    "key_point_recall",
    "key_point_precision",
    "placed_recall",
    "placement_accuracy",
    "rouge_l",
    "must_not_include_ok",
    "compression",
    "unsupported_rate",
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


def _interval(bounds: tuple[float, float] | None) -> list[float | None] | None:
    return None if bounds is None else [_round(bounds[0]), _round(bounds[1])]


def _paired(
    current: Sequence[Mapping[str, float | None]],
    other: Sequence[Mapping[str, float | None]],
    metric: str,
) -> list[float | None] | None:
    """The bootstrap interval of the mean per-case difference of ``metric``, over the cases
    where both sides have a value."""
    pairs = [
        (a, b)
        for a, b in ((c.get(metric), o.get(metric)) for c, o in zip(current, other, strict=True))
        if a is not None and b is not None
    ]
    return _interval(paired_interval([a for a, _ in pairs], [b for _, b in pairs]))


def _compare(
    current: Sequence[Metrics], base: Sequence[Metrics], max_regression: float
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per quality metric: value, baseline, delta over the same cases with the bootstrap
    interval of the paired delta (headline metrics); and the regressed metrics."""
    cur_agg, base_agg = aggregate(current), aggregate(base)
    rows: dict[str, dict[str, Any]] = {}
    regressed: list[str] = []
    for m in QUALITY_METRICS:
        c, b = cur_agg.get(m), base_agg.get(m)
        if c is None or b is None:
            continue
        delta = c - b
        rows[m] = {"value": _round(c), "baseline": _round(b), "delta": _round(delta)}
        if m in HEADLINE_METRICS:
            rows[m]["delta_interval"] = _paired(current, base, m)
        if delta < -max_regression - _EPS:
            regressed.append(m)
    return rows, regressed


def _scope(cases: Sequence[CaseResult]) -> dict[str, Any]:
    """System metrics, baseline metrics and headline margins over ``cases`` (scored ones)."""
    ok = [c for c in cases if c.status != "skipped"]
    system = aggregate(c.metrics for c in ok)
    baselines = {
        name: _rounded(aggregate(c.baselines[name] for c in ok if name in c.baselines))
        for name in ("random", "lead", "whole")
    }
    margins: dict[str, float | None] = {}
    for m in HEADLINE_METRICS:
        value, rnd = system.get(m), baselines["random"].get(m)
        margins[m] = None if value is None or rnd is None else _round(value - rnd)
    return {
        "scored": len(ok),
        "metrics": _rounded(system),
        "baselines": baselines,
        "margins": margins,
        "intervals": _intervals(ok),
    }


def _intervals(ok: Sequence[CaseResult]) -> dict[str, Any]:
    """Bootstrap intervals (``LEVEL``) over the cases of each headline metric and of its
    margin over ``random`` (paired: a case's draws against the same case's summary)."""
    values: dict[str, Any] = {}
    margins: dict[str, Any] = {}
    ranked = [c for c in ok if "random" in c.baselines]
    own, drawn = [c.metrics for c in ranked], [c.baselines["random"] for c in ranked]
    for m in HEADLINE_METRICS:
        values[m] = _interval(mean_interval([v for c in ok if (v := c.metrics.get(m)) is not None]))
        margins[m] = _paired(own, drawn, m)
    return {"level": LEVEL, "metrics": values, "margins": margins}


def _scopes(cases: Sequence[CaseResult]) -> dict[str, Any]:
    out = _scope(cases)
    out["splits"] = {sp: _scope([c for c in cases if c.split == sp]) for sp in SPLITS}
    return out


def _checks(
    name: str, thresholds: Mapping[str, float], scope: Mapping[str, Any], kind: str
) -> list[dict[str, Any]]:
    """Threshold checks on the system's values (``kind="value"``) or margins over random."""
    source = scope["metrics"] if kind == "value" else scope["margins"]
    out: list[dict[str, Any]] = []
    for metric, minimum in thresholds.items():
        value = source.get(metric)
        out.append(
            {
                "set": name,
                "metric": metric if kind == "value" else f"{metric} − random",
                "kind": kind,
                "minimum": minimum,
                "value": _round(value),
                # a set with no scored case cannot fail (its cases were all skipped)
                "passed": value is None or value >= minimum - _EPS,
                "note": "no scored case" if value is None else "",
            }
        )
    return out


def _without_text(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """The explanation without claim statements (they quote third-party documents)."""
    kps = [
        {**kp, "best_claim": {k: v for k, v in kp["best_claim"].items() if k != "statement"}}
        if kp.get("best_claim")
        else dict(kp)
        for kp in explanation.get("key_points", [])
    ]
    claims = [
        {k: v for k, v in c.items() if k != "statement"} for c in explanation.get("claims", [])
    ]
    return {"key_points": kps, "claims": claims}


def _case_entry(set_name: str, c: CaseResult, *, text: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "set": set_name,
        "id": c.case.id,
        "split": c.case.split,
        "document": display_path(c.case.document)
        + (f":{c.case.line}" if c.case.line else "")
        + (f"#{c.case.record}" if c.case.record else ""),
        "status": c.status,
        "note": redact(c.note),
        "doc_id": c.doc.doc_id if c.doc is not None else None,
        "metrics": _rounded(c.metrics),
        "baselines": {
            name: {m: _round(v.get(m)) for m in HEADLINE_METRICS} for name, v in c.baselines.items()
        },
    }
    if c.summary is not None and text:
        entry["claims"] = {s: [cl.statement for cl in c.summary.section(s)] for s in SECTIONS}
    if c.explanation:
        entry["explanation"] = c.explanation if text else _without_text(c.explanation)
    return entry


def _baseline_block(
    run: EvalRun, baseline: Baseline, max_regression: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    base_cases = baseline.case_metrics()
    current = {(c.set_name, c.case.id): c.metrics for c in run.cases if c.status != "skipped"}
    common = sorted(set(current) & set(base_cases))
    per_set: dict[str, Any] = {}
    regressions: list[dict[str, Any]] = []
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
    block = {
        "path": display_path(baseline.path),
        "backend": baseline.report.get("backend"),
        "model": baseline.report.get("model"),
        "max_regression": max_regression,
        "compared_cases": len(common),
        "metrics": rows,
        "sets": per_set,
        "cases": {f"{s}/{i}": _rounded(base_cases[(s, i)]) for s, i in common},
    }
    return block, regressions


def build_report(
    run: EvalRun,
    *,
    match_threshold: float,
    baseline: Baseline | None = None,
    max_regression: float = 0.02,
    matcher_info: Mapping[str, Any] | None = None,
    text: bool = True,
) -> dict[str, Any]:
    """The report as a JSON-ready dict; ``passed`` is False on an unmet threshold (value or
    margin) or a regression beyond ``max_regression`` against ``baseline``. ``text=False``
    leaves out the claims' text (for reports committed to the repository: the claims quote
    third-party documents)."""
    sets_out: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for gs, cases in run.sets:
        scope = _scopes(cases)
        sets_out.append(
            {
                "name": gs.name,
                "path": display_path(gs.path),
                "cases": len(cases),
                "skipped": sum(c.status == "skipped" for c in cases),
                "errors": sum(c.status == "error" for c in cases),
                "thresholds": dict(gs.thresholds),
                "margin_thresholds": dict(gs.margins),
                **scope,
            }
        )
        checks += _checks(gs.name, gs.thresholds, scope, "value")
        checks += _checks(gs.name, gs.margins, scope, "margin")
    all_ok = [c.metrics for c in run.cases if c.status != "skipped"]
    totals = {
        k: _round(sum(m.get(k) or 0.0 for m in all_ok))
        for k in ("tokens", "cost_usd", "calls", "latency_s")
    }
    baseline_out: dict[str, Any] | None = None
    regressions: list[dict[str, Any]] = []
    if baseline is not None:
        baseline_out, regressions = _baseline_block(run, baseline, max_regression)
    overall = _scopes(run.cases)
    return {
        "report_version": REPORT_VERSION,
        "litdigest_version": __version__,
        "backend": run.backend,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "match_threshold": match_threshold,
        "budget": {"claims_per_field": run.budget.claims, "words_per_claim": run.budget.words},
        "random_draws": run.random_draws,
        "passed": all(t["passed"] for t in checks) and not regressions,
        "metrics": overall["metrics"],
        "baselines": overall["baselines"],
        "margins": overall["margins"],
        "intervals": overall["intervals"],
        "splits": overall["splits"],
        "totals": totals,
        "matcher": dict(matcher_info or {}),
        "golden_sets": sets_out,
        "thresholds": checks,
        "regressions": regressions,
        "baseline": baseline_out,
        "cases": [_case_entry(gs.name, c, text=text) for gs, cases in run.sets for c in cases],
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


def _headline_rows(name: str, scope: Mapping[str, Any]) -> list[str]:
    rows: list[str] = []
    for label, sc in (("all", scope), *((sp, scope["splits"][sp]) for sp in SPLITS)):
        m, base, margin = sc["metrics"], sc["baselines"], sc["margins"]
        cells = [
            f"{_fmt(m.get(h))} ({_signed(margin.get(h))})" for h in ("budgeted_placed_recall",)
        ]
        spans = sc.get("intervals") or {"metrics": {}, "margins": {}}
        cells += [
            format_interval(spans[k].get("budgeted_placed_recall"), signed=k == "margins")
            for k in ("metrics", "margins")
        ]
        cells += [_fmt(base[b].get("budgeted_placed_recall")) for b in ("random", "lead", "whole")]
        cells += [f"{_fmt(m.get(h))} ({_signed(margin.get(h))})" for h in HEADLINE_METRICS[1:]]
        rows.append(f"| {name} | {label} | {sc['scored']} | " + " | ".join(cells) + " |")
    return rows


def format_interval(bounds: Sequence[float | None] | None, *, signed: bool = False) -> str:
    """``[low, high]`` to 3 decimals (signed for a margin or a change); "–" when absent."""
    if not bounds or bounds[0] is None or bounds[1] is None:
        return "–"
    show = _signed if signed else _fmt
    return f"[{show(bounds[0])}, {show(bounds[1])}]"


def _signed(value: Any) -> str:
    if value is None:
        return "–"
    if abs(value) < 5e-4:
        value = 0.0  # no "-0.000"
    return f"{value:+.3f}"


def _md_headline(report: Mapping[str, Any]) -> list[str]:
    lines = [
        "## Headline: budgeted placed recall, margin over random",
        "",
        f"Budget: the first {report['budget']['claims_per_field']} claims of each field, "
        f"{report['budget']['words_per_claim']} words each; `random` = length-matched random "
        f"sentences, mean of {report['random_draws']} draws; value (margin over random). "
        f"Intervals: {_level(report)}% bootstrap over the cases, of the value and of the "
        "margin (paired with each case's random draws).",
        "",
        "| set | split | cases | budgeted placed | interval | margin interval | random | lead "
        "| whole | budgeted | placed | recall |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["golden_sets"]:
        lines += _headline_rows(s["name"], s)
    scored = sum(s["scored"] for s in report["golden_sets"])
    lines += _headline_rows("**all**", {**report, "scored": scored})
    lines += ["", "## Concision and faithfulness", ""]
    cols = ("compression", "statement_ratio", "claims_per_field", "unsupported_rate")
    lines += ["| set | " + " | ".join(cols) + " | tldr_unsupported |", "|---" * 6 + "|"]
    for s in [*report["golden_sets"], {"name": "**all**", **report}]:
        m = s["metrics"]
        cells = " | ".join(_fmt(m.get(c)) for c in (*cols, "tldr_unsupported"))
        lines.append(f"| {s['name']} | {cells} |")
    return lines


def _level(report: Mapping[str, Any]) -> str:
    level = (report.get("intervals") or {}).get("level", LEVEL)
    return f"{100 * level:g}"


def _md_matcher(report: Mapping[str, Any]) -> list[str]:
    info = report.get("matcher") or {}
    lines = ["", "## Matcher", "", f"Threshold {report['match_threshold']}."]
    for split, row in (info.get("pairs") or {}).items():
        lines.append(
            f"- labelled pairs, {split}: precision {_fmt(row['precision'])}, recall "
            f"{_fmt(row['recall'])}, F1 {_fmt(row['f1'])} ({int(row['pairs'])} pairs)"
        )
    for name, rate in (info.get("cross_case") or {}).items():
        lines.append(f"- cross-case match rate, {name}: {_fmt(rate)}")
    return lines


def _md_checks(report: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Thresholds", ""]
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
    return lines


def _md_aggregate(report: Mapping[str, Any]) -> list[str]:
    base = report.get("baseline")
    base_rows: Mapping[str, Any] = base["metrics"] if base else {}
    lines: list[str] = []
    if base:
        lines.append(
            f"Baseline `{base['path']}` ({base['backend']}, {base['compared_cases']} common "
            f"cases; tolerance {base['max_regression']}): deltas ▲/▼ over the common cases."
        )
        lines += _md_against(base, _level(report))
    lines += [
        "",
        "## Aggregate",
        "",
        "| metric | value | baseline | Δ | Δ interval |",
        "|---|---|---|---|---|",
    ]
    for m, v in report["metrics"].items():
        row = base_rows.get(m) if base_rows else None
        if row is not None:
            lines.append(
                f"| {m} | {_fmt(row['value'])} | {_fmt(row['baseline'])} |"
                f"{_delta(row['value'], row['baseline'])} | "
                f"{format_interval(row.get('delta_interval'), signed=True)} |"
            )
        elif v is not None:
            lines.append(f"| {m} | {_fmt(v)} | | | |")
    t = report["totals"]
    lines += [
        "",
        f"Totals: {int(t['tokens'] or 0)} tokens, ${_fmt(t['cost_usd'])}, "
        f"{int(t['calls'] or 0)} calls, {_fmt(t['latency_s'])} s summarizing.",
    ]
    return lines


def _md_against(base: Mapping[str, Any], level: str) -> list[str]:
    """The headline against the baseline report per set, with the paired interval of the
    change: a change whose interval holds 0 is within what the cases' spread allows."""
    lines = [
        "",
        f"Budgeted placed recall against the baseline (same cases; {level}% bootstrap "
        "interval of the paired change):",
        "",
        "| set | cases | value | baseline | Δ | Δ interval |",
        "|---|---|---|---|---|---|",
    ]
    scopes = [*(base.get("sets") or {}).items(), ("**all**", base)]
    for name, scope in scopes:
        row = scope["metrics"].get("budgeted_placed_recall")
        if row is None:
            continue
        lines.append(
            f"| {name} | {scope['compared_cases']} | {_fmt(row['value'])} | "
            f"{_fmt(row['baseline'])} | {_signed(row['delta'])} | "
            f"{format_interval(row.get('delta_interval'), signed=True)} |"
        )
    return lines


def _md_explanation(expl: Mapping[str, Any]) -> list[str]:
    lines = ["", "Key points (budgeted view) — best claim, score and its parts:", ""]
    for kp in expl.get("key_points", []):
        mark = "✅" if kp["placed"] else ("↔" if kp["covered"] else "❌")
        best = kp.get("best_claim")
        parts = kp.get("parts") or {}
        detail = (
            f"{best['field']}[{best['index']}] score {_fmt(parts.get('score'))} (cos "
            f"{_fmt(parts.get('cosine'))}, words {_fmt(parts.get('containment'))}, order "
            f"{_fmt(parts.get('order'))}, terms {_fmt(parts.get('terms'))}"
            + (
                f", missing {', '.join(parts['missing_terms'])}"
                if parts.get("missing_terms")
                else ""
            )
            + (", opposite direction" if parts.get("conflict") else "")
            + ")"
            if best
            else "no claim"
        )
        lines.append(f"- {mark} {kp['field']}: {_md_escape(kp['key_point'])} — {detail}")
    lines += ["", "Claims — the key point each covers:", ""]
    for c in expl.get("claims", []):
        statement = _md_escape(str(c.get("statement", ""))[:120])
        lines.append(f"- {c['field']}[{c['index']}] {statement} → {_md_escape(c['covers'])}")
    return lines


def _md_cases(report: Mapping[str, Any]) -> list[str]:
    base = report.get("baseline")
    base_cases: Mapping[str, Any] = base["cases"] if base else {}
    lines = ["", "## Cases"]
    for c in report["cases"]:
        lines += ["", f"### {c['set']} / {c['id']}", ""]
        lines.append(f"`{_md_escape(c['document'])}` — {c['status']} ({c['split']})")
        if c["note"]:
            lines.append(f"> {_md_escape(c['note'])}")
        if c["status"] == "skipped":
            continue
        prev = base_cases.get(f"{c['set']}/{c['id']}") or {}
        lines += ["", "| metric | value | random | Δ baseline |", "|---|---|---|---|"]
        metrics = c["metrics"]
        rnd = (c.get("baselines") or {}).get("random") or {}
        for m in _CASE_COLUMNS:
            if metrics.get(m) is None:
                continue
            lines.append(
                f"| {m} | {_fmt(metrics[m])} | {_fmt(rnd.get(m))} | "
                f"{_delta(metrics[m], prev.get(m))} |"
            )
        if c.get("explanation"):
            lines += _md_explanation(c["explanation"])
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    verdict = "✅ passed" if report["passed"] else "❌ failed"
    lines = [
        f"# litdigest eval — {report['backend']} ({_md_escape(str(report['model']))}): {verdict}",
        "",
        f"prompt `{report['prompt_version']}` · match threshold {report['match_threshold']} · "
        f"litdigest {report['litdigest_version']}",
        "",
    ]
    lines += _md_headline(report)
    lines += _md_matcher(report)
    lines += _md_checks(report)
    lines += _md_aggregate(report)
    lines += ["", "## Golden sets", "", "| set | cases | scored | skipped | errors |"]
    lines.append("|---|---|---|---|---|")
    for s in report["golden_sets"]:
        lines.append(
            f"| {s['name']} | {s['cases']} | {s['scored']} | {s['skipped']} | {s['errors']} |"
        )
    lines += _md_cases(report)
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
