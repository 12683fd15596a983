"""Loopback OpenAI-compatible HTTP server with injectable faults, for tests and the bench.

Real sockets on 127.0.0.1, real ``openai`` clients, deterministic answers built from the
prompt: the server finds the document in the messages (between a ``<<<DOCUMENT`` line and a
``DOCUMENT>>>`` line, or between ``<document>`` tags, or else the longest user message),
splits it into sentences and walks the requested JSON schema, filling quote fields with
verbatim sentences of the document. So it answers the single-call summary schema, a map-step
schema and a reduce-step schema alike.

Usage::

    with LoopbackServer(latency_s=0.2, faults=FaultPlan(rates={Fault.RATE_LIMIT: 0.1})) as srv:
        client = OpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=0)
        ...
        assert srv.stats()["rate_limit"] >= 0

As a script (prints the base URL, serves until interrupted)::

    python -m tests.loopback_server --port 0 --latency 0.2 --fault rate_limit=0.1

Fault selection is deterministic: ``FaultPlan.script`` is consumed first, one entry per
request in arrival order; after that, each request draws from ``FaultPlan.rates`` with an RNG
seeded by (seed, prompt, attempt number for that prompt), so the outcome for a given prompt
does not depend on how concurrent requests interleave. The "prompt" is the extracted
document text, so a retry or repair prompt that re-sends the same document counts as the
same prompt for ``max_faults_per_prompt``.

The Authorization header is stored on ``RecordedRequest.headers`` only; it is never logged,
printed or included in a repr.

**Quirks** (``LoopbackServer(quirks={Quirk.THINK, ...})``): documented behaviours of real
servers (llama.cpp, Ollama, vLLM, LM Studio, TGI, reasoning models), one mode each, kept in
one table (``QUIRKS``): a request hook (refuse the request) and a reply hook (rewrite the
completion body). See ``Quirk`` for the list.

**Files and Batch API** (``/v1/files``, ``/v1/batches``): uploads (multipart), file content
(``/v1/files/{id}/content``), batch create / retrieve / cancel. A batch is processed when it is
first retrieved after ``BatchPlan.delay_s``: every JSONL request is answered with the same
answer builder as ``/chat/completions``; ``BatchPlan`` can make some requests fail into the
error file, inject content faults, or make the batch **expire** with only part of it answered.
These requests are recorded in ``batch_api_requests``, not in ``requests``.
"""

from __future__ import annotations

import argparse
import contextlib
import email.parser
import email.policy
import hashlib
import json
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Final

from tests.loopback_faults import Injection, finish_answer

__all__ = [
    "QUIRKS",
    "BatchPlan",
    "Fault",
    "FaultPlan",
    "LoopbackServer",
    "Quirk",
    "RecordedRequest",
    "build_answer",
    "extract_document",
    "split_sentences",
]

JSON = Any


class Fault(StrEnum):
    """A failure the server can inject into a chat-completions request."""

    RATE_LIMIT = "rate_limit"  # 429 + Retry-After / retry-after-ms headers
    SERVER_ERROR = "server_error"  # 500
    TIMEOUT = "timeout"  # sleep timeout_sleep_s (longer than the client timeout), then answer
    RESET = "reset"  # close the socket without a response (TCP RST)
    MALFORMED_JSON = "malformed_json"  # 200, content is truncated / invalid JSON
    SCHEMA_INVALID = "schema_invalid"  # 200, valid JSON that does not match the schema
    INVENTED_QUOTE = "invented_quote"  # 200, valid schema, quotes not in the document
    TRUNCATED = "truncated"  # 200, finish_reason "length", content cut mid-JSON
    REFUSAL = "refusal"  # 200, message.refusal set, content null
    # unfaithful content (tests/loopback_faults.py): 200, valid schema, verbatim quotes
    INVENTED_TLDR = "invented_tldr"  # the TL;DR is about an invented cytokine
    INVENTED_ENTITY = "invented_entity"  # a statement names something the document does not
    CHANGED_NUMBER = "changed_number"  # a statement's number changes ("42%" -> "24%")
    FLIPPED_DIRECTION = "flipped_direction"  # "increases" -> "decreases"
    NEGATION_REMOVED = "negation_removed"  # a statement loses its "not"


@dataclass
class FaultPlan:
    """Which faults to inject.

    ``script`` entries apply to the first ``len(script)`` requests in arrival order (``None``
    = no fault) and are applied as written. Then ``rates`` (probability per request, summing
    to at most 1) apply, but never more than ``max_faults_per_prompt`` faults for the same
    prompt (script faults count too), so a client that retries eventually succeeds.
    """

    rates: dict[Fault, float] = field(default_factory=dict)
    script: list[Fault | None] = field(default_factory=list)
    seed: int = 0
    max_faults_per_prompt: int | None = None
    retry_after_s: float = 0.05  # Retry-After of RATE_LIMIT answers

    def __post_init__(self) -> None:
        self.rates = {Fault(k): float(v) for k, v in self.rates.items()}
        self.script = [None if f is None else Fault(f) for f in self.script]
        if any(not 0.0 <= r <= 1.0 for r in self.rates.values()):
            raise ValueError("fault rates must be within [0, 1]")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates must sum to at most 1")
        if self.max_faults_per_prompt is not None and self.max_faults_per_prompt < 0:
            raise ValueError("max_faults_per_prompt must be >= 0")


@dataclass
class BatchPlan:
    """How the server runs Batch API jobs.

    A batch stays ``in_progress`` for ``delay_s`` after it is created, then is processed on
    the next retrieve. ``error_rate`` of its requests (chosen by custom_id, deterministic for a
    ``seed``) fail into the error file with HTTP 500; ``item_faults`` (content faults such as
    ``MALFORMED_JSON`` or ``INVENTED_QUOTE``) alter answered requests, by custom_id too. With
    ``expire`` the batch ends ``expired``: only the first ``expire_after`` requests are
    answered, the rest go to the error file with code ``batch_expired``.
    """

    delay_s: float = 0.0
    expire: bool = False
    expire_after: int = 0
    error_rate: float = 0.0
    item_faults: dict[Fault, float] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        self.item_faults = {Fault(k): float(v) for k, v in self.item_faults.items()}
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be within [0, 1]")
        if sum(self.item_faults.values()) > 1.0 + 1e-9:
            raise ValueError("item fault rates must sum to at most 1")

    def draw(self, custom_id: str) -> tuple[bool, Fault | None]:
        """(fails with HTTP 500, content fault) for one request."""
        u = random.Random(f"{self.seed}\x00{custom_id}\x00error").random()
        if u < self.error_rate:
            return True, None
        v = random.Random(f"{self.seed}\x00{custom_id}\x00fault").random()
        acc = 0.0
        for candidate in Fault:
            acc += self.item_faults.get(candidate, 0.0)
            if v < acc:
                return False, candidate
        return False, None


_CONTENT_FAULTS: Final = frozenset(
    {
        Fault.MALFORMED_JSON,
        Fault.SCHEMA_INVALID,
        Fault.INVENTED_QUOTE,
        Fault.TRUNCATED,
        Fault.REFUSAL,
        Fault.INVENTED_TLDR,
        Fault.INVENTED_ENTITY,
        Fault.CHANGED_NUMBER,
        Fault.FLIPPED_DIRECTION,
        Fault.NEGATION_REMOVED,
    }
)


