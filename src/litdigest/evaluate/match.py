"""Semantic match of summary claims against reference key points.

A claim *covers* a key point when both hold:

* the **salient-term gate**: the key point's salient terms (``litdigest.terms``: gene,
  protein, cytokine, cell-type, drug and pathway names, rare domain words) are present in the
  claim or its quotes — at least ``TERM_GATE`` of its names (symbols, cell types, drugs) and
  *every* number it states; the claim does not state the opposite direction
  (``polarity``); and the shared words come mostly in the key point's order (``ORDER_GATE``:
  a word salad does not match);
* the **score** reaches ``MATCH_THRESHOLD``:
  ``W_EMBED * cosine + W_CONTAIN * containment + W_ORDER * lcs_recall + W_TERMS * terms``,
  where ``cosine`` is the static WordLlama embedding similarity (``litdigest.llm.embed``,
  offline), ``containment`` / ``lcs_recall`` the share of the key point's content words found
  in the claim (in order for the latter), and ``terms`` the share of its salient terms the
  statement itself states (the gate also looks in the quotes; the score does not); a key
  point with no salient term gets its ``containment`` there, not a free 1 (broad key points
  would otherwise match any sentence of the same field).

``MatchParts`` keeps every part of one comparison (for the report's explanations). The
threshold is calibrated on the ``train`` pairs of ``evals/calibration/pairs.yaml`` by
``calibrate`` (F1-maximising; ties: the midpoint of the best plateau) and the matcher is
reported on the ``heldout`` pairs; ``tests/test_eval_match.py`` recomputes the threshold and
fails when the stored value is no longer best.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from litdigest.terms import Number, Term, numbers, present, salient_terms, term_keys

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "COHERENCE_GATE",
    "MATCH_THRESHOLD",
    "TERM_GATE",
    "Calibration",
    "LabelledPair",
    "MatchParts",
    "Matcher",
    "calibrate",
    "coherent",
    "content_tokens",
    "evaluate_pairs",
    "lexical_features",
    "load_pairs",
    "match_score",
    "stem",
]

W_EMBED: Final = 0.5
W_CONTAIN: Final = 0.15
W_ORDER: Final = 0.15
W_TERMS: Final = 0.15
# Share of the key point's names (symbols, cell types, drugs) the claim must contain.
TERM_GATE: Final = 0.5
# The in-order share of the key point's words must reach this fraction of the shared share.
ORDER_GATE: Final = 0.5
# Calibrated on the train pairs of evals/calibration/pairs.yaml (see the module docstring).
MATCH_THRESHOLD: Final = 0.26

STOPWORDS: Final = frozenset(
    """a about above after again against all also although among an and any are as at be
    because been before being both but by can could did do does during each either for from
    further had has have having here how however i if in into is it its itself may might more
    most much must no nor not of on once only or other our out over own per rather same
    several should so some such than that the their them then there these they this those
    through thus to too under until up upon very via was we were what when where whereas
    whether which while who whom whose why will with within without would yet""".split()
)
# "no"/"not"/"more" are stop words for overlap; polarity is left to the order and embedding.

_TOKEN_RE: Final = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES: Final = (
    "ations",
    "ation",
    "ings",
    "ing",
    "edly",
    "ed",
    "ies",
    "es",
    "s",
    "ly",
    "ion",
    "ions",
)
_SPELLING: Final = (("our", "or"), ("ise", "ize"), ("yse", "yze"), ("oe", "e"), ("ae", "e"))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light stem of a lower-case word: British spellings folded, one common suffix removed."""
    if word.isdigit() or len(word) <= 3:
        return word
    for old, new in _SPELLING:
        if old in word and not word.startswith(old):
            word = word.replace(old, new)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix == "ies":
                base += "y"
            return base.rstrip("e") if len(base) > 4 else base
    return word.rstrip("e") if len(word) > 4 else word


