"""Chinese tokenizer for BM25: normalisation, jieba with a government dictionary, synonyms, stopwords.

The same ``Tokenizer`` runs at index time and at query time, so a synonym or a filler is treated
identically on both sides. Pipeline:

1. normalise: NFKC (full-width → half-width), traditional → simplified (zhconv), lower case;
2. drop spoken fillers (我想问一下, 请问, 那个, 嗯 ...) and punctuation;
3. segment with jieba (search mode: whole words plus their dictionary sub-words), using a user
   dictionary of shipped government terms, every synonym, and names taken from the KB
   (matters, departments, regions) added with ``add_words``;
4. rewrite each token to its canonical synonym (公积金 → 住房公积金), drop stopwords.

>>> Tokenizer().tokenize("我想投诉小区噪音扰民")
['投诉', '小区', '噪声', '扰民']

The fast path ``rjieba`` (jieba-rs) is used only when it gives exactly jieba's tokens with the same
user dictionary; ``Tokenizer.check_backend`` tests that on sample texts.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Literal

import zhconv

TOKENIZER_FORMAT = 1
Backend = Literal["jieba", "rjieba"]

_PUNCT = re.compile(
    r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~·…—“”‘’、，。？！；：（）《》【】]+"
)
_WORD = re.compile(r"[\w]", re.UNICODE)


def _data(name: str) -> str:
    return resources.files("retrieval").joinpath(f"data/{name}").read_text("utf-8")


def _lines(name: str) -> list[str]:
    return [ln.strip() for ln in _data(name).splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def shipped_terms() -> tuple[str, ...]:
    """The shipped list of government terms (retrieval/data/gov_terms.txt)."""
    return tuple(_lines("gov_terms.txt"))


@lru_cache(maxsize=1)
def shipped_synonyms() -> dict[str, str]:
    """variant -> canonical term, from retrieval/data/synonyms.txt."""
    out: dict[str, str] = {}
    for ln in _lines("synonyms.txt"):
        canonical, _, variants = ln.partition("\t")
        for v in variants.split("|"):
            v = v.strip()
            if v and v != canonical:
                out[normalize(v)] = normalize(canonical)
    return out


@lru_cache(maxsize=1)
def shipped_stopwords() -> frozenset[str]:
    return frozenset(normalize(w) for w in _lines("stopwords.txt"))


# Spoken fillers removed as phrases before segmentation: jieba would otherwise glue them to content
# (我想问一下社保 → 我想/问一下社保). Longest first so 我想问一下 wins over 我想.
FILLERS = (
    "我想问一下",
    "我想问问",
    "我想咨询一下",
    "想咨询一下",
    "我想了解一下",
    "想了解一下",
    "我想知道",
    "请问一下",
    "问一下",
    "麻烦问一下",
    "麻烦问下",
    "你好请问",
    "您好请问",
    "请问",
    "你好",
    "您好",
    "喂喂",
    "喂",
    "那个那个",
    "就是说",
    "然后呢",
    "嗯嗯",
    "嗯",
    "呃",
    "额",
    "谢谢",
)
_FILLER_RE = re.compile("|".join(re.escape(f) for f in sorted(FILLERS, key=len, reverse=True)))


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), traditional → simplified, lower case."""
    text = unicodedata.normalize("NFKC", text)
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        text = zhconv.convert(text, "zh-hans")
    return text.lower()


def strip_fillers(text: str) -> str:
    """Remove spoken fillers (请问, 我想问一下, 嗯 ...) from normalised text."""
    return _FILLER_RE.sub(" ", text)


@lru_cache(maxsize=1)
def _base_jieba():  # type: ignore[no-untyped-def]
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


