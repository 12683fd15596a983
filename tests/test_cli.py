"""The CLI end to end, in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from litdigest.cli.common import printable
from tests import support

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``litdigest ARGS`` with ``env`` on top of this process's environment."""
    return support.run(*args, env={**os.environ, **(env or {})}, timeout=120, cwd=cwd)


def docs(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_clean_json_on_examples_has_the_documented_shape() -> None:
    result = run("clean", "--json", str(EXAMPLES))
    assert result.returncode == 0, result.stderr
    out = docs(result.stdout)
    assert len(out) >= 10  # multi-record files give one document per record
    formats = {d["format"] for d in out}
    assert {"text", "html", "ris", "bibtex", "medline", "pubmed-xml", "jats", "markdown"} <= formats
    for d in out:
        assert set(d) == {"doc_id", "text", "metadata", "format", "source", "stats"}
        assert set(d["metadata"]) == {"title", "authors", "journal", "year", "doi"}
        assert isinstance(d["doc_id"], str) and len(d["doc_id"]) == 16
        assert d["text"]
    # doc_id is the hash of the cleaned text: equal texts (the PDF and its text copy) share it.
    by_id: dict[object, set[object]] = {}
    for d in out:
        by_id.setdefault(d["doc_id"], set()).add(d["text"])
    assert all(len(texts) == 1 for texts in by_id.values())
    assert len(by_id) >= len(out) - 1


def test_clean_plain_text_and_headers() -> None:
    result = run("clean", str(EXAMPLES / "scraped-page.txt"))
    assert result.returncode == 0, result.stderr
    assert "==>" not in result.stdout  # one file: just its text
    assert "Skip to main content" not in result.stdout
    both = run("clean", str(EXAMPLES / "scraped-page.txt"), str(EXAMPLES / "notes.md"))
    assert both.stdout.count("==> ") == 2


def test_bad_inputs_are_reported_and_good_ones_still_processed(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(
        "Tumour-associated macrophages suppress T cells.\n\n"
        "In a cohort of 212 patients, high CD163 density predicted shorter survival "
        "(hazard ratio 1.8). Blocking CSF1R restored T-cell infiltration in mice.\n",
        encoding="utf-8",
    )
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n\t\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "nul.txt").write_bytes(b"some text\x00\x00\x00 more text")
    (tmp_path / "bad.ris").write_text("TY  - JOUR\nthis is not a valid record\n")
    missing = tmp_path / "missing.txt"
    result = run("clean", "--json", str(tmp_path), str(missing))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    out = docs(result.stdout)
    assert [Path(str(d["source"])).name for d in out] == ["good.txt"]
    lines = result.stderr.strip().splitlines()
    named = {
        name
        for name in ("empty.txt", "blank.txt", "image.png", "nul.txt", "bad.ris", "missing.txt")
        if any(name in line for line in lines)
    }
    assert named == {"empty.txt", "blank.txt", "image.png", "nul.txt", "bad.ris", "missing.txt"}
    assert all(line.startswith("litdigest: ") for line in lines)


def test_oversized_file_gets_a_clear_message(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Interferon signalling. " * 1000)
    result = run("clean", str(big), env={"LITDIGEST_INGEST__MAX_FILE_BYTES": "1000"})
    assert result.returncode == 1
    assert "big.txt" in result.stderr and "Traceback" not in result.stderr


def test_usage_and_config_errors_exit_2(tmp_path: Path) -> None:
    assert run("clean").returncode == 2
    assert run("no-such-command").returncode == 2
    bad_cfg = run("clean", str(EXAMPLES / "notes.md"), env={"LITDIGEST_CHUNK__MAX_TOKENS": "lots"})
    assert bad_cfg.returncode == 2
    assert "chunk" in bad_cfg.stderr and "Traceback" not in bad_cfg.stderr
    bad_opt = run("chunk", "--max-tokens", "100", "--overlap", "500", str(EXAMPLES / "notes.md"))
    assert bad_opt.returncode == 2 and "Traceback" not in bad_opt.stderr
    bad_enc = run("chunk", "--encoding", "nope", str(EXAMPLES / "notes.md"))
    assert bad_enc.returncode == 2 and "nope" in bad_enc.stderr


def test_chunk_json_spans_match_clean_text() -> None:
    target = EXAMPLES / "article.nxml"
    cleaned = docs(run("clean", "--json", str(target)).stdout)[0]
    result = run("chunk", "--json", "--max-tokens", "120", str(target))
    assert result.returncode == 0, result.stderr
    chunks = docs(result.stdout)
    assert len(chunks) > 1
    text = str(cleaned["text"])
    for c in chunks:
        assert c["doc_id"] == cleaned["doc_id"]
        assert text[int(c["start"]) : int(c["end"])] == c["text"]
        assert int(c["n_tokens"]) <= 120


def test_chunk_human_output_shows_tokens_and_spans() -> None:
    result = run("chunk", "--max-tokens", "100", str(EXAMPLES / "scraped-page.txt"))
    assert result.returncode == 0, result.stderr
    assert "tokens · chars " in result.stdout
    assert "chunk(s)" in result.stdout


def test_odd_file_names_are_printed_on_one_line(tmp_path: Path) -> None:
    weird = tmp_path / "bad\nname ünï.txt"
    weird.write_bytes(b"")
    result = run("clean", str(weird))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "\\n" in result.stderr


def test_printable_escapes_control_characters() -> None:
    assert printable("a\nb\x1b[31m") == "a\\nb\\x1b[31m"
    assert printable("ünï") == "ünï"


@pytest.mark.parametrize("args", [["--help"], ["clean", "--help"], ["version"]])
def test_help_and_version(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 0
    assert result.stdout
