"""The Ray Data engine (litdigest.distributed) in Ray local mode: same summaries as the local
runner, resumable per partition, failures kept as rows, and import back into a store."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
pq = pytest.importorskip("pyarrow.parquet")

from litdigest import distributed  # noqa: E402
from litdigest.config import Settings  # noqa: E402
from litdigest.errors import LitdigestError  # noqa: E402
from litdigest.prepare import iter_documents  # noqa: E402
from litdigest.store.store import Store  # noqa: E402
from litdigest.summarize.backends import get_backend  # noqa: E402
from litdigest.summarize.runner import run_batch  # noqa: E402
from tests.loopback_server import LoopbackServer  # noqa: E402
from tests.support import shared_root  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED = shared_root()


@pytest.fixture(scope="module", autouse=True)
def _ray_local() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # everything on loopback
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        ignore_reinit_error=True,
        _node_ip_address="127.0.0.1",
    )
    yield
    ray.shutdown()


class _Sink:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.failed: dict[str, str] = {}

    def write(self, summary: Any) -> None:
        self.items[summary.source] = summary.model_dump_json()

    def close(self) -> None:
        return None

    def fail(self, err: LitdigestError) -> None:
        self.failed[getattr(err, "source", "?")] = err.message


def _comparable(summary_json: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(summary_json)
    data.pop("usage", None)
    return data


def _loopback_settings(server: LoopbackServer, *, concurrency: int) -> Settings:
    """The openai backend against the loopback server."""
    return Settings.model_validate(
        {
            "openai": {"base_url": server.base_url, "api_key": "sk-test", "model": "loopback-1"},
            "summarize": {"backend": "openai", "concurrency": concurrency},
        }
    )


def _local(paths: list[Path], settings: Settings, backend: str, db: Path) -> dict[str, str]:
    sink = _Sink()
    with Store(db) as store:
        asyncio.run(
            run_batch(
                iter_documents(paths, settings),
                get_backend(backend, settings),
                store,
                sink,
                sink,
            )
        )
    return sink.items


def _ray_rows(out: Path) -> list[dict[str, Any]]:
    return list(distributed.iter_result_rows(out, only_ok=False))


def _assert_same(local: dict[str, str], rows: list[dict[str, Any]]) -> None:
    remote = {r["source"]: r["summary_json"] for r in rows if r["status"] == "ok"}
    assert remote.keys() == local.keys()
    for source, summary in local.items():
        assert _comparable(remote[source]) == _comparable(summary), source


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, str]]:
    """One Ray run of examples/ (extractive, partitions of 3), shared by several tests."""
    tmp = tmp_path_factory.mktemp("examples-run")
    settings = Settings()
    local = _local([EXAMPLES], settings, "extractive", tmp / "local.db")
    result = distributed.run(
        [EXAMPLES], tmp / "out", settings, backend="extractive", partition_size=3
    )
    return tmp / "out", result, local


def test_extractive_same_as_local_run(examples_run: tuple[Path, Any, dict[str, str]]) -> None:
    out, result, local = examples_run
    rows = _ray_rows(out)
    assert result.ok == len(local) > 5 and result.failed == 0
    _assert_same(local, rows)
    claims = pq.read_table(out / "claims").to_pylist()
    n_claims = sum(r["n_claims"] for r in rows)
    assert len(claims) == n_claims > 0
    assert {c["field"] for c in claims} <= set(distributed.FIELDS)


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared is absent")
def test_extractive_seeds_same_as_local_run(tmp_path: Path) -> None:
    settings = Settings()
    local = _local([SHARED / "seeds"], settings, "extractive", tmp_path / "local.db")
    distributed.run(
        [SHARED / "seeds"], tmp_path / "out", settings, backend="extractive", partition_size=2
    )
    _assert_same(local, _ray_rows(tmp_path / "out"))


def test_resume_skips_finished_partitions(
    examples_run: tuple[Path, Any, dict[str, str]], tmp_path: Path
) -> None:
    first_out, first, _ = examples_run
    out = tmp_path / "out"
    shutil.copytree(first_out, out)
    files = sorted((out / "summaries").glob("*.parquet"))
    assert first.partitions == len(files) >= 3 and first.skipped == 0
    stamps = {f.name: f.stat().st_mtime_ns for f in files}
    lost = pq.read_table(files[1]).to_pylist()
    files[1].unlink()  # as if the job had been killed before this partition was written
    second = distributed.run([EXAMPLES], out, Settings(), backend="extractive", partition_size=3)
    assert second.skipped == first.partitions - 1
    assert second.ok + second.failed == len(lost)
    assert pq.read_table(files[1]).to_pylist() == lost
    for f in sorted((out / "summaries").glob("*.parquet")):
        if f.name != files[1].name:
            assert f.stat().st_mtime_ns == stamps[f.name], "a finished partition was rewritten"
    third = distributed.run([EXAMPLES], out, Settings(), backend="extractive", partition_size=3)
    assert third.skipped == third.partitions and third.ok == 0


def test_failures_become_rows_and_records_are_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(EXAMPLES / "notes.md", corpus / "notes.md")
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    text = (EXAMPLES / "scraped-page.txt").read_text(encoding="utf-8")
    records = tmp_path / "records.jsonl"
    rows = [{"id": "rec-1", "text": text}, {"id": "rec-2", "path": str(EXAMPLES / "page.html")}]
    records.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = distributed.run(
        [corpus, records], tmp_path / "out", Settings(), backend="extractive", partition_size=2
    )
    got = {Path(r["source"]).name: r for r in _ray_rows(tmp_path / "out")}
    assert got["notes.md"]["status"] == "ok"
    assert got["rec-1"]["status"] == "ok" and got["page.html"]["status"] == "ok"
    for name in ("empty.txt", "binary.txt"):
        assert got[name]["status"] == "failed" and got[name]["reason"]
    assert result.failed == 2 and result.ok == 3 and result.exit_code == 1


def test_openai_backend_same_as_local_and_no_repeat(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        settings = _loopback_settings(server, concurrency=2)
        local = _local([EXAMPLES], settings, "openai", tmp_path / "local.db")
        before = len(server.requests)
        out = tmp_path / "out"
        result = distributed.run(
            [EXAMPLES], out, settings, backend="openai", partition_size=4, actors=2
        )
        assert len(server.requests) > before
        _assert_same(local, _ray_rows(out))
        assert result.ok == len(local)
        count = len(server.requests)
        again = distributed.run([EXAMPLES], out, settings, backend="openai", partition_size=4)
        assert again.skipped == again.partitions
        assert len(server.requests) == count, "a finished partition sent requests again"


def test_import_into_store(examples_run: tuple[Path, Any, dict[str, str]], tmp_path: Path) -> None:
    out = examples_run[0]
    ok = [r for r in _ray_rows(out) if r["status"] == "ok"]
    imported, present = distributed.import_results(out, tmp_path / "store.db")
    unique = len({(r["doc_id"], r["backend"]) for r in ok})
    assert imported == unique and present == len(ok) - unique
    with Store(tmp_path / "store.db") as store:
        assert len(list(store.iter_summaries())) == imported
        doc = store.get_document(ok[0]["doc_id"])
        assert doc is not None and doc.text
    assert distributed.import_results(out, tmp_path / "store.db") == (0, len(ok))


_KILLED_JOB = """
import sys
from pathlib import Path
from litdigest import distributed
from litdigest.config import Settings
settings = Settings.model_validate_json(Path(sys.argv[1]).read_text())
distributed.run([Path(sys.argv[2])], Path(sys.argv[3]), settings, backend="openai",
                partition_size=1, actors=1)
