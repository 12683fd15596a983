"""The ``litdigest`` command: the root typer app and ``main`` (exit codes, one-line errors).

Each command group lives in its own module and registers itself here, in help order.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from litdigest import __version__
from litdigest.cli import review as review_commands
from litdigest.cli import summarize as summarize_commands
from litdigest.cli.common import emit, printable
from litdigest.errors import LitdigestError, UsageError

__all__ = ["app", "main"]

app = typer.Typer(
    name="litdigest",
    help="Grounded, structured summaries of life-science review articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version() -> None:
    """Print the litdigest version."""
    emit(f"litdigest {__version__}")


def _register_commands() -> None:
    from litdigest.cli import batch as batch_commands
    from litdigest.cli.digest import digest_command
    from litdigest.cli.eval import eval_command

    summarize_commands.register(app)  # clean, chunk, summarize, schema
    app.command()(version)
    review_commands.register(app)  # review, export
    app.command("eval")(eval_command)
    app.command("digest")(digest_command)
    batch_commands.register(app)  # batch status | resume | cancel


_register_commands()


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: exit 0 ok, 1 some inputs failed, 2 usage or configuration error."""
    try:
        app(args=argv, prog_name="litdigest")  # standalone: usage errors exit 2 by themselves
    except SystemExit as exc:
        code = exc.code
        _flush_and_exit(code if isinstance(code, int) else (0 if code is None else 1))
    except KeyboardInterrupt:
        print("litdigest: interrupted", file=sys.stderr)
        _flush_and_exit(130)
    except UsageError as exc:
        print(f"litdigest: error: {printable(exc.message)}", file=sys.stderr)
        _flush_and_exit(2)
    except LitdigestError as exc:
        print(f"litdigest: error: {printable(exc.message)}", file=sys.stderr)
        _flush_and_exit(1)
    except BrokenPipeError:
        _flush_and_exit(0)
    except Exception as exc:  # anything unexpected: one line, no traceback
        print(
            f"litdigest: internal error: {type(exc).__name__}: {printable(str(exc))}",
            file=sys.stderr,
        )
        _flush_and_exit(1)
    _flush_and_exit(0)


def _flush_and_exit(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout at exit too; point it at devnull so that doesn't fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
