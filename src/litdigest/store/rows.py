"""Row types returned by ``Store`` (frozen dataclasses) and review-state replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "REVIEW_ACTIONS",
    "BatchJob",
    "BatchRequest",
    "CallStatus",
    "ClaimState",
    "Decision",
    "Failure",
    "LlmCall",
    "ReviewAction",
    "Run",
    "StoredSummary",
    "claim_state",
]

CallStatus = Literal["ok", "error"]
ReviewAction = Literal["accept", "reject", "edit", "flag", "unflag", "undo"]
REVIEW_ACTIONS: frozenset[str] = frozenset(get_args(ReviewAction))


@dataclass(frozen=True, slots=True)
class StoredSummary:
    id: int
    doc_id: str
    backend: str
    model: str
    prompt_version: str
    settings_hash: str
    summary_json: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    doc_id: str
    field: str
    claim_index: int
    action: str
    statement_before: str | None
    statement_after: str | None
    note: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class ClaimState:
    """Current review state of one claim, from replaying its decision log.

    ``undo`` cancels the latest decision not yet undone (repeated undos walk further back).
    ``status`` is the last accept/reject (``pending`` if none); ``statement`` the last edit's
    text (``None`` if never edited); ``flagged`` follows flag/unflag; ``note`` is the last
    non-empty note of the effective decisions.
    """

    field: str
    claim_index: int
    status: Literal["pending", "accepted", "rejected"]
    statement: str | None
    flagged: bool
    note: str | None
    decisions: tuple[Decision, ...]  # effective decisions (undone ones removed), oldest first


@dataclass(frozen=True, slots=True)
class LlmCall:
    id: int
    doc_id: str | None
    run_id: int | None
    backend: str | None
    model: str
    prompt_version: str
    request_hash: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: int | None
    cost_usd: float | None
    status: str
    error: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Failure:
    id: int
    run_id: int | None
    source: str
    doc_id: str | None
    stage: str
    reason: str
    retryable: bool
    created_at: str


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    started_at: str
    finished_at: str | None
    args_json: str
    status: str


@dataclass(frozen=True, slots=True)
class BatchJob:
    id: int
    batch_id: str | None
    input_file_id: str | None
    output_file_id: str | None
    error_file_id: str | None
    endpoint: str
    model: str
    status: str
    request_count: int
    run_id: int | None
    args_json: str
    error: str | None
    created_at: str
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class BatchRequest:
    job_id: int
    custom_id: str
    doc_id: str
    request_hash: str
    kind: str
    part: int | None
    status: str
    error: str | None


def claim_state(field: str, claim_index: int, log: Sequence[Decision]) -> ClaimState:
    """The state of one claim replayed from its decision log (undo cancels the latest)."""
    effective: list[Decision] = []
    for decision in log:
        if decision.action == "undo":
            if effective:
                effective.pop()
        else:
            effective.append(decision)
    status: Literal["pending", "accepted", "rejected"] = "pending"
    statement: str | None = None
    flagged = False
    note: str | None = None
    for decision in effective:
        if decision.action == "accept":
            status = "accepted"
        elif decision.action == "reject":
            status = "rejected"
        elif decision.action == "edit":
            statement = decision.statement_after
        elif decision.action == "flag":
            flagged = True
        elif decision.action == "unflag":
            flagged = False
        if decision.note:
            note = decision.note
    return ClaimState(field, claim_index, status, statement, flagged, note, tuple(effective))
