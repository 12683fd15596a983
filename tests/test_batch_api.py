"""``summarize --batch-api`` and ``litdigest batch``: against the loopback server's files and
batches endpoints (real sockets, real ``openai`` client)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from pydantic import SecretStr

from litdigest.chunk.chunker import Chunker
from litdigest.config import OpenAISettings, Settings, SummarizeSettings
from litdigest.documents import Document
from litdigest.errors import InputError, LitdigestError
from litdigest.llm.pricing import cost_usd
from litdigest.prepare import iter_documents
from litdigest.store.store import Store
from litdigest.summarize.backends.openai import OpenAIBackend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.openai_batch import (
    EXIT_PENDING,
    PlannedRequest,
    ResumeResult,
    build_requests,
    cancel,
    make_client,
    resume,
    split_requests,
    submit,
)
from litdigest.summarize.schema import DocumentSummary
from tests.loopback_server import BatchPlan, Fault, LoopbackServer
from tests.support import ListSink, clean_env, cochrane_or_examples, run

KEY = "sk-test-BATCH-SECRET-0123456789"
MODEL = "gpt-4o-mini"  # a priced model name, so batch pricing shows in the costs


def _settings(base_url: str, **summarize: object) -> Settings:
    return Settings(
        openai=OpenAISettings(base_url=base_url, api_key=SecretStr(KEY), model=MODEL),
        summarize=SummarizeSettings(backend="openai", max_retries=2, **summarize),
    )


def _docs(folder: Path, settings: Settings) -> list[Document]:
    return [d for d in iter_documents([folder], settings) if not isinstance(d, InputError)]


class Failures:
    def __init__(self) -> None:
        self.errors: list[LitdigestError] = []

    def fail(self, err: LitdigestError) -> None:
        self.errors.append(err)


def _resume_all(store: Store, settings: Settings) -> tuple[ResumeResult, ListSink]:
    """``resume`` (polling fast) until every job is done; it must exit 0."""
    sink, failures = ListSink(), Failures()
    done = resume(store, settings, make_client(settings), poll_s=0.05, sink=sink, reporter=failures)
    assert done.exit_code == 0, failures.errors
    return done, sink


def _chat_requests(srv: LoopbackServer) -> int:
    return sum(1 for r in srv.requests if r.path.endswith("/chat/completions"))


def _check_grounded(store: Store, summaries: list[DocumentSummary]) -> None:
    for s in summaries:
        doc = store.get_document(s.doc_id)
        assert doc is not None
        assert verify_summary(s, doc.text) == []
        for _, _, claim in s.iter_claims():
            for q in claim.quotes:
                assert "invented sentence" not in q.text


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


# --------------------------------------------------------------------------------------------


def test_loopback_files_and_batches_endpoints(server: LoopbackServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)
    body = {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": "<<<DOCUMENT\nTumour cells express PD-L1 in "
                "many cancers. T cells are inhibited by this pathway.\nDOCUMENT>>>",
            }
        ],
    }
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": body}
    upload = client.files.create(
        file=("in.jsonl", json.dumps(line).encode(), "application/jsonl"), purpose="batch"
    )
    assert upload.purpose == "batch" and upload.bytes > 0
    assert client.files.content(upload.id).read() == json.dumps(line).encode()
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.status == "validating"
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id and done.error_file_id is None
    assert done.request_counts is not None and done.request_counts.completed == 1
    out = json.loads(client.files.content(done.output_file_id).read())
    assert out["custom_id"] == "a" and out["response"]["status_code"] == 200
    assert out["response"]["body"]["choices"][0]["message"]["content"]
    assert _chat_requests(server) == 0  # batch traffic is not counted as chat requests
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_nope")
    # the existing behaviour is unchanged: other unknown paths are still 404
    assert httpx.post(f"{server.base_url}/embeddings", json={}).status_code == 404


def test_batch_request_bodies_are_what_the_online_path_sends(
    tmp_path: Path, server: LoopbackServer
) -> None:
    settings = _settings(server.base_url)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(
        "Tumour cells express PD-L1 to evade T cells. Blocking PD-1 restores cytotoxic T cell "
        "activity in mouse models. Patients treated with anti-PD-1 therapy had longer survival.\n",
        encoding="utf-8",
    )
    (doc,) = _docs(tmp_path / "in", settings)
    chunks = Chunker(settings.chunk).chunk_document(doc)
    with Store(tmp_path / "a.db") as store:
        store.add_document(doc)
        store.add_chunks(doc.doc_id, chunks)
        planned = build_requests(OpenAIBackend(settings), [(doc, chunks)], store)
    assert len(planned) == 1 and planned[0].kind == "summarize"
    import asyncio

    from litdigest.summarize.backends.base import CallContext

    asyncio.run(OpenAIBackend(settings).summarize(doc, chunks, CallContext()))
    sent = server.requests[0].body
    sent.pop("stream", None)
    assert planned[0].body == sent


def test_split_respects_request_and_byte_limits() -> None:
    def req(doc: str, i: int, size: int = 10) -> PlannedRequest:
        return PlannedRequest(f"{doc}-{i}", doc, f"h{doc}{i}", "map", i, {"x": "y" * size}, 5)

    reqs = [req("a", 1), req("a", 2), req("b", 1), req("c", 1), req("c", 2), req("c", 3)]
    groups = split_requests(reqs, max_requests=3)
    assert [[r.custom_id for r in g] for g in groups] == [
        ["a-1", "a-2", "b-1"],
        ["c-1", "c-2", "c-3"],
    ]
    line = len(reqs[0].line())
    groups = split_requests(reqs[:3], max_bytes=2 * line + 1)  # a document stays in one file
    assert [[r.custom_id for r in g] for g in groups] == [["a-1", "a-2"], ["b-1"]]
    with pytest.raises(LitdigestError):
        split_requests([req("big", 1, 1000)], max_bytes=100)


def test_batch_of_abstracts_end_to_end_survives_a_restart(tmp_path: Path) -> None:
    corpus = cochrane_or_examples(tmp_path, 30)
    db = tmp_path / "batch.db"
    with LoopbackServer(batch_plan=BatchPlan(delay_s=0.6)) as srv:
        settings = _settings(srv.base_url)
        docs = _docs(corpus, settings)
        with Store(db) as store:
            result = submit(docs, settings, store, make_client(settings), max_requests=12)
        assert result.failed == 0 and result.requests == len({d.doc_id for d in docs})
        assert len(result.jobs) == -(-result.requests // 12)  # split at the request limit
        assert all(j.batch_id for j in result.jobs)
        assert _chat_requests(srv) == 0  # nothing was sent online
        assert result.estimated_input_cost_usd > 0

        # "restart": fresh store, client and backend objects; nothing kept from the submit
        with Store(db) as store:
            early = resume(
                store,
                settings,
                make_client(settings),
                wait=False,
                sink=ListSink(),
                reporter=Failures(),
            )
            assert early.exit_code == EXIT_PENDING and len(early.pending) == len(result.jobs)
            assert store.batch_jobs(unfinished=True)
        with Store(db) as store:
            sink, failures = ListSink(), Failures()
            done = resume(
                store,
                settings,
                make_client(settings),
                poll_s=0.1,
                timeout_s=30,
                sink=sink,
                reporter=failures,
            )
            assert done.exit_code == 0, failures.errors
            assert not done.pending and done.failed_items == 0
            assert done.ok == result.requests
            assert {s.doc_id for s in sink.items} == {d.doc_id for d in docs}
            _check_grounded(store, sink.items)
            assert _chat_requests(srv) == 0  # every reply came from the batch
            calls = [c for c in store.llm_calls() if c.status == "ok"]
            assert len(calls) == result.requests
            for c in calls:
                assert c.cost_usd == pytest.approx(
                    cost_usd(MODEL, c.prompt_tokens or 0, c.completion_tokens or 0, batch=True)
                )
            for s in sink.items:
                assert s.usage.calls == 1 and s.usage.cost_usd > 0
            assert not store.batch_jobs(unfinished=True)
        # a second resume has nothing to do; the summaries are stored under the online key
        with Store(db) as store:
            again = resume(
                store, settings, make_client(settings), sink=ListSink(), reporter=Failures()
            )
            assert again.collected == [] and again.exit_code == 0


def test_failed_items_are_resent_through_the_online_path(tmp_path: Path) -> None:
    corpus = cochrane_or_examples(tmp_path, 20)
    plan = BatchPlan(
        error_rate=0.25,
        item_faults={Fault.INVENTED_QUOTE: 0.25, Fault.MALFORMED_JSON: 0.15},
        seed=3,
    )
    with LoopbackServer(batch_plan=plan) as srv:
        settings = _settings(srv.base_url)
        docs = _docs(corpus, settings)
        with Store(tmp_path / "f.db") as store:
            submitted = submit(docs, settings, store, make_client(settings))
            done, sink = _resume_all(store, settings)
            assert done.failed_items > 0 and done.ok + done.failed_items == submitted.requests
            assert {s.doc_id for s in sink.items} == {d.doc_id for d in docs}
            _check_grounded(store, sink.items)
            # failed items went online; bad batch replies were re-asked online too
            assert _chat_requests(srv) >= done.failed_items
            reqs = [r for j in store.batch_jobs() for r in store.batch_requests(j.id)]
            assert sum(r.status == "failed" for r in reqs) == done.failed_items


def test_an_expired_batch_is_collected_and_the_rest_sent_online(tmp_path: Path) -> None:
    corpus = cochrane_or_examples(tmp_path, 12)
    with LoopbackServer(batch_plan=BatchPlan(expire=True, expire_after=4)) as srv:
        settings = _settings(srv.base_url)
        docs = _docs(corpus, settings)
        with Store(tmp_path / "e.db") as store:
            submitted = submit(docs, settings, store, make_client(settings))
            done, sink = _resume_all(store, settings)
            (job,) = store.batch_jobs()
            assert job.status == "expired" and job.finished_at is not None
            assert done.ok == 4 and done.failed_items == submitted.requests - 4
            assert _chat_requests(srv) >= submitted.requests - 4
            assert {s.doc_id for s in sink.items} == {d.doc_id for d in docs}


def test_cancel_then_resume_sends_everything_online(tmp_path: Path) -> None:
    corpus = cochrane_or_examples(tmp_path, 5)
    with LoopbackServer(batch_plan=BatchPlan(delay_s=600)) as srv:
        settings = _settings(srv.base_url)
        docs = _docs(corpus, settings)
        with Store(tmp_path / "c.db") as store:
            submit(docs, settings, store, make_client(settings))
            ((job, status),) = cancel(store, make_client(settings))
            assert status == "cancelling"
            _, sink = _resume_all(store, settings)
            refreshed = store.batch_job(job.id)
            assert refreshed is not None and refreshed.status == "cancelled"
            assert {s.doc_id for s in sink.items} == {d.doc_id for d in docs}


def test_long_documents_batch_their_map_step_and_reduce_online(tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    sentences = [
        f"Finding {i}: tumour-infiltrating CD8 T cells expressed PD-1 in cohort {i} of patients."
        for i in range(60)
    ]
    (folder / "long.txt").write_text(" ".join(sentences) + "\n", encoding="utf-8")
    with LoopbackServer() as srv:
        settings = _settings(srv.base_url, single_call_max_tokens=256)
        settings = settings.model_copy(
            update={
                "chunk": settings.chunk.model_copy(update={"max_tokens": 200, "overlap_tokens": 0})
            }
        )
        docs = _docs(folder, settings)
        with Store(tmp_path / "l.db") as store:
            submitted = submit(docs, settings, store, make_client(settings))
            (job,) = submitted.jobs
            kinds = {r.kind for r in store.batch_requests(job.id)}
            assert kinds == {"map"} and submitted.requests > 1
            _, sink = _resume_all(store, settings)
            (summary,) = sink.items
            assert summary.prompt_version == "map-v1+reduce-v1"
            assert _chat_requests(srv) == 1  # only the reduce step went online
            _check_grounded(store, sink.items)


def _env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path, OPENAI_API_KEY=KEY, LITDIGEST_OPENAI__MODEL=MODEL)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(*args, env=env, timeout=300)


def test_cli_submit_and_resume_in_separate_processes(tmp_path: Path) -> None:
    corpus = cochrane_or_examples(tmp_path, 8)
    db = str(tmp_path / "cli.db")
    env = _env(tmp_path)
    with LoopbackServer(batch_plan=BatchPlan(delay_s=600)) as srv:
        url = ["--base-url", srv.base_url]
        sub = _run(
            "summarize",
            "--batch-api",
            "--backend",
            "openai",
            *url,
            "--db",
            db,
            str(corpus),
            env=env,
        )
        assert sub.returncode == 0, sub.stderr
        assert "batch job 1: batch_" in sub.stderr and "batch resume" in sub.stderr
        assert sub.stdout == "" and _chat_requests(srv) == 0
        status = _run("batch", "status", "--db", db, *url, env=env)
        assert status.returncode == 0, status.stderr
        assert "in_progress" in status.stdout or "validating" in status.stdout
        early = _run("batch", "resume", "--no-wait", "--db", db, *url, env=env)
        assert early.returncode == EXIT_PENDING, early.stderr
        srv.make_batches_due()  # the provider finishes while no process is running
        done = _run("batch", "resume", "--poll-interval", "0.1", "--db", db, *url, env=env)
        assert done.returncode == 0, done.stderr
        out = [DocumentSummary.model_validate_json(x) for x in done.stdout.splitlines() if x]
        assert len(out) == len({d.doc_id for d in _docs(corpus, Settings())})
        assert _chat_requests(srv) == 0
        final = _run("batch", "status", "--db", db, "--no-refresh", env=env)
        assert "completed" in final.stdout and "collected" in final.stdout
        for text in (sub.stderr, status.stdout, done.stderr, done.stdout, final.stdout):
            assert KEY not in text
