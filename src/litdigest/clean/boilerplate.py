"""Boilerplate removal for scraped page text.

The text is cut into units (lines; hard-wrapped lines of one paragraph are one unit). Each unit
gets a class from language-agnostic features in the manner of jusText: BAD (a known boilerplate
phrase, a widget, a reference entry, a byline or affiliation), GOOD (long prose: many words, many
function words, sentence punctuation), SHORT or NEAR. The main content region is the run of units
with the largest total weight (GOOD counts its words, everything else costs), found in one pass;
nearby GOOD units (a standfirst separated by widgets) are attached to it, and so are heavy runs of
prose close before or after it (an article cut in two by a widget). Headings of teaser lists
("Most read", "More from ...") are barriers the region does not cross, and the headlines after
them are dropped. Inside the region every unit that is not BAD is kept, and tail sections
(references, competing interests, author information...) are skipped; prose that repeats prose
already kept (a second copy of the article) is dropped. Figure captions are kept wherever they
are. The title is chosen among the heading-like units just before the first kept region and
becomes the first line.

Text whose main content was already extracted (``find_region=False``, the HTML path) is cleaned
strictly: only units that are clearly boilerplate go, never a prose sentence that merely mentions
a subscription or an advert.

Kept lines are verbatim except for stripped ends, collapsed runs of spaces and a stock-photo
credit glued between a caption and a paragraph ("...immune cellsISTOCK; NAMEAfter a ...").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from wordfreq import get_frequency_list, top_n_list


@dataclass
class BoilerplateStats:
    lines_kept: int = 0
    lines_dropped: int = 0
    duplicates_dropped: int = 0


class Kind(IntEnum):
    BAD = 0
    SHORT = 1
    NEAR = 2
    GOOD = 3


_STOPWORD_LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "id", "sv", "tr", "cs")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    words: set[str] = set()
    for lang in _STOPWORD_LANGS:
        words.update(w for w in top_n_list(lang, 120) if w.isalpha())
        # wordfreq caches each language's whole frequency list (~30 MB apiece) for the life
        # of the process; only the top words are needed, so let the lists go.
        get_frequency_list.cache_clear()
    return frozenset(words)


_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]{2,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TRUNCATED = re.compile(r"\w\s*(?:\.\.\.|…)$")
_SENTENCE_END = re.compile(r"""[.!?。！？…:;"”’)»]\s*$""")
_CAPTION = re.compile(
    r"^(?:Fig(?:ure)?\.?|Extended Data Fig\.?|Supplementary Fig(?:ure)?\.?|Table|Box|Scheme)\s*"
    r"S?\d+[A-Za-z]?\s*[:.|–—-]\s*\S",
    re.IGNORECASE,
)

