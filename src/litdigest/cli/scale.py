"""``summarize --engine ray`` and ``litdigest import``: the Ray Data engine from the CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from litdigest.cli.conventions import StoreCounter, on_interrupt
from litdigest.config import Settings, load_settings
from litdigest.errors import UsageError


def run_ray_summarize(
    paths: list[Path],
    settings: Settings,
    *,
    backend: str,
    out: Path | None,
    address: str | None,
    partition_size: int,
    actors: int | None = None,
) -> int:
    """Run the pipeline on Ray Data; print where it wrote and the counts; return the exit code."""
    from litdigest import distributed

    if out is None:
        raise UsageError("--engine ray needs --out DIR.parquet (results are Parquet files)")
    address = None if address in (None, "", "local") else address
    with on_interrupt(lambda: f"finished partitions are kept in {out} (rerun to resume)"):
        result = distributed.run(
            paths,
            out,
            settings,
            backend=backend,
            address=address,
            partition_size=partition_size,
            actors=actors,
        )
    print(
        f"litdigest: ray: {result.ok} summarized, {result.failed} failed, "
        f"{result.skipped} of {result.partitions} partitions already done · wrote {out}",
        file=sys.stderr,
    )
    return result.exit_code


def import_command(
    results: Annotated[
        Path,
        typer.Argument(
            help="Output folder of `summarize --engine ray` (DIR.parquet).", show_default=False
        ),
    ],
    db: Annotated[
        Path | None, typer.Option("--db", help="Store to import into.", show_default=False)
    ] = None,
    include_failed: Annotated[
        bool,
        typer.Option("--include-failed", help="Also list failed rows (they are never imported)."),
    ] = False,
) -> None:
    """Import Parquet results of a Ray run into a local store (review, export, digest, eval)."""
    settings = load_settings()
    target = Path(db or settings.store.db_path)
    counter = StoreCounter(target)
    with on_interrupt(lambda: counter.kept("imported summaries")):
        imported, present = _import(results, target, include_failed)
    print(
        f"litdigest: imported {imported} summaries ({present} already present) into {target}",
        file=sys.stderr,
    )


def _import(results: Path, target: Path, include_failed: bool) -> tuple[int, int]:
    from litdigest import distributed

    if include_failed:
        for row in distributed.iter_result_rows(results, only_ok=False):
            if row["status"] != "ok":
                print(f"litdigest: {row['source']}: failed: {row['reason']}", file=sys.stderr)
    return distributed.import_results(results, target)
