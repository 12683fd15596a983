"""Metadata stated in page text: citation lines, DOIs, journal/year, title and byline.

Everything here reads what the page states; nothing is guessed. A field the text does not
state stays ``None`` (or empty). Reference lists are ignored: a DOI or citation there belongs
to another article.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from wordfreq import zipf_frequency

from litdigest.clean.normalize import normalize_text
from litdigest.documents import Metadata

__all__ = ["extract_metadata"]

# --- reference lists (ignored) ------------------------------------------------------------------

_REF_HEADING_RE = re.compile(
    r"^(?:references?|bibliography|literature cited|references and notes|works cited|"
    r"notes and references|reference list)\s*:?$",
    re.IGNORECASE,
)
# Headings that end a reference list on publisher pages (Nature puts "Cite this article" after).
_REF_END_RE = re.compile(
    r"^(?:download references|author information|authors and affiliations|about this article|"
    r"cite this article|rights and permissions|acknowledge?ments?|additional information|"
    r"supplementary information|ethics declarations|author contributions|competing interests|"
    r"funding|footnotes|figures?|tables?)\s*:?$",
    re.IGNORECASE,
)
_NUMBERED_REF_RE = re.compile(r"^(?:\[\d{1,4}\]|\d{1,4}\.)\s+\S")
_YEAR_IN_LINE_RE = re.compile(r"\b(?:1[89]|20)\d{2}\b")


def _reference_lines(lines: list[str]) -> list[bool]:
    """For each line: is it part of a reference list (or a numbered reference entry)?"""
    flags = [False] * len(lines)
    in_refs = False
    for i, line in enumerate(lines):
        stripped = line.strip(" •*-–\t")
        if _REF_HEADING_RE.match(stripped):
            in_refs = True
            flags[i] = True
            continue
        if in_refs and _REF_END_RE.match(stripped):
            in_refs = False
        numbered = bool(_NUMBERED_REF_RE.match(line.strip())) and bool(
            _YEAR_IN_LINE_RE.search(line)
        )
        flags[i] = in_refs or numbered
    return flags


# --- DOI ------------------------------------------------------------------------------------------

_DOI_RE = re.compile(r"\b10\.\d{4,9}/[^\s\"'<>]+", re.IGNORECASE)
# "DOI: ", "doi.org/", or the DOI field of RIS ("DO  - ") and MEDLINE ("AID - ") records.
_DOI_CONTEXT_RE = re.compile(
    r"(?:doi\.org/|\bdoi\s*[:.]?\s*|^(?:DO|DI|AID)\s{0,3}-\s)$", re.IGNORECASE
)
_DOI_LABEL_END_RE = re.compile(r"\bdoi\s*:?$", re.IGNORECASE)
_DOI_TRAILING = ".,;:'\"’”"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# A news page's pointer to the study it covers.
_OTHER_WORK_RE = re.compile(
    r"\b(?:more information|journal reference|original (?:article|paper|study)|"
    r"reference|source|see also|related article|cited (?:article|study))\s*:",
    re.IGNORECASE,
)
# Without a "DOI:" / doi.org context a DOI counts only near the top of the page.
_HEADER_LINES = 6


def _clean_doi(doi: str) -> str:
    while doi:
        last = doi[-1]
        unbalanced = last in _CLOSERS and doi.count(last) > doi.count(_CLOSERS[last])
        if not (last in _DOI_TRAILING or unbalanced):
            break
        doi = doi[:-1]
    return doi.lower()


def _find_doi(lines: list[str], refs: list[bool], citation_lines: set[int]) -> str | None:
    best: tuple[int, int, str] | None = None  # (-score, line index, doi)
    nonempty_seen = 0
    prev_nonempty = ""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        nonempty_seen += 1
        if not refs[i]:
            for m in _DOI_RE.finditer(line):
                doi = _clean_doi(m.group())
                if "/" not in doi or doi.endswith("/"):
                    continue
                before = line[max(0, m.start() - 24) : m.start()]
                labelled = bool(_DOI_CONTEXT_RE.search(before)) or (
                    not line[: m.start()].strip() and bool(_DOI_LABEL_END_RE.search(prev_nonempty))
                )
                score = 2 if labelled else 0
                if i in citation_lines:
                    score += 1
                if score == 0 and nonempty_seen > _HEADER_LINES:
                    continue
                if _OTHER_WORK_RE.search(line[: m.start()]):
                    continue  # the study a news story covers, not the page itself
                key = (-score, i, doi)
                if best is None or key < best:
                    best = key
        prev_nonempty = line
    return best[2] if best else None


# --- citation lines -------------------------------------------------------------------------------

_PARTICLE = r"(?:van|von|de|der|den|da|di|del|della|du|dos|das|le|la|bin|al|ten|ter|y)"
_NAME_WORD = r"[A-Z][\w'’]*(?:-[A-Za-z][\w'’]*)*"
_SURNAME = rf"(?:{_PARTICLE}\s)*{_NAME_WORD}(?:\s{_NAME_WORD})?"
_INITIALS = r"[A-Z][a-z]?\.(?:\s?-?[A-Z][a-z]?\.)*"
# "Galluzzi, L., Kroemer, G." / "Kroemer, G., Galassi, C. & Galluzzi, L." / "... et al."
_NATURE_AUTHOR = rf"{_SURNAME},\s{_INITIALS}"
_NATURE_AUTHORS_RE = re.compile(
    rf"^(?P<authors>{_NATURE_AUTHOR}(?:,?\s(?:&\s|and\s)?{_NATURE_AUTHOR})*(?:,?\set\sal\.)?)\s+"
)
# "von Locquenghien M, Rozalén C, Celià-Terrassa T." (Vancouver / PubMed style)
_VANCOUVER_AUTHOR = rf"{_SURNAME}\s[A-Z]{{1,3}}"
_VANCOUVER_AUTHORS_RE = re.compile(
    rf"^(?P<authors>{_VANCOUVER_AUTHOR}(?:,\s{_VANCOUVER_AUTHOR})*(?:,?\set\sal)?)(?:\.\s+|(?=\s\())"
)
_J_WORD = r"(?:[A-Z]|[a-z][A-Z])[\w'’&-]*\.?"
_J_LINK = r"(?:of|and|the|in|for|on|&|de|und)"
_JOURNAL = rf"{_J_WORD}(?:\s(?:{_J_WORD}|{_J_LINK}))*"
_YEAR = r"(?:1[89]|20)\d{2}"
_PAGES = r"[A-Za-z]?\d+(?:[–-][A-Za-z]?\d+)?"
# What may follow a citation on its line: a DOI or URL.
_TAIL = r"(?:[\s.]*(?:https?://\S+|doi:?\s*\S+|10\.\d{4,9}/\S+))*[\s.]*$"
# "Nat Immunol 23, 1300–1302 (2022)."
_CITE_NATURE_RE = re.compile(
    rf"(?:^|(?<=\s))(?P<journal>{_JOURNAL})\s(?P<volume>\d{{1,4}}),\s(?P<pages>{_PAGES})"
    rf"\s\((?P<year>{_YEAR})\){_TAIL}"
)
# "J Clin Invest. 2021;131(1):e143296."
_CITE_VANCOUVER_RE = re.compile(
    rf"(?:^|(?<=\s))(?P<journal>{_JOURNAL})\s(?P<year>{_YEAR})(?:\s[A-Z][a-z]{{2}}(?:\s\d{{1,2}})?)?;"
    rf"\s?(?P<volume>\d{{1,4}})(?:\((?P<issue>[^)]{{1,10}})\))?:\s?(?P<pages>{_PAGES}){_TAIL}"
)
# "PLoS ONE 7(3): e33255." (the year is stated after the authors: "(2012)")
_CITE_PLOS_RE = re.compile(
    rf"(?:^|(?<=\s))(?P<journal>{_JOURNAL})\s(?P<volume>\d{{1,4}})\((?P<issue>[^)]{{1,10}})\):"
    rf"\s?(?P<pages>{_PAGES}){_TAIL}"
)
_PAREN_YEAR_RE = re.compile(rf"\s*\((?P<year>{_YEAR})[a-z]?\)\.?\s+")
_TITLE_END_RE = re.compile(r"(?<=[^\s.])([.?!])\s+(?=[A-Z0-9])")
_CITE_HEADING_RE = re.compile(
    r"^(?:cite this article|how to cite this article|to cite this article|citation|"
    r"please cite this article as|cite as)\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


@dataclass
class _Citation:
    journal: str
    year: int
    authors: list[str] = field(default_factory=list)
    title: str | None = None


def _vancouver_to_family_given(author: str) -> str:
    family, _, initials = author.rpartition(" ")
    return f"{family}, " + " ".join(f"{c}." for c in initials)


def _split_nature_authors(text: str) -> list[str]:
    text = re.sub(r",?\set\sal\.$", "", text)
    parts = re.findall(_NATURE_AUTHOR, text)
    return [p.strip() for p in parts]


def _parse_citation(line: str) -> _Citation | None:
    """A whole line that is a citation of one article: [authors. title.] journal + year."""
    line = line.strip().lstrip("•*·– ").strip()
    if not 10 <= len(line) <= 600:
        return None
    m = (
        _CITE_NATURE_RE.search(line)
        or _CITE_VANCOUVER_RE.search(line)
        or _CITE_PLOS_RE.search(line)
    )
    if m is None:
        return None
    if m.re is _CITE_PLOS_RE:
        stated = _PAREN_YEAR_RE.search(line[: m.start()])
        if stated is None:
            return None
        year = int(stated.group("year"))
    else:
        year = int(m.group("year"))
    if not _plausible_year(year):
        return None
    journal = m.group("journal")
    head = line[: m.end("journal")]
    prefix = line[: m.start("journal")].strip()
    if not prefix:
        return _Citation(journal=journal.rstrip(". "), year=year)
    authors: list[str] = []
    nat = _NATURE_AUTHORS_RE.match(head)
    van = None if nat else _VANCOUVER_AUTHORS_RE.match(head)
    if nat:
        authors = _split_nature_authors(nat.group("authors"))
        rest = head[nat.end() :]
    elif van:
        names = re.split(r",\s", re.sub(r",?\set\sal$", "", van.group("authors")))
        authors = [_vancouver_to_family_given(n) for n in names]
        rest = head[van.end() :]
    else:
        return None  # text before the journal that is not an author list: prose, not a citation
    paren_year = _PAREN_YEAR_RE.match(rest)  # PLoS: "Authors (2012) Title. PLoS ONE 7(3): e1."
    if paren_year:
        rest = rest[paren_year.end() :]
    end = _TITLE_END_RE.search(rest)
    if end is None:
        return _Citation(journal=journal.rstrip(". "), year=year, authors=authors)
    title = rest[: end.start()] + ("" if end.group(1) == "." else end.group(1))
    journal_part = rest[end.end() :].strip()
    if re.fullmatch(_JOURNAL, journal_part):
        journal = journal_part
    else:
        # The title has a full stop of its own ("Part 2. ..."): it runs up to the journal.
        title = rest[: len(rest) - len(journal)].strip().rstrip(".")
    return _Citation(
        journal=journal.rstrip(". "), year=year, authors=authors, title=title.strip() or None
    )


# An article-type label after a running head: "J Immunol 2024; 19: 77-81   REVIEW".
_TRAILING_LABEL_RE = re.compile(r"\s+(?P<label>[A-Za-z][A-Za-z &]{2,30})$")
_WIDE_GAP_RE = re.compile(r"\s{2,}|\s+\|\s+")


def _parse_head_citation(line: str) -> _Citation | None:
    """A citation that is one part of a PDF running head (journal, year; volume: pages)."""
    parts = [p for p in _WIDE_GAP_RE.split(line) if p]
    if len(parts) == 1:
        label = _TRAILING_LABEL_RE.search(line)
        if label is None or not _LABEL_LINE_RE.match(label.group("label")):
            return None
        parts = [line[: label.start()]]
    for part in parts:
        cite = _parse_citation(part)
        if cite is not None and not cite.authors:
            return cite
    return None


def _find_citation(
    lines: list[str], refs: list[bool], text_title: str | None
) -> tuple[_Citation | None, set[int]]:
    """The article's own citation: after a "Cite this article" heading, else a citation line.

    A citation line without such a heading may cite another article (a "related articles"
    box, an unnumbered reference list): it counts only when it is the only one on the page and
    its title, if it has one, is the page's title.
    """
    found: list[tuple[int, int, _Citation]] = []  # (priority, index, citation)
    citation_lines: set[int] = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        heading = _CITE_HEADING_RE.match(stripped) if len(stripped) < 600 else None
        if heading:
            rest = heading.group("rest")
            if rest:
                cite = _parse_citation(rest)
                if cite:
                    found.append((0, i, cite))
                    citation_lines.add(i)
                continue
            seen = 0
            for j in range(i + 1, min(len(lines), i + 8)):
                if not lines[j].strip():
                    continue
                seen += 1
                cite = _parse_citation(lines[j])
                if cite:
                    found.append((0, j, cite))
                    citation_lines.add(j)
                    break
                if seen >= 2:
                    break
            continue
        if refs[i] or not stripped:
            continue
        cite = _parse_citation(stripped)
        if cite is None and ";" in stripped and len(stripped) <= 200:
            cite = _parse_head_citation(stripped)
        if cite:
            found.append((1, i, cite))
            citation_lines.add(i)
    if not found:
        return None, citation_lines
    found.sort(key=lambda t: (t[0], t[1]))
    if found[0][0] == 0:
        return found[0][2], citation_lines
    if text_title is not None:
        key = _squash(text_title)
        for _, _, cite in found:
            if cite.title is not None and _squash(cite.title) == key:
                return cite, citation_lines
    distinct = {(c.journal, c.year, c.title) for _, _, c in found}
    cite = found[0][2]
    if len(distinct) > 1 or (cite.title is not None and text_title is not None):
        return None, citation_lines
    return cite, citation_lines


# --- dates ----------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:(?:\d{{1,2}}\s+)?{_MONTH}\s+(?:\d{{1,2}},?\s+)?(?P<y1>{_YEAR})"
    rf"|(?P<y2>{_YEAR})[-/.]\d{{1,2}}[-/.]\d{{1,2}}"
    rf"|\d{{1,2}}[-/.]\d{{1,2}}[-/.](?P<y3>{_YEAR})"
    rf"|(?P<y4>{_YEAR})\s+{_MONTH}(?:\s+\d{{1,2}})?)\b"
)
_PUBLISHED_RE = re.compile(
    rf"\b(?:published(?:\s+online|\s+in\s+print)?|first\s+published|issue\s+date|"
    rf"date(?:\s+of\s+publication)?|epub)\s*:?\s*(?:on\s+)?{_DATE}",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(rf"(?:©|\(c\)|copyright)\s*(?P<y1>{_YEAR})\b", re.IGNORECASE)


def _plausible_year(year: int) -> bool:
    return 1800 <= year <= _dt.date.today().year + 1


def _find_year(lines: list[str], refs: list[bool]) -> int | None:
    copyright_year: int | None = None
    for i, line in enumerate(lines):
        if refs[i] or not line.strip():
            continue
        m = _PUBLISHED_RE.search(line)
        if m:
            year = int(next(g for g in m.group("y1", "y2", "y3", "y4") if g))
            if _plausible_year(year):
                return year
        if copyright_year is None:
            c = _COPYRIGHT_RE.search(line)
            if c and _plausible_year(int(c.group("y1"))):
                copyright_year = int(c.group("y1"))
    return copyright_year


# --- title and byline -----------------------------------------------------------------------------

_SECTION_HEADINGS = frozenset(
    "abstract introduction background summary methods results discussion conclusion "
    "conclusions keywords contents references acknowledgements acknowledgments".split()
)
_LABEL_LINE_RE = re.compile(
    r"^(?:review(?: article)?|research(?: article)?|article|editorial|news(?: & views)?|"
    r"commentary|perspective|opinion|original (?:article|research)|letter|correspondence|"
    r"brief communication|open access|free access)$",
    re.IGNORECASE,
)
_NEXT_SENTENCE_RE = re.compile(r"[a-z]{2}\.\s+[A-Z][a-z]")
_CHROME_RE = re.compile(
    r"\b(?:skip to|click|read more|cookies?|sign in|log ?in|javascript|subscribe|newsletter|menu|"
    r"browser|download pdf|view pdf)\b",
    re.IGNORECASE,
)
_URLISH_RE = re.compile(r"https?://|www\.|@|\b10\.\d{4,9}/")
_DATEISH_RE = re.compile(rf"\b{_DATE}|\b{_YEAR}-\d{{2}}-\d{{2}}\b", re.IGNORECASE)
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+")
# RIS / MEDLINE tagged lines ("TY  - JOUR", "PMID- 123"): fields, not a title.
_TAGGED_RE = re.compile(r"^[A-Z][A-Z0-9]{1,3}\s{0,3}-\s")


def _metadata_ish(line: str) -> bool:
    """A header line that carries no title: a date/DOI strip, an article-type label."""
    if _LABEL_LINE_RE.match(line):
        return True
    if _URLISH_RE.search(line) and len(line.split()) <= 8:
        return True
    return bool(_DATEISH_RE.search(line)) and len(line.split()) <= 8


def _looks_like_title(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 40 or len(line) > 250:
        return False
    if line.rstrip("\"'’”)]»").endswith((".", ",", ";", ":", "|")) or " | " in line:
        return False
    if _NEXT_SENTENCE_RE.search(line):
        return False  # two sentences ("... advertiser. All opinions are mine alone.")
    first = line[0]
    if not (first.isupper() or first.isdigit() or first in "\"'‘“(["):
        return False
    if words[0].lower().strip(":") in _SECTION_HEADINGS:
        return False
    if _CHROME_RE.search(line) or _URLISH_RE.search(line) or _TAGGED_RE.match(line):
        return False
    letters = sum(c.isalpha() for c in line)
    return letters >= 0.6 * len(line.replace(" ", ""))


def _title_from_text(cleaned_lines: list[str]) -> str | None:
    seen = 0
    for i, raw in enumerate(cleaned_lines):
        line = _MD_HEADING_RE.sub("", raw.strip())
        if not line:
            continue
        seen += 1
        if seen <= 2 and _metadata_ish(line):
            continue
        if not _looks_like_title(line) or _is_byline(line):
            return None
        following = cleaned_lines[i + 1].strip() if i + 1 < len(cleaned_lines) else ""
        if following[:1].islower():
            return None  # a hard-wrapped sentence running on, not a heading
        return line
    return None


_BYLINE_SPLIT_RE = re.compile(r"\s*(?:,\s*(?:and\s+|&\s+)?|\s+and\s+|\s*&\s*|;\s*)")
_MARK = r"[\d*†‡§¶#¹²³⁴⁵⁶⁷⁸⁹⁰]"
_AFFIL_MARKS_RE = re.compile(rf"(?:{_MARK}|,)+$")
# Affiliation marks glued to a name: "Smith1,2*", "Zhang2†", "Vasquez-Oyelaran(1)", "Kim (2,3)".
_GLUED_MARKS_RE = re.compile(
    rf"(?<=[^\W\d_])(?:\s?\(\s*{_MARK}+(?:\s*,\s*{_MARK}+)*\s*\)|{_MARK}+(?:,{_MARK}+)*)"
)
_NAME_TOKEN_RE = re.compile(rf"^(?:{_PARTICLE}|[A-Z][\w'’.]*(?:-[A-Z][\w'’.]*)*)$")
_BY_RE = re.compile(r"^by\s+", re.IGNORECASE)
_MEET_AUTHORS_RE = re.compile(r"^(?:meet the authors?|about the authors?)$", re.IGNORECASE)
_COMMON_WORD_ZIPF = 5.0
_NOT_NAME_WORDS = frozenset(
    "academy association cancer center centre clinic college department division faculty "
    "foundation group hospital immunology institute journal laboratory lab medicine medical "
    "nature network program programme research reviews school science sciences society "
    "unit university press news magazine editorial review article articles online".split()
)


def _family_given(name: str) -> str:
    tokens = name.split()
    for k, tok in enumerate(tokens[1:], start=1):
        if re.fullmatch(_PARTICLE, tok):
            return f"{' '.join(tokens[k:])}, {' '.join(tokens[:k])}"
    return f"{tokens[-1]}, {' '.join(tokens[:-1])}"


def _person_name(part: str) -> str | None:
    part = _AFFIL_MARKS_RE.sub("", part.strip()).strip()
    tokens = part.split()
    if not 2 <= len(tokens) <= 5 or any(ch.isdigit() for ch in part):
        return None
    if not all(_NAME_TOKEN_RE.match(t) for t in tokens):
        return None
    capitalised = [t for t in tokens if t[0].isupper()]
    if len(capitalised) < 2 or not tokens[0][0].isupper():
        return None
    # "Cancer Research Program", "Nature Reviews Immunology": institutions and venues.
    if any(t.rstrip(".").lower() in _NOT_NAME_WORDS for t in tokens):
        return None
    # "Read More Here": ordinary words, not a name (names such as Jane Smith are rarer).
    if all(
        zipf_frequency(t.rstrip("."), "en") >= _COMMON_WORD_ZIPF for t in capitalised if len(t) > 2
    ):
        return None
    return part


def _parse_byline(line: str) -> list[str]:
    line = line.strip()
    by = _BY_RE.match(line)
    if by:
        line = line[by.end() :]
    if not line or len(line) > 600:
        return []
    if line.endswith(".") and not re.search(r"\b[A-Z]\.$", line):
        return []  # a sentence, not a byline (which may end with an initial: "Smith J.")
    names: list[str] = []
    for part in _BYLINE_SPLIT_RE.split(_GLUED_MARKS_RE.sub("", line)):
        if not part:
            continue
        name = _person_name(part)
        if name is None:
            return []
        names.append(name)
    if len(names) >= 2 or (by and names):
        return [_family_given(n) for n in names]
    return []


def _is_byline(line: str) -> bool:
    """An author byline rather than a title: names with affiliation marks, or a list of three
    or more names ("Ann Lee, Bo Kim and Cy Park")."""
    marked = _GLUED_MARKS_RE.search(line) is not None
    if not marked and line.count(",") < 1:
        return False
    names = _parse_byline(line)
    return bool(names) and (marked or len(names) >= 3)


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _byline_after_title(lines: list[str], title: str) -> list[str]:
    key = _squash(title)
    for i, line in enumerate(lines):
        if _squash(_MD_HEADING_RE.sub("", line.strip())) != key:
            continue
        seen = 0
        for nxt in lines[i + 1 : i + 6]:
            if not nxt.strip():
                continue
            seen += 1
            authors = _parse_byline(nxt)
            if authors:
                return authors
            if seen >= 2:
                break
        return []
    return []


# Lines above a PDF title: running heads, page numbers, article-type labels, dates, DOIs.
_PAGE_NUMBER_LINE_RE = re.compile(r"(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*of\s*\d+)?", re.I)
_TITLE_BLOCK_LINES = 3
_BYLINE_LINES = 3
_TOP_LINES = 12
_BYLINE_START_RE = re.compile(rf",|\band\b|&|{_MARK}")


def _head_line(line: str) -> bool:
    return bool(
        _PAGE_NUMBER_LINE_RE.fullmatch(line)
        or _metadata_ish(line)
        or _parse_citation(line)
        or _parse_head_citation(line)
    )


def _join_wrapped(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        out += line if out.endswith("-") else " " + line
    return out


def _title_block(raw_lines: list[str]) -> tuple[str, list[str]] | None:
    """A title wrapped over lines at the top of a PDF text layer and the byline under it.

    The title block follows any running head; it counts only when a byline (names, possibly
    with affiliation marks, possibly wrapped) follows it directly or after one blank line.
    """
    window: list[str] = []
    started = False
    for raw in raw_lines:
        line = " ".join(raw.split())
        if not started:
            if not line or _head_line(line):
                continue
            started = True
        window.append(line)
        if len(window) >= _TOP_LINES:
            break
    for k in range(1, _TITLE_BLOCK_LINES + 1):
        if k > len(window) or not window[k - 1]:
            return None
        title = _join_wrapped(window[:k])
        if not _looks_like_title(title) or _is_byline(title):
            continue
        rest = window[k:]
        if rest and not rest[0]:
            rest = rest[1:]
        if not rest or not _BYLINE_START_RE.search(rest[0]):
            continue
        for m in range(1, _BYLINE_LINES + 1):
            if m > len(rest) or not rest[m - 1]:
                break
            authors = _parse_byline(_join_wrapped(rest[:m]))
            if authors:
                return title, authors
    return None


def _meet_the_authors(lines: list[str]) -> list[str]:
    """Names listed under a "Meet the Author(s)" heading (one bulleted name per line)."""
    for i, line in enumerate(lines):
        if not _MEET_AUTHORS_RE.match(line.strip()):
            continue
        names: list[str] = []
        for nxt in lines[i + 1 : i + 12]:
            stripped = nxt.strip()
            if not stripped:
                continue
            if not stripped.startswith(("•", "*", "-", "·")):
                break
            name = _person_name(stripped.lstrip("•*-· "))
            if name:
                names.append(_family_given(name))
        return names
    return []


# --- public API -------------------------------------------------------------------------------------


def extract_metadata(raw_text: str, cleaned_text: str) -> Metadata:
    """Title, authors, journal, year and DOI where the text states them.

    ``raw_text`` is the page text before cleaning (with its citation and date lines);
    ``cleaned_text`` is the article text after boilerplate removal, whose first line is the
    title when the page has one.
    """
    raw_lines = normalize_text(raw_text).split("\n")
    cleaned_lines = normalize_text(cleaned_text).split("\n")
    refs = _reference_lines(raw_lines)

    text_title = _title_from_text(cleaned_lines)
    block = _title_block(raw_lines)
    if text_title is None and block is not None:
        text_title = block[0]
    citation, citation_lines = _find_citation(raw_lines, refs, text_title)
    doi = _find_doi(raw_lines, refs, citation_lines)
    if doi is None:
        doi = _find_doi(cleaned_lines, _reference_lines(cleaned_lines), set())

    title = citation.title if citation and citation.title else text_title
    authors = list(citation.authors) if citation else []
    if not authors and title:
        authors = _byline_after_title(raw_lines, title) or _byline_after_title(cleaned_lines, title)
        if not authors and block is not None and _squash(block[0]) == _squash(title):
            authors = block[1]
    if not authors:
        authors = _meet_the_authors(raw_lines)

    year = citation.year if citation else _find_year(raw_lines, refs)
    return Metadata(
        title=title,
        authors=authors,
        journal=citation.journal if citation else None,
        year=year,
        doi=doi,
    )


# --- PDF pages: byline, DOI, journal and year from page 1 and the page margins --------------------

_PDF_MARK_AFTER_NAME_RE = re.compile(rf"(?<=[^\W\d_.])\s?{_MARK}+(?:\s?,\s?{_MARK}+)*(?=\s|,|$)")
_PDF_MARK_AFTER_COMMA_RE = re.compile(rf",\s?{_MARK}+(?:,{_MARK}+)*(?=\s|$)")
_PDF_BYLINE_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
_NAME_SUFFIX_RE = re.compile(r"\s+(?:Jr\.?|Sr\.?|II|III|IV)$")


def parse_pdf_byline(text: str) -> list[str]:
    """Authors ("Family, Given") of a PDF byline with affiliation marks, commas and "and"."""
    line = _PDF_MARK_AFTER_COMMA_RE.sub(",", " ".join(text.split()))
    line = _PDF_MARK_AFTER_NAME_RE.sub("", line)
    parts = [p for p in _PDF_BYLINE_SPLIT_RE.split(line) if p.strip(" ,")]
    names: list[str] = []
    for part in parts:
        name = _person_name(_NAME_SUFFIX_RE.sub("", part.strip(" ,")))
        if name is not None:
            names.append(_family_given(name))
    return names if names and len(names) >= 0.5 * len(parts) else []


_PDF_MARGIN_LINES = 3
_DOI_WRAP_END = "./-_"
_DOI_TAIL_TOKEN_RE = re.compile(r"^[\w./()-]+")
_DOI_DIGITS_TOKEN_RE = re.compile(r"^[\d.]{1,12}(?=\s|$)")
# A figure, table or supplement of the article: "10.1371/journal.pone.0115884.g002".
_DOI_PART_RE = re.compile(r"^(?P<doi>.+)\.(?:[gts]\d{3}|sd\d{3})$")
_PDF_PAGE1_WEIGHT = 2.0
_PDF_MARGIN_WEIGHT = 1.0
# "Barnett et al. BMC Evolutionary Biology 2014, 14:70", "F1000Research 2015, 3:190".
_FOOTER_CITE_RE = re.compile(
    rf"^(?:.{{1,80}}?\bet al\.?\s+)?(?P<journal>[A-Z][\w.&'’ -]{{2,80}}?)\s+(?P<year>{_YEAR}),\s?"
    r"\d{1,4}(?:\(\d{1,4}\))?:\s?[A-Za-z]?\d{1,6}\b"
)
# "Stem Cells International" / "Volume 2016, Article ID 2527349, 5 pages".
_VOLUME_YEAR_RE = re.compile(rf"^Volume (?P<year>{_YEAR}), Article ID\b")
# "PLOS ONE | DOI:10.1371/journal.pone.0115884 December 31, 2014 1 / 14".
_PIPE_JOURNAL_RE = re.compile(
    rf"^(?P<journal>[A-Z][\w.&' -]{{2,60}}?)\s\|\s.*?\b(?:{_MONTH}\s+\d{{1,2}},\s+)(?P<year>{_YEAR})\b",
    re.IGNORECASE,
)
_CITE_YEAR_RE = re.compile(
    rf"^(?:cite this article|citation):.{{0,120}}?\b(?P<year>{_YEAR})\b", re.I
)


_CITE_AS_RE = re.compile(r"^(?:how to )?cite this article(?: as)?\s*:|^citation\s*:", re.I)
_CITE_CONTEXT = 2  # lines on either side of a "Cite this article as:" line


def _margin_lines(pages: list[str]) -> list[tuple[int, str]]:
    """(page index, line) of page 1, of the first and last lines of every other page and of
    the lines around a "Cite this article as:" line (BMC prints the DOI there, at the end)."""
    out: list[tuple[int, str]] = []
    for number, page in enumerate(pages):
        lines = [line.strip() for line in page.split("\n") if line.strip()]
        if number == 0:
            out.extend((0, line) for line in lines)
            continue
        keep = set(range(min(_PDF_MARGIN_LINES, len(lines))))
        keep.update(range(max(0, len(lines) - _PDF_MARGIN_LINES), len(lines)))
        for i, line in enumerate(lines):
            if _CITE_AS_RE.match(line):
                keep.update(
                    range(max(0, i - _CITE_CONTEXT), min(len(lines), i + _CITE_CONTEXT + 1))
                )
        out.extend((number, lines[i]) for i in sorted(keep))
    return out


def _dois_in(lines: list[tuple[int, str]]) -> Counter_t:
    scores: Counter_t = {}
    for k, (page, line) in enumerate(lines):
        for m in _DOI_RE.finditer(line):
            doi = m.group()
            rest = line[m.end() :].strip()
            nxt = lines[k + 1] if k + 1 < len(lines) else None
            if not rest and nxt is not None and nxt[0] == page:
                tail = _DOI_TAIL_TOKEN_RE.match(nxt[1]) if doi[-1] in _DOI_WRAP_END else None
                tail = tail or _DOI_DIGITS_TOKEN_RE.match(nxt[1])
                if tail is not None:
                    doi += tail.group()
            doi = _clean_doi(doi)
            if "/" not in doi or doi.endswith("/"):
                continue
            part = _DOI_PART_RE.match(doi)
            if part is not None:
                doi = part.group("doi")
            weight = _PDF_PAGE1_WEIGHT if page == 0 else _PDF_MARGIN_WEIGHT
            scores[doi] = scores.get(doi, 0.0) + weight
    return scores


Counter_t = dict[str, float]


def _pdf_year_and_journal(lines: list[tuple[int, str]]) -> tuple[int | None, str | None]:
    years: Counter_t = {}
    journals: Counter_t = {}
    prev = ""
    for _, line in lines:
        for pattern in (_FOOTER_CITE_RE, _PIPE_JOURNAL_RE):
            m = pattern.match(line)
            if m is not None:
                years[m.group("year")] = years.get(m.group("year"), 0.0) + 1.0
                journal = m.group("journal").strip()
                journals[journal] = journals.get(journal, 0.0) + 1.0
                break
        else:
            m = _VOLUME_YEAR_RE.match(line) or _CITE_YEAR_RE.match(line)
            if m is not None:
                years[m.group("year")] = years.get(m.group("year"), 0.0) + 1.0
                if m.re is _VOLUME_YEAR_RE and _looks_like_title(prev):
                    journals[prev] = journals.get(prev, 0.0) + 1.0
        prev = line
    year = max(years, key=lambda y: years[y]) if years else None
    journal = max(journals, key=lambda j: journals[j]) if journals else None
    if year is not None and not _plausible_year(int(year)):
        year = None
    return (int(year) if year else None), journal


def pdf_metadata(pages: list[str]) -> Metadata:
    """DOI, journal and year stated on page 1 and in the running heads and footers.

    The article's DOI is the one stated most often there (footers repeat it; a DOI wrapped
    at a line end is rejoined; figure DOIs count for the article's); DOIs of references and
    referee reports, later in the text, are never looked at.
    """
    # Only ASCII matters here (DOIs, years): no mojibake repair, which is slow on long texts.
    lines = _margin_lines([p.replace("\r", "").replace("\u00a0", " ") for p in pages])
    scores = _dois_in(lines)
    doi = max(scores, key=lambda d: scores[d]) if scores else None  # ties: first seen
    year, journal = _pdf_year_and_journal(lines)
    return Metadata(doi=doi, year=year, journal=journal)
