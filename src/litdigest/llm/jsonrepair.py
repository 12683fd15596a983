"""Extract and repair JSON from model text (in the spirit of paper-qa's ``llm_parse_json``).

``parse_json(text)`` returns the parsed value of the JSON in ``text``:

1. valid JSON (surrounding whitespace allowed) is parsed as is, so valid JSON round-trips;
2. otherwise the JSON is located: inside a Markdown code fence if there is one (the closing
   fence may be missing), after any leading prose (the first ``{`` or ``[`` from which a
   value can be read), and anything after the value is ignored;
3. a single-pass scanner rewrites it into valid JSON, fixing what models commonly get wrong:
   trailing commas, missing commas between items, single-quoted and smart-quoted strings
   and keys, unquoted keys (only a bare identifier directly followed by ``:``), Python
   literals ``True``/``False``/``None``, raw newlines and control characters inside
   strings, invalid escapes, unescaped quotes inside strings (a quote only closes a string
   when what follows could follow a string), ``//`` and ``/* */`` comments, mismatched
   closing brackets, and truncation (open strings and containers are closed; a dangling key
   or a half-written literal is dropped).

Reasoning models print their thinking first: ``strip_reasoning`` removes ``<think>…</think>``
(and ``<thinking>``, ``<reasoning>``) blocks, and everything before a closing tag whose
opening tag was in the prompt; ``parse_json`` does that before anything else, and
``json_objects`` lists every complete top-level object of a reply (the caller takes the last
one that validates).

Anything that still does not parse raises ``JSONRepairError`` (a ``ValueError``) with a short
reason. The module is pure: no I/O, no global state.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any, Final

__all__ = [
    "JSONRepairError",
    "json_objects",
    "parse_json",
    "parse_json_object",
    "repair_json",
    "strip_reasoning",
]


class JSONRepairError(ValueError):
    """No JSON value could be read from the text."""


_THINK_RE: Final = re.compile(r"<(think|thinking|reasoning)>.*?(?:</\1>|\Z)", re.S | re.I)
_THINK_CLOSE_RE: Final = re.compile(r"</(?:think|thinking|reasoning)>", re.I)
_FENCE_RE: Final = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n?(.*?)(?:```|\Z)", re.S)
_IDENT_RE: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LITERALS: Final[dict[str, str]] = {
    "true": "true",
    "false": "false",
    "null": "null",
    "True": "true",
    "False": "false",
    "None": "null",
    "undefined": "null",
    "NaN": "null",
    "Infinity": "null",
}
# Opening quote → closing quotes accepted for it.
_OPENERS: Final[dict[str, str]] = {
    '"': '"',
    "'": "'",
    "“": '”“"',
    "”": '”“"',
    "‘": "’‘'",
    "’": "’‘'",
}
_VALID_ESCAPES: Final = frozenset('"\\/bfnrt')
_MAX_CANDIDATES: Final = 20


def strip_reasoning(text: str) -> str:
    """``text`` without reasoning blocks (``<think>…</think>``; an unclosed one runs to the
    end; a closing tag without its opening tag ends a block that started the text)."""
    if "<" not in text:
        return text
    out = _THINK_RE.sub("", text)
    closing = list(_THINK_CLOSE_RE.finditer(out))
    if closing:
        out = out[closing[-1].end() :]
    return out


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every complete top-level JSON object in ``text`` (reasoning stripped), in order."""
    text = strip_reasoning(text)
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i = text.find("{")
    while i != -1:
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict):
            out.append(value)
        i = text.find("{", end)
    return out


def parse_json(text: str) -> Any:
    """The JSON value in ``text``, repairing it if needed; ``JSONRepairError`` if impossible."""
    text = strip_reasoning(text)
    stripped = text.strip()
    if not stripped:
        raise JSONRepairError("empty text")
    try:
        return json.loads(stripped, parse_constant=_reject_constant)
    except ValueError:
        pass
    last: JSONRepairError | None = None
    for candidate in _candidates(text):
        try:
            return json.loads(_Scanner(candidate).run())
        except JSONRepairError as exc:
            last = exc
        except ValueError as exc:  # the scanner's output is still not JSON
            last = JSONRepairError(f"unrepairable JSON ({exc.args[0].split(':')[0]})")
    raise last or JSONRepairError("no JSON object or array found")


def parse_json_object(text: str) -> dict[str, Any]:
    """Like ``parse_json`` but the result must be an object.

    A JSON string holding an object (double-encoded output) and a one-element list holding
    an object are unwrapped once.
    """
    value = parse_json(text)
    if isinstance(value, str):
        with contextlib.suppress(JSONRepairError):
            value = parse_json(value)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise JSONRepairError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def repair_json(text: str) -> str:
    """``text`` rewritten as valid JSON text by the repairing scanner (always rescans)."""
    last: JSONRepairError | None = None
    for candidate in _candidates(text):
        try:
            out = _Scanner(candidate).run()
            json.loads(out)
            return out
        except JSONRepairError as exc:
            last = exc
        except ValueError as exc:
            last = JSONRepairError(f"unrepairable JSON ({exc.args[0].split(':')[0]})")
    raise last or JSONRepairError("no JSON object or array found")


