"""Packaging: the explicit package list matches src/, and a built wheel carries the prompts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_package_list_matches_the_source_tree() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO / "src").parts)
        for p in (REPO / "src" / "litdigest").rglob("__init__.py")
    }
    # folders of data files only (no __init__.py), declared so setuptools ships them quietly
    data_only = {
        name
        for name in config["tool"]["setuptools"]["package-data"]
        if name != "litdigest.prompts" and name not in found
    }
    for name in data_only:
        assert (REPO / "src" / Path(*name.split("."))).is_dir(), name
    assert listed == found | data_only | {"litdigest.prompts"}, "update [tool.setuptools] packages"


@pytest.mark.slow
def test_wheel_install_finds_the_prompts(tmp_path: Path) -> None:
    """``pip install`` of the built wheel (not editable) loads a prompt from its package data."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for name in ("src", "prompts"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}
    env.pop("LITDIGEST_PROMPTS_DIR", None)
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        env=env,
        check=True,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("litdigest-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        env=env,
        check=True,
        timeout=240,
    )
    code = (
        "import litdigest, litdigest.llm.prompts as p;"
        "print(litdigest.__file__); print(p.prompts_dir());"
        "print(p.load_prompt('summarize.v1').version)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    assert out[0].startswith(str(site)), out
    assert out[1] == str(site / "litdigest" / "prompts")
    assert out[2] == "summarize-v1"
    assert (site / "litdigest" / "tui" / "review.tcss").is_file()
