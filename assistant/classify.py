"""Ticket classification: category (附件1 taxonomy, 3 levels), department, urgency, sentiment.

Two parts, combined per ticket:

- a trained model for the 一级分类 (L1): character 1–2-gram TF-IDF over the subject (twice) and
  the first 150 characters of the body, a linear SVM, and a fitted sigmoid (Platt) per class so
  the scores are probabilities. It trains on the 2,801 附件2 messages with the SILVER labels (one
  competition team's predictions: noisy, 7 classes only) plus ~1,600 附件3/附件4 messages whose
  subject the lexicon below labels unambiguously. Messages that also appear in the 495 gold
  subset are dropped before training, so the gold evaluation stays a test.
- a keyword lexicon over the taxonomy leaves (assistant/data/category_keywords.json plus the 三级
  names of 附件1): it gives L2/L3, covers the 8 L1 classes the silver labels never use (政法, 民政,
  农村农业, ...), and nudges the L1 where the subject names the matter outright.

The ticket's confidence is a sigmoid over (top blended score, margin) fitted out-of-fold on the
silver items; below the threshold the ticket goes to human review (二次确权).

With an LLM configured and ``LIANXIN_LLM__CLASSIFY=true``, the LLM also reads each ticket and picks
its L1/L2 from the taxonomy (zero-shot). Where it agrees with the model, nothing changes, except
that its L2 fills in where the keywords name no leaf. Where it disagrees, its L1 (and L2) is taken,
the confidence becomes the model's probability of that L1 (at most the model's confidence in its
own pick), and the ticket goes to review: two readers that differ are a person's call. An LLM that
fails or names a category outside the taxonomy changes nothing (``category_by`` says who decided).

The model trains at first use and is cached under `cache_dir` with a params JSON (format version,
hashes of the training files, class list, counts); a changed data file or version retrains. When
the shared data is absent the classifier runs on the lexicon alone and says so in `error`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import pickle
import re
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import LLMUnavailable
from assistant.routing import Catalogue
from assistant.sentiment import sentiment as detect_sentiment
from assistant.urgency import urgency as detect_urgency

log = logging.getLogger(__name__)

MODEL_FORMAT = 3
KEYWORDS_PATH = Path(__file__).parent / "data" / "category_keywords.json"
GOV = Path("gov_messages") / "csv"
TAXONOMY_FILE = GOV / "附件1_label_taxonomy.csv"
UNLABELED_FILE = GOV / "附件2_test_unlabeled.csv"
SILVER_FILE = GOV / "附件2_test_team_predictions_SILVER.csv"
GOLD_FILE = GOV / "附件2_labeled_subset_495.csv"
REPLIES_FILE = GOV / "附件4_messages_with_official_replies.csv"
LIKES_FILE = GOV / "附件3_messages_with_likes.csv"
# A keyword label is trusted only where the lexicon is this sure (share of its L1 mass) and the
# subject itself names the matter (a subject hit scores 2).
WEAK_MIN_SHARE = 0.8
WEAK_MIN_SCORE = 2.0

MAX_CHARS = 10_000  # longer input is cut: the model reads 150 body characters anyway
BODY_CHARS = 150
DEFAULT_THRESHOLD = 0.6
# Weight of the keyword lexicon's L1 distribution against the model's probabilities. Chosen by
# reading the dev tickets' errors, never by scoring the gold 495.
LEXICON_WEIGHT = 0.35
OUTSIDE_WEIGHT = 0.7


@dataclass
class Classification:
    category_l1: str | None
    category_l2: str | None
    category_l3: str | None
    department: str | None
    urgent: bool
    sentiment: str  # "angry" | "anxious" | "neutral"
    confidence: float
    needs_review: bool
    error: str | None = None
    urgent_reasons: list[str] = field(default_factory=list)
    route_rule: str = ""
    # who chose the category: "model", "keywords" (no trained model), "model+llm" or "keywords+llm"
    # (the LLM agreed), "llm" (the LLM overruled them; then needs_review)
    category_by: str = "model"

    CONTRACT_KEYS = (
        "category_l1",
        "category_l2",
        "category_l3",
        "department",
        "urgent",
        "sentiment",
        "confidence",
        "needs_review",
    )

    def contract(self) -> dict:
        """Exactly the keys of `lianxin classify --json`."""
        data = asdict(self)
        return {k: data[k] for k in self.CONTRACT_KEYS}


# ---------------------------------------------------------------- text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def clean_text(text: str) -> str:
    """Drop control characters and replacement marks, cut to MAX_CHARS."""
    return _CONTROL.sub("", text or "").strip()[:MAX_CHARS]


def split_subject(text: str) -> tuple[str, str]:
    """(subject, body): the first line of a multi-line message, else the first clause."""
    if "\n" in text:
        subject, body = text.split("\n", 1)
        return subject.strip(), body.strip()
    m = re.search(r"[。！？；\n]", text)
    cut = m.start() if m and m.start() <= 60 else min(len(text), 40)
    return text[:cut], text[cut:].lstrip("。！？；")


def model_text(subject: str, body: str) -> str:
    # The subject is the densest signal; repeating it doubles its n-gram weight.
    return f"{subject}。{subject}。{body[:BODY_CHARS]}"


# ---------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Leaf:
    l1: str
    l2: str
    l3: str | None


class Lexicon:
    """Keyword hits per taxonomy leaf. Subject hits count twice."""

    def __init__(self, leaves: dict[Leaf, list[str]]):
        self.leaves = {leaf: sorted(set(kws), key=len, reverse=True) for leaf, kws in leaves.items() if kws}

    @classmethod
    def load(cls, *, keywords_path: Path = KEYWORDS_PATH, taxonomy_path: Path | None = None) -> Lexicon:
        leaves: dict[Leaf, list[str]] = defaultdict(list)
        data = json.loads(keywords_path.read_text(encoding="utf-8"))
        for item in data["leaves"]:
            leaves[Leaf(item["l1"], item["l2"], item.get("l3"))].extend(item["keywords"])
        if taxonomy_path is not None and taxonomy_path.exists():
            for l1, l2, l3 in read_taxonomy(taxonomy_path):
                # 三级 names that are specific enough to be found verbatim in a message
                if l3 != "其他" and len(l3) >= 3 and not l3.startswith("其他"):
                    leaves[Leaf(l1, l2, l3)].append(l3)
        return cls(leaves)

    def hits(self, subject: str, body: str) -> dict[Leaf, float]:
        scores: dict[Leaf, float] = {}
        for leaf, keywords in self.leaves.items():
            score = 0.0
            for kw in keywords:
                if kw in subject:
                    score += 2.0
                elif kw in body:
                    score += 1.0
            if score:
                scores[leaf] = score
        return scores


def read_taxonomy(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [(r["一级分类"], r["二级分类"], r["三级分类"]) for r in csv.DictReader(fh)]


def taxonomy_tree(lexicon: Lexicon, taxonomy_path: Path | None = None) -> dict[str, list[str]]:
    """L1 -> its L2 names: from 附件1 where present, else from the lexicon's leaves."""
    pairs = (
        [(l1, l2) for l1, l2, _ in read_taxonomy(taxonomy_path)]
        if taxonomy_path is not None and taxonomy_path.exists()
        else [(leaf.l1, leaf.l2) for leaf in lexicon.leaves]
    )
    tree: dict[str, list[str]] = {}
    for l1, l2 in pairs:
        names = tree.setdefault(l1, [])
        if l2 not in names:
            names.append(l2)
    return tree


