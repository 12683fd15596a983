"""The ``litdigest`` command: the root typer app and ``main`` (exit codes, one-line errors).

Each command group lives in its own module and registers itself here, in help order.
"""

from __future__ import annotations

from typing import NoReturn

import typer

from litdigest import __version__
from litdigest.cli import conventions
from litdigest.cli import review as review_commands
from litdigest.cli import summarize as summarize_commands
from litdigest.cli.common import emit

__all__ = ["app", "main"]

app = typer.Typer(
    name="litdigest",
    help="Grounded, structured summaries of life-science review articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
conventions.install(app)  # --version, --debug, -v


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
    from litdigest.cli.scale import import_command

    app.command("import")(import_command)


_register_commands()


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: exit 0 ok, 1 some inputs failed, 2 usage or configuration error."""
    conventions.run(app, argv)
