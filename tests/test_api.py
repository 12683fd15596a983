"""The Python API (litdigest.api): the README example runs, and it matches the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import litdigest
from litdigest import api
from litdigest.cli.app import main
from litdigest.errors import ConfigError, InputError, LitdigestError

REPO = Path(__file__).resolve().parents[1]


def _readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


@pytest.mark.slow
def test_readme_example_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _readme_example()],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    ).stdout
    assert re.search(r"^  (?:mechanism|evidence|therapeutic_implication): ", out, re.M)
    assert "3 records; first:" in out
    assert out.rstrip().endswith("1 summary in the store")


def test_lazy_top_level_names() -> None:
    assert litdigest.summarize_files is api.summarize
    assert litdigest.clean_file is api.clean
    assert litdigest.open_store is api.open_store
    with pytest.raises(AttributeError):
        litdigest.nothing_here  # noqa: B018
    code = (
        "import sys, litdigest; print(sorted(m for m in sys.modules if m.startswith('litdigest')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "['litdigest']"


@pytest.mark.slow
def test_summarize_matches_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = REPO / "examples" / "notes.md"
    summaries = list(api.summarize(example, backend="extractive", db=tmp_path / "api.db"))
    with pytest.raises(SystemExit) as info:
        main(
            ["summarize", "--backend", "extractive", "--db", str(tmp_path / "cli.db"), str(example)]
        )
    assert info.value.code == 0
    cli = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s.model_dump(mode="json") for s in summaries] == cli


def test_errors_go_to_on_error_and_config_errors_raise(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    seen: list[LitdigestError] = []
    out = list(
        api.summarize([missing], backend="extractive", db=tmp_path / "s.db", on_error=seen.append)
    )
    assert out == [] and len(seen) == 1 and isinstance(seen[0], InputError)
    with pytest.raises(ConfigError, match="unknown backend"):
        api.summarize([missing], backend="nope", db=tmp_path / "s.db")
    with pytest.raises(InputError):
        api.clean(missing)