@dataclass
class RecordedRequest:
    """One request the server received.

    ``status`` is what the server decided to answer (0 for RESET, and for a TIMEOUT request
    dropped because the server stopped). ``headers`` keeps Authorization so tests can check
    the client sent it (keys lower-cased); it is excluded from the repr; use ``safe_headers()`` to show headers.
    """

    index: int
    method: str
    path: str
    headers: dict[str, str] = field(repr=False)
    body: JSON
    fault: Fault | None = None
    status: int = 0
    prompt_key: str = ""
    received_at: float = 0.0
    duration_s: float = 0.0

    def safe_headers(self) -> dict[str, str]:
        """Headers with credentials redacted."""
        secret = {"authorization", "api-key", "x-api-key", "openai-api-key"}
        return {k: ("<redacted>" if k.lower() in secret else v) for k, v in self.headers.items()}


# --------------------------------------------------------------------------------------------
# Building answers from the prompt
# --------------------------------------------------------------------------------------------

_FENCE_LINES: Final = re.compile(
    r"^[ \t]*<<<DOCUMENT[^\n]*\n(.*?)\n?[ \t]*DOCUMENT>>>", re.S | re.M
)
_FENCE_TAGS: Final = re.compile(r"<document\b[^>]*>(.*?)</document\s*>", re.S | re.I)
# blank lines, and lines starting with "[N]" (indexed candidate lines of a reduce prompt)
_PARAGRAPH: Final = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*\[\d+\])")
_LABELLED: Final = re.compile(r"^\[(\d+)\]\s+(mechanism|evidence|therapeutic_implication)\b")
_INDEXED: Final = re.compile(r"^\[(\d+)\]")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")

_MECHANISM_WORDS: Final = (
    "pathway",
    "signal",
    "induce",
    " via ",
    "mechanism",
    "express",
    "activat",
    "regulat",
    "mediat",
    "bind",
)
_EVIDENCE_WORDS: Final = (
    "%",
    "n =",
    "n=",
    "mice",
    "mouse",
    "patients",
    "trial",
    "hazard ratio",
    "cohort",
    "in vitro",
    "meta-analysis",
    "p <",
    "p<",
    "study",
    "studies",
)
_THERAPEUTIC_WORDS: Final = (
    "therapy",
    "therapies",
    "treatment",
    "therapeutic",
    "clinical",
    "target",
    "inhibitor",
    "immunotherapy",
    "drug",
)
_NUMBER: Final = re.compile(r"(?<![A-Za-z-])\d+(?:\.\d+)?(?![A-Za-z])")

SECTION_MECHANISM: Final = "mechanism"
SECTION_EVIDENCE: Final = "evidence"
SECTION_THERAPEUTIC: Final = "therapeutic_implication"

_INVENTED: Final = (
    "This invented sentence was never written in the article and proves a miracle cure."
)
_REFUSAL_TEXT: Final = "I'm sorry, but I can't help with that request."