def content_tokens(text: str) -> list[str]:
    """Stemmed content words of ``text``, in order (numbers kept, stop words dropped)."""
    return [stem(t) for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


_UP_WORDS: Final = """increase increases increased increasing raise raised raises enhance enhanced
enhances higher longer more greater promote promotes promoted improve improves improved
improving extend extended extends expand expands expanded stimulate stimulates stimulated
activate activates activated boost boosted boosts prolong prolonged prolongs better restore
restores restored restoring upregulate upregulates upregulated upregulating""".split()
_DOWN_WORDS: Final = """decrease decreases decreased reduce reduces reduced reducing lower
lowered lowers shorter less fewer inhibit inhibits inhibited suppress suppresses suppressed
block blocks blocked impair impairs impaired prevent prevents prevented worse blunt blunts
blunted abolish abolished diminish diminished downregulate downregulates downregulated
downregulating""".split()
_NEGATIONS: Final = frozenset({"not", "no", "without", "neither", "nor", "never", "cannot"})


@lru_cache(maxsize=1)
def _direction_stems() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(map(stem, _UP_WORDS)), frozenset(map(stem, _DOWN_WORDS))


def polarity(text: str) -> int:
    """+1 / -1 when ``text`` states an increase / a decrease (negations flip it), else 0.

    A crude, purely lexical cue: "X raises Y" vs "X lowers Y" (or "does not raise Y")
    share their content words and embed alike, but state opposite things.
    """
    up, down = _direction_stems()
    words = _TOKEN_RE.findall(text.lower())
    stems = [stem(w) for w in words]
    balance = sum(s in up for s in stems) - sum(s in down for s in stems)
    if balance == 0:
        return 0
    sign = 1 if balance > 0 else -1
    return -sign if sum(w in _NEGATIONS for w in words) % 2 else sign


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def lexical_features(claim: str, key_point: str) -> tuple[float, float]:
    """(containment, lcs_recall) of the key point's content words in the claim."""
    kp = content_tokens(key_point)
    if not kp:
        return 0.0, 0.0
    cl = content_tokens(claim)
    claim_set = set(cl)
    unique = list(dict.fromkeys(kp))
    containment = sum(t in claim_set for t in unique) / len(unique)
    kp_set = set(kp)
    order = _lcs(kp, [t for t in cl if t in kp_set]) / len(kp)  # other words cannot count
    return containment, order


# A statement whose words shared with its own quotes come in another order is a word salad.
COHERENCE_GATE: Final = 0.45
COHERENCE_WINDOW: Final = 120  # content words of the statement checked (bounds the LCS)


def coherent(statement: str, quotes: str) -> bool:
    """True unless the statement's words shared with its quotes (4 or more) mostly come in
    another order than in the quotes (shuffled words restate nothing)."""
    if " ".join(statement.split()) in " ".join(quotes.split()):
        return True  # the statement is a passage of its quotes
    said = content_tokens(statement)[:COHERENCE_WINDOW]
    quoted = content_tokens(quotes)
    common = set(said) & set(quoted)
    if len(common) < 4:
        return True
    a = [t for t in said if t in common]
    b = [t for t in quoted if t in common][: 4 * COHERENCE_WINDOW]
    return _lcs(a, b) >= COHERENCE_GATE * min(len(a), len(b))


def combine(cosine: float, containment: float, order: float, terms: float = 1.0) -> float:
    return W_EMBED * max(cosine, 0.0) + W_CONTAIN * containment + W_ORDER * order + W_TERMS * terms


def conflicting(claim: str, key_point: str) -> bool:
    """True when claim and key point state opposite directions (see ``polarity``)."""
    a, b = polarity(claim), polarity(key_point)
    return a != 0 and b != 0 and a != b


@dataclass(frozen=True, slots=True)
class KeyPointTerms:
    """The salient terms of one key point, split by how strictly they are required."""

    names: tuple[Term, ...]
    words: tuple[Term, ...]
    numbers: tuple[Number, ...]

    @classmethod
    @lru_cache(maxsize=4096)
    def of(cls, key_point: str) -> KeyPointTerms:
        found = sorted(salient_terms(key_point), key=lambda t: t.key)
        unique = {n.key: n for n in numbers(key_point)}
        return cls(
            names=tuple(t for t in found if t.kind != "word"),
            words=tuple(t for t in found if t.kind == "word"),
            numbers=tuple(unique.values()),
        )


@dataclass(frozen=True, slots=True)
class MatchParts:
    """Every part of one claim / key-point comparison."""

    cosine: float
    containment: float
    order: float
    terms: float  # share of the key point's salient terms and numbers in the statement
    names: float  # share of its names (symbols, cell types, drugs) present (1 if none)
    numbers_ok: bool  # every number of the key point is present
    conflict: bool
    missing: tuple[str, ...]  # keys of the absent salient terms and numbers
    score: float

    @property
    def in_order(self) -> bool:
        """The shared words come mostly in the key point's order (not a word salad)."""
        return self.order >= ORDER_GATE * self.containment - 1e-9

    @property
    def gated(self) -> bool:
        return (
            self.names >= TERM_GATE - 1e-9
            and self.numbers_ok
            and not self.conflict
            and self.in_order
        )

    def covers(self, threshold: float = MATCH_THRESHOLD) -> bool:
        return self.gated and self.score >= threshold - 1e-9

    def as_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 4),
            "cosine": round(self.cosine, 4),
            "containment": round(self.containment, 4),
            "order": round(self.order, 4),
            "terms": round(self.terms, 4),
            "names": round(self.names, 4),
            "numbers_ok": self.numbers_ok,
            "conflict": self.conflict,
            "in_order": self.in_order,
            "missing_terms": list(self.missing),
        }


