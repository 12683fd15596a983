"""Golden sets: YAML files listing documents and the key points expected in each field.

Format (paths are relative to the YAML file; every field but ``id`` and ``document`` may be
empty or absent)::

    name: seeds
    thresholds: {key_point_recall: 0.6, quote_verified_rate: 1.0}
    cases:
      - id: secret-ally
        document: ../../../shared/seeds/002_77d95767849ded9b.txt
        record: 1            # n-th record of a multi-record file (RIS, BibTeX, PubMed...)
        line: 12             # or: the n-th line of a one-document-per-line file
        reference: plain-language summary text (ROUGE reference)
        reference_file: ../../../shared/corpus/cochrane/test.target   # or read from a file
        reference_line: 12   # line of reference_file (defaults to ``line``)
        expected:
          mechanism: ["cytotoxic drugs induce immunogenic death of tumour cells"]
          evidence: []
          therapeutic_implication: []
        must_not_include: ["Buy article", "Google Scholar"]

A case whose document (or reference file) does not exist is *skipped* with a note, not
failed: sets over ``../shared`` still run where it is absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from litdigest.errors import UsageError
from litdigest.summarize.schema import SECTIONS, Section

__all__ = ["GoldenCase", "GoldenError", "GoldenSet", "load_golden"]

_SET_KEYS: Final = frozenset({"name", "description", "thresholds", "cases"})
_CASE_KEYS: Final = frozenset(
    {
        "id",
        "document",
        "record",
        "line",
        "reference",
        "reference_file",
        "reference_line",
        "expected",
        "must_not_include",
        "notes",
    }
)


class GoldenError(UsageError):
    """A golden-set file cannot be read or is invalid (exit code 2)."""


@dataclass(frozen=True)
class GoldenCase:
    id: str
    document: Path  # absolute
    record: int | None = None
    line: int | None = None
    reference: str | None = None
    reference_file: Path | None = None
    reference_line: int | None = None
    expected: dict[Section, tuple[str, ...]] = field(default_factory=dict)
    must_not_include: tuple[str, ...] = ()

    @property
    def key_points(self) -> list[tuple[Section, str]]:
        return [(s, kp) for s in SECTIONS for kp in self.expected.get(s, ())]


@dataclass(frozen=True)
class GoldenSet:
    name: str
    path: Path
    thresholds: dict[str, float]
    cases: tuple[GoldenCase, ...]


def _fail(path: Path, where: str, message: str) -> GoldenError:
    return GoldenError(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def _str_list(value: Any, path: Path, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, where, "expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _positive_int(value: Any, path: Path, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(path, where, "expected a positive integer (1-based)")
    return value


def load_golden(path: Path, *, known_metrics: frozenset[str] | None = None) -> GoldenSet:
    """Read and validate one golden set; ``GoldenError`` names the file and the problem."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoldenError(f"{path}: golden set not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldenError(f"{path}: cannot read the golden set ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(path, where, f"invalid YAML: {' '.join(str(problem).split())}") from None
    if not isinstance(data, dict):
        raise _fail(path, "", "expected a mapping with 'name' and 'cases'")
    unknown = set(data) - _SET_KEYS
    if unknown:
        raise _fail(path, "", f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    name = data.get("name") or path.stem
    if not isinstance(name, str):
        raise _fail(path, "name", "expected a string")
    thresholds_raw = data.get("thresholds") or {}
    if not isinstance(thresholds_raw, dict):
        raise _fail(path, "thresholds", "expected a mapping metric: minimum")
    thresholds: dict[str, float] = {}
    for metric, value in thresholds_raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(path, f"thresholds.{metric}", "expected a number")
        if known_metrics is not None and metric not in known_metrics:
            raise _fail(
                path,
                f"thresholds.{metric}",
                f"unknown metric (known: {', '.join(sorted(known_metrics))})",
            )
        thresholds[str(metric)] = float(value)
    cases_raw = data.get("cases") or []
    if not isinstance(cases_raw, list):
        raise _fail(path, "cases", "expected a list")
    base = path.parent
    cases: list[GoldenCase] = []
    seen: set[str] = set()
    for i, raw in enumerate(cases_raw):
        where = f"cases[{i}]"
        if not isinstance(raw, dict):
            raise _fail(path, where, "expected a mapping")
        unknown = set(raw) - _CASE_KEYS
        if unknown:
            raise _fail(path, where, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
        case_id = raw.get("id")
        if not isinstance(case_id, str) or not case_id.strip():
            raise _fail(path, f"{where}.id", "missing or not a string")
        if case_id in seen:
            raise _fail(path, f"{where}.id", f"duplicate case id {case_id!r}")
        seen.add(case_id)
        where = f"case {case_id!r}"
        document = raw.get("document")
        if not isinstance(document, str) or not document.strip():
            raise _fail(path, f"{where}.document", "missing or not a string")
        record = _positive_int(raw.get("record"), path, f"{where}.record")
        line = _positive_int(raw.get("line"), path, f"{where}.line")
        if record is not None and line is not None:
            raise _fail(path, where, "give either record or line, not both")
        reference = raw.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise _fail(path, f"{where}.reference", "expected a string")
        reference_file = raw.get("reference_file")
        if reference_file is not None and not isinstance(reference_file, str):
            raise _fail(path, f"{where}.reference_file", "expected a path")
        if reference and reference_file:
            raise _fail(path, where, "give either reference or reference_file, not both")
        reference_line = _positive_int(raw.get("reference_line"), path, f"{where}.reference_line")
        expected_raw = raw.get("expected") or {}
        if not isinstance(expected_raw, dict):
            raise _fail(path, f"{where}.expected", "expected a mapping field: [key points]")
        bad = set(expected_raw) - set(SECTIONS)
        if bad:
            raise _fail(
                path,
                f"{where}.expected",
                f"unknown field(s) {', '.join(sorted(map(str, bad)))} "
                f"(fields: {', '.join(SECTIONS)})",
            )
        expected: dict[Section, tuple[str, ...]] = {
            s: _str_list(expected_raw.get(s), path, f"{where}.expected.{s}") for s in SECTIONS
        }
        cases.append(
            GoldenCase(
                id=case_id,
                document=(base / document).resolve(),
                record=record,
                line=line,
                reference=reference.strip() if isinstance(reference, str) else None,
                reference_file=(base / reference_file).resolve() if reference_file else None,
                reference_line=reference_line if reference_line is not None else line,
                expected=expected,
                must_not_include=_str_list(
                    raw.get("must_not_include"), path, f"{where}.must_not_include"
                ),
            )
        )
    return GoldenSet(name=name, path=path, thresholds=thresholds, cases=tuple(cases))