# A whole unit that is one of these is boilerplate (case-insensitive, trailing ':' or '|' ignored).
_BAD_FULL = re.compile(
    r"^(?:"
    r"share(?: this(?: article| story| post| page)?)?(?: on \w+)?|shares?|tweet|e-?mail|print|"
    r"facebook|twitter|linkedin|whatsapp|pinterest|reddit|flipboard|telegram|youtube|instagram|"
    r"rss(?: feed)?|copy(?: the)? link|save(?: article)?|bookmark|comments?|\d+ comments?|reply|like|"
    r"like this|like loading\.*|follow(?: us)?(?: on \w+)?|advertisement|advertising|sponsored|"
    r"ad|skip to (?:main )?content|skip navigation|menu|main menu|search|search for|close|open|"
    r"log ?in|log ?out|sign ?in|sign ?up|sign ?out|register|subscribe(?: now)?|next|previous|prev|"
    r"back to top|top|read more|more|see more|show more|load more|home|toggle navigation|"
    r"navigation|view (?:pdf|article|full text|this issue|all|more)|download(?: pdf| article)?|"
    r"pdf|full text|cite|cite this(?: article)?|download citation|download references|references|"
    r"bibliography|notes|footnotes|related(?: articles| content| stories| posts| links)?|"
    r"relevant articles|recommended(?: articles| for you)?|keywords|tags|topics|access options|"
    r"buy article|purchase(?: article)?|reprints(?: and permissions)?|rights and permissions|"
    r"permissions|about this article|author information|authors and affiliations|affiliations|"
    r"corresponding authors?|ethics declarations|competing interests|additional information|"
    r"supplementary information|acknowledg(?:e)?ments|funding|quick links|"
    r"this article is cited by|cited by|metrics|article metrics|published|issue date|doi|"
    r"meet the authors?|about the authors?|listen(?: to this article)?|listen with \w+|"
    r"\d{1,2}:\d{2}(?::\d{2})?|[|•·]?\s*\d+\s*min(?:ute)?s?\s*read|play|pause|mute|"
    r"loading\.*|sorry!?|thanks for signing up!?|advertisement\s*-\s*scroll to continue|"
    r"continue reading(?: below)?|show comments|hide comments|leave a (?:comment|reply)|"
    r"post a comment|add a comment|view comments|photo|image|video|gallery|credit|source|"
    r"print this (?:page|article)|email this (?:page|article)|text size|font size|"
    r"[a-z]{2}|[^\w\s]+|\d+|(?:updated\s+)?\d+\s*(?:[smhdw]|mins?|hours?|hrs?|days?|weeks?)\s+ago|"
    r"\d{4}-\d\d-\d\dt[\d:.+-]+z?|[$€£]\s?\d[\d.,]*|"
    r"(?:image|photo|slide)?\s*\d+\s*(?:of|/)\s*/?\s*\d*|caption|back to (?:gallery|article)|"
    r"view all(?: \(\d+\))?|share (?:via|by) (?:e-?mail|\w+)|share all sharing options|pocket|"
    r"(?:give|send(?: us)?) feedback|like this article\?|(?:previous|next) (?:article|story|post)|"
    r"share your thoughts(?: with friends)?\.?|thanks for watching!?(?: visit website)?|"
    r"breaking news (?:e-?mails|alerts)|(?:author|publish(?:ed)? date|tags(?: terms)?|you are at)"
    r")\s*[:|]?$",
)

# Headings that open a section to skip until content resumes.
_TAIL_HEADING = re.compile(
    r"^(?:\d+\.?\s*)?(?:notes|footnotes|endnotes|download references|author information|"
    r"authors and affiliations|about the authors?|meet the authors?|author bios?|"
    r"ethics declarations|competing interests|conflicts? of interest(?: statement)?|"
    r"declaration of (?:competing )?interests?|disclosures?|funding(?: information| sources)?|"
    r"acknowledg(?:e)?ments|author contributions|rights and permissions|reprints and permissions|"
    r"about this article|cite this article|this article is cited by|cited by|"
    r"supplementary (?:information|materials?)|additional information|data availability(?: statement)?)"
    r"\s*:?$",
)

# Phrases that mark a unit of any length as boilerplate.
_BAD_STRONG = re.compile(
    r"browser version with limited support|turn off compatibility mode|"
    r"(?:we|this (?:site|website)) uses? cookies|accept (?:all )?cookies|cookie (?:policy|settings)|"
    r"preview of subscription content|subscription is required|"
    r"declares? (?:having held|no competing|no conflict)|have no (?:competing|conflicts? of) interests?",
)