class Tokenizer:
    """jieba segmentation with a government user dictionary, synonyms and stopwords.

    ``backend="rjieba"`` asks for the jieba-rs fast path; it is used only after ``check_backend``
    confirms identical tokens (call it with sample texts), otherwise jieba runs.
    """

    def __init__(
        self,
        *,
        extra_words: Iterable[str] = (),
        synonyms: dict[str, str] | None = None,
        stopwords: Iterable[str] | None = None,
        backend: Backend = "jieba",
    ) -> None:
        if backend not in ("jieba", "rjieba"):
            raise ValueError(f"tokenizer backend {backend!r}: use 'jieba' or 'rjieba'")
        self.synonyms = dict(shipped_synonyms() if synonyms is None else synonyms)
        self.stopwords = frozenset(shipped_stopwords() if stopwords is None else stopwords)
        self.requested_backend = backend
        self._lock = threading.Lock()
        self._words: list[str] = []
        self._jieba = self._new_jieba()
        self._rjieba = None
        if backend == "rjieba":
            import rjieba

            self._rjieba = rjieba.Jieba()
        self.backend: Backend = "jieba"
        self._common: tuple[int, frozenset[str]] | None = None
        self.add_words([*shipped_terms(), *self.synonyms, *self.synonyms.values()])
        self.add_words(extra_words)

    @staticmethod
    def _new_jieba():  # type: ignore[no-untyped-def]
        import jieba

        base = _base_jieba()
        tok = jieba.Tokenizer()
        # copy the loaded main dictionary instead of re-reading it: user words stay per instance
        tok.FREQ, tok.total, tok.initialized = dict(base.FREQ), base.total, True
        return tok

    @property
    def version(self) -> str:
        """Changes whenever tokens could change: format, dictionary, synonyms, stopwords."""
        h = hashlib.sha1(f"{TOKENIZER_FORMAT}".encode())
        for part in (sorted(set(self._words)), sorted(self.synonyms.items()), sorted(self.stopwords)):
            h.update(repr(part).encode("utf-8"))
        return f"{TOKENIZER_FORMAT}-{h.hexdigest()[:12]}"

    def add_words(self, words: Iterable[str]) -> int:
        """Add words (matter, department, region names) to the user dictionary; returns how many."""
        added = 0
        with self._lock:
            for w in words:
                w = normalize(w.strip()) if w else ""
                # only whole CJK/alnum terms of a useful length: a sentence would swallow its parts
                if not (2 <= len(w) <= 16) or _PUNCT.search(w):
                    continue
                self._jieba.add_word(w)
                if self._rjieba is not None:
                    self._rjieba.add_word(w, self._jieba.FREQ.get(w), None)
                self._words.append(w)
                added += 1
        self._cut_cached.cache_clear()
        self._common = None
        return added

    def check_backend(self, samples: Sequence[str]) -> bool:
        """Switch to rjieba when it segments every sample exactly as jieba does; returns the verdict."""
        if self._rjieba is None:
            return False
        pieces = [p for s in samples for p in _PUNCT.split(strip_fillers(normalize(s))) if p]
        same = all(self._segment(p, "jieba") == self._segment(p, "rjieba") for p in pieces)
        self.backend = "rjieba" if same else "jieba"
        return same

    def _segment(self, text: str, backend: Backend) -> list[str]:
        if backend == "rjieba" and self._rjieba is not None:
            return list(self._rjieba.cut_for_search(text, True))
        return list(self._jieba.cut_for_search(text, HMM=True))

    @lru_cache(maxsize=65536)  # noqa: B019 - one tokenizer per engine, lives as long as it
    def _cut_cached(self, piece: str) -> tuple[str, ...]:
        return tuple(self._segment(piece, self.backend))

    def forget(self) -> None:
        """Empty the memo of segmented pieces (benchmarks of a question's first sight)."""
        self._cut_cached.cache_clear()

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text`` for BM25 (repeated tokens kept: BM25 counts them)."""
        text = strip_fillers(normalize(text))
        out: list[str] = []
        syn, stop = self.synonyms, self.stopwords
        for piece in _PUNCT.split(text):
            if not piece:
                continue
            for tok in self._cut_cached(piece):
                tok = tok.strip()
                if not tok or not _WORD.search(tok):
                    continue
                tok = syn.get(tok, tok)
                if tok not in stop:
                    out.append(tok)
        return out

    def common_words(self, min_freq: int = 100) -> frozenset[str]:
        """Words of 2-4 characters that jieba's dictionary knows as common, the stopwords and the
        synonym spellings: text that homophone repair must leave as it is."""
        if self._common is None or self._common[0] != min_freq:
            words = {w for w, f in self._jieba.FREQ.items() if f >= min_freq and 2 <= len(w) <= 4}
            self._common = (min_freq, frozenset(words | self.stopwords | set(self.synonyms)))
        return self._common[1]

    def log_likelihood(self, text: str) -> float:
        """jieba's log-probability of the best segmentation of ``text`` (its unigram word model,
        with this tokenizer's user words)."""
        if not text:
            return 0.0
        dag = self._jieba.get_DAG(text)
        route: dict[int, tuple[float, int]] = {}
        self._jieba.calc(text, dag, route)
        return float(route[0][0])

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]
