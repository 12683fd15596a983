"""Token economy beside LangChain's classic ``map_reduce`` summarize chain.

Documents: the 5 seeds (../shared/seeds) and the 8 PMC JATS articles (../shared/corpus/pmc).

* **ours**: ``litdigest`` as a user runs it: ingest + clean (``iter_documents``), chunk
  (800 tokens, 80 overlap: the defaults), the ``openai`` backend (one call for documents up
  to ``single_call_max_tokens``, map-reduce over chunks beyond).
* **theirs**: what a LangChain user would write: the raw text loaded naively (a seed file as
  it is; a JATS file as the XML's text content, ``"".join(root.itertext())`` like
  BeautifulSoup's ``get_text()``, references, affiliations and tables included), split with
  ``RecursiveCharacterTextSplitter`` at the same chunk size and overlap measured in the same
  tokens (o200k_base), then ``load_summarize_chain(llm, chain_type="map_reduce")`` from
  ``langchain-classic`` with its default prompts and ``token_max``.

Both talk to the same loopback OpenAI-compatible server (tests/loopback_server.py, its own
process, no latency). Tokens are counted on the client side, identically for both, by an HTTP
transport that sees every request and reply: prompt tokens = o200k_base tokens of every
message's content plus the JSON of the ``response_format`` / ``tools`` sent (a real API bills
those too); completion tokens = tokens of the reply's content or tool-call arguments.

Grounding: ours = fraction of output quotes that are exact slices of the cleaned text
(``verify_summary``; 1.0 by construction, unverifiable claims are dropped before output).
Theirs = fraction of the sentences of their final summary (the string values when it is
JSON) of at least 4 words that occur in the raw input after normalisation (case-folded,
whitespace collapsed, quotes and dashes folded, JSON escapes and double quotes dropped). The loopback server copies document sentences into its answers,
so on this server both are near 1; with a real model theirs is unchecked.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx2
import openai
from langchain_classic.chains.summarize import load_summarize_chain
from langchain_core.documents import Document as LCDocument
from langchain_openai import ChatOpenAI
from langchain_text_splitters import RecursiveCharacterTextSplitter
from lxml import etree
from pydantic import SecretStr

from bench.bench_summarize import LoopbackProcess
from bench.support import CollectingSink, loopback_settings
from litdigest.chunk.chunker import Chunker, sentence_spans
from litdigest.chunk.tokens import count_tokens, get_encoding
from litdigest.config import Settings
from litdigest.documents import Document
from litdigest.errors import InputError, LitdigestError
from litdigest.prepare import iter_documents
from litdigest.store.store import Store
from litdigest.summarize.backends.base import Budget
from litdigest.summarize.backends.openai import OpenAIBackend
from litdigest.summarize.grounding import verify_summary
from litdigest.summarize.runner import run_batch
from litdigest.summarize.schema import DocumentSummary

TOKEN_GOAL: Final = 0.6  # ours ≤ 0.6 × their total tokens
CHARS_GOAL: Final = 1.25  # request characters ≤ 1.25 × cleaned characters (issue 15)
ENCODING: Final = "o200k_base"
DEFAULT_TOKEN_MAX: Final = 3000  # load_summarize_chain's default for map_reduce
THEIR_CHUNK_TOKENS: Final = 3000  # a common LangChain map_reduce chunk size (issue 15)
FALLBACK_TOKEN_MAX: Final = 16000
_FOLD: Final = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


@dataclass
class Tally:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    request_chars: int = 0  # message contents + response_format / tools JSON
    per_tag: dict[str, list[int]] = field(default_factory=dict)


class CountingTransport(httpx2.AsyncBaseTransport):
    """Counts tokens of every chat-completions request and reply it passes on."""

    def __init__(self, tally: Tally) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.tally = tally

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(await request.aread() or b"{}")
        prompt = sum(count_tokens(_content(m), ENCODING) for m in body.get("messages", []))
        chars = sum(len(_content(m)) for m in body.get("messages", []))
        for key in ("response_format", "tools"):
            if key in body:
                blob = json.dumps(body[key], ensure_ascii=False)
                prompt += count_tokens(blob, ENCODING)
                chars += len(blob)
        self.tally.request_chars += chars
        response = await self.inner.handle_async_request(request)
        data = await response.aread()
        completion = 0
        try:
            message = json.loads(data)["choices"][0]["message"]
            text = message.get("content") or ""
            for call in message.get("tool_calls") or []:
                text += call.get("function", {}).get("arguments", "")
            completion = count_tokens(text, ENCODING)
        except (ValueError, KeyError, IndexError, TypeError):
            pass
        self.tally.prompt_tokens += prompt
        self.tally.completion_tokens += completion
        self.tally.calls += 1
        return httpx2.Response(
            response.status_code, headers=response.headers, content=data, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def corpus_files(shared: Path) -> list[Path]:
    seeds = sorted((shared / "seeds").glob("*.txt")) if (shared / "seeds").is_dir() else []
    pmc = sorted((shared / "corpus" / "pmc").glob("*.nxml"))
    return seeds + pmc


def naive_text(path: Path) -> str:
    """The input as a LangChain user would load it: raw text, or an XML's text content."""
    data = path.read_bytes()
    if path.suffix in (".nxml", ".xml"):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
        root = etree.fromstring(data, parser)
        return "".join(t if isinstance(t, str) else t.decode() for t in root.itertext())
    return data.decode("utf-8", errors="replace")