# Phrases that mark a (shortish) unit as boilerplate wherever they occur in it.
_BAD_PHRASE = re.compile(
    r"cookie|browser version|javascript|turn off compatibility mode|"
    r"preview of subscription content|access via your institution|subscription (?:content|options)|"
    r"\bsubscri(?:be|ber|ption|bing)|sign (?:up|in) (?:for|to)|already (?:a member|subscribed|have an account)|"
    r"log ?in here|newsletter|your inbox|to your inbox|register for free|"
    r"(?:buy|purchase|order) (?:this )?(?:article|issue|site pass|online|now|access)|"
    r"full (?:online )?access|free articles?|articles? (?:left )?this month|unlimited access|"
    r"time limited|all prices|prices? (?:are|include|outside)|"
    r"find articles by|google scholar|pubmed|crossref|\bcas\b|web of science|"
    r"correspondence to|address correspondence|e-?mail(?: address)?:|"
    r"all rights reserved|©|\(c\) ?\d{4}|copyright|terms (?:of|and) (?:use|service|conditions)|"
    r"privacy (?:policy|statement|notice|settings)|"
    r"reprints|permissions|crossmark|download (?:pdf|citation|references|article)|"
    r"cite this article|view (?:pdf|this issue|article)|verify currency|"
    r"related (?:articles|content|stories|posts)|you may also like|recommended for you|"
    r"read (?:more|next):|more info|version history|"
    r"listen (?:to|with)|speechify|\d+\s*min(?:ute)? read|"
    r"follow us|share (?:this|on)|like us on|"
    r"leave a (?:comment|reply)|comments? (?:are|policy)|post was not sent|"
    r"image credit|photo credit|credit:|getty images|shutterstock|istock|"
    r"click here|troubleshooting tips|librarian or administrator|"
    r"competing interests?|conflicts? of interest|declares? (?:no|having|that)|"
    r"advertis(?:e|ement|ing)|sponsored|promoted|"
    r"open access articles citing|this article is cited by|published (?:online|in volume)|"
    r"issue date|accepted:|received:|first published|originally published|"
    r"scroll to continue|loading\.\.\.|enable javascript",
)
_BAD_PHRASE_MAX_CHARS = 320

# Openers of a comment thread or reference list: everything after them is dropped.
# A bare "Comment(s)" / "Response(s)" / "Replies" heading opens a comment thread on a web page
# but is an article section in a PDF (case reports, correspondence): see ``comment_tail``.
_COMMENT_HEADING = re.compile(r"^(?:\d+\s+)?(?:comments?|responses?|replies)(?:\s*\(\d+\))?\s*:?$")
_HARD_TAIL = re.compile(
    r"^(?:leave|post|add|write) a (?:comment|reply|response)|^join the (?:discussion|conversation)|"
    r"^(?:\d+\.?\s*)?(?:references(?: and notes)?|bibliography|literature cited|works cited)\s*:?$|"
    r"^.{2,80}\b(?:says|said|wrote|commented)\s*:?$|"
    r"^.{2,60}\bon\s.{4,40}\bat\s+\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?)?.{0,20}$",
)

# Headings of teaser lists (other stories of the site): after article prose they end the article.
_TEASER_HEADING = re.compile(
    r"^(?:more (?:great |top |recent )?(?:[\w'’.-]+ ){0,3}(?:stories|articles|news|headlines|videos|posts)|"
    r"more (?:from|on|in|articles from|stories from) .{1,40}|"
    r"most (?:read|popular|viewed|shared|commented|recent)(?: .{1,40})?|top (?:stories|news|headlines)|"
    r"latest (?:news|stories|articles|headlines|videos|posts)(?: .{1,40})?|trending(?: now| stories| news)?|"
    r"popular (?:now|stories|articles|posts|news)|(?:we|editors?['’]?s?) (?:recommend|picks?)|"
    r"recommended(?: stories| reading| articles| videos| for you)?|"
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|(?:what to )?read (?:next|also)|"
    r"related (?:articles|stories|posts|content|coverage|reading|news|videos)|"
    r"(?:partner|other|related) news(?: .{1,40})?|(?:next )?up next(?: in .{1,40})?|"
    r"next up in .{1,40}|elsewhere (?:on|in|at) .{1,40}|don['’]t miss|around the web|"
    r"from (?:our|the) partners|(?:sponsored|promoted|partner) (?:content|stories|links)|"
    r"more to explore|in case you missed it|also (?:read|see|on .{1,40})|see also)\s*[:.]?$",
)
_TEASER_MAX_CHARS = 60
_GALLERY_ITEM = re.compile(r"^\d{1,3} (?:of|/) \d{1,3} ")  # "2 of 4 A shopper looks at ..."