"""


def test_killed_job_resumes_without_repeating(tmp_path: Path) -> None:
    """kill -9 mid-job: finished partitions are neither rewritten nor asked again."""
    import signal
    import subprocess
    import sys
    import time

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("notes.md", "page.html", "scraped-page.txt", "pdf-text.txt", "article.nxml"):
        shutil.copy(EXAMPLES / name, corpus / name)
    out = tmp_path / "out"
    with LoopbackServer(latency_s=1.0) as server:
        settings = _loopback_settings(server, concurrency=1)
        (tmp_path / "settings.json").write_text(settings.model_dump_json())
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ADDRESS": ""}
        job = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _KILLED_JOB,
                str(tmp_path / "settings.json"),
                str(corpus),
                str(out),
            ],
            start_new_session=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(list((out / "summaries").glob("*.parquet"))) < 2:
            time.sleep(0.2)
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
        time.sleep(server.latency_s + 1.0)  # a request in flight at the kill is logged on reply
        finished = {f.name: f.stat().st_mtime_ns for f in (out / "summaries").glob("*.parquet")}
        assert 2 <= len(finished) < 5, "the job should have been killed midway"
        before = len(server.requests)
        result = distributed.run([corpus], out, settings, backend="openai", partition_size=1)
        assert result.skipped == len(finished) and result.partitions == 5
        for name, stamp in finished.items():
            assert (out / "summaries" / name).stat().st_mtime_ns == stamp
        redone = [r for r in _ray_rows(out) if f"{r['part']}.parquet" not in finished]
        assert len(server.requests) - before == sum(r["status"] == "ok" for r in redone)
        assert len(_ray_rows(out)) == 5