# ---------------------------------------------------------------- training data


@dataclass
class TrainingData:
    texts: list[str]
    labels: list[str]
    dropped_as_gold: int = 0
    raw: list[tuple[str, str]] = field(default_factory=list)  # (subject, body) for the lexicon
    n_silver: int | None = None  # the first n_silver items carry silver labels, the rest keyword labels


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fingerprint(subject: str, body: str) -> tuple[str, str]:
    return (subject.strip(), re.sub(r"\s+", "", body)[:40])


def _gold_fingerprints(shared_data: Path) -> set[str]:
    gold: set[str] = set()
    gold_path = shared_data / GOLD_FILE
    if gold_path.exists():
        for r in _rows(gold_path):
            gold.add(_fingerprint(r["留言主题"], "")[0])
            gold.add(_fingerprint("", r["留言详情"])[1])
    return gold


def _is_gold(gold: set[str], subject: str, body: str) -> bool:
    s, b = _fingerprint(subject, body)
    return s in gold or bool(b and b in gold)


def _every_kth(n: int, limit: int | None) -> list[int]:
    if limit is None or limit >= n:
        return list(range(n))
    step = n / limit
    return [int(i * step) for i in range(limit)]


def load_training_data(
    shared_data: Path, *, limit: int | None = None, lexicon: Lexicon | None = None
) -> TrainingData:
    """The silver-labelled 附件2 messages, plus keyword-labelled 附件3/附件4 messages if `lexicon` is given.

    Messages that duplicate a gold test message are dropped. Keyword labels ("weak" labels) go only
    to messages whose subject names a matter of one of the silver classes unambiguously: they carry
    the taxonomy's knowledge into the n-gram model, which then generalises past the keywords.
    `limit` keeps every k-th message (a deterministic, class-spread sample) for fast tests.
    """
    silver = {r["留言编号"]: r["一级分类"] for r in _rows(shared_data / SILVER_FILE)}
    gold = _gold_fingerprints(shared_data)
    items: list[tuple[str, str, str]] = []
    dropped = 0
    for r in _rows(shared_data / UNLABELED_FILE):
        label = silver.get(r["留言编号"])
        if not label:
            continue
        if _is_gold(gold, r["留言主题"], r["留言详情"]):
            dropped += 1
            continue
        items.append((r["留言主题"], r["留言详情"], label))
    items = [items[i] for i in _every_kth(len(items), limit)]
    n_silver = len(items)
    if lexicon is not None:
        classes = {label for _, _, label in items}
        weak = []
        for path in (LIKES_FILE, REPLIES_FILE):
            if not (shared_data / path).exists():
                continue
            for r in _rows(shared_data / path):
                subject, body = r["留言主题"], r["留言详情"]
                if _is_gold(gold, subject, body):
                    dropped += 1
                    continue
                hits = lexicon.hits(subject, body)
                dist = blend(None, hits)
                if not dist:
                    continue
                top, share = max(dist.items(), key=lambda kv: kv[1])
                if top in classes and share >= WEAK_MIN_SHARE and max(hits.values()) >= WEAK_MIN_SCORE:
                    weak.append((subject, body, top))
        items += [weak[i] for i in _every_kth(len(weak), None if limit is None else limit // 2)]
    return TrainingData(
        texts=[model_text(s, b) for s, b, _ in items],
        labels=[label for _, _, label in items],
        dropped_as_gold=dropped,
        raw=[(s, b) for s, b, _ in items],
        n_silver=n_silver,
    )


def train_model(data: TrainingData, *, c: float = 0.5):
    """A calibrated char n-gram linear SVM (sklearn Pipeline with predict_proba)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    folds = max(2, min(3, min(data.labels.count(label) for label in set(data.labels))))
    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        CalibratedClassifierCV(LinearSVC(C=c), method="sigmoid", cv=folds),
    ).fit(data.texts, data.labels)


def fit_confidence(data: TrainingData, lexicon: Lexicon, *, folds: int = 3) -> dict:
    """A sigmoid from (top blended score, margin) to P(correct), fitted out-of-fold.

    "Correct" means agreeing with the silver label, which is itself wrong now and then: the
    fitted probability is therefore conservative, the safe side for auto-dispatch.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    features, correct = [], []
    n_silver = len(data.texts) if data.n_silver is None else data.n_silver
    hits = [lexicon.hits(subject, body) for subject, body in data.raw[:n_silver]]
    weak = list(range(n_silver, len(data.texts)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    # scored on silver labels only: keyword labels would agree with the lexicon by construction
    for train_idx, test_idx in splitter.split(data.texts[:n_silver], data.labels[:n_silver]):
        train = list(train_idx) + weak
        fold = TrainingData([data.texts[i] for i in train], [data.labels[i] for i in train])
        model = train_model(fold)
        probs = model.predict_proba([data.texts[i] for i in test_idx])
        for row, i in zip(probs, test_idx, strict=True):
            scores = blend({str(k): float(v) for k, v in zip(model.classes_, row, strict=True)}, hits[i])
            features.append(score_features(scores))
            correct.append(max(scores.items(), key=lambda kv: kv[1])[0] == data.labels[i])
    fitted = LogisticRegression().fit(features, correct)
    return {
        "coef": [float(c) for c in fitted.coef_[0]],
        "intercept": float(fitted.intercept_[0]),
        "features": ["top_score", "margin"],
        "fitted_on": f"{folds}-fold out-of-fold predictions on {len(correct)} silver-labelled messages",
        "oof_agreement": round(sum(correct) / len(correct), 4),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_params(shared_data: Path, *, limit: int | None) -> dict:
    files = [UNLABELED_FILE, SILVER_FILE, GOLD_FILE, LIKES_FILE, REPLIES_FILE, TAXONOMY_FILE]
    return {
        "format": MODEL_FORMAT,
        "model": "tfidf-char12+linearsvc+sigmoid",
        "weak_labels": {
            "min_share": WEAK_MIN_SHARE,
            "min_score": WEAK_MIN_SCORE,
            "keywords": _sha256(KEYWORDS_PATH),
        },
        "body_chars": BODY_CHARS,
        "limit": limit,
        "data": {str(f): _sha256(shared_data / f) for f in files if (shared_data / f).exists()},
    }


def load_or_train(shared_data: Path, cache_dir: Path, *, limit: int | None = None, retrain: bool = False):
    """(model, params): the cached model if its params still match the data, else a fresh one."""
    import sklearn

    name = "classifier" if limit is None else f"classifier-sample{limit}"
    model_path, params_path = cache_dir / f"{name}.pkl", cache_dir / f"{name}.params.json"
    want = training_params(shared_data, limit=limit)
    if not retrain and model_path.exists() and params_path.exists():
        saved = json.loads(params_path.read_text(encoding="utf-8"))
        if {k: saved.get(k) for k in want} == want and saved.get("sklearn") == sklearn.__version__:
            with model_path.open("rb") as fh:
                return pickle.load(fh), saved
    started = time.monotonic()
    lexicon = Lexicon.load(taxonomy_path=shared_data / TAXONOMY_FILE)
    data = load_training_data(shared_data, limit=limit, lexicon=lexicon)
    model = train_model(data)
    params = {
        "confidence": fit_confidence(data, lexicon),
        **want,
        "sklearn": sklearn.__version__,
        "classes": list(model.classes_),
        "n_train": len(data.texts),
        "n_silver": data.n_silver,
        "dropped_as_gold": data.dropped_as_gold,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(time.monotonic() - started, 1),
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = model_path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh)
    tmp.replace(model_path)  # a crash mid-write never leaves a half model behind
    params_path.write_text(json.dumps(params, ensure_ascii=False, indent=1), encoding="utf-8")
    return model, params


# ---------------------------------------------------------------- classifier


def score_features(scores: dict[str, float]) -> tuple[float, float]:
    ranked = sorted(scores.values(), reverse=True) + [0.0, 0.0]
    return ranked[0], ranked[0] - ranked[1]


def l1_distribution(model, subject: str, body: str, hits: dict[Leaf, float]) -> dict[str, float]:
    """Combined L1 distribution: model probabilities blended with the lexicon's."""
    if model is None:
        return blend(None, hits)
    probs = model.predict_proba([model_text(subject, body)])[0]
    return blend({str(k): float(v) for k, v in zip(model.classes_, probs, strict=True)}, hits)


def blend(model_dist: dict[str, float] | None, hits: dict[Leaf, float]) -> dict[str, float]:
    """Mix the model's L1 probabilities with the lexicon's L1 distribution."""
    lex: dict[str, float] = defaultdict(float)
    for leaf, score in hits.items():
        lex[leaf.l1] += score
    total = sum(lex.values())
    # keys in sorted order: a tie between classes (two keywords, one in each) is then decided the
    # same way in every process (set order changes with the hash seed) and goes to review anyway,
    # its margin being 0
    lex_dist = {k: lex[k] / total for k in sorted(lex)} if total else {}
    if model_dist is None:
        return lex_dist
    if not lex_dist:
        return {k: model_dist[k] for k in sorted(model_dist)}
    # Strong lexicon evidence (a subject hit) earns more weight. The model never saw the classes
    # the silver labels lack, so where the keywords point outside its classes its opinion is
    # uninformative and the keywords decide.
    weight = min(0.6, LEXICON_WEIGHT * (1 + max(hits.values()) / 4))
    outside = sum(v for k, v in lex_dist.items() if k not in model_dist)
    weight = max(weight, min(0.9, OUTSIDE_WEIGHT * outside))
    keys = sorted(set(model_dist) | set(lex_dist))
    return {k: (1 - weight) * model_dist.get(k, 0.0) + weight * lex_dist.get(k, 0.0) for k in keys}


class TicketClassifier:
    def __init__(
        self,
        *,
        model=None,
        lexicon: Lexicon,
        catalogue: Catalogue,
        threshold: float = DEFAULT_THRESHOLD,
        error: str | None = None,
        params: dict | None = None,
        llm: Any = None,
        taxonomy: dict[str, list[str]] | None = None,
    ):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} must be a probability between 0 and 1")
        self.model = model
        self.lexicon = lexicon
        self.catalogue = catalogue
        self.threshold = threshold
        self.error = error
        self.params = params or {}
        self.llm = llm  # an assistant.llm.LLMClient for zero-shot categories, or None
        self.taxonomy = taxonomy or taxonomy_tree(lexicon)

    def l1_scores(self, subject: str, body: str, hits: dict[Leaf, float]) -> dict[str, float]:
        return l1_distribution(self.model, subject, body, hits)

    def confidence(self, scores: dict[str, float]) -> float:
        """P(the L1 is right), from the fitted sigmoid over (top score, margin)."""
        top, margin = score_features(scores)
        fitted = self.params.get("confidence")
        if self.model is None or not fitted:
            # keywords alone are a guess: below any sensible threshold, so a person decides
            return round(min(top, 1.0) * 0.5, 4)
        z = fitted["coef"][0] * top + fitted["coef"][1] * margin + fitted["intercept"]
        return round(1.0 / (1.0 + math.exp(-z)), 4)

    def classify(self, text: str, *, region_name: str | None = None) -> Classification:
        """Classify one ticket or message; never raises on bad text.

        >>> clf.classify("楼道内燃气味很浓，疑似管道泄漏").urgent   # doctest: +SKIP
        True
        """
        cleaned = clean_text(text if isinstance(text, str) else "")
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", cleaned):
            return Classification(
                None, None, None, None, False, "neutral", 0.0, True,
                error="empty text: nothing to classify; send the ticket content (Chinese text)",
            )  # fmt: skip
        subject, body = split_subject(cleaned)
        hits = self.lexicon.hits(subject, body)
        scores = self.l1_scores(subject, body, hits)
        l1 = max(scores.items(), key=lambda kv: kv[1])[0] if scores else None
        confidence = self.confidence(scores) if scores else 0.0
        category_by = "model" if self.model is not None else "keywords"
        overruled = False
        llm_l2 = None
        if self.llm is not None:
            try:
                llm_l1, llm_l2 = self.llm.classify_category(text=cleaned, taxonomy=self.taxonomy)
            except LLMUnavailable as exc:
                log.info("LLM category not used: %s", exc)
            else:
                if llm_l1 == l1:
                    category_by = f"{category_by}+llm"
                else:
                    # the model's probability of the LLM's class, never above its confidence in its own
                    overruled, category_by = True, "llm"
                    l1, confidence = llm_l1, min(confidence, scores.get(llm_l1, 0.0))
        in_l1 = {leaf: s for leaf, s in hits.items() if leaf.l1 == l1}
        if overruled and llm_l2:
            # the LLM's reading decides the L1, so its L2 picks among the keyword leaves
            in_l1 = {leaf: s for leaf, s in in_l1.items() if leaf.l2 == llm_l2}
        leaf = max(in_l1.items(), key=lambda kv: (kv[1], kv[0].l3 is not None))[0] if in_l1 else None
        # the keywords' leaf stands where there is one; the LLM's L2 fills a gap
        l2 = leaf.l2 if leaf else llm_l2
        l3 = leaf.l3 if leaf else None
        route = self.catalogue.route(text=cleaned, l1=l1, l2=l2, region_name=region_name)
        urgent = detect_urgency(cleaned, learned=True)
        return Classification(
            category_l1=l1,
            category_l2=l2,
            category_l3=l3,
            department=route.department,
            urgent=urgent.urgent,
            sentiment=detect_sentiment(cleaned, urgent=urgent.urgent),
            confidence=round(float(confidence), 4),
            # the urgent flag is independent: the caller escalates urgent tickets whatever the review state
            needs_review=bool(overruled or confidence < self.threshold or route.department is None),
            error=self.error,
            urgent_reasons=urgent.reasons,
            route_rule=route.rule,
            category_by=category_by,
        )


def classifier_from_settings(
    settings: Any, *, retrain: bool = False, threshold: float | None = None, llm: Any = None
) -> TicketClassifier:
    """The classifier the service runs (API chat, `lianxin ask`, `lianxin classify`): trained on
    ``settings.shared_data`` once and cached under ``settings.data_dir/models``; keyword rules
    only, with ``error`` set, where the shared data is absent.

    With ``settings.llm.classify`` on, the LLM is asked too: ``llm`` (the caller's client, shared
    with its other LLM uses) or one made from ``settings.llm``.
    """
    shared = Path(settings.shared_data)
    if not settings.llm.classify:
        llm = None
    elif llm is None:
        from assistant.llm import LLMClient

        llm = LLMClient.from_settings(settings.llm)
    return load_classifier(
        shared_data=shared if shared.is_dir() else None,
        cache_dir=Path(settings.data_dir) / "models",
        retrain=retrain,
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        llm=llm,
    )


def load_classifier(
    *,
    shared_data: Path | None,
    cache_dir: Path,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int | None = None,
    retrain: bool = False,
    catalogue_path: Path | None = None,
    llm: Any = None,
) -> TicketClassifier:
    """The classifier: trains once on the shared data and caches; degrades to the lexicon without
    it. ``llm`` (an LLMClient) adds the zero-shot second reading described in the module doc."""
    catalogue = Catalogue.load(catalogue_path) if catalogue_path else Catalogue.load()
    taxonomy = shared_data / TAXONOMY_FILE if shared_data else None
    lexicon = Lexicon.load(taxonomy_path=taxonomy)
    tree = taxonomy_tree(lexicon, taxonomy)
    missing = [
        f for f in (UNLABELED_FILE, SILVER_FILE) if shared_data is None or not (shared_data / f).exists()
    ]
    if missing:
        where = shared_data if shared_data else "(not configured)"
        error = (
            f"training data not found under {where} ({', '.join(map(str, missing))}): keyword rules only, "
            "lower accuracy; set LIANXIN_SHARED_DATA to the folder holding gov_messages/"
        )
        log.warning(error)
        return TicketClassifier(
            lexicon=lexicon, catalogue=catalogue, threshold=threshold, error=error, llm=llm, taxonomy=tree
        )
    assert shared_data is not None
    model, params = load_or_train(shared_data, cache_dir, limit=limit, retrain=retrain)
    return TicketClassifier(
        model=model,
        lexicon=lexicon,
        catalogue=catalogue,
        threshold=threshold,
        params=params,
        llm=llm,
        taxonomy=tree,
    )