def _norm(text: str) -> str:
    """Case-folded, quotes/dashes folded, JSON escapes and double quotes dropped, whitespace
    collapsed (a reduce step sees the map replies as escaped JSON and copies from them)."""
    folded = text.translate(_FOLD).replace("\\n", " ").replace("\\", "").replace('"', "")
    return " ".join(folded.casefold().split())


def _fragments(output: str) -> list[str]:
    """Text runs of an output: a reduce step copies the map replies, so a JSON reply holds
    JSON escaped once or twice; unescape, then take what stands between double quotes."""
    text = output
    for _ in range(4):
        text = text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return re.findall(r'"([^"]*)"', text) if '"' in text else [text]


def their_grounding(output: str, source: str) -> float:
    sentences = [p[s:e] for p in _fragments(output) for s, e in sentence_spans(p)]
    sentences = [s for s in sentences if len(s.split()) >= 4]  # keys, labels, kinds
    if not sentences:
        return 0.0
    haystack = _norm(source)
    return sum(_norm(s) in haystack for s in sentences) / len(sentences)


def _settings(base_url: str) -> Settings:
    return loopback_settings(base_url, "sk-bench-not-real")


class _Failures:
    def fail(self, err: LitdigestError) -> None:
        raise SystemExit(f"bench_tokens: {err.message}")


def _ours_one(doc: Document, base_url: str, tmp: Path) -> tuple[Tally, DocumentSummary]:
    tally = Tally()
    settings = _settings(base_url)
    backend = OpenAIBackend(settings, transport=lambda: CountingTransport(tally))
    sink = CollectingSink()
    with Store(tmp / f"ours-{doc.doc_id}.db") as store:
        asyncio.run(
            run_batch([doc], backend, store, sink, _Failures(), concurrency=8, budget=Budget())
        )
    return tally, sink.summaries[0]


def _theirs_one(path: Path, base_url: str, chunk_tokens: int, overlap: int) -> dict[str, Any]:
    tally = Tally()
    raw = naive_text(path)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=overlap,
        length_function=lambda t: count_tokens(t, ENCODING),
    )
    docs = [LCDocument(page_content=t) for t in splitter.split_text(raw)]

    async def go(token_max: int) -> str:
        llm = ChatOpenAI(
            model="gpt-4o-mini",
            api_key=SecretStr("sk-bench-not-real"),
            base_url=base_url,
            max_retries=0,
            temperature=0.0,
            use_responses_api=False,
            http_async_client=openai.DefaultAsyncHttpxClient(transport=CountingTransport(tally)),
        )
        chain = load_summarize_chain(llm, chain_type="map_reduce", token_max=token_max)
        result = await chain.ainvoke({"input_documents": docs})
        return str(result["output_text"])

    token_max = DEFAULT_TOKEN_MAX
    try:
        output = asyncio.run(go(token_max))
    except ValueError:  # "A single document was longer than the context length"
        tally.__init__()  # type: ignore[misc]
        token_max = FALLBACK_TOKEN_MAX
        output = asyncio.run(go(token_max))
    return {
        "token_max": token_max,
        "tally": tally,
        "raw_tokens": count_tokens(raw, ENCODING),
        "chunks": len(docs),
        "grounding": their_grounding(output, raw),
    }


