"""Section-aware cleaning of repaired PDF text (one paragraph per line, blank lines between).

Unlike a web page, a PDF holds one article from its title to its back matter, so the web-page
content finder is not used: every paragraph stays unless it is

* front matter or page furniture the boilerplate classifier condemns (affiliations, bylines,
  licences, correspondence, dates, labels such as "Competing Interests: ...");
* in a back-matter section: references, acknowledgements, funding, competing interests,
  author contributions, abbreviations, supplementary material, author details, peer review.
  A back-matter heading may be run in ("Acknowledgments This work was ..."): then only that
  paragraph goes. Other back matter runs until the next heading that is not back matter;
  nothing after the references comes back except figure and table captions.

"Comment", "Response(s)" and "Replies" headings are article sections here (case reports and
correspondence use them), not the start of a reader-comment thread.

Paragraphs cut by a figure or table placed between their halves are joined again when the
first half stops mid-sentence and the second half starts in lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litdigest.clean.boilerplate import paragraph_is_boilerplate
from litdigest.clean.metadata import parse_pdf_byline
from litdigest.clean.pdf_repair import (
    is_front_matter_field,
    is_running_head,
    is_section_heading,
)

__all__ = ["SectionStats", "clean_pdf_sections"]


@dataclass
class SectionStats:
    paragraphs_kept: int = 0
    paragraphs_dropped: int = 0


_NUMBER = r"(?:\d{1,2}(?:\.\d{1,2})*\.?\s+|[IVX]{1,4}\.\s+)?"
_BACK = (
    r"references?(?: and notes)?|bibliography|literature cited|works cited|"
    r"acknowledge?ments?|funding(?: information| statement| sources)?|financial support|"
    r"competing (?:interests?|financial interests?)|conflicts? of interests?(?: statement)?|"
    r"declarations? of (?:competing )?interests?|disclosures?(?: statement)?|"
    r"authors?['’]? contributions?|contributors|abbreviations(?: used)?|"
    r"additional files?|supplementary (?:information|materials?|data|files?)|"
    r"supporting information|electronic supplementary material|author details|"
    r"authors?['’]? information|endnotes|open peer review|referee reports?|reviewer reports?|"
    r"grant information|"
    r"data (?:availability|accessibility)(?: statement)?|availability of data(?: and materials)?|"
    r"ethics (?:approval|statement)(?: and consent to participate)?|"
    r"consent (?:for|to) publication|declarations"
)
_BACK_HEADING_RE = re.compile(rf"^{_NUMBER}(?:{_BACK})\s*[:.]?$", re.IGNORECASE)
# Run in: "Acknowledgments This work ...", "Funding: the study ...", "Ethics. Sampling ...";
# not prose that starts with such a word ("Reference values were ...").
_BACK_RUN_IN_RE = re.compile(
    rf"^{_NUMBER}(?:(?i:{_BACK})\s*[:.]\s*\S|(?i:{_BACK})\s+[A-Z]|(?i:ethics)\s*[:.]\s+\S)"
)
_REFERENCES_RE = re.compile(
    rf"^{_NUMBER}(?:references?(?: and notes)?|bibliography|literature cited|works cited)\s*:?$",
    re.IGNORECASE,
)
# Front-matter fields set as "Label: value" (PLOS page 1, Hindawi, Royal Society ...).
_FRONT_FIELD_RE = re.compile(
    r"^(?:citation|editor|academic editor|received|accepted|published|revised|copyright|"
    r"data availability|funding|competing interests|correspondence|\* ?correspondence|"
    r"e-?mail|keywords?|key words|subject (?:category|areas)|author for correspondence|"
    r"(?:†\s?)?(?:present|current) address|cite this article(?: as)?|how to cite this article|"
    r"handling editor|reviewed by|edited by|open access|article history|first published|"
    r"latest published|first indexed|grant information|referee status)\s*:",
    re.IGNORECASE,
)
_FRONT_LINE_RE = re.compile(
    r"^(?:full list of author information is available|correspondence should be addressed|"
    r"this is an open access article|this article is distributed under|"
    r"© |copyright ©|\(c\) \d{4}|\d{4} the authors?\.? published by|"
    r"submit your (?:next )?manuscript|received \d{1,2} \w+ \d{4}|doi:\s?10\.\S+$|"
    r"the funders? had no role|this article is included in|"
    r"https?://\S+$|www\.\S+$)",
    re.IGNORECASE,
)
_LABEL_RE = re.compile(
    r"^(?:r ?e ?s ?e ?a ?r ?c ?h(?: ?a ?r ?t ?i ?c ?l ?e)?|research note|review(?: article)?|"
    r"clinical study|case report|original (?:article|research)|research article|"
    r"short communication|brief report|open access|editorial|commentary|article|"
    r"research|letter)(?:\s+open access)?$",
    re.IGNORECASE,
)
_CAPTION_RE = re.compile(
    r"^(?:fig(?:ure)?s?\.?|table|box|scheme|plate)\s*S?\d+[A-Za-z]?\s*[:.|–—-]?\s", re.IGNORECASE
)
_SENTENCE_END_RE = re.compile(r"[.!?:][\"'’”)\]]*$")
_HEADING_MAX_WORDS = 12
_TITLE_SEARCH = 40  # paragraphs


def _is_heading(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= _HEADING_MAX_WORDS
        and len(text) <= 100
        and (text[0].isupper() or text[0].isdigit())
        and not text.endswith((".", ",", ";"))
        and not _CAPTION_RE.match(text)
    )


_DOMAIN_RE = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:org|com|net|edu|gov)\b")
_AFFILIATION_RE = re.compile(
    r"\b(?:universit\w*|institut\w*|department|dept\.|hospital|college|laborator\w*|"
    r"faculty|school of|cent(?:er|re) for|academy of)\b",
    re.IGNORECASE,
)
_STOPS = frozenset("the a an is are was were we our this that these which with to in of".split())
_AFFILIATION_MAX_WORDS = 60


def _is_affiliation(text: str) -> bool:
    """An address: institution words, commas, almost no function words of prose."""
    words = text.split()
    if len(words) > _AFFILIATION_MAX_WORDS or text.count(",") < 2:
        return False
    if not _AFFILIATION_RE.search(text):
        return False
    prose = sum(w.lower() in _STOPS and w.lower() != "of" for w in words)
    return prose <= 0.05 * len(words)


def _front_matter(text: str) -> bool:
    if len(text.split()) <= 4 and _DOMAIN_RE.search(text):
        return True  # "rsos.royalsocietypublishing.org Research"
    return bool(
        _FRONT_FIELD_RE.match(text)
        or is_front_matter_field(text)
        or _FRONT_LINE_RE.match(text)
        or _LABEL_RE.match(text)
        or is_running_head(text)
    )


# Sentences of a licence or copyright statement (often set in one block with the abstract).
_LICENCE_RE = re.compile(
    r"copyright|©|\(c\) ?\d{4}|licen[cs]e|open access|creative commons|distributed under|"
    r"permits unrestricted|properly (?:cited|credited)|are credited|all rights reserved|"
    r"published by|dedication waiver|unless otherwise stated|publicdomain",
    re.IGNORECASE,
)
# Sentence ends, also where the typesetting lost the space ("Smith et al.This is ...").
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])|(?<=[a-z]\.)(?=[A-Z][a-z])")


def _strip_licence(text: str) -> str:
    """``text`` without the licence sentences it starts with ("" when it is all licence)."""
    if not _LICENCE_RE.search(text[:300]):
        return text
    sentences = _SENTENCE_SPLIT_RE.split(text)
    k = 0
    while k < len(sentences) and (
        _LICENCE_RE.search(sentences[k]) or (k and sentences[k].startswith("http"))
    ):
        k += 1
    return " ".join(sentences[k:]).strip() if k else text


_BYLINE_MAX_CHARS = 600


def _is_byline(text: str) -> bool:
    if len(text) > _BYLINE_MAX_CHARS or ("," not in text and " and " not in text):
        return False
    parts = [p for p in re.split(r"\s*(?:,|;|\band\b|&)\s*", text) if p.strip(" ,0123456789*†‡§")]
    names = parse_pdf_byline(text)
    return len(names) >= 2 and len(names) >= len(parts) - 1


def _keep_flags(paragraphs: list[str]) -> list[bool]:
    keep: list[bool] = []
    in_back = False
    after_refs = False
    for k, text in enumerate(paragraphs):
        caption = bool(_CAPTION_RE.match(text))
        if _REFERENCES_RE.match(text):
            after_refs = in_back = True
            keep.append(False)
            continue
        if _BACK_HEADING_RE.match(text):
            in_back = True
            keep.append(False)
            continue
        if after_refs:
            keep.append(caption)
            continue
        if in_back:
            nxt = paragraphs[k + 1] if k + 1 < len(paragraphs) else ""
            if _is_heading(text) and nxt and not _is_heading(nxt) and not _front_matter(text):
                in_back = False  # a fresh section heading followed by its text
            else:
                keep.append(caption)
                continue
        if _BACK_RUN_IN_RE.match(text) and not caption:
            keep.append(False)
            continue
        if k and _FRONT_FIELD_RE.fullmatch(paragraphs[k - 1]) and not caption:
            keep.append(False)  # the value of a label set on a line of its own ("Keywords:")
            continue
        keep.append(
            caption
            or is_section_heading(text)  # "Comment", "Results": headings of the article
            or not (_front_matter(text) or _is_affiliation(text) or paragraph_is_boilerplate(text))
        )
    return keep


def _rejoin(paragraphs: list[str], keep: list[bool]) -> list[str]:
    """Kept paragraphs; one cut in two by a caption, table, footnote or dropped block is
    joined again: "... the lions of" [Figure 2 ...] [* Correspondence ...] "north Africa"."""
    out: list[str] = []
    pending: list[str] = []  # captions kept between the two halves
    open_end = False  # the last kept body paragraph stops mid-sentence
    for text, kept in zip(paragraphs, keep, strict=True):
        if not kept:
            continue
        caption = bool(_CAPTION_RE.match(text))
        if caption and open_end:
            pending.append(text)
            continue
        if open_end and text[:1].islower() and out:
            out[-1] = out[-1] + " " + text
            out.extend(pending)
            pending = []
            open_end = not _SENTENCE_END_RE.search(text)
            continue
        out.extend(pending)
        pending = []
        out.append(text)
        open_end = (
            not caption and not is_section_heading(text) and not _SENTENCE_END_RE.search(text)
        )
    out.extend(pending)
    return out


def _alnum_index(text: str) -> tuple[str, list[int]]:
    """Lower-case letters and digits of ``text`` and the position of each in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        if c.isalnum():
            chars.append(c.lower())
            where.append(i)
    return "".join(chars), where


