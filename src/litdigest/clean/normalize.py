"""Character-level normalisation applied to every text before cleaning.

``normalize_text`` never joins or splits lines (apart from turning CRLF/CR and Unicode line
separators into ``\\n``): later stages rely on the line structure.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

__all__ = ["normalize_text"]

# ftfy only where mojibake can be: it must not restyle normal text, so quotes stay curly,
# full-width characters stay full-width and HTML entities are left to the HTML readers.
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_line_breaks=False,  # done below, so that only \r and the Unicode separators change
    normalization=None,  # NFC is applied below, on every text
    explain=False,
)

# Spaces that should be plain spaces: NBSP, the U+2000 block (en/em/thin/hair spaces...),
# narrow NBSP, medium mathematical space, ideographic space, Ogham space mark.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# Invisible characters dropped outright: soft hyphen, zero-width space/joiners, word joiner,
# invisible operators, BOM / zero-width no-break space, Mongolian vowel separator,
# bidi marks and embeddings.
_INVISIBLE = (
    "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# C0 controls except \t and \n (\r is handled first), DEL and C1 controls.
_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_CONTROLS += "".join(chr(c) for c in range(0x7F, 0xA0))

_TRANSLATE = str.maketrans({**dict.fromkeys(_SPACES, " "), **dict.fromkeys(_INVISIBLE + _CONTROLS)})

_LINE_BREAKS_RE = re.compile("\r\n?|[\u0085\u2028\u2029]")
# The em dash of some RIS exports comes out as " g- " between two words ("agents g- including").
# Not after a digit: "5 g- and 10 g-doses" is a unit with a suspended hyphen.
_G_DASH_RE = re.compile(r"(?<=[^\W\d_)\]]) g- (?=[^\W\d_(\[])")
# ftfy can only find something to fix outside ASCII (HTML entities are not its job here).
_NEEDS_FTFY_RE = re.compile(r"[^\x00-\x7f]")


def normalize_text(text: str) -> str:
    """Unicode/whitespace normalisation and mojibake repair; keeps line structure.

    * CRLF, CR, NEL and the Unicode line/paragraph separators become ``\\n``;
    * mojibake (UTF-8 read as Latin-1/Windows-1252 and similar) is repaired with ftfy,
      configured not to touch curly quotes, dashes or character widths; Latin ligatures
      (``ﬁ``) are expanded;
    * Unicode NFC;
    * NBSP, thin and other fixed-width spaces become a plain space;
    * soft hyphens, zero-width characters, bidi controls and control characters other than
      ``\\n`` and ``\\t`` are removed;
    * the ``" g- "`` dash of RIS exports becomes ``" — "``;
    * trailing spaces and tabs are stripped from every line.
    """
    if not text:
        return text
    if "\r" in text or "\u0085" in text or "\u2028" in text or "\u2029" in text:
        text = _LINE_BREAKS_RE.sub("\n", text)
    text = text.translate(_TRANSLATE)
    if _NEEDS_FTFY_RE.search(text):
        fixed = ftfy.fix_text(text, _FTFY_CONFIG)
        if fixed != text:
            text = fixed.translate(_TRANSLATE)  # a repaired mojibake NBSP is a space too
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
    if " g- " in text:
        text = _G_DASH_RE.sub(" \u2014 ", text)
    # Per line rather than a `[ \t]+$` regex, which backtracks quadratically on long runs of spaces.
    return "\n".join(line.rstrip(" \t") for line in text.split("\n"))