def _message_text(message: JSON) -> str:
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def extract_document(messages: JSON) -> str:
    """The document text fenced in ``messages`` (see the module docstring).

    User messages are searched first, then all messages; several fenced blocks are joined
    with a blank line (so no sentence spans two blocks).
    """
    if not isinstance(messages, list):
        return ""
    user = [_message_text(m) for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    every = [_message_text(m) for m in messages]
    for texts in (user, every):
        for pattern in (_FENCE_LINES, _FENCE_TAGS):
            found = [m.group(1) for t in texts for m in pattern.finditer(t)]
            found = list(dict.fromkeys(f for f in found if f.strip()))
            if found:  # several fenced blocks (e.g. a reduce step): all of them, in order
                return "\n\n".join(found)
    candidates = user or every
    return max(candidates, key=len) if candidates else ""


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with at least four words, each a verbatim substring of it."""
    out: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        for piece in _SENTENCE_END.split(paragraph):
            sentence = piece.strip()
            if len(sentence.split()) >= 4 and len(sentence) >= 20 and sentence not in out:
                out.append(sentence)
    return out


def classify_sentence(sentence: str) -> str | None:
    """mechanism / evidence / therapeutic_implication by keywords, or None."""
    low = f" {sentence.lower()} "
    scores = {
        SECTION_MECHANISM: sum(w in low for w in _MECHANISM_WORDS),
        SECTION_EVIDENCE: sum(w in low for w in _EVIDENCE_WORDS)
        + min(2, len(_NUMBER.findall(sentence))),
        SECTION_THERAPEUTIC: sum(w in low for w in _THERAPEUTIC_WORDS),
    }
    best = max(scores, key=lambda k: scores[k])  # ties: mechanism, evidence, therapeutic
    return best if scores[best] > 0 else None


def evidence_kind_for(sentence: str) -> str:
    low = sentence.lower()
    if "meta-analys" in low or "meta analys" in low:
        return "meta_analysis"
    if "mice" in low or "mouse" in low or "murine" in low or " rats" in low:
        return "animal_model"
    if "trial" in low or "phase " in low:
        return "clinical_trial"
    if "patients" in low or "cohort" in low:
        return "patient_cohort"
    if "in vitro" in low or "cell line" in low or "cultured" in low:
        return "in_vitro"
    return "unspecified"


def _section_of(names: tuple[str, ...]) -> str | None:
    for name in reversed(names):
        low = name.lower()
        if "kind" in low or "type" in low:
            continue
        if "mechan" in low:
            return SECTION_MECHANISM
        if "evidence" in low:
            return SECTION_EVIDENCE
        if "therap" in low or "implication" in low:
            return SECTION_THERAPEUTIC
    return None


_TRAILING_WORDS: Final = frozenset({"a", "an", "the", "of", "with", "in", "to", "and", "for", "or"})


def _short(sentence: str, words: int = 12) -> str:
    """The first ``words`` words, without a dangling article or preposition: a 'statement'."""
    head = sentence.split()[:words]
    while len(head) > 3 and head[-1].lower().strip(",;:") in _TRAILING_WORDS:
        head.pop()
    text = " ".join(head).rstrip(".,;:!?")
    return text + "." if text else ""


class _Walker:
    """Fills a JSON schema from the document's sentences, deterministically."""

    def __init__(self, document: str, root: JSON) -> None:
        self.document = document
        self.sentences = split_sentences(document)
        labels = {s: _LABELLED.match(s) for s in self.sentences}
        # "[3] evidence (0.80) ..." lines carry their section: trust it, never cross sections
        self.labelled = any(labels.values())
        self.category = {
            s: (m.group(2) if (m := labels[s]) else classify_sentence(s)) for s in self.sentences
        }
        self.root = root if isinstance(root, dict) else {}
        self.used: set[str] = set()
        self.current: str = self.sentences[0] if self.sentences else ""

    def resolve(self, node: JSON) -> dict[str, Any]:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            target: JSON = self.root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        if not isinstance(node, dict):
            return {}
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if isinstance(options, list) and options:
                chosen = next(
                    (o for o in options if self.resolve(o).get("type") != "null"), options[0]
                )
                rest = {k: v for k, v in node.items() if k != key}
                return {**rest, **self.resolve(chosen)}
        all_of = node.get("allOf")
        if isinstance(all_of, list):
            merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
            for sub in all_of:
                merged.update(self.resolve(sub))
            return merged
        return node

    @staticmethod
    def _type(node: dict[str, Any]) -> str:
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if isinstance(kind, str):
            return kind
        if "properties" in node:
            return "object"
        if "items" in node:
            return "array"
        if "enum" in node:
            return "enum"
        return "string"

    def fill(self, node: JSON, names: tuple[str, ...]) -> JSON:
        schema = self.resolve(node)
        name = names[-1].lower() if names else ""
        if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
            return self._enum(schema["enum"], name, names)
        if "const" in schema:
            return schema["const"]
        kind = self._type(schema)
        if kind == "object":
            props = schema.get("properties")
            if not isinstance(props, dict):
                return {}
            required = schema.get("required")
            keys = [k for k in props if not isinstance(required, list) or k in required]
            return {k: self.fill(props[k], (*names, k)) for k in keys}
        if kind == "array":
            return self._array(schema, names)
        if kind in ("number", "integer"):
            return self._number(kind, name, names)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(name, names)

    def _pick(self, section: str | None) -> list[str]:
        if section is not None and self.labelled:
            picks = [s for s in self.sentences if self.category[s] == section][:3]
            self.used.update(picks)
            return picks
        unused = [s for s in self.sentences if s not in self.used]
        if section is not None:
            preferred = [s for s in unused if self.category[s] == section]
        else:
            preferred = [s for s in unused if self.category[s] is not None]
        n = max(1, min(3, len(preferred))) if self.sentences else 0
        picks = preferred[:n]
        for s in unused:  # not enough of the section: any unused sentence
            if len(picks) >= n:
                break
            if s not in picks:
                picks.append(s)
        i = 0
        while len(picks) < n:  # everything used already: reuse, round-robin
            picks.append(self.sentences[i % len(self.sentences)])
            i += 1
        self.used.update(picks)
        return picks

    def _array(self, schema: dict[str, Any], names: tuple[str, ...]) -> list[JSON]:
        items = self.resolve(schema.get("items", {}))
        kind = self._type(items)
        name = names[-1].lower() if names else ""
        if "quote" in name and kind == "string":
            return [self.current] if self.current else []
        if kind == "object":
            out: list[JSON] = []
            saved = self.current
            for sentence in self._pick(_section_of(names)):
                self.current = sentence
                out.append(self.fill(items, (*names, "[]")))
            self.current = saved
            return out
        if kind == "string" and "enum" not in items:
            picks = self.sentences[:3] or [self.current]
            return [" ".join(s.split()[:3]) for s in picks if s]
        return [self.fill(items, (*names, "[]"))]

    def _enum(self, values: list[JSON], name: str, names: tuple[str, ...]) -> JSON:
        wanted: str | None = None
        if "kind" in name or "evidence" in name or "study" in name:
            wanted = evidence_kind_for(self.current)
        elif "section" in name or "category" in name or "type" in name:
            wanted = _section_of(names[:-1]) or self.category.get(self.current)
        if wanted is not None:
            for value in values:
                if value == wanted:
                    return value
            for value in values:
                if isinstance(value, str) and wanted[:6] in value.lower():
                    return value
            if "unspecified" in values:
                return "unspecified"
        return values[0]

    def _number(self, kind: str, name: str, names: tuple[str, ...]) -> JSON:
        if any("quote" in n.lower() for n in names) and name in ("start", "end"):
            start = max(0, self.document.find(self.current))
            return start if name == "start" else start + len(self.current)
        if name == "[]":
            name = next((n.lower() for n in reversed(names) if n != "[]"), "")
        if kind == "integer":
            if name in ("id", "ids", "index", "indexes", "indices") or "candidate" in name:
                m = _INDEXED.match(self.current)
                return int(m.group(1)) if m else 0
            return 0 if name.endswith("_id") else 1
        return 0.5

    def _string(self, name: str, names: tuple[str, ...]) -> str:
        first = self.sentences[0] if self.sentences else ""
        if "quote" in name or any("quote" in n.lower() for n in names[:-1]):
            return self.current
        if "tldr" in name or "summary" in name or "abstract" in name:
            return first
        if name == "title":
            return _short(first, 8)
        if "section" in name or "category" in name:
            return self.category.get(self.current) or _section_of(names[:-1]) or "mechanism"
        return _short(self.current)


def build_answer(document: str, schema: JSON) -> JSON:
    """A deterministic instance of ``schema`` grounded in ``document``'s sentences."""
    return _Walker(document, schema).fill(schema, ())


def _default_schema() -> dict[str, Any]:
    from litdigest.summarize.schema import ModelSummary, strict_json_schema

    return strict_json_schema(ModelSummary)


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _find_quotes(value: JSON, out: list[tuple[Any, Any]], in_quote: bool = False) -> None:
    """(container, key) of every string under a key named like 'quote', in document order."""
    if isinstance(value, dict):
        for key, sub in value.items():
            quoted = in_quote or "quote" in str(key).lower()
            if quoted and isinstance(sub, str):
                out.append((value, key))
            else:
                _find_quotes(sub, out, quoted)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            if in_quote and isinstance(sub, str):
                out.append((value, i))
            else:
                _find_quotes(sub, out, in_quote)


def invent_quotes(answer: JSON, document: str) -> JSON:
    """``answer`` with its first quote invented and its second subtly altered."""
    slots: list[tuple[Any, Any]] = []
    _find_quotes(answer, slots)
    invented = _INVENTED
    while invented in document:
        invented += " Really."
    if slots:
        container, key = slots[0]
        container[key] = invented
    if len(slots) > 1:
        container, key = slots[1]
        original = str(container[key])
        words = original.split()
        altered = " ".join(["Notably,", *words[1:]]) if len(words) > 1 else original + " indeed"
        if altered in document:
            altered = invented + " Again."
        container[key] = altered
    return answer


def break_schema(answer: JSON) -> JSON:
    """Valid JSON that does not match the schema ``answer`` was built for."""
    if not isinstance(answer, dict) or not answer:
        return {"unexpected": True}
    broken = dict(answer)
    keys = list(broken)
    del broken[keys[0]]  # a required property is missing
    for key in keys[1:]:  # and a property has the wrong type
        value = broken[key]
        broken[key] = 42 if isinstance(value, (str, list, dict)) else "not a number"
        break
    else:
        broken["unexpected_property"] = 42
    return broken


# --------------------------------------------------------------------------------------------
# Quirks of real servers (one mode each; the table QUIRKS says what each one does)
# --------------------------------------------------------------------------------------------


class Quirk(StrEnum):
    """A documented behaviour of a real OpenAI-compatible server or model."""

    THINK = "think"  # reasoning model: <think> with a draft JSON, then the answer
    REASONING_FIELD = "reasoning_field"  # reasoning_content set, content = the answer
    TWO_OBJECTS = "two_objects"  # a draft object, prose, then the real object
    EMPTY_STATEMENT = "empty_statement"  # the first claim of each reply has statement ""
    BLANK_FIELDS = "blank_fields"  # tldr "", a spaces-only statement
    LENIENT = "lenient"  # extra keys, null lists, "RCT" / "mouse model" kinds
    LLAMACPP_500 = "llamacpp_500"  # json_schema and tools refused with HTTP 500
    FASTAPI_422 = "fastapi_422"  # response_format / tools refused, 422 with FastAPI detail
    TGI_422 = "tgi_422"  # response_format / tools refused, 422 with a string error (TGI)
    TEXT_ONLY = "text_only"  # 400 for any response_format or tools: plain text only
    NO_USAGE = "no_usage"  # replies carry no usage
    CACHED_USAGE = "cached_usage"  # usage.prompt_tokens_details.cached_tokens is set
    UNAUTHORIZED = "unauthorized"  # 401 for everything
    FORBIDDEN = "forbidden"  # 403 for everything
    UNKNOWN_MODEL = "unknown_model"  # 404 model not found
    V1_ONLY = "v1_only"  # serves only under /v1: a base URL without /v1 gets 404
    SLOW = "slow"  # every reply takes timeout_sleep_s (longer than the client timeout)
    LOW_DEFAULT_MAX_TOKENS = "low_default_max_tokens"  # no max_tokens sent: reply cut off
    SSE_ONLY = "sse_only"  # always answers with server-sent events
    MARKDOWN_QUOTES = "markdown_quotes"  # quotes in **bold**, "fi" written as a ligature
    PARAPHRASE = "paraphrase"  # every quote paraphrased: nothing can be verified


@dataclass(frozen=True)
class QuirkSpec:
    """What one quirk does: ``refuse(server, path, body)`` returns (status, body) to refuse
    a request; ``rewrite(server, body, completion)`` rewrites an answer."""

    refuse: Any = None
    rewrite: Any = None


def _structured(body: JSON) -> tuple[bool, bool, bool]:
    """(json_schema, json_object, tools) asked for by a request body."""
    rf = body.get("response_format") if isinstance(body, dict) else None
    kind = rf.get("type") if isinstance(rf, dict) else None
    tools = bool(body.get("tools")) if isinstance(body, dict) else False
    return kind == "json_schema", kind == "json_object", tools


def _refuse_llamacpp(srv: LoopbackServer, path: str, body: JSON) -> tuple[int, JSON] | None:
    schema, _, tools = _structured(body)
    if schema:
        return 500, {
            "error": {
                "code": 500,
                "message": 'response_format type must be one of "text" or "json_object"',
                "type": "server_error",
            }
        }
    if tools:
        return 500, {
            "error": {"code": 500, "message": "tools param requires --jinja flag", "type": "x"}
        }
    return None


def _refuse_fastapi(srv: LoopbackServer, path: str, body: JSON) -> tuple[int, JSON] | None:
    schema, obj, tools = _structured(body)
    if schema or obj or tools:
        field_name = "tools" if tools else "response_format"
        return 422, {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", field_name],
                    "msg": "Extra inputs are not permitted",
                    "input": None,
                }
            ]
        }
    return None


