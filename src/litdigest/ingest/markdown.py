"""Markdown to plain text: markup removed, headings kept as their own lines, code kept."""

from __future__ import annotations

import re

from litdigest.documents import Metadata
from litdigest.ingest._common import collapse

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FM_TITLE = re.compile(r"^title:[ \t]*(.+)$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_BULLET = re.compile(r"^(\s*)[*+-][ \t]+")
_TABLE_SEP = re.compile(r"^\s*(?:\|\s*)?:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*(?:\|\s*)?$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+.*$")
_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)|!\[[^\[\]]*\]\[[^\[\]]*\]")
_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_BLANKS = re.compile(r"\n{3,}")


def _inline(line: str) -> str:
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE.sub(lambda m: m.group(2).strip(), line)
    line = _STRONG.sub(r"\2", line)
    line = _EM_STAR.sub(r"\1", line)
    line = _EM_UNDER.sub(r"\1", line)
    line = _STRIKE.sub(r"\1", line)
    line = _TAG.sub("", line)
    return _ESCAPE.sub(r"\1", line)


def markdown_to_text(markdown: str) -> tuple[str, Metadata]:
    """Plain text of a Markdown document, and the title from YAML front matter if any."""
    meta = Metadata()
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    front = _FRONT_MATTER.match(markdown)
    if front:
        title = _FM_TITLE.search(front.group(1))
        if title:
            meta = Metadata(title=collapse(title.group(1)).strip("\"'") or None)
        markdown = markdown[front.end() :]
    markdown = _COMMENT.sub("", markdown)
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            else:
                out.append(line)
            continue
        if match:
            fence = match.group(1)
            continue
        line = _QUOTE.sub("", line)
        if _SETEXT.match(line) and out and out[-1].strip():
            out.insert(len(out) - 1, "")  # the line above was a heading: keep it on its own
            out.append("")
            continue
        if _RULE.match(line) or _TABLE_SEP.match(line) or _REF_DEF.match(line):
            out.append("")
            continue
        heading = _ATX.match(line)
        if heading:
            out.extend(["", _inline(heading.group(1) or ""), ""])
            continue
        line = _BULLET.sub(r"\1- ", line)
        if line.lstrip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = " | ".join(c for c in cells if c)
        out.append(_inline(line).rstrip())
    text = _BLANKS.sub("\n\n", "\n".join(out)).strip()
    return text, meta
