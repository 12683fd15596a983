"""Golden sets: YAML files listing documents and the key points expected in each field.

Format (paths are relative to the YAML file; every field but ``id`` and ``document`` may be
empty or absent; unknown keys are errors)::

    name: seeds
    thresholds: {budgeted_placed_recall: 0.5, quote_verified_rate: 1.0}
    margins: {budgeted_placed_recall: 0.25}   # minimum margin of the system over `random`
    cases:
      - id: secret-ally
        document: ../../../shared/seeds/002_77d95767849ded9b.txt
        split: heldout       # train (default) or heldout: never tune on held-out cases
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

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from litdigest.errors import UsageError
from litdigest.summarize.schema import SECTIONS, Section

__all__ = ["SPLITS", "GoldenCase", "GoldenError", "GoldenSet", "Split", "load_golden"]

Split = Literal["train", "heldout"]
SPLITS: tuple[Split, ...] = ("train", "heldout")


class GoldenError(UsageError):
    """A golden-set file cannot be read or is invalid (exit code 2)."""


def _strings(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


class GoldenCase(BaseModel):
    """One document and the key points expected in each field (paths absolute once loaded)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    id: str = Field(min_length=1)
    document: Path
    split: Split = "train"
    record: int | None = Field(default=None, ge=1)
    line: int | None = Field(default=None, ge=1)
    reference: str | None = None
    reference_file: Path | None = None
    reference_line: int | None = Field(default=None, ge=1)
    expected: dict[Section, tuple[str, ...]] = Field(default_factory=dict)
    must_not_include: tuple[str, ...] = ()
    notes: str | None = None

    @field_validator("must_not_include", mode="before")
    @classmethod
    def _list_of_strings(cls, value: Any) -> Any:
        return _strings(value)

    @field_validator("record", "line", "reference_line", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("expected a positive integer (1-based)")
        if value is not None and value < 1:
            raise ValueError("expected a positive integer (1-based)")
        return value

    @field_validator("expected", mode="before")
    @classmethod
    def _expected(cls, value: Any) -> Any:
        if value is None:
            return dict.fromkeys(SECTIONS, ())
        if not isinstance(value, dict):
            raise ValueError("expected a mapping field: [key points]")
        bad = set(value) - set(SECTIONS)
        if bad:
            raise ValueError(
                f"unknown field(s) {', '.join(sorted(map(str, bad)))} "
                f"(fields: {', '.join(SECTIONS)})"
            )
        return {s: _strings(value.get(s)) for s in SECTIONS}

    @property
    def key_points(self) -> list[tuple[Section, str]]:
        return [(s, kp) for s in SECTIONS for kp in self.expected.get(s, ())]


class GoldenSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    path: Path
    description: str | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)
    margins: dict[str, float] = Field(default_factory=dict)
    cases: tuple[GoldenCase, ...] = ()


def _fail(path: Path, where: str, message: str) -> GoldenError:
    return GoldenError(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def _where(loc: tuple[int | str, ...], raw_cases: list[Any]) -> str:
    """``case 'id'.field`` for a case error, else the dotted location."""
    if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
        raw = raw_cases[loc[1]] if loc[1] < len(raw_cases) else None
        case_id = raw.get("id") if isinstance(raw, dict) else None
        head = f"case {case_id!r}" if isinstance(case_id, str) else f"cases[{loc[1]}]"
        return ".".join([head, *map(str, loc[2:])])
    return ".".join(map(str, loc))


def _explain(path: Path, exc: ValidationError, raw_cases: list[Any]) -> GoldenError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        where = _where(loc[:-1], raw_cases)
        return _fail(path, where, f"unknown key(s): {loc[-1]}")
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "missing"
    elif err["type"] in {"float_parsing", "float_type"}:
        message = "expected a number"
    return _fail(path, _where(loc, raw_cases), message)


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoldenError(f"{path}: golden set not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldenError(f"{path}: cannot read the golden set ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(path, where, f"invalid YAML: {' '.join(str(problem).split())}") from None


def _check_cases(path: Path, gs: GoldenSet) -> GoldenSet:
    base = path.parent
    seen: set[str] = set()
    cases: list[GoldenCase] = []
    for case in gs.cases:
        where = f"case {case.id!r}"
        if case.id in seen:
            raise _fail(path, f"{where}.id", f"duplicate case id {case.id!r}")
        seen.add(case.id)
        if case.record is not None and case.line is not None:
            raise _fail(path, where, "give either record or line, not both")
        if case.reference and case.reference_file:
            raise _fail(path, where, "give either reference or reference_file, not both")
        ref_line = case.reference_line if case.reference_line is not None else case.line
        update: dict[str, Any] = {
            "document": (base / case.document).resolve(),
            "reference": case.reference.strip() if case.reference else None,
            "reference_file": (base / case.reference_file).resolve()
            if case.reference_file
            else None,
            "reference_line": ref_line,
        }
        cases.append(case.model_copy(update=update))
    return gs.model_copy(update={"cases": tuple(cases)})


def load_golden(path: Path, *, known_metrics: frozenset[str] | None = None) -> GoldenSet:
    """Read and validate one golden set; ``GoldenError`` names the file and the problem."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise _fail(path, "", "expected a mapping with 'name' and 'cases'")
    cases_value = data.get("cases")
    raw_cases: list[Any] = cases_value if isinstance(cases_value, list) else []
    body = {k: v for k, v in data.items() if v is not None}
    body.setdefault("name", path.stem)
    try:
        gs = GoldenSet.model_validate({**body, "path": path})
    except ValidationError as exc:
        raise _explain(path, exc, raw_cases) from None
    for key in ("thresholds", "margins"):
        for metric in getattr(gs, key):
            if known_metrics is not None and metric not in known_metrics:
                raise _fail(
                    path,
                    f"{key}.{metric}",
                    f"unknown metric (known: {', '.join(sorted(known_metrics))})",
                )
    return _check_cases(path, gs)
