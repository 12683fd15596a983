"""One small error hierarchy.

``UserError`` is something the user can fix (bad flag, bad config, bad input file);
``RuntimeFailure`` is something that went wrong while working (a backend, the store).
Every error carries ``retryable`` so batch code can decide whether to try again.
"""

from __future__ import annotations


class LitdigestError(Exception):
    """Base class. ``str(err)`` is a single line fit for the CLI."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable

    @property
    def message(self) -> str:
        return " ".join(str(self).split())


class UserError(LitdigestError):
    """A mistake on the user's side."""


class UsageError(UserError):
    """Wrong command-line usage or configuration (exit code 2)."""


class ConfigError(UsageError):
    """Invalid settings (environment, config file or flags)."""


class InputError(UserError):
    """One input file or record cannot be used; other inputs go on (exit code 1)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class RuntimeFailure(LitdigestError):
    """Something failed while working: a backend, the network, the store."""


class BackendError(RuntimeFailure):
    """A model backend failed; ``retryable`` says whether a retry may help."""


class StoreError(RuntimeFailure):
    """The SQLite store failed."""


class SummaryRejected(RuntimeFailure):
    """A summary could not be kept; ``stage`` says where: summarize (not a summary), verify
    (a quote is not in the text) or store (it could not be committed)."""

    def __init__(self, stage: str, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.stage = stage


class BudgetExceeded(RuntimeFailure):
    """The batch's --max-cost or --max-tokens is used up; the batch stops cleanly."""