@lru_cache(maxsize=65536)
def match_parts(claim: str, key_point: str, cosine: float, evidence: str = "") -> MatchParts:
    """Parts of one comparison; ``evidence`` (the claim's quotes) also counts for the terms."""
    kp = KeyPointTerms.of(key_point)
    keys = term_keys(f"{claim}\n{evidence}" if evidence else claim)
    own = term_keys(claim)  # the score reads the statement; the gate also its quotes
    wanted: list[Term | Number] = [*kp.names, *kp.words, *kp.numbers]
    found = [present(t, keys) for t in wanted]
    said = [present(t, own) for t in wanted] if evidence else found
    names = found[: len(kp.names)]
    nums = found[len(kp.names) + len(kp.words) :]
    missing = tuple(t.key for t, ok in zip(wanted, found, strict=True) if not ok)
    containment, order = lexical_features(claim, key_point)
    # a key point without salient terms earns no free term credit: its words must be there
    terms = sum(said) / len(said) if said else containment
    return MatchParts(
        cosine=cosine,
        containment=containment,
        order=order,
        terms=terms,
        names=sum(names) / len(names) if names else 1.0,
        numbers_ok=all(nums),
        conflict=conflicting(claim, key_point),
        missing=missing,
        score=combine(cosine, containment, order, terms),
    )


def match_score(claim: str, key_point: str) -> float:
    """Match score of one claim and one key point; 0 when the term gate fails."""
    from litdigest.llm.embed import similarity

    parts = match_parts(claim, key_point, similarity(claim, key_point))
    return parts.score if parts.gated else 0.0


class Matcher:
    """Scores claims against key points in batches (one embedding call per batch)."""

    def __init__(self, threshold: float = MATCH_THRESHOLD) -> None:
        self.threshold = threshold

    def parts(
        self,
        claims: Sequence[str],
        key_points: Sequence[str],
        evidence: Sequence[str] | None = None,
    ) -> list[list[MatchParts]]:
        """``parts[i][j]``: claim ``i`` (with its quotes ``evidence[i]``) vs key point ``j``."""
        from litdigest.llm.embed import embed

        if not claims or not key_points:
            return [[] for _ in claims]
        vectors = embed([*claims, *key_points])
        cos = vectors[: len(claims)] @ vectors[len(claims) :].T
        ev = list(evidence) if evidence is not None else [""] * len(claims)
        return [
            [
                match_parts(claim, kp, round(float(cos[i, j]), 6), ev[i])
                for j, kp in enumerate(key_points)
            ]
            for i, claim in enumerate(claims)
        ]

    def matrix(
        self,
        claims: Sequence[str],
        key_points: Sequence[str],
        evidence: Sequence[str] | None = None,
    ) -> npt.NDArray[np.float64]:
        """``scores[i, j]``: the match score, 0 where the term gate fails."""
        import numpy as np

        scores = np.zeros((len(claims), len(key_points)), dtype=np.float64)
        for i, row in enumerate(self.parts(claims, key_points, evidence)):
            for j, p in enumerate(row):
                scores[i, j] = p.score if p.gated else 0.0
        return scores

    def matches(self, claim: str, key_point: str) -> bool:
        return match_score(claim, key_point) >= self.threshold - 1e-9


