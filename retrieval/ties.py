"""Exact ties broken by what tells the tied entries apart.

Entries of one family often differ in a word or two: 心脏/肝脏/肾脏移植医师执业资格认定, 临时/变更/转让
海域使用权审批. When the question's words match only what they share, their scores come out exactly
equal, and the order used to be the slot number: a coin toss. A caller asking about 肝移植 names
the character that sets one of them apart, even where the word segmenter cut 肝脏 and 肝 differently.

Within a run of equal scores, each entry gets the count of its own distinctive characters (those no
other tied entry has) that the question contains, less the count of the others' distinctive
characters that the question contains. The run is reordered by that count, best first; equal counts
keep their order. Scores are not changed, and nothing moves out of its run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from retrieval.tokenize import normalize

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Two fused scores count as equal when they differ by less than this share: in practice the same float
# (an entry family's identical BM25 term sums, RRF's equal rank pairs), not scores merely close.
TIE_TOLERANCE = 1e-9
# A run of equal scores is read at most this many places past ``depth``: one common word can tie
# hundreds of entries, and ordering them all would cost the query more than it could gain.
RUN_OVERHANG = 10


def chars(text: str) -> frozenset[str]:
    """The letters, digits and Han characters of ``text``, normalised (full-width, traditional, case)."""
    return frozenset(_NOT_WORD.sub("", normalize(text)))


def contrast(asked: frozenset[str], own: Sequence[frozenset[str]]) -> list[int]:
    """For each of the tied entries (their character sets ``own``): its distinctive characters the
    question has, less the other entries' distinctive characters the question has.

    >>> q = chars("肝移植的医生资格认定")
    >>> contrast(q, [chars("心脏移植医师"), chars("肝脏移植医师"), chars("肾脏移植医师")])
    [-1, 1, -1]
    """
    # a character is one entry's own when no other tied entry has it; the others' own characters
    # the question names are, for an entry, the asked characters some other entry has and it lacks
    seen = Counter(c for s in own for c in s & asked)
    return [
        sum(1 for c in mine & asked if seen[c] == 1) - sum(1 for c in seen if c not in mine) for mine in own
    ]


def break_ties(
    query: str,
    ranked: list[int],
    score: Mapping[int, float],
    chars_of: Callable[[int], frozenset[str]],
    depth: int,
) -> list[int]:
    """``ranked`` (best first) with each run of equal scores that starts within the first ``depth``
    places reordered by ``contrast`` (a run is read up to ``RUN_OVERHANG`` places past ``depth``, so
    an entry just past it can move in); the rest as it was. ``chars_of(slot)``: ``chars`` of the
    entry's question (the engine memoises it per slot)."""
    asked: frozenset[str] | None = None
    out = list(ranked)
    i, end, stop = 0, min(depth, len(out)), min(depth + RUN_OVERHANG, len(out))
    while i < end:
        j = i + 1
        while j < stop and _equal(score[out[i]], score[out[j]]):
            j += 1
        if j - i > 1:
            if asked is None:
                asked = chars(query)
            run = out[i:j]
            counts = contrast(asked, [chars_of(s) for s in run])
            if any(counts):
                order = sorted(range(len(run)), key=lambda k: -counts[k])
                out[i:j] = [run[k] for k in order]
        i = j
    return out


def _equal(a: float, b: float) -> bool:
    return abs(a - b) <= TIE_TOLERANCE * max(abs(a), abs(b), 1e-12)