def _title_first(paragraphs: list[str], title: str | None) -> list[str]:
    """The title as the first paragraph, taken out of the first paragraph that holds it
    (compared on letters and digits only: hyphens and spaces may differ)."""
    if not title:
        return paragraphs
    key, _ = _alnum_index(title)
    if not key:
        return paragraphs
    for k, text in enumerate(paragraphs[:_TITLE_SEARCH]):
        squashed, where = _alnum_index(text)
        at = squashed.find(key)
        if at < 0:
            continue
        start, end = where[at], where[at + len(key) - 1] + 1
        rest = (text[:start].rstrip() + " " + text[end:].lstrip()).strip(" .:")
        others = paragraphs[:k] + ([rest] if rest and not _LABEL_RE.match(rest) else [])
        return [title, *others, *paragraphs[k + 1 :]]
    return [title, *paragraphs]


def clean_pdf_sections(text: str, title: str | None = None) -> tuple[str, SectionStats]:
    """Article paragraphs of repaired PDF text, the title (when known) first."""
    paragraphs = [_strip_licence(p.strip()) for p in text.split("\n\n")]
    paragraphs = [p for p in paragraphs if p and not _is_byline(p)]
    keep = _keep_flags(paragraphs)
    n_kept = sum(keep)
    stats = SectionStats(paragraphs_kept=n_kept, paragraphs_dropped=len(paragraphs) - n_kept)
    kept = _title_first(_rejoin(paragraphs, keep), title)
    return "\n\n".join(kept), stats