def _refuse_tgi(srv: LoopbackServer, path: str, body: JSON) -> tuple[int, JSON] | None:
    schema, obj, tools = _structured(body)
    if schema or obj or tools:
        return 422, {
            "error": "Input validation error: grammar is not supported by this model",
            "error_type": "validation",
        }
    return None


def _refuse_text_only(srv: LoopbackServer, path: str, body: JSON) -> tuple[int, JSON] | None:
    schema, obj, tools = _structured(body)
    if schema or obj or tools:
        param = "tools" if tools else "response_format"
        return 400, _error_body(f"{param} is not supported", "invalid_request_error", param, None)
    return None


def _refuse_status(status: int, message: str, code: str) -> Any:
    def refuse(srv: LoopbackServer, path: str, body: JSON) -> tuple[int, JSON] | None:
        return status, _error_body(message, "invalid_request_error", None, code)

    return refuse


def _refuse_root(srv: LoopbackServer, path: str, body: JSON) -> tuple[int, JSON] | None:
    if path.startswith("/v1/"):
        return None
    return 404, {"detail": "Not Found"}


def _answer_text(completion: JSON) -> str:
    message = completion["choices"][0]["message"]
    if message.get("tool_calls"):
        return str(message["tool_calls"][0]["function"]["arguments"])
    return str(message.get("content") or "")


def _set_answer_text(completion: JSON, text: str) -> None:
    message = completion["choices"][0]["message"]
    if message.get("tool_calls"):
        message["tool_calls"][0]["function"]["arguments"] = text
    else:
        message["content"] = text


def _edit_answer(completion: JSON, edit: Any) -> JSON:
    try:
        answer = json.loads(_answer_text(completion))
    except ValueError:
        return completion
    edit(answer)
    _set_answer_text(completion, json.dumps(answer, ensure_ascii=False))
    return completion


def _claim_lists(answer: JSON) -> list[list[JSON]]:
    return [v for v in answer.values() if isinstance(v, list) and v and isinstance(v[0], dict)]


