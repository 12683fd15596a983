"""The batch runner keeps every request slot busy: a backend whose requests wait for the
limiter gets a few more documents started (never more requests in flight), inputs are read
one ahead, short texts are chunked on the loop; a request that waited for a slot re-checks
the budget."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from litdigest.documents import Chunk, Document
from litdigest.errors import BudgetExceeded, InputError
from litdigest.store.store import Store
from litdigest.summarize.backends.base import Budget, CallContext
from litdigest.summarize.backends.openai import OpenAIBackend
from litdigest.summarize.runner import INLINE_CHUNK_CHARS, headroom, run_batch
from litdigest.summarize.schema import DocumentSummary, Usage
from tests.loopback_server import LoopbackServer
from tests.support import ListSink
from tests.test_batch import FakeBackend, ListReporter, fake_summary, make_doc
from tests.test_openai_backend import chat_requests, make_backend
from tests.test_openai_backend import make_doc as llm_doc


class SlotBackend(FakeBackend):
    """Sends one 'request' per document under ``ctx.limiter``, with work before and after."""

    bounds_requests = True

    def __init__(self, default_delay: float) -> None:
        super().__init__(default_delay=default_delay)
        self.requests = 0
        self.max_requests = 0

    async def summarize(
        self, doc: Document, chunks: list[Chunk], ctx: CallContext
    ) -> DocumentSummary:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(0.002)  # the prompt
            assert ctx.limiter is not None
            async with ctx.limiter:
                self.requests += 1
                self.max_requests = max(self.max_requests, self.requests)
                await asyncio.sleep(self.default_delay)
                self.requests -= 1
            await asyncio.sleep(0.002)  # grounding and the support check
        finally:
            self.active -= 1
        self.calls.append(doc.source)
        ctx.budget.add(Usage(calls=1, prompt_tokens=self.tokens_per_call))
        return fake_summary(doc)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "s.db") as s:
        yield s


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_limited_backend_gets_headroom_documents_but_never_more_requests(
    store: Store, concurrency: int
) -> None:
    docs = [make_doc(i) for i in range(40)]
    backend = SlotBackend(default_delay=0.03)
    sink = ListSink()
    result = asyncio.run(
        run_batch(docs, backend, store, sink, ListReporter(), concurrency=concurrency)
    )
    assert result.summarized == 40 and [s.source for s in sink.items] == [d.source for d in docs]
    assert backend.max_requests == concurrency
    assert concurrency < backend.max_active <= concurrency + headroom(concurrency)


def test_other_backends_run_at_most_concurrency_documents(store: Store) -> None:
    backend = FakeBackend(default_delay=0.05)
    asyncio.run(
        run_batch([make_doc(i) for i in range(30)], backend, store, ListSink(), ListReporter())
    )
    assert 1 < backend.max_active <= 8  # the default concurrency


def test_inputs_are_read_in_order_one_ahead_and_long_texts_still_chunk(store: Store) -> None:
    pulled: list[int] = []
    long_text = "The tumour shrank after treatment in most patients. " * (INLINE_CHUNK_CHARS // 40)

    def items() -> Iterator[Document | InputError]:
        for i in range(12):
            pulled.append(i)
            if i == 5:
                yield InputError(f"bad{i}.txt", "unreadable")
            else:
                yield make_doc(i, text=long_text + str(i) if i == 7 else None)

    sink, reporter = ListSink(), ListReporter()
    backend = FakeBackend()
    result = asyncio.run(run_batch(items(), backend, store, sink, reporter, concurrency=2))
    assert pulled == list(range(12))
    assert result.summarized == 11 and result.input_errors == 1 and len(reporter.lines) == 1
    assert [s.source for s in sink.items] == [make_doc(i).source for i in range(12) if i != 5]


def test_a_request_waiting_for_a_slot_rechecks_the_budget() -> None:
    budget = Budget(max_cost_usd=0.01)

    async def main(backend: OpenAIBackend) -> None:
        limiter = asyncio.Semaphore(1)
        await limiter.acquire()  # another request holds the only slot
        ctx = CallContext(limiter=limiter, budget=budget)
        task = asyncio.create_task(backend.summarize(llm_doc(), [], ctx))
        await asyncio.sleep(0.2)  # the request passed the first check and waits
        assert not task.done()
        budget.cost_usd = 0.02  # the other request spent the budget
        limiter.release()
        with pytest.raises(BudgetExceeded):
            await task

    with LoopbackServer() as srv:
        asyncio.run(main(make_backend(srv)))
        assert chat_requests(srv) == []