# Stock-photo credits glued to the caption before and the paragraph after them, as copied from
# a page: "cancer cellsISTOCK; SELVANEGRAAfter a seemingly ..." -> "After a seemingly ...".
_GLUED_CREDIT = re.compile(
    r"^.{0,200}?[a-z0-9)”\"'’](?:ISTOCK(?:PHOTO)?|GETTY IMAGES|SHUTTERSTOCK|ALAMY(?: STOCK PHOTO)?)"
    r"(?:\s*[;,/|]\s*[A-Z][A-Z0-9 .'’&-]*?)?(?=[A-Z][a-z])"
)

# Reference entries: "12. Smith, J. ..." / "[3] ..." with years, volumes, pages.
_REF_START = re.compile(r"^\s*(?:\[\d{1,3}\]|\d{1,3}[.)]|\(\d{1,3}\))\s+\S")
_REF_SIGNS = re.compile(
    r"\bet al\b|\(\d{4}[a-z]?\)|\b(?:19|20)\d\d\b[;.,]|\b\d+\s*[,:]\s*\d+\s*[–-]\s*\d+|"
    r"\bdoi\b|\bvol\.|\bpp?\.\s*\d|[A-Z][a-z]+,\s(?:[A-Z]\.\s?){1,3}[,&]",
)
_AUTHOR_INITIALS = re.compile(r"(?:\b[A-Z][\w'’-]+,?\s(?:[A-Z]\.\s?-?){1,3}(?:,|&|and\b|$))")