def _rewrite_think(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    text = _answer_text(completion)
    draft = '{"tldr": "draft, not the answer", "claims": []}'
    _set_answer_text(
        completion, f"<think>The user wants JSON, e.g. {draft}. Let me write it.</think>\n{text}"
    )
    return completion


def _rewrite_reasoning_field(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    completion["choices"][0]["message"]["reasoning_content"] = 'Thinking: {"tldr": "draft"}'
    return completion


def _rewrite_two_objects(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    text = _answer_text(completion)
    _set_answer_text(completion, '{"tldr": 1}\nOn second thought, the final answer:\n' + text)
    return completion


def _set_first_statement(answer: JSON, statement: str) -> None:
    """Replace the first statement found at the head of a claim list (in answer order)."""
    for claims in _claim_lists(answer):
        if "statement" in claims[0]:
            claims[0]["statement"] = statement
            return


def _rewrite_empty_statement(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    return _edit_answer(completion, lambda answer: _set_first_statement(answer, ""))


def _rewrite_blank_fields(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    def edit(answer: JSON) -> None:
        if "tldr" in answer:
            answer["tldr"] = ""
        _set_first_statement(answer, "   ")

    return _edit_answer(completion, edit)


def _rewrite_lenient(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    def edit(answer: JSON) -> None:
        answer["confidence"] = 0.9
        empty = [k for k, v in answer.items() if isinstance(v, list) and not v]
        for key in empty:
            answer[key] = None
        synonyms = ["RCT", "mouse model", "retrospective cohort"]
        for claims in _claim_lists(answer):
            for i, claim in enumerate(claims):
                claim["note"] = "extra"
                if "evidence_kind" in claim:
                    claim["evidence_kind"] = synonyms[i % len(synonyms)]

    return _edit_answer(completion, edit)


def _rewrite_no_usage(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    completion.pop("usage", None)
    return completion


def _rewrite_cached_usage(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    usage = completion.get("usage") or {}
    usage["prompt_tokens_details"] = {"cached_tokens": usage.get("prompt_tokens", 0) // 2}
    return completion


def _rewrite_low_default(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    text = _answer_text(completion)
    needed = _approx_tokens(text)
    if isinstance(limit, int) and limit >= needed:
        return completion
    allowed = limit if isinstance(limit, int) else srv.default_max_tokens
    if needed <= allowed:
        return completion
    _set_answer_text(completion, text[: allowed * 4])
    completion["choices"][0]["finish_reason"] = "length"
    return completion


def _rewrite_markdown_quotes(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    def edit(answer: JSON) -> None:
        slots: list[tuple[Any, Any]] = []
        _find_quotes(answer, slots)
        for container, key in slots:
            words = str(container[key]).split(" ")
            if len(words) > 2:
                words[1] = f"**{words[1]}**"
            container[key] = " ".join(words).replace("fi", "\ufb01").replace("fl", "\ufb02")

    return _edit_answer(completion, edit)


def _rewrite_paraphrase(srv: LoopbackServer, body: JSON, completion: JSON) -> JSON:
    def edit(answer: JSON) -> None:
        slots: list[tuple[Any, Any]] = []
        _find_quotes(answer, slots)
        for container, key in slots:
            container[key] = "In other words, " + str(container[key]).lower()

    return _edit_answer(completion, edit)


QUIRKS: Final[dict[Quirk, QuirkSpec]] = {
    Quirk.THINK: QuirkSpec(rewrite=_rewrite_think),
    Quirk.REASONING_FIELD: QuirkSpec(rewrite=_rewrite_reasoning_field),
    Quirk.TWO_OBJECTS: QuirkSpec(rewrite=_rewrite_two_objects),
    Quirk.EMPTY_STATEMENT: QuirkSpec(rewrite=_rewrite_empty_statement),
    Quirk.BLANK_FIELDS: QuirkSpec(rewrite=_rewrite_blank_fields),
    Quirk.LENIENT: QuirkSpec(rewrite=_rewrite_lenient),
    Quirk.LLAMACPP_500: QuirkSpec(refuse=_refuse_llamacpp),
    Quirk.FASTAPI_422: QuirkSpec(refuse=_refuse_fastapi),
    Quirk.TGI_422: QuirkSpec(refuse=_refuse_tgi),
    Quirk.TEXT_ONLY: QuirkSpec(refuse=_refuse_text_only),
    Quirk.NO_USAGE: QuirkSpec(rewrite=_rewrite_no_usage),
    Quirk.CACHED_USAGE: QuirkSpec(rewrite=_rewrite_cached_usage),
    Quirk.UNAUTHORIZED: QuirkSpec(
        refuse=_refuse_status(401, "Incorrect API key provided.", "invalid_api_key")
    ),
    Quirk.FORBIDDEN: QuirkSpec(
        refuse=_refuse_status(403, "You are not allowed to use this model.", "forbidden")
    ),
    Quirk.UNKNOWN_MODEL: QuirkSpec(
        refuse=_refuse_status(404, "The model does not exist.", "model_not_found")
    ),
    Quirk.V1_ONLY: QuirkSpec(refuse=_refuse_root),
    Quirk.SLOW: QuirkSpec(),  # handled in _respond: sleeps before answering
    Quirk.LOW_DEFAULT_MAX_TOKENS: QuirkSpec(rewrite=_rewrite_low_default),
    Quirk.SSE_ONLY: QuirkSpec(),  # handled in _respond: the answer goes out as SSE
    Quirk.MARKDOWN_QUOTES: QuirkSpec(rewrite=_rewrite_markdown_quotes),
    Quirk.PARAPHRASE: QuirkSpec(rewrite=_rewrite_paraphrase),
}


def _schema_in_messages(body: JSON) -> JSON:
    """The JSON Schema a json_object / plain request spells out in its messages, or None."""
    marker = "JSON Schema:"
    for message in body.get("messages") or []:
        text = _message_text(message)
        i = text.find(marker)
        if i < 0:
            continue
        j = text.find("{", i)
        with contextlib.suppress(ValueError):
            value, _ = json.JSONDecoder().raw_decode(text, j)
            if isinstance(value, dict):
                return value
    return None


# --------------------------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, owner: LoopbackServer, address: tuple[str, int]) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or self.owner._stopping.is_set():
            return  # client went away / server stopping: expected under fault injection
        super().handle_error(request, client_address)


class _Drop(Exception):
    """Close the connection without answering."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "loopback-openai/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # never log (headers hold keys)
        return

    def setup(self) -> None:
        super().setup()
        # headers and body are separate writes: without NODELAY, Nagle + delayed ACK stall ~40 ms
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        try:
            self.server.owner._handle(self, method)
        except _Drop:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    # helpers used by LoopbackServer._handle
    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_json(
        self,
        status: int,
        payload: JSON,
        headers: dict[str, str] | None = None,
        *,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{hashlib.sha1(data).hexdigest()[:16]}")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def reset(self) -> None:
        """Abort the connection with a TCP RST and no response."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        for stream in (self.rfile, self.wfile):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(OSError):
            self.connection.close()
        self.close_connection = True


_LINGER_ZERO: Final = struct.pack("ii", 1, 0)  # l_onoff=1, l_linger=0: close() sends RST


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored file or batch without its private (underscore) fields."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _error_body(message: str, type_: str, param: str | None, code: str | None) -> JSON:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class LoopbackServer:
    """OpenAI-compatible chat-completions server on 127.0.0.1 with injectable faults."""

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        faults: FaultPlan | None = None,
        timeout_sleep_s: float = 5.0,
        model: str = "loopback-1",
        supports_json_schema: bool = True,
        supports_tools: bool = True,
        port: int = 0,
        batch_plan: BatchPlan | None = None,
        quirks: set[Quirk] | frozenset[Quirk] | None = None,
        default_max_tokens: int = 60,
    ) -> None:
        self.quirks: frozenset[Quirk] = frozenset(Quirk(q) for q in (quirks or ()))
        self.default_max_tokens = default_max_tokens
        self.batch_plan = batch_plan or BatchPlan()
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_api_requests: list[tuple[str, str]] = []
        self.latency_s = latency_s
        self.faults = faults or FaultPlan()
        self.timeout_sleep_s = timeout_sleep_s
        self.model = model
        self.supports_json_schema = supports_json_schema
        self.supports_tools = supports_tools
        self.requests: list[RecordedRequest] = []
        self.injections: list[Injection] = []  # faithfulness faults applied (loopback_faults)
        self.base_url = ""
        self._port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._faults_per_prompt: dict[str, int] = {}
        self._attempts_per_prompt: dict[str, int] = {}
        self._default_schema: dict[str, Any] | None = None

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _HTTPServer(self, ("127.0.0.1", self._port))
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"loopback-openai-{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and close open connections; returns promptly."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].split("/")[0]) if self.base_url else 0

    def stats(self) -> dict[str, int]:
        """Counts: total, ok (200 without fault), error (non-fault 4xx), one per fault."""
        with self._lock:
            records = list(self.requests)
        out = {"total": len(records), "ok": 0, "error": 0, **{f.value: 0 for f in Fault}}
        for r in records:
            if r.fault is not None:
                out[r.fault.value] += 1
            elif r.status == 200:
                out["ok"] += 1
            else:
                out["error"] += 1
        return out

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True if it stopped."""
        return seconds > 0 and self._stopping.wait(seconds)

    # files and Batch API -----------------------------------------------------------------------

    _FILES_RE: Final = re.compile(r"^(?:/v1)?/files(?:/(?P<id>[^/]+)(?P<content>/content)?)?$")
    _BATCHES_RE: Final = re.compile(r"^(?:/v1)?/batches(?:/(?P<id>[^/]+)(?P<cancel>/cancel)?)?$")

    def _batch_api(self, handler: _Handler, method: str) -> bool:
        """Serve /files and /batches; False for any other path (left to ``_handle``)."""
        path = handler.path.split("?", 1)[0].rstrip("/")
        files = self._FILES_RE.match(path)
        batches = self._BATCHES_RE.match(path)
        if files is None and batches is None:
            return False
        raw = handler.read_body() if method == "POST" else b""
        with self._lock:
            self.batch_api_requests.append((method, path))
        if files is not None:
            status, payload, data = self._files_endpoint(handler, method, files, raw)
        else:
            assert batches is not None
            status, payload, data = self._batches_endpoint(method, batches, raw)
        if data is not None:
            handler.send_json(status, None, content_type="application/octet-stream", raw=data)
        else:
            handler.send_json(status, payload)
        return True

    @staticmethod
    def _not_found(what: str) -> tuple[int, JSON, None]:
        return 404, _error_body(f"No such {what}", "invalid_request_error", None, None), None

    def _files_endpoint(
        self, handler: _Handler, method: str, m: re.Match[str], raw: bytes
    ) -> tuple[int, JSON, bytes | None]:
        file_id = m.group("id")
        if method == "POST" and file_id is None:
            ctype = handler.headers.get("Content-Type", "")
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + raw
            )
            fields: dict[str, tuple[str | None, bytes]] = {}
            if message.is_multipart():
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    payload = part.get_payload(decode=True)
                    if isinstance(name, str) and isinstance(payload, bytes):
                        fields[name] = (part.get_filename(), payload)
            if "file" not in fields or "purpose" not in fields:
                return (
                    400,
                    _error_body(
                        "'file' and 'purpose' are required", "invalid_request_error", "file", None
                    ),
                    None,
                )
            filename, data = fields["file"]
            with self._lock:
                new_id = f"file-{len(self.files) + 1:04d}{hashlib.sha1(data).hexdigest()[:12]}"
                record: dict[str, Any] = {
                    "id": new_id,
                    "object": "file",
                    "bytes": len(data),
                    "created_at": int(time.time()),
                    "filename": filename or "upload.jsonl",
                    "purpose": fields["purpose"][1].decode(errors="replace"),
                    "status": "processed",
                    "_data": data,
                }
                self.files[new_id] = record
            return 200, _public(record), None
        if method == "GET" and file_id is not None:
            with self._lock:
                found = self.files.get(file_id)
            if found is None:
                return self._not_found(f"file: {file_id}")
            record = found
            if m.group("content"):
                return 200, None, bytes(record["_data"])
            return 200, _public(record), None
        return 405, _error_body("method not allowed", "invalid_request_error", None, None), None

    def _batches_endpoint(
        self, method: str, m: re.Match[str], raw: bytes
    ) -> tuple[int, JSON, None]:
        batch_id = m.group("id")
        if method == "POST" and batch_id is None:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return (
                    400,
                    _error_body("invalid JSON body", "invalid_request_error", None, None),
                    None,
                )
            input_file_id = body.get("input_file_id")
            endpoint = body.get("endpoint")
            with self._lock:
                known = input_file_id in self.files
            if not known:
                return self._not_found(f"file: {input_file_id}")
            if endpoint not in ("/v1/chat/completions", "/v1/embeddings", "/v1/responses"):
                return (
                    400,
                    _error_body(
                        f"invalid endpoint {endpoint!r}", "invalid_request_error", "endpoint", None
                    ),
                    None,
                )
            now = int(time.time())
            with self._lock:
                new_id = f"batch_{len(self.batches) + 1:04d}{hashlib.sha1(raw).hexdigest()[:12]}"
                lines = [
                    ln
                    for ln in bytes(self.files[str(input_file_id)]["_data"]).splitlines()
                    if ln.strip()
                ]
                batch: dict[str, Any] = {
                    "id": new_id,
                    "object": "batch",
                    "endpoint": endpoint,
                    "errors": None,
                    "input_file_id": input_file_id,
                    "completion_window": body.get("completion_window", "24h"),
                    "status": "validating",
                    "output_file_id": None,
                    "error_file_id": None,
                    "created_at": now,
                    "in_progress_at": None,
                    "expires_at": now + 86400,
                    "finalizing_at": None,
                    "completed_at": None,
                    "failed_at": None,
                    "expired_at": None,
                    "cancelling_at": None,
                    "cancelled_at": None,
                    "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                    "metadata": body.get("metadata"),
                    "_due": time.monotonic() + self.batch_plan.delay_s,
                }
                self.batches[new_id] = batch
            return 200, _public(batch), None
        if batch_id is None:
            return 405, _error_body("method not allowed", "invalid_request_error", None, None), None
        with self._lock:
            existing = self.batches.get(batch_id)
        if existing is None:
            return self._not_found(f"batch: {batch_id}")
        batch = existing
        if method == "POST" and m.group("cancel"):
            with self._lock:
                if batch["status"] in ("validating", "in_progress"):
                    batch["status"] = "cancelling"
                    batch["cancelling_at"] = int(time.time())
            return 200, _public(batch), None
        if method == "GET" and not m.group("cancel"):
            self._advance(batch)
            return 200, _public(batch), None
        return 405, _error_body("method not allowed", "invalid_request_error", None, None), None

    def make_batches_due(self) -> None:
        """Let every batch be processed on its next retrieve, whatever ``delay_s`` said."""
        with self._lock:
            for batch in self.batches.values():
                batch["_due"] = 0.0

    def _advance(self, batch: dict[str, Any]) -> None:
        """Move a batch along: cancelling -> cancelled; due -> processed."""
        with self._lock:
            now = int(time.time())
            if batch["status"] == "cancelling":
                batch["status"] = "cancelled"
                batch["cancelled_at"] = now
                return
            if batch["status"] not in ("validating", "in_progress"):
                return
            if time.monotonic() < batch["_due"]:
                batch["status"] = "in_progress"
                batch["in_progress_at"] = batch["in_progress_at"] or now
                return
            data = bytes(self.files[batch["input_file_id"]]["_data"])
        output, errors = self._process_batch(batch, data)
        with self._lock:
            plan = self.batch_plan
            for kind, lines in (("output_file_id", output), ("error_file_id", errors)):
                if lines:
                    content = ("\n".join(json.dumps(x) for x in lines) + "\n").encode()
                    file_id = (
                        f"file-{len(self.files) + 1:04d}{hashlib.sha1(content).hexdigest()[:12]}"
                    )
                    self.files[file_id] = {
                        "id": file_id,
                        "object": "file",
                        "bytes": len(content),
                        "created_at": now,
                        "filename": f"{batch['id']}_{kind.split('_')[0]}.jsonl",
                        "purpose": "batch_output",
                        "status": "processed",
                        "_data": content,
                    }
                    batch[kind] = file_id
            batch["request_counts"] = {
                "total": len(output) + len(errors),
                "completed": len(output),
                "failed": len(errors),
            }
            batch["in_progress_at"] = batch["in_progress_at"] or now
            batch["finalizing_at"] = now
            if plan.expire:
                batch["status"] = "expired"
                batch["expired_at"] = now
            else:
                batch["status"] = "completed"
                batch["completed_at"] = now

    def _process_batch(self, batch: dict[str, Any], data: bytes) -> tuple[list[JSON], list[JSON]]:
        plan = self.batch_plan
        output: list[JSON] = []
        errors: list[JSON] = []
        for n, line in enumerate(ln for ln in data.splitlines() if ln.strip()):
            try:
                item = json.loads(line)
            except ValueError:
                item = {}
            custom_id = (
                str(item.get("custom_id", f"line-{n}")) if isinstance(item, dict) else f"line-{n}"
            )
            digest = hashlib.sha1((str(batch["id"]) + custom_id).encode()).hexdigest()[:16]
            req_id = f"batch_req_{digest}"
            if plan.expire and n >= plan.expire_after:
                errors.append(
                    {
                        "id": req_id,
                        "custom_id": custom_id,
                        "response": None,
                        "error": {
                            "code": "batch_expired",
                            "message": "This request could not be executed before the completion window expired.",
                        },
                    }
                )
                continue
            body = item.get("body") if isinstance(item, dict) else None
            url = item.get("url") if isinstance(item, dict) else None
            invalid = self._invalid("POST", "/v1/chat/completions", body, False)
            if url != batch["endpoint"]:
                invalid = (
                    400,
                    _error_body(
                        f"url {url!r} does not match the batch endpoint",
                        "invalid_request_error",
                        "url",
                        None,
                    ),
                )
            failed, fault = plan.draw(custom_id)
            if invalid is not None or failed:
                status, error = invalid or (
                    500,
                    _error_body(
                        "The server had an error while processing your request.",
                        "server_error",
                        None,
                        None,
                    ),
                )
                errors.append(
                    {
                        "id": req_id,
                        "custom_id": custom_id,
                        "response": {"status_code": status, "request_id": req_id, "body": error},
                        "error": None,
                    }
                )
                continue
            assert isinstance(body, dict)
            document = extract_document(body.get("messages"))
            completion = self._completion(
                body, document, fault if fault in _CONTENT_FAULTS else None
            )
            output.append(
                {
                    "id": req_id,
                    "custom_id": custom_id,
                    "response": {"status_code": 200, "request_id": req_id, "body": completion},
                    "error": None,
                }
            )
        return output, errors

    # fault choice -----------------------------------------------------------------------------

    def _choose_fault(self, index: int, key: str) -> Fault | None:
        """Called under self._lock, in arrival order."""
        plan = self.faults
        attempt = self._attempts_per_prompt.get(key, 0)
        self._attempts_per_prompt[key] = attempt + 1
        fault: Fault | None
        if index < len(plan.script):
            fault = plan.script[index]
        else:
            fault = None
            cap = plan.max_faults_per_prompt
            if plan.rates and (cap is None or self._faults_per_prompt.get(key, 0) < cap):
                u = random.Random(f"{plan.seed}\x00{key}\x00{attempt}").random()
                acc = 0.0
                for candidate in Fault:  # fixed order: deterministic
                    acc += plan.rates.get(candidate, 0.0)
                    if u < acc:
                        fault = candidate
                        break
        if fault is not None:
            self._faults_per_prompt[key] = self._faults_per_prompt.get(key, 0) + 1
        return fault

    # request handling ---------------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        if self._batch_api(handler, method):
            return
        started = time.perf_counter()
        raw = handler.read_body() if method == "POST" else b""
        path = handler.path.split("?", 1)[0].rstrip("/")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        body: JSON = None
        parse_error = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                parse_error = True

        is_chat = method == "POST" and path.endswith("/chat/completions")
        document = extract_document(body.get("messages")) if isinstance(body, dict) else ""
        key = hashlib.sha256(document.encode() if document else raw or path.encode()).hexdigest()[
            :16
        ]
        with self._lock:
            record = RecordedRequest(
                index=len(self.requests),
                method=method,
                path=handler.path,
                headers=headers,
                body=body,
                prompt_key=key,
                received_at=time.time(),
            )
            self.requests.append(record)
            invalid = self._quirk_refusal(path, body) or self._invalid(
                method, path, body, parse_error
            )
            if is_chat and invalid is None:
                record.fault = self._choose_fault(record.index, key)

        try:
            self._respond(handler, record, invalid, document)
        finally:
            record.duration_s = time.perf_counter() - started

    def _invalid(
        self, method: str, path: str, body: JSON, parse_error: bool
    ) -> tuple[int, JSON] | None:
        """(status, error body) for requests that are refused regardless of faults."""
        if method == "GET" and path.endswith("/models"):
            return None
        if not (method == "POST" and path.endswith("/chat/completions")):
            return 404, _error_body(
                f"Unknown request URL: {method} {path}.",
                "invalid_request_error",
                None,
                "unknown_url",
            )
        if parse_error or not isinstance(body, dict):
            return 400, _error_body(
                "We could not parse the JSON body of your request.",
                "invalid_request_error",
                None,
                None,
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, _error_body(
                "'messages' is a required property", "invalid_request_error", "messages", None
            )
        response_format = body.get("response_format")
        if isinstance(response_format, dict):
            kind = response_format.get("type")
            if kind == "json_schema":
                if not self.supports_json_schema:
                    return 400, _error_body(
                        "Invalid parameter: 'response_format' of type 'json_schema' is not "
                        f"supported with this model ({self.model}); response_format json_schema "
                        "is not supported.",
                        "invalid_request_error",
                        "response_format",
                        None,
                    )
                spec = response_format.get("json_schema")
                if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                    return 400, _error_body(
                        "Missing required parameter: 'response_format.json_schema.name'.",
                        "invalid_request_error",
                        "response_format.json_schema.name",
                        "missing_required_parameter",
                    )
            elif kind not in ("json_object", "text"):
                return 400, _error_body(
                    f"Invalid value: {kind!r}. Supported values are: 'json_object', "
                    "'json_schema', and 'text'.",
                    "invalid_request_error",
                    "response_format.type",
                    "invalid_value",
                )
        tools = body.get("tools")
        if tools:
            if not self.supports_tools:
                return 400, _error_body(
                    f"tools is not supported with this model ({self.model}).",
                    "invalid_request_error",
                    "tools",
                    None,
                )
            if not isinstance(tools, list) or not all(
                isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools
            ):
                return 400, _error_body(
                    "Invalid 'tools': expected a list of function tools.",
                    "invalid_request_error",
                    "tools",
                    None,
                )
        return None

    def _respond(
        self,
        handler: _Handler,
        record: RecordedRequest,
        invalid: tuple[int, JSON] | None,
        document: str,
    ) -> None:
        if self._sleep(self.latency_s):
            handler.reset()
            return
        if invalid is not None:
            record.status = invalid[0]
            handler.send_json(invalid[0], invalid[1])
            return
        if record.method == "GET":
            record.status = 200
            handler.send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": self.model, "object": "model", "created": 0, "owned_by": "loopback"}
                    ],
                },
            )
            return

        fault = record.fault
        if fault is Fault.RATE_LIMIT:
            retry = self.faults.retry_after_s
            record.status = 429
            handler.send_json(
                429,
                _error_body(
                    f"Rate limit reached for {self.model} on requests per min (RPM): "
                    f"Limit 60, Used 60, Requested 1. Please try again in {retry:g}s.",
                    "requests",
                    "requests",
                    "rate_limit_exceeded",
                ),
                {
                    "Retry-After": f"{retry:g}",
                    "retry-after-ms": str(round(retry * 1000)),
                    "x-ratelimit-limit-requests": "60",
                    "x-ratelimit-remaining-requests": "0",
                },
            )
            return
        if fault is Fault.SERVER_ERROR:
            record.status = 500
            handler.send_json(
                500,
                _error_body(
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    None,
                    None,
                ),
            )
            return
        if fault is Fault.RESET:
            record.status = 0
            handler.reset()
            return
        if fault is Fault.TIMEOUT or Quirk.SLOW in self.quirks:
            record.status = 200
            if self._sleep(self.timeout_sleep_s):
                record.status = 0
                handler.reset()
                return

        record.status = 200
        payload = self._completion(record.body, document, fault)
        for quirk in sorted(self.quirks):
            rewrite = QUIRKS[quirk].rewrite
            if rewrite is not None and fault is None:
                payload = rewrite(self, record.body, payload)
        if record.body.get("stream") or Quirk.SSE_ONLY in self.quirks:
            handler.send_json(
                200, None, content_type="text/event-stream", raw=self._sse(record.body, payload)
            )
        else:
            handler.send_json(200, payload)

    # completion bodies ------------------------------------------------------------------------

    def _quirk_refusal(self, path: str, body: JSON) -> tuple[int, JSON] | None:
        """(status, body) when a quirk refuses the request (see ``QUIRKS``)."""
        for quirk in sorted(self.quirks):
            refuse = QUIRKS[quirk].refuse
            found = refuse(self, path, body) if refuse is not None else None
            if found is not None:
                status, payload = found
                return int(status), payload
        return None

    def _schema_for(self, body: dict[str, Any]) -> tuple[str, JSON, str | None]:
        """(mode, schema, tool name); mode is json_schema, json_object, tools or text."""
        tools = body.get("tools")
        choice = body.get("tool_choice")
        if tools and choice != "none":
            functions = [t["function"] for t in tools]
            chosen = functions[0]
            if isinstance(choice, dict):
                wanted = (choice.get("function") or {}).get("name")
                chosen = next((f for f in functions if f.get("name") == wanted), chosen)
            return "tools", chosen.get("parameters") or {}, str(chosen.get("name", "tool"))
        response_format = body.get("response_format")
        if isinstance(response_format, dict):
            if response_format.get("type") == "json_schema":
                return "json_schema", response_format["json_schema"].get("schema") or {}, None
            if response_format.get("type") == "json_object":
                return "json_object", _schema_in_messages(body) or self._fallback_schema(), None
        return "text", _schema_in_messages(body) or self._fallback_schema(), None

    def _fallback_schema(self) -> dict[str, Any]:
        if self._default_schema is None:
            self._default_schema = _default_schema()
        return self._default_schema

    def _completion(self, body: dict[str, Any], document: str, fault: Fault | None) -> JSON:
        mode, schema, tool_name = self._schema_for(body)
        answer = build_answer(document, schema)
        answer, injection = finish_answer(
            answer, body.get("messages"), document, fault.value if fault else None
        )
        if injection is not None:
            with self._lock:
                self.injections.append(injection)
        finish = "tool_calls" if mode == "tools" else "stop"
        if fault is Fault.SCHEMA_INVALID:
            answer = break_schema(answer)
        elif fault is Fault.INVENTED_QUOTE:
            answer = invent_quotes(answer, document)
        text = json.dumps(answer, ensure_ascii=False)
        if fault is Fault.MALFORMED_JSON:
            text = text[: max(1, len(text) // 2)].rstrip("}] ") + ', "oops": '
        elif fault is Fault.TRUNCATED:
            text = text[: max(1, (len(text) * 2) // 3)]
            finish = "length"

        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if fault is Fault.REFUSAL:
            message["content"] = None
            message["refusal"] = _REFUSAL_TEXT
            finish = "stop"
        elif mode == "tools":
            digest = hashlib.sha256(text.encode()).hexdigest()[:24]
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{digest}",
                    "type": "function",
                    "function": {"name": tool_name, "arguments": text},
                }
            ]
        completion_text = message["content"] or message["refusal"] or text
        prompt_text = "".join(_message_text(m) for m in body.get("messages", []))
        prompt_tokens = _approx_tokens(prompt_text)
        completion_tokens = _approx_tokens(completion_text)
        if fault is Fault.TRUNCATED:
            limit = body.get("max_completion_tokens") or body.get("max_tokens")
            if isinstance(limit, int) and limit > 0:
                completion_tokens = limit
        request_digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return {
            "id": f"chatcmpl-{request_digest[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fp_loopback",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    @staticmethod
    def _sse(body: dict[str, Any], payload: JSON) -> bytes:
        """The completion as one server-sent-events stream (content in a single delta)."""
        base = {k: payload[k] for k in ("id", "created", "model", "system_fingerprint")}
        base["object"] = "chat.completion.chunk"
        message = payload["choices"][0]["message"]
        delta: dict[str, Any] = {"role": "assistant", "content": message["content"]}
        if message.get("refusal"):
            delta["refusal"] = message["refusal"]
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": 0, **c} for c in message["tool_calls"]]
        chunks: list[JSON] = [
            {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {},
                        "finish_reason": payload["choices"][0]["finish_reason"],
                    }
                ],
            },
        ]
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            chunks.append({**base, "choices": [], "usage": payload["usage"]})
        lines = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
        return "".join(lines).encode()


# --------------------------------------------------------------------------------------------
# Script
# --------------------------------------------------------------------------------------------


def _parse_fault(text: str) -> tuple[Fault, float]:
    name, _, rate = text.partition("=")
    try:
        return Fault(name.strip()), float(rate or "1")
    except ValueError as exc:
        choices = ", ".join(f.value for f in Fault)
        raise argparse.ArgumentTypeError(f"expected NAME=RATE with NAME in {choices}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.loopback_server",
        description="Loopback OpenAI-compatible server with injectable faults.",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument(
        "--fault", type=_parse_fault, action="append", default=[], metavar="NAME=RATE"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-faults-per-prompt", type=int, default=None)
    parser.add_argument("--retry-after", type=float, default=0.05, help="seconds (rate_limit)")
    parser.add_argument("--timeout-sleep", type=float, default=5.0, help="seconds (timeout)")
    parser.add_argument("--model", default="loopback-1")
    parser.add_argument("--no-json-schema", action="store_true")
    parser.add_argument("--no-tools", action="store_true")
    parser.add_argument(
        "--quirk", action="append", default=[], choices=[q.value for q in Quirk], metavar="QUIRK"
    )
    args = parser.parse_args(argv)

    plan = FaultPlan(
        rates=dict(args.fault),
        seed=args.seed,
        max_faults_per_prompt=args.max_faults_per_prompt,
        retry_after_s=args.retry_after,
    )
    server = LoopbackServer(
        latency_s=args.latency,
        faults=plan,
        timeout_sleep_s=args.timeout_sleep,
        model=args.model,
        supports_json_schema=not args.no_json_schema,
        supports_tools=not args.no_tools,
        port=args.port,
        quirks={Quirk(q) for q in args.quirk},
    )
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    with server:
        print(server.base_url, flush=True)
        while not done.wait(0.5):
            pass
        stats = server.stats()
    print(json.dumps(stats), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
