"""Record and replay the model's HTTP exchanges (``litdigest eval --record / --replay``).

Both are ``httpx2.AsyncBaseTransport`` implementations passed to
``OpenAIBackend(settings, transport=...)``:

* ``RecordingTransport`` wraps the real transport (``httpx2.AsyncHTTPTransport()``), sends
  each request, and stores the exchange in ``DIR/<key>.json``;
* ``ReplayTransport`` never opens a socket: it answers from ``DIR`` and, on a request it has
  no recording for, answers HTTP 400 (which the backend does not retry) and remembers the
  miss; the eval then fails loudly (exit 2) naming the missing key.

The key is the SHA-256 of the method, the URL *path* and the canonical JSON body (keys
sorted) — never headers, so neither the API key nor the host is part of it: a recording
made against one base URL replays against any other with the same path, with any key.
Everything written is passed through ``litdigest.redaction.redact`` and only a few response
headers are kept (content type, retry hints). Repeated identical requests (retries) are
recorded in order and replayed in order (the last one repeats).
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any, Final

import httpx2

from litdigest.errors import UsageError
from litdigest.redaction import redact

__all__ = [
    "Cassette",
    "RecordingTransport",
    "ReplayMissError",
    "ReplayTransport",
    "request_key",
]

FORMAT_VERSION: Final = 1
META_FILE: Final = "meta.json"
_KEPT_HEADERS: Final = ("content-type", "retry-after", "retry-after-ms")


class ReplayMissError(UsageError):
    """A replayed run sent a request that was never recorded (exit code 2)."""


def canonical_body(body: bytes) -> str:
    """The request body as canonical JSON (sorted keys), or its text when it is not JSON."""
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def request_key(method: str, path: str, body: bytes) -> str:
    """Recording key of a request: method + path + canonical body; never headers."""
    blob = f"{method.upper()} {path}\n{canonical_body(body)}"
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class Cassette:
    """A directory of recorded exchanges, one JSON file per request key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.misses: list[str] = []
        self.served = 0
        self.recorded = 0
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    # ---- metadata ---------------------------------------------------------------------------

    def write_meta(self, meta: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        blob = json.dumps({"format": FORMAT_VERSION, **meta}, indent=2, sort_keys=True)
        (self.directory / META_FILE).write_text(redact(blob) + "\n", encoding="utf-8")

    def read_meta(self) -> dict[str, Any]:
        path = self.directory / META_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: unreadable recording metadata ({exc})") from None
        return data if isinstance(data, dict) else {}

    # ---- record -----------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def record(
        self,
        method: str,
        path: str,
        body: bytes,
        status: int,
        headers: dict[str, str],
        content: bytes,
    ) -> str:
        key = request_key(method, path, body)
        canonical = canonical_body(body)
        try:
            request_body: Any = json.loads(canonical) if canonical else None
        except ValueError:
            request_body = canonical
        with self._lock:
            file = self._path(key)
            if key in self._counters and file.exists():
                entry = json.loads(file.read_text(encoding="utf-8"))
            else:
                entry = {
                    "key": key,
                    "request": {"method": method.upper(), "path": path, "body": request_body},
                    "responses": [],
                }
            entry["responses"].append(
                {
                    "status": status,
                    "headers": headers,
                    "body": content.decode("utf-8", "replace"),
                }
            )
            self._counters[key] = len(entry["responses"])
            self.directory.mkdir(parents=True, exist_ok=True)
            text = json.dumps(entry, indent=1, sort_keys=True, ensure_ascii=False)
            file.write_text(redact(text) + "\n", encoding="utf-8")
            self.recorded += 1
        return key

    # ---- replay -----------------------------------------------------------------------------

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The next recorded response for ``key`` (the last one repeats), or None."""
        with self._lock:
            try:
                entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            except FileNotFoundError:
                self.misses.append(key)
                return None
            except (OSError, ValueError) as exc:
                raise UsageError(f"{self._path(key)}: unreadable recording ({exc})") from None
            responses = entry.get("responses") or []
            if not responses:
                self.misses.append(key)
                return None
            n = self._counters.get(key, 0)
            self._counters[key] = n + 1
            self.served += 1
            response: dict[str, Any] = responses[min(n, len(responses) - 1)]
            return response

    def miss_error(self) -> ReplayMissError | None:
        if not self.misses:
            return None
        first = self.misses[0]
        more = len(set(self.misses)) - 1
        extra = f" (and {more} more)" if more > 0 else ""
        return ReplayMissError(
            f"replay miss: no recorded exchange for request {first}{extra} in {self.directory}; "
            "the prompt, model or settings changed since it was recorded — record again with "
            f"--record {self.directory} against a server (e.g. python evals/record_loopback.py)"
        )


def _kept_headers(headers: httpx2.Headers) -> dict[str, str]:
    return {k: headers[k] for k in _KEPT_HEADERS if k in headers}


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Sends through ``inner`` (default ``httpx2.AsyncHTTPTransport()``) and records."""

    def __init__(self, cassette: Cassette, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.cassette = cassette
        self.inner = inner if inner is not None else httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        headers = _kept_headers(response.headers)
        self.cassette.record(
            request.method, request.url.path, body, response.status_code, headers, content
        )
        return httpx2.Response(
            response.status_code, headers=headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayTransport(httpx2.AsyncBaseTransport):
    """Answers from the cassette; never opens a socket; a miss is answered 400 and noted."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        key = request_key(request.method, request.url.path, body)
        found = self.cassette.lookup(key)
        if found is None:
            error = {
                "error": {
                    "message": f"litdigest replay miss: nothing recorded for request {key}",
                    "type": "replay_miss",
                    "param": None,
                    "code": "replay_miss",
                }
            }
            return httpx2.Response(400, json=error, request=request)
        headers = {str(k): str(v) for k, v in (found.get("headers") or {}).items()}
        return httpx2.Response(
            int(found.get("status", 200)),
            headers=headers,
            content=str(found.get("body", "")).encode("utf-8"),
            request=request,
        )
