"""Who acts on whom: a dependency-free reading of the agent and patient sides of a statement.

"CD8 T cells kill M2 macrophages" and "M2 macrophages suppress CD8 T cells" share their names
and embed alike, but the names swap roles. ``sides`` splits a statement at its first relation
verb (``RELATION_VERBS``): the salient terms before it are the agent side, those after it the
patient side; a passive ("X is induced by Y", "X induced by Y") swaps the two, and a
participle modifying the subject ("X released by Y induces Z") is passed over for the next verb. ``swapped`` is True when one name
is an agent in the key point and a patient in the claim *and* another name goes the other way
(a one-sided shift — "IFN-γ from T cells" vs "T cells release IFN-γ" — is not a swap).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from litdigest.terms import normalise, salient_terms

__all__ = ["RELATION_VERBS", "sides", "swapped"]

_VERB_STEMS: Final = """bind:binds:bound engage:engages:engaged kill:kills:killed lyse:lyses:lysed
eliminate:eliminates:eliminated suppress:suppresses:suppressed inhibit:inhibits:inhibited
activate:activates:activated induce:induces:induced produce:produces:produced
secrete:secretes:secreted release:releases:released express:expresses:expressed
recruit:recruits:recruited attract:attracts:attracted drive:drives:drove:driven
promote:promotes:promoted block:blocks:blocked target:targets:targeted
recognise:recognises:recognised:recognize:recognizes:recognized convert:converts:converted
cleave:cleaves:cleaved stimulate:stimulates:stimulated upregulate:upregulates:upregulated
downregulate:downregulates:downregulated repress:represses:repressed
trigger:triggers:triggered mediate:mediates:mediated enhance:enhances:enhanced
impair:impairs:impaired prevent:prevents:prevented regulate:regulates:regulated
control:controls:controlled deplete:depletes:depleted restrain:restrains:restrained
dampen:dampens:dampened limit:limits:limited increase:increases:increased
decrease:decreases:decreased reduce:reduces:reduced raise:raises:raised lower:lowers:lowered
cause:causes:caused protect:protects:protected select:selects:selected
signal:signals:signalled:signaled license:licenses:licensed prime:primes:primed
present:presents:presented sense:senses:sensed lead:leads:led
contribute:contributes:contributed draw:draws:drew:drawn make:makes:made
sustain:sustains:sustained support:supports:supported maintain:maintains:maintained
consume:consumes:consumed starve:starves:starved deprive:deprives:deprived
exclude:excludes:excluded trap:traps:trapped disable:disables:disabled
reprogram:reprograms:reprogrammed repolarise:repolarises:repolarised:repolarize:repolarizes:repolarized"""
# Verbs of "X acts on Y" (every form listed: no stemming, so nouns like "release" of a
# compound are rare false hits and only move the split point).
RELATION_VERBS: Final = frozenset(w for group in _VERB_STEMS.split() for w in group.split(":"))
_BE: Final = frozenset({"is", "are", "was", "were", "be", "been", "being"})
_TOKEN_RE: Final = re.compile(r"[^\W_]+(?:[-+/][^\W_]+)*\+?")
_PASSIVE_REACH: Final = 8  # tokens after the verb in which a passive's "by" is looked for


def _by_follows(tokens: list[tuple[str, int]], i: int) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1][0] == "by"


@lru_cache(maxsize=16384)
def sides(text: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(agent, patient) term keys of ``text`` around its first relation verb; None without one.
    A term on both sides counts on neither."""
    text = normalise(text)
    tokens = [(m.group().lower(), m.start()) for m in _TOKEN_RE.finditer(text)]
    verbs = [i for i, (w, _) in enumerate(tokens) if w in RELATION_VERBS]
    if not verbs:
        return None
    verb = verbs[0]
    if _by_follows(tokens, verb) and len(verbs) > 1:
        verb = verbs[1]  # "X released by Y induces Z": the participle modifies the subject
    at = tokens[verb][1]
    after = [w for w, _ in tokens[verb + 1 : verb + 1 + _PASSIVE_REACH]]
    # "X is induced by Y", and the reduced "X induced by Y"
    passive = _by_follows(tokens, verb) or (
        verb > 0 and tokens[verb - 1][0] in _BE and "by" in after
    )
    low = text.lower()
    before: set[str] = set()
    later: set[str] = set()
    for term in salient_terms(text):
        if term.text.lower() in RELATION_VERBS:
            continue
        i = low.find(term.text.lower())
        if i >= 0:
            (before if i < at else later).add(term.key)
    agent, patient = frozenset(before - later), frozenset(later - before)
    return (patient, agent) if passive else (agent, patient)


def swapped(claim: str, key_point: str) -> bool:
    """True when two names swap roles between the key point and the claim (see module doc)."""
    a, b = sides(claim), sides(key_point)
    if a is None or b is None:
        return False
    (c_agent, c_patient), (k_agent, k_patient) = a, b
    return bool(k_agent & c_patient) and bool(k_patient & c_agent)