def run(shared: Path) -> dict[str, Any]:
    files = corpus_files(shared)
    if not files:
        return {"skipped": f"{shared}/seeds and {shared}/corpus/pmc not found"}
    get_encoding(ENCODING)  # seeds tiktoken's offline cache (langchain's counters use it)
    settings = Settings()
    chunker = Chunker(settings.chunk)
    server = LoopbackProcess(0.0)
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            for path in files:
                items = list(iter_documents([path], settings))
                docs = [d for d in items if isinstance(d, Document)]
                if len(docs) != 1 or any(isinstance(i, InputError) for i in items):
                    raise SystemExit(f"bench_tokens: {path} did not ingest as one document")
                doc = docs[0]
                ours, summary = _ours_one(doc, server.base_url, tmp)
                quotes = [q for _, _, c in summary.iter_claims() for q in c.quotes]
                problems = verify_summary(summary, doc.text)
                theirs = _theirs_one(
                    path, server.base_url, THEIR_CHUNK_TOKENS, settings.chunk.overlap_tokens
                )
                t: Tally = theirs["tally"]
                rows.append(
                    {
                        "document": path.name,
                        "kind": "seed" if path.suffix == ".txt" else "pmc",
                        "raw_tokens": theirs["raw_tokens"],
                        "clean_tokens": count_tokens(doc.text, ENCODING),
                        "clean_chars": len(doc.text),
                        "raw_chars": len(naive_text(path)),
                        "our_request_chars": ours.request_chars,
                        "their_request_chars": t.request_chars,
                        "our_chunks": len(chunker.chunk_document(doc)),
                        "their_chunks": theirs["chunks"],
                        "our_calls": ours.calls,
                        "their_calls": t.calls,
                        "our_prompt_tokens": ours.prompt_tokens,
                        "our_completion_tokens": ours.completion_tokens,
                        "their_prompt_tokens": t.prompt_tokens,
                        "their_completion_tokens": t.completion_tokens,
                        "our_grounding": 1.0 - len(problems) / max(len(quotes), 1),
                        "their_grounding": theirs["grounding"],
                        "their_token_max": theirs["token_max"],
                    }
                )
    finally:
        server.stop()
    return {"documents": len(rows), "rows": rows, **_totals(rows)}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def s(key: str, kind: str | None = None) -> int:
        return sum(int(r[key]) for r in rows if kind is None or r["kind"] == kind)

    groups: dict[str, Any] = {}
    for kind in (None, "seed", "pmc"):
        n = sum(1 for r in rows if kind is None or r["kind"] == kind)
        if not n:
            continue
        ours = s("our_prompt_tokens", kind) + s("our_completion_tokens", kind)
        theirs = s("their_prompt_tokens", kind) + s("their_completion_tokens", kind)
        groups[kind or "all"] = {
            "documents": n,
            "raw_tokens_per_doc": s("raw_tokens", kind) / n,
            "clean_tokens_per_doc": s("clean_tokens", kind) / n,
            "our_calls_per_doc": s("our_calls", kind) / n,
            "their_calls_per_doc": s("their_calls", kind) / n,
            "our_prompt_per_doc": s("our_prompt_tokens", kind) / n,
            "our_completion_per_doc": s("our_completion_tokens", kind) / n,
            "their_prompt_per_doc": s("their_prompt_tokens", kind) / n,
            "their_completion_per_doc": s("their_completion_tokens", kind) / n,
            "token_ratio": ours / theirs if theirs else float("nan"),
            "our_grounding": sum(r["our_grounding"] for r in rows if kind in (None, r["kind"])) / n,
            "their_grounding": sum(r["their_grounding"] for r in rows if kind in (None, r["kind"]))
            / n,
        }
    overall = groups["all"]
    one = [r for r in rows if r["our_calls"] == 1]
    multi = [r for r in rows if r["our_calls"] > 1]

    def tot(rs: list[dict[str, Any]], who: str) -> int:
        return sum(int(r[f"{who}_prompt_tokens"]) + int(r[f"{who}_completion_tokens"]) for r in rs)

    raw, clean = s("raw_tokens"), s("clean_tokens")
    clean_chars = s("clean_chars")
    our_chars, their_chars = s("our_request_chars"), s("their_request_chars")
    our_ratio = our_chars / clean_chars if clean_chars else float("nan")
    chars: dict[str, Any] = {
        "clean_chars": clean_chars,
        "raw_chars": s("raw_chars"),
        "our_request_chars": our_chars,
        "their_request_chars": their_chars,
        "our_calls": s("our_calls"),
        "their_calls": s("their_calls"),
        "our_chars_ratio": our_ratio,
        "their_chars_ratio": their_chars / clean_chars if clean_chars else float("nan"),
        "goal": f"request chars / cleaned chars ≤ {CHARS_GOAL:g}",
    }
    chars["met"] = bool(our_ratio <= CHARS_GOAL)
    notes = [
        f"cleaning: the input shrinks from {raw:,} raw tokens to {clean:,} cleaned tokens "
        f"({1 - clean / raw:.0%} less; seeds {groups.get('seed', {}).get('raw_tokens_per_doc', 0):.0f}"
        f" → {groups.get('seed', {}).get('clean_tokens_per_doc', 0):.0f} per document): page "
        "chrome, references, affiliations and tables never reach the model.",
        f"one-call path: {len(one)} of {len(rows)} documents (≤ single_call_max_tokens after "
        f"cleaning) take 1 call: {tot(one, 'our'):,} tokens vs their {tot(one, 'their'):,} "
        f"({tot(one, 'our') / max(tot(one, 'their'), 1):.2f}×) in "
        f"{sum(r['their_calls'] for r in one)} calls.",
        f"map-reduce: the other {len(multi)} documents: {tot(multi, 'our'):,} tokens vs "
        f"{tot(multi, 'their'):,} ({tot(multi, 'our') / max(tot(multi, 'their'), 1):.2f}×): "
        "fewer chunks after cleaning, and the reduce step sees a token-budgeted list of "
        "candidate claims (statement + one clipped quote), not the map replies in full.",
        "theirs: raw text (seed files as they are; JATS as the XML text content), "
        "RecursiveCharacterTextSplitter with a token length function (800/80, as ours), "
        "load_summarize_chain(chain_type='map_reduce') defaults; token_max 3000 (its default) "
        f"and {FALLBACK_TOKEN_MAX} where the default failed ('A single document was longer "
        "than the context length': the loopback server's replies are verbose).",
        "tokens: counted on the client by an HTTP transport, identically for both (message "
        "contents + response_format/tools JSON; reply content or tool arguments), o200k_base.",
        "grounding: ours = share of output quotes that are exact slices of the cleaned text; "
        "theirs = share of their final summary's sentences (≥ 4 words, JSON unescaped) found "
        "in the raw input after normalising case, whitespace, quotes and dashes. On this "
        "synthetic server their reduce step echoes the prompt and the map replies as JSON, "
        "so their figure mostly measures that; with a real model it is unchecked.",
    ]
    notes.insert(
        0,
        f"request characters (prompt + schema) / cleaned characters: ours "
        f"{chars['our_chars_ratio']:.2f} ({our_chars:,} / {clean_chars:,}, "
        f"{chars['our_calls']} requests); LangChain map_reduce on the raw text "
        f"{chars['their_chars_ratio']:.2f} ({their_chars:,}, {chars['their_calls']} requests), "
        "same run, same server.",
    )
    return {
        "chars": chars,
        "notes": notes,
        "groups": groups,
        "goal": f"≤ {TOKEN_GOAL:g}× their tokens at grounding ≥ theirs",
        "met": bool(
            overall["token_ratio"] <= TOKEN_GOAL
            and overall["our_grounding"] >= overall["their_grounding"]
        ),
    }