def _candidates(text: str) -> list[str]:
    """Texts that may hold the JSON value, most likely first."""
    out: list[str] = []
    stripped = text.strip()
    if stripped[:1] in ("{", "["):  # the text starts with the value: trust that first
        out.append(stripped)
    for m in _FENCE_RE.finditer(text):
        body = m.group(2)
        if "{" in body or "[" in body:
            out.extend(_starts(body))
    out.extend(_starts(text))
    return list(dict.fromkeys(out))[:_MAX_CANDIDATES]


def _starts(text: str) -> list[str]:
    """``text`` itself if it starts with a value, then from each ``{`` / ``[`` (objects first)."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        return [stripped]
    braces = [i for i, ch in enumerate(text) if ch == "{"]
    brackets = [i for i, ch in enumerate(text) if ch == "["]
    return [text[i:] for i in braces[:10] + brackets[:10]]


class _Scanner:
    """Single-pass rewriter of almost-JSON into JSON (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.out: list[str] = []
        # Stack of containers: '{' or '['. For objects, ``expect`` says what comes next.
        self.stack: list[str] = []
        self.expect: list[str] = []  # 'key' | 'colon' | 'value' | 'comma' per container
        self.key_mark: list[int] = []  # len(out) before the current key (for dropping it)
        self.done = False

    # -- driver -------------------------------------------------------------------------------

    def run(self) -> str:
        self._skip_ws()
        if self.i >= self.n or self.s[self.i] not in "{[":
            raise JSONRepairError("no JSON object or array found")
        while not self.done:
            self._skip_ws()
            if self.i >= self.n:
                self._close_all()
                break
            self._step()
        return "".join(self.out)

    def _step(self) -> None:
        ch = self.s[self.i]
        state = self.expect[-1] if self.expect else "value"
        container = self.stack[-1] if self.stack else None
        if ch in "}]":
            self._close(ch)
            return
        if ch == ",":
            self.i += 1
            if state == "comma":
                self.expect[-1] = "key" if container == "{" else "value"
            # a comma elsewhere (leading, doubled) is dropped
            return
        if ch == ":":
            self.i += 1
            if state == "colon":
                self.out.append(":")
                self.expect[-1] = "value"
            return
        if state == "comma":  # a new item without a comma (one is inserted at the item)
            self.expect[-1] = "key" if container == "{" else "value"
            state = self.expect[-1]
        if state == "colon":  # a value right after a key: insert the colon
            self.out.append(":")
            self.expect[-1] = "value"
            state = "value"
        if state == "key":
            self._key()
        else:
            self._value()

    # -- containers ---------------------------------------------------------------------------

    def _open(self, ch: str) -> None:
        self.out.append(ch)
        self.stack.append(ch)
        self.expect.append("key" if ch == "{" else "value")
        self.key_mark.append(len(self.out))
        self.i += 1

    def _close(self, ch: str) -> None:
        want = "{" if ch == "}" else "["
        self.i += 1
        if want not in self.stack:
            return  # stray closer
        while self.stack and self.stack[-1] != want:
            self._close_top()
        self._close_top()

    def _close_top(self) -> None:
        top = self.stack[-1]
        state = self.expect[-1]
        if top == "{" and state in ("colon", "value"):
            # a key without a value: drop it (and the comma before it)
            del self.out[self.key_mark[-1] :]
        elif state == "value" and self.out and self.out[-1] == ",":
            self.out.pop()
        self.out.append("}" if top == "{" else "]")
        self.stack.pop()
        self.expect.pop()
        self.key_mark.pop()
        self._value_done()

    def _close_all(self) -> None:
        while self.stack:
            self._close_top()

    def _value_done(self) -> None:
        if not self.stack:
            self.done = True
        else:
            self.expect[-1] = "comma"

    # -- keys and values ----------------------------------------------------------------------

    def _key(self) -> None:
        ch = self.s[self.i]
        self.key_mark[-1] = len(self.out)  # a dangling key is cut from here, comma included
        if self.out[-1] != "{":
            self.out.append(",")
        if ch in _OPENERS:
            self._string()
            self.expect[-1] = "colon"
            return
        m = _IDENT_RE.match(self.s, self.i)
        if m:
            j = m.end()
            while j < self.n and self.s[j] in " \t":
                j += 1
            if j >= self.n or self.s[j] == ":":
                self.out.append(json.dumps(m.group()))
                self.i = m.end()
                self.expect[-1] = "colon"
                return
        raise JSONRepairError(f"unexpected {ch!r} where an object key was expected")

    def _value(self) -> None:
        ch = self.s[self.i]
        if self.stack and self.stack[-1] == "[" and self.out[-1] != "[":
            self.out.append(",")
        if ch in "{[":
            self._open(ch)
            return
        if ch in _OPENERS:
            self._string()
            self._value_done()
            return
        m = _NUMBER_RE.match(self.s, self.i)
        if m and (ch.isdigit() or ch in "+-."):
            self.out.append(_number(m.group()))
            self.i = m.end()
            self._value_done()
            return
        m = _IDENT_RE.match(self.s, self.i)
        if m:
            word = m.group()
            if word in _LITERALS:
                self.out.append(_LITERALS[word])
                self.i = m.end()
                self._value_done()
                return
            if m.end() >= self.n:  # a literal cut off by truncation
                for full in ("true", "false", "null"):
                    if full.startswith(word.lower()):
                        self.out.append(full)
                        self.i = m.end()
                        self._value_done()
                        return
        if ch in "+-" and (m := _IDENT_RE.match(self.s, self.i + 1)) and m.group() in _LITERALS:
            self.out.append("null")  # -Infinity
            self.i = m.end()
            self._value_done()
            return
        if ch == "-" and self.i + 1 >= self.n:  # truncated negative number
            self.i += 1
            return
        raise JSONRepairError(f"unexpected {ch!r} where a value was expected")

    def _string(self) -> None:
        """Read a string opened by ``"``, ``'`` or a smart quote; emit it double-quoted."""
        s, n = self.s, self.n
        closers = _OPENERS[s[self.i]]
        self.i += 1
        buf: list[str] = ['"']
        while True:
            if self.i >= n:  # truncated: close the string
                break
            ch = s[self.i]
            if ch == "\\":
                if self.i + 1 >= n:  # a lone backslash at the cut
                    self.i += 1
                    break
                nxt = s[self.i + 1]
                if nxt == "u":
                    hexdigits = s[self.i + 2 : self.i + 6]
                    if len(hexdigits) == 4 and all(
                        c in "0123456789abcdefABCDEF" for c in hexdigits
                    ):
                        buf.append(s[self.i : self.i + 6])
                        self.i += 6
                        continue
                    if self.i + 2 + len(hexdigits) >= n and all(
                        c in "0123456789abcdefABCDEF" for c in hexdigits
                    ):  # a \u escape cut off by truncation
                        self.i = n
                        break
                    buf.append("\\\\")
                    self.i += 1
                    continue
                if nxt in _VALID_ESCAPES:
                    buf.append("\\" + nxt)
                elif nxt == "'":
                    buf.append("'")
                else:
                    buf.append("\\\\")
                    self.i += 1
                    continue
                self.i += 2
                continue
            if ch in closers and self._ends_string(self.i + 1):
                self.i += 1
                break
            if ch == '"':
                buf.append('\\"')
            elif ch < " ":
                buf.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\u{ord(ch):04x}"))
            else:
                buf.append(ch)
            self.i += 1
        buf.append('"')
        self.out.append("".join(buf))

    def _ends_string(self, j: int) -> bool:
        """Whether a quote just before ``j`` can close a string: what follows it must be able
        to follow a string (``, : } ]``, the end, or, after a line break, another string)."""
        s, n = self.s, self.n
        newline = False
        while j < n and s[j] in " \t\r\n":
            newline = newline or s[j] == "\n"
            j += 1
        if j >= n or s[j] in ",:}]":
            return True
        if s[j] == "/" and j + 1 < n and s[j + 1] in "/*":
            return True
        return newline and s[j] in _OPENERS

    # -- whitespace and comments --------------------------------------------------------------

    def _skip_ws(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            ch = s[self.i]
            if ch in " \t\r\n\ufeff\u00a0":
                self.i += 1
            elif ch == "/" and self.i + 1 < n and s[self.i + 1] == "/":
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end + 1
            elif ch == "/" and self.i + 1 < n and s[self.i + 1] == "*":
                end = s.find("*/", self.i + 2)
                self.i = n if end < 0 else end + 2
            else:
                break


def _number(raw: str) -> str:
    """A JSON number for a number-like token (``+1``, ``.5``, ``1.``, ``1e`` are repaired)."""
    text = raw.lstrip("+")
    if text.startswith("."):
        text = "0" + text
    elif text.startswith("-."):
        text = "-0" + text[1:]
    if text.endswith("."):
        text += "0"
    text = re.sub(r"\.(?=[eE])", ".0", text)
    try:
        json.loads(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return "null"
        return json.dumps(value)
    # leading zeros ("007") are invalid JSON: normalise through int/float
    if re.match(r"-?0\d", text):
        try:
            return json.dumps(int(text))
        except ValueError:
            return json.dumps(float(text))
    return text
