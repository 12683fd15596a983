"""Semantic match of summary claims against reference key points.

``match_score(claim, key_point)`` combines

* **embedding cosine** of static WordLlama embeddings (``litdigest.llm.embed``; offline), which
  catches paraphrase ("raises" / "induces", "TLS-high" / "many tertiary lymphoid
  structures"), and
* a **lexical** part over content words (lower-cased, stop words removed, light suffix
  stemming, British spellings folded): the share of the key point's words found in the
  claim (*containment*) and the in-order share (*LCS recall*), which is what separates "A
  induces B" from "B induces A" when both use the same words.

``score = W_EMBED * cosine + W_CONTAIN * containment + W_ORDER * lcs_recall``; a key point is
covered by a claim when the score reaches ``MATCH_THRESHOLD``. The threshold is calibrated on
``evals/calibration/pairs.yaml`` (labelled pairs, with hard negatives) by ``calibrate``, which
picks the threshold maximising F1 (ties: the midpoint of the best plateau);
``tests/test_eval_match.py`` recomputes it and fails when the stored value is no longer best.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "MATCH_THRESHOLD",
    "Calibration",
    "LabelledPair",
    "Matcher",
    "calibrate",
    "content_tokens",
    "lexical_features",
    "load_pairs",
    "match_score",
    "stem",
]

W_EMBED: Final = 0.5
W_CONTAIN: Final = 0.25
W_ORDER: Final = 0.25
# Calibrated on evals/calibration/pairs.yaml (see the module docstring and README "Evaluation").
MATCH_THRESHOLD: Final = 0.25

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
activate activates activated boost boosted boosts prolong prolonged prolongs better""".split()
_DOWN_WORDS: Final = """decrease decreases decreased reduce reduces reduced reducing lower
lowered lowers shorter less fewer inhibit inhibits inhibited suppress suppresses suppressed
block blocks blocked impair impairs impaired prevent prevents prevented worse blunt blunts
blunted abolish abolished diminish diminished""".split()
_NEGATIONS: Final = frozenset({"not", "no", "without", "neither", "nor", "never", "cannot"})
POLARITY_PENALTY: Final = 0.25


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
    order = _lcs(kp, cl) / len(kp)
    return containment, order


def combine(cosine: float, containment: float, order: float, conflict: bool = False) -> float:
    score = W_EMBED * max(cosine, 0.0) + W_CONTAIN * containment + W_ORDER * order
    return max(score - POLARITY_PENALTY, 0.0) if conflict else score


def conflicting(claim: str, key_point: str) -> bool:
    """True when claim and key point state opposite directions (see ``polarity``)."""
    a, b = polarity(claim), polarity(key_point)
    return a != 0 and b != 0 and a != b


def match_score(claim: str, key_point: str) -> float:
    """Match score of one claim and one key point (see the module docstring)."""
    from litdigest.llm.embed import similarity

    containment, order = lexical_features(claim, key_point)
    return combine(similarity(claim, key_point), containment, order, conflicting(claim, key_point))


class Matcher:
    """Scores claims against key points in batches (one embedding call per batch)."""

    def __init__(self, threshold: float = MATCH_THRESHOLD) -> None:
        self.threshold = threshold

    def matrix(self, claims: Sequence[str], key_points: Sequence[str]) -> npt.NDArray[np.float64]:
        """``scores[i, j]`` = match score of ``claims[i]`` and ``key_points[j]``."""
        import numpy as np

        from litdigest.llm.embed import embed

        scores = np.zeros((len(claims), len(key_points)), dtype=np.float64)
        if not claims or not key_points:
            return scores
        vectors = embed([*claims, *key_points])
        cos = vectors[: len(claims)] @ vectors[len(claims) :].T
        for i, claim in enumerate(claims):
            for j, kp in enumerate(key_points):
                containment, order = lexical_features(claim, kp)
                scores[i, j] = combine(float(cos[i, j]), containment, order, conflicting(claim, kp))
        return scores

    def matches(self, claim: str, key_point: str) -> bool:
        return match_score(claim, key_point) >= self.threshold


# --------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True, slots=True)
class LabelledPair:
    claim: str
    key_point: str
    match: bool
    hard: bool = False  # a hard negative: same entities, another relation


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
                item["claim"], item["key_point"], item["match"], bool(item.get("hard", False))
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
    import numpy as np

    from litdigest.llm.embed import embed

    claims = embed([p.claim for p in pairs])
    kps = embed([p.key_point for p in pairs])
    cos = np.sum(claims * kps, axis=1)
    out: list[float] = []
    for p, c in zip(pairs, cos, strict=True):
        containment, order = lexical_features(p.claim, p.key_point)
        out.append(combine(float(c), containment, order, conflicting(p.claim, p.key_point)))
    return out


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