_BYLINE = re.compile(
    r"^(?:by|von|par|por|di|door|написал|автор)\s+[\w .,'’&-]{2,80}$|"
    r"^(?:posted|published|updated|written|reviewed|edited|photograph|photo|image)\s+(?:by|on|at)\b|"
    r"^@\w+$",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_ONLY = re.compile(
    rf"^(?:(?:published|updated|posted|last updated|date|on)\s*:?\s*)?[\w,]*\s*"
    rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|\d{{4}}-\d\d-\d\d|"
    rf"\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})"
    rf"(?:,?\s*(?:at\s*)?\d{{1,2}}[:.]\d\d\s*(?:[ap]\.?m\.?)?\s*\w{{0,4}})?\s*(?:[•|·-].{{0,40}})?$",
    re.IGNORECASE,
)
_AFFILIATION = re.compile(
    r"\b(?:universit\w*|institut\w*|department|dept\.|hospital|cent(?:er|re)|school of|college|"
    r"laborator\w*|faculty|clinic|foundation|program(?:me)?|division of|unit)\b",
    re.IGNORECASE,
)
# Institution words that (unlike "center", "unit", "program") rarely appear outside affiliations.
_AFFILIATION_STRICT = re.compile(
    r"\b(?:universit\w*|institut\w*|department|dept\.|hospital|school of|college|"
    r"laborator\w*|faculty)\b",
    re.IGNORECASE,
)
_BYLINE_MAX_WORDS = 10
# Promotional sentences that stay boilerplate in extracted text, however prose-like.
_PROMO = re.compile(
    r"^(?:listen to .{0,60}\blive\b|get .{0,60} delivered|follow @?\w+ on \w+ to)|click here\b|"
    r"(?:sign up|subscribe) (?:for|to) (?:our|the) (?:free )?(?:\w+ )?newsletter|"
    r"(?:we|\w+) may (?:receive|earn) (?:a )?(?:small )?(?:commission|compensation)|"
    r"(?:prices|quantities) (?:are subject to|may) change|"
    r"this (?:article|story|post) (?:was|is) (?:originally )?(?:published|produced|sponsored) by",
)
_NAME = (
    r"[A-ZÀ-Þ][\w'’.-]*(?:\s+(?:(?:von|van|de|der|del|da|di|la|le)\s+)?[A-ZÀ-Þ][\w'’.-]*){1,3}"
    r"(?:,?[\d*†‡]+(?:,[\d*†‡]+)*|\s?\(\d+(?:,\s?\d+)*\))?"
)
_ONLY_NAMES = re.compile(rf"^{_NAME}(?:(?:\s*,|,?\s+and|\s*&|(?<=[\d*†‡]))\s+{_NAME})+\.?$")

_REGION_COST = {Kind.BAD: -6.0, Kind.SHORT: -4.0, Kind.NEAR: -2.0}
_GOOD_OFFSET = 8.0
_ISOLATED = 0.2  # weight factor of a GOOD unit with no GOOD neighbour (teasers in link lists)
_ATTACH_GAP = 4  # units: a GOOD unit this close to the region joins it (standfirst after widgets)
_ATTACH_AFTER = 3
_TITLE_WINDOW = 40
# A second run of prose continues the article when it is this close, heavy and not tiny beside it.
_SECOND_LOOK = 80
_REPEAT_MIN_WORDS = 25  # a kept unit this long whose 4-grams were mostly kept already is a copy
_REPEAT_SHARE = 0.8
_SECOND_GAP = 16
_SECOND_MIN = 40.0
_SECOND_SHARE = 0.3


@dataclass
class _Unit:
    lines: list[str]  # verbatim (cleaned) lines
    block: int  # index of the blank-line-separated block
    text: str = ""
    low: str = ""  # lower-cased text: the phrase patterns are lower-case and case-sensitive
    kind: Kind = Kind.SHORT
    words: int = 0
    caption: bool = False
    reference: bool = False
    tail: bool = False
    dup: bool = False
    teaser: bool = False  # heading of a teaser list ("Most read", "More from ..."): a barrier
    repeated: bool = False  # GOOD text that occurs more than once on the page


def _clean_line(line: str) -> str:
    line = _SPACES.sub(" ", line.strip())
    if "ISTOCK" in line or "GETTY" in line or "SHUTTERSTOCK" in line or "ALAMY" in line:
        line = _GLUED_CREDIT.sub("", line, count=1)
    return line


def _continues(prev: str, nxt: str) -> bool:
    """True when ``nxt`` looks like the wrapped continuation of ``prev`` (hard-wrapped text)."""
    if not prev or not nxt or _SENTENCE_END.search(prev):
        return False
    first = nxt[0]
    return first.islower() or prev.endswith("-")


def _units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    block = 0
    current: _Unit | None = None
    for raw in text.splitlines():
        line = _clean_line(raw)
        if not line:
            block += 1
            current = None
            continue
        if current is not None and current.block == block and _continues(current.lines[-1], line):
            current.lines.append(line)
            continue
        current = _Unit(lines=[line], block=block)
        units.append(current)
    for unit in units:
        unit.text = " ".join(unit.lines)
        unit.low = unit.text.lower()
    return units


def _word_count(text: str, words: list[str]) -> int:
    if text.isascii():
        return len(words)
    cjk = len(_CJK.findall(text))
    return len(words) + cjk // 2 if cjk else len(words)


def _is_reference(text: str) -> bool:
    if _REF_START.match(text):
        return len(_REF_SIGNS.findall(text)) >= 1 or bool(_AUTHOR_INITIALS.search(text))
    return len(_REF_SIGNS.findall(text)) >= 2 and bool(_AUTHOR_INITIALS.search(text))


def _is_affiliation(text: str, words: list[str], stop_ratio: float, strict: bool) -> bool:
    if len(words) > 45 or not (_AFFILIATION_STRICT if strict else _AFFILIATION).search(text):
        return False
    return text.count(",") >= 1 and stop_ratio < 0.2


def _is_good(unit: _Unit, text: str, words: list[str], stop_ratio: float) -> bool:
    """Long prose: many words, many function words, sentence punctuation."""
    n_chars = len(text)
    sentence_end = bool(_SENTENCE_END.search(text))
    if unit.words != len(words):  # CJK
        return (n_chars >= 40 and sentence_end) or n_chars >= 80
    return (
        unit.words >= 10
        and stop_ratio >= 0.2
        and (sentence_end or unit.words >= 16)
        and len(_DIGIT.findall(text)) / n_chars < 0.2
    )


def _classify(unit: _Unit, drop_references: bool, strict: bool = False) -> None:
    """Set ``unit.kind``; ``strict`` (already extracted text) drops only clear boilerplate."""
    text = unit.text
    words = _WORD.findall(text)
    unit.words = _word_count(text, words)
    unit.caption = bool(_CAPTION.match(text))
    if not words:
        unit.kind = Kind.BAD
        return
    n_chars = len(text)
    low = unit.low
    if n_chars <= _TEASER_MAX_CHARS and _TEASER_HEADING.match(low):
        unit.teaser = True
        unit.kind = Kind.BAD
        return
    if (
        _BAD_FULL.match(low)
        or (unit.words <= _BYLINE_MAX_WORDS and _BYLINE.match(text))
        or _DATE_ONLY.match(text)
        or _GALLERY_ITEM.match(text)
    ):
        unit.kind = Kind.BAD
        return
    stop = _stopwords()
    stop_ratio = sum(w.lower() in stop for w in words) / len(words)
    # In extracted text a prose sentence that merely mentions a subscription or an advert is
    # article text; only the strong phrases (and promo sentences) condemn it.
    phrase = (
        n_chars <= _BAD_PHRASE_MAX_CHARS
        and not unit.caption
        and bool(_BAD_PHRASE.search(low))
        and not (strict and _is_good(unit, text, words, stop_ratio))
    )
    if _BAD_STRONG.search(low) or phrase or (strict and _PROMO.search(low)):
        unit.kind = Kind.BAD
        return
    if _is_reference(text):
        unit.reference = True
        if drop_references:
            unit.kind = Kind.BAD
            return
    if _is_affiliation(text, words, stop_ratio, strict) or (
        unit.words <= 30 and "," in text and _ONLY_NAMES.match(text) and stop_ratio < 0.15
    ):
        unit.kind = Kind.BAD
        return
    if _is_good(unit, text, words, stop_ratio):
        unit.kind = Kind.GOOD
    elif unit.words >= 7 and (stop_ratio >= 0.12 or _SENTENCE_END.search(text)):
        unit.kind = Kind.NEAR
    else:
        unit.kind = Kind.SHORT


def _region(units: list[_Unit], lo: int = 0, hi: int | None = None) -> tuple[int, int, float]:
    """Maximum-weight run of units in ``units[lo:hi]`` (Kadane); returns [start, end) and weight."""
    best, best_span = 0.0, (lo, lo)
    total, start = 0.0, lo
    last = len(units) - 1
    for i in range(lo, len(units) if hi is None else hi):
        unit = units[i]
        if unit.kind is Kind.GOOD:
            weight = unit.words - _GOOD_OFFSET
            if (i == 0 or units[i - 1].kind is not Kind.GOOD) and (
                i == last or units[i + 1].kind is not Kind.GOOD
            ):
                weight *= _ISOLATED
        else:
            weight = _REGION_COST[unit.kind]
        if unit.teaser:  # the article does not run across a teaser list's heading
            total = 0.0
            continue
        if total <= 0:
            total, start = 0.0, i
        total += weight
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span[0], best_span[1], best


def _continuations(
    units: list[_Unit], start: int, end: int, weight: float
) -> list[tuple[int, int]]:
    """Other parts of the article, before or after a widget or teaser box that interrupts it.

    A run of prose within ``_SECOND_GAP`` units of the region that weighs at least ``_SECOND_MIN``
    (and a fair share of the main region) belongs to the article.
    """
    spans: list[tuple[int, int]] = []
    need = max(_SECOND_MIN, _SECOND_SHARE * weight)
    while end < len(units):
        start2, end2, weight2 = _region(units, end, min(len(units), end + _SECOND_LOOK))
        if end2 <= start2 or start2 - end > _SECOND_GAP or weight2 < need:
            break
        spans.append((start2, end2))
        end = end2
    while start > 0:
        start2, end2, weight2 = _region(units, max(0, start - _SECOND_LOOK), start)
        if end2 <= start2 or start - end2 > _SECOND_GAP or weight2 < need:
            break
        spans.append((start2, end2))
        start = start2
    return spans


def _attach(units: list[_Unit], start: int, end: int) -> tuple[int, int]:
    """Grow the region over GOOD units separated from it by a few non-GOOD units."""
    i, gap = start - 1, 0
    while i >= 0 and gap <= _ATTACH_GAP and start - i <= 3 * _ATTACH_GAP:
        if units[i].teaser:
            break
        if units[i].kind is Kind.GOOD and not units[i].tail and not units[i].repeated:
            start, gap = i, 0
        elif units[i].kind is not Kind.BAD:
            gap += 1  # widgets (BAD units) between standfirst and body do not count
        i -= 1
    if end < len(units) and units[end].kind is not Kind.BAD and _TRUNCATED.search(units[end].text):
        end += 1  # the cut-off start of a paywalled body: "Using engineered mice injected with ..."
    j = end
    while j < len(units) and j - end < _ATTACH_AFTER:
        if units[j].tail or units[j].teaser:
            break
        if units[j].kind is Kind.GOOD:
            end = j + 1
        j += 1
    return start, end


def _mark_tails(units: list[_Unit], first: int, comment_tail: bool = True) -> None:
    """Mark tail sections (references, author info, competing interests...) from ``first`` on.

    A tail section runs until a heading-like unit that is not a tail heading is followed by prose.
    With ``comment_tail`` a bare "Comments" / "Responses" / "Replies" heading ends the article.
    """
    in_tail = False
    heading = [bool(_TAIL_HEADING.match(u.low)) for u in units]
    teasers = False
    for i in range(first, len(units)):
        unit = units[i]
        if unit.teaser:
            teasers = True  # the teaser items (headlines, dates) up to the next prose
            continue
        if teasers:
            if unit.kind is Kind.GOOD:
                teasers = False
            else:
                unit.tail = True
        if i > first and (
            _HARD_TAIL.match(unit.low) or (comment_tail and _COMMENT_HEADING.match(unit.low))
        ):
            for rest in units[i:]:
                rest.tail = True
            return
        if heading[i]:
            in_tail = True
            unit.tail = True
            continue
        if in_tail:
            if unit.kind is Kind.GOOD and not unit.reference and i:
                # content resumes after a fresh (non-tail) heading-like unit followed by prose
                prev = units[i - 1]
                if not heading[i - 1] and prev.kind in (Kind.SHORT, Kind.NEAR):
                    in_tail = False
                    continue
            unit.tail = True


def _mark_duplicates(units: list[_Unit]) -> int:
    keys = [" ".join(_WORD.findall(u.text.lower())) for u in units]
    counts = Counter(keys)
    seen: set[str] = set()
    dups = 0
    for unit, key in zip(units, keys, strict=True):
        if not key:
            continue
        repeated_chrome = key in seen and unit.kind in (Kind.BAD, Kind.SHORT)
        if unit.kind is Kind.GOOD and counts[key] >= 2:
            unit.repeated = True  # gallery captions and teasers recur; article paragraphs do not
        if (
            repeated_chrome
            or (counts[key] >= 3 and unit.kind is not Kind.GOOD)
            or (key in seen and unit.kind is Kind.GOOD)
        ):
            unit.dup = True
            dups += 1
        seen.add(key)
    return dups


def _drop_repeated_prose(units: list[_Unit], keep: list[bool]) -> int:
    """Unkeep long kept units whose word 4-grams mostly occurred in earlier kept units.

    Pages often carry the article twice (an AMP or print copy, a JSON teaser of the full text).
    """
    seen: set[tuple[str, ...]] = set()
    dropped = 0
    for i, unit in enumerate(units):
        if not keep[i]:
            continue
        words = _WORD.findall(unit.low)
        grams = {tuple(words[j : j + 4]) for j in range(max(1, len(words) - 3))}
        if (
            unit.words >= _REPEAT_MIN_WORDS
            and seen
            and (sum(g in seen for g in grams) >= _REPEAT_SHARE * len(grams))
        ):
            keep[i] = False
            dropped += 1
            continue
        seen.update(grams)
    return dropped


def _title_like(unit: _Unit) -> bool:
    return (
        unit.kind in (Kind.SHORT, Kind.NEAR)
        and 2 <= unit.words <= 30
        and len(unit.text) <= 250
        and not unit.text.endswith((".", ":", ",", ";"))
        and not unit.caption
        and not unit.reference
        and not unit.dup
        and sum(c.isdigit() for c in unit.text) <= len(unit.text) * 0.2
        and not _ONLY_NAMES.match(unit.text)
    )


def _pick_title(units: list[_Unit], start: int) -> int | None:
    lo = max(0, start - _TITLE_WINDOW)
    candidates = [i for i in range(lo, start) if _title_like(units[i])]
    if not candidates:
        return None
    # A unit that the page's first line (often the <title>, "Title - Site") starts with wins.
    first = units[0].text.lower()
    for i in reversed(candidates):
        if i > 0 and units[i].words >= 3 and first.startswith(units[i].text.lower()):
            return i
    return candidates[-1]


def _analyse(
    text: str, drop_references: bool, find_region: bool = True, comment_tail: bool = True
) -> tuple[list[_Unit], list[bool], int | None, int]:
    """Units of ``text``, which to keep, the title unit and the number of duplicates."""
    units = _units(text)
    if not units:
        return [], [], None, 0
    for unit in units:
        _classify(unit, drop_references, strict=not find_region)
    # Extracted text keeps repeats (table headers, product bullets); pages repeat their chrome.
    duplicates = _mark_duplicates(units) if find_region else 0
    spans: list[tuple[int, int]] = []
    if not find_region:
        start, end = 0, len(units)
        _mark_tails(units, start, comment_tail)
    else:
        start, end, weight = _region(units)
        _mark_tails(units, start, comment_tail)
        if end > start:
            start, end = _attach(units, start, end)
            spans.extend(_continuations(units, start, end, weight))
    spans.insert(0, (start, end))
    keep = [False] * len(units)
    for lo, hi in spans:
        for i in range(lo, hi):
            unit = units[i]
            keep[i] = unit.kind is not Kind.BAD and not unit.tail and not unit.dup
    for i, unit in enumerate(units):
        if unit.caption and not unit.reference and not unit.dup:
            keep[i] = True
    if find_region:
        duplicates += _drop_repeated_prose(units, keep)
    if not find_region:
        title = 0 if units[0].kind is not Kind.BAD and not units[0].tail else None
    else:
        title = _pick_title(units, min(lo for lo, _ in spans)) if end > start else None
    if title is not None:
        keep[title] = True
    return units, keep, title, duplicates


def strip_boilerplate(
    text: str, *, drop_references: bool = True, find_region: bool = True, comment_tail: bool = True
) -> tuple[str, BoilerplateStats]:
    """Keep title, standfirst/abstract, body paragraphs and figure captions; drop the rest.

    The title, when present, is the first line of the result. Paragraphs are separated by a
    blank line. With ``find_region=False`` (text whose main content was already isolated, e.g. by
    trafilatura) only boilerplate units, tail sections and duplicates are dropped and the first
    unit is taken as the title. ``comment_tail=False`` (text from a PDF) keeps what follows a
    "Comment(s)", "Response(s)" or "Replies" heading: there it is a section of the article.
    """
    units, keep, title, duplicates = _analyse(text, drop_references, find_region, comment_tail)
    stats = BoilerplateStats(duplicates_dropped=duplicates)
    out: list[str] = []
    if title is not None:
        out.append(units[title].text)
    prev: int | None = None
    for i, unit in enumerate(units):
        if not keep[i] or i == title:
            continue
        joined = "\n".join(unit.lines)
        if out and prev is not None and prev == i - 1 and units[prev].block == unit.block:
            out[-1] += "\n" + joined
        else:
            out.append(joined)
        prev = i
    kept_lines = sum(len(u.lines) for u, k in zip(units, keep, strict=True) if k)
    stats.lines_kept = kept_lines
    stats.lines_dropped = sum(len(u.lines) for u in units) - kept_lines
    return "\n\n".join(out), stats


def paragraph_is_boilerplate(text: str) -> bool:
    """Is this one paragraph (of text whose article was already isolated, e.g. a PDF's)
    boilerplate: a licence, byline, affiliation, widget, reference entry...?"""
    unit = _Unit(lines=[_clean_line(text)], block=0)
    unit.text = unit.lines[0]
    unit.low = unit.text.lower()
    if not unit.text:
        return True
    _classify(unit, drop_references=True, strict=True)
    return unit.kind is Kind.BAD and not unit.caption