# --------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True, slots=True)
class LabelledPair:
    claim: str
    key_point: str
    match: bool
    hard: bool = False  # a hard negative: same entities, another relation
    kind: str = ""
    split: str = "train"  # train | heldout (never tune on held-out pairs)


@dataclass(frozen=True, slots=True)
class Calibration:
    threshold: float
    f1: float
    precision: float
    recall: float
    n_pairs: int
    n_positive: int


def load_pairs(path: Path) -> list[LabelledPair]:
    """Labelled pairs from a calibration YAML (``pairs: [{claim, key_point, match}]``)."""
    import yaml

    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a mapping with a 'pairs' list")
    pairs: list[LabelledPair] = []
    for i, item in enumerate(items):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("claim"), str)
            and isinstance(item.get("key_point"), str)
            and isinstance(item.get("match"), bool)
        ):
            raise ValueError(f"{path}: pairs[{i}] needs claim, key_point (text) and match (bool)")
        pairs.append(
            LabelledPair(
                item["claim"],
                item["key_point"],
                item["match"],
                bool(item.get("hard", False)),
                str(item.get("kind", "")),
                str(item.get("split", "train")),
            )
        )
    return pairs


def _prf(scores: Sequence[float], labels: Sequence[bool], t: float) -> tuple[float, float, float]:
    tp = sum(s >= t and y for s, y in zip(scores, labels, strict=True))
    fp = sum(s >= t and not y for s, y in zip(scores, labels, strict=True))
    fn = sum(s < t and y for s, y in zip(scores, labels, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return f1, p, r


def pair_scores(pairs: Sequence[LabelledPair]) -> list[float]:
    """Match score of each pair (0 where the term gate fails)."""
    import numpy as np

    from litdigest.llm.embed import embed

    claims = embed([p.claim for p in pairs])
    kps = embed([p.key_point for p in pairs])
    cos = np.sum(claims * kps, axis=1)
    out: list[float] = []
    for p, c in zip(pairs, cos, strict=True):
        parts = match_parts(p.claim, p.key_point, float(c))
        out.append(parts.score if parts.gated else 0.0)
    return out


def evaluate_pairs(pairs: Sequence[LabelledPair], threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of the matcher at ``threshold`` on ``pairs``."""
    f1, precision, recall = _prf(pair_scores(pairs), [p.match for p in pairs], threshold)
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": float(len(pairs))}


def calibrate(pairs: Sequence[LabelledPair], *, step: float = 0.01) -> Calibration:
    """The threshold (on a ``step`` grid) maximising F1 on ``pairs``; ties → plateau midpoint."""
    scores = pair_scores(pairs)
    labels = [p.match for p in pairs]
    grid = [round(i * step, 10) for i in range(round(1 / step) + 1)]
    results = [(t, *_prf(scores, labels, t)) for t in grid]
    best = max(r[1] for r in results)
    plateau = [r for r in results if abs(r[1] - best) < 1e-12]
    # the longest contiguous run of best thresholds, then its midpoint on the grid
    runs: list[list[tuple[float, float, float, float]]] = []
    for row in plateau:
        if runs and abs(row[0] - runs[-1][-1][0] - step) < 1e-9:
            runs[-1].append(row)
        else:
            runs.append([row])
    run = max(runs, key=len)
    t, f1, precision, recall = run[len(run) // 2]
    return Calibration(
        threshold=t,
        f1=f1,
        precision=precision,
        recall=recall,
        n_pairs=len(pairs),
        n_positive=sum(labels),
    )
