"""Answer, clarify or escalate: the assistant's one decision per citizen question.

Precision comes first: a wrong answer from a government line is worse than a handover. So the KB
answers only when the calibrated probability that its top entry is right clears a threshold
chosen on development data; complaints, reports, emergencies, chit-chat and injections never
reach the KB; case entries (典型案例) and entries out of their validity are never given directly.
The answer is the entry's official text verbatim (an LLM, when configured, may compose a cited
answer from the retrieved entries; any failure falls back to the verbatim text).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.orm import Session

from assistant import rewrite as rules
from assistant.answertype import unstated
from assistant.calibration import (
    OFF_SUBJECT,
    UNSTATED,
    Calibrator,
    default_calibrators,
    held_back,
    model_key,
    search_features,
)
from assistant.errors import LLMUnavailable
from assistant.flows import draft_ticket
from assistant.safety import SAFE_REPLIES, screen
from kb import service as kb_service
from kb.models import Entry
from retrieval import BadQuery
from retrieval.aspects import asked_aspect

if TYPE_CHECKING:
    from assistant.llm import LLMClient
    from retrieval import Hit, SearchEngine

log = logging.getLogger(__name__)

TOP_K = 10
MAX_QUERY_CHARS = 500
_BARE_TOPIC_MAX_CHARS = 10
_QUESTION_CUE = re.compile(
    r"怎|吗|多少|什么|哪|几|能不能|可不可以|是否|如何|啥|咋|谁|么|呢|有没有|要不要|[?？]"
    # A-not-A (送不送, 开没开门, 包不包括) and a closing 不 (要交钱不): spoken yes/no questions; not
    # 时不时就 / 动不动就 / 一动不动, nor 还没 / 越来越不 at the end
    r"|(?<!一)([\u4e00-\u9fff])[不没]\1(?!就)|(?<![还越])[不没]$"
)
# A longer message asks without a question word when it requests a procedure or a fact
# (我想申请公租房, 异地就医备案的流程, 外地户口能否办理居住证).
_REQUEST_CUE = re.compile(
    r"想(?:了解|知道|问|咨询|申请|办|查|领)|请问|问一?下|咨询|了解一下|介绍|告诉我|能否|可否|有无|"
    r"帮我查|查询|申请|办理|流程|比例|条件|标准|规定|政策|材料|手续"
)
# ... and it reports when it tells of the caller's own place or people (我们村的自来水…).
_NARRATIVE = re.compile(r"我|咱|俺|村|小区|楼|邻居|单位|公司|家里|门口|附近")
MAX_CANDIDATES = 4


@dataclass
class Decision:
    decision: Literal["answer", "clarify", "escalate"]
    confidence: float
    entry_id: int | None = None
    entry_external_key: str | None = None
    answer: str | None = None
    citations: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)  # for clarify
    ticket_draft: dict | None = None
    reason: str = ""
    query: str = ""  # the (rewritten) query that was searched
    reply: str = ""  # what the citizen is told

    def public(self) -> dict[str, Any]:
        """The machine-readable contract of `lianxin ask --json`."""
        return {
            "decision": self.decision,
            "entry_external_key": self.entry_external_key,
            "answer": self.answer,
            "confidence": round(self.confidence, 4),
            "citations": self.citations,
            "ticket_draft": self.ticket_draft,
        }


def citation(entry: Entry, n: int = 1) -> dict[str, Any]:
    """Where an answer comes from: source, tier, region, validity."""
    return {
        "n": n,
        "entry_id": entry.id,
        "external_key": entry.external_key,
        "source": entry.source.code,
        "source_name": entry.source.name,
        "tier": entry.tier,
        "region_code": entry.region_code,
        "question": entry.question,
        "effective_from": entry.effective_from.isoformat() if entry.effective_from else None,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
        "policy_ref": entry.policy_ref,
        "version": entry.version,
    }


@dataclass
class _Scored:
    query: str
    hits: list[Hit]
    probability: float
    calibrator: Calibrator | None
    degraded: str | None
    feats: dict[str, float] = field(default_factory=dict)


def _score(
    engine: SearchEngine, session: Session, query: str, region: str | None, calibrators: dict[str, Calibrator]
) -> _Scored:
    # the engine takes at most 500 characters; a long message's question is in its head
    query = query[:MAX_QUERY_CHARS]
    embedder = getattr(engine, "embedder", None)
    hits, feats, result = search_features(
        engine=engine, session=session, query=query, region=region, top_k=TOP_K, embedder=embedder
    )
    verified = feats.get("verify_cos", 0.0) != 0.0
    cal = calibrators.get("*") or _fitted_for(engine, calibrators.get(model_key(result.mode, verified)))
    if cal is None and result.mode != "bm25":
        # no model fitted for this mode's features: search the way we can calibrate rather than guess
        fallback = calibrators.get(model_key("bm25", verified))
        if fallback is not None:
            hits, feats, result = search_features(
                engine=engine,
                session=session,
                query=query,
                region=region,
                top_k=TOP_K,
                mode="bm25",
                embedder=embedder,
            )
            cal = fallback
    p = cal.probability(feats) if hits and cal is not None else 0.0
    degraded = result.degraded or (
        None if cal else f"no calibration for {result.mode} retrieval: run `lianxin calibrate`"
    )
    return _Scored(query, hits, p, cal, degraded, feats)


def _fitted_for(engine: SearchEngine, cal: Calibrator | None) -> Calibrator | None:
    """The model, if it was fitted on an engine searching the way this one does (fusion, which
    texts have vectors); a model fitted on other retrieval scores would be miscalibrated."""
    if cal is None:
        return None
    from assistant import rerank

    # ... and on the candidates in the order it sees them (assistant/rerank.py; None: BM25's order)
    installed = rerank.version()
    if cal.meta.get("rerank") != installed:
        log.warning(
            "calibration %s was fitted with re-ranker %s, %s is installed: refit with `lianxin calibrate`",
            cal.version,
            cal.meta.get("rerank"),
            installed,
        )
        return None
    params = getattr(engine, "p", None)
    for key, value in cal.meta.get("engine", {}).items():
        if params is not None and getattr(params, key, value) != value:
            log.warning(
                "calibration %s was fitted with %s=%r: refit with `lianxin calibrate`",
                cal.version,
                key,
                value,
            )
            return None
    return cal


def _queries(question: str, history: Sequence[str], llm: LLMClient | None) -> list[str]:
    """The question, preceded by its self-contained rewrite when it leans on earlier turns."""
    if not history:
        return [question]
    rewritten = None
    if llm is not None and rules.is_followup(question):
        try:
            rewritten = llm.rewrite(question=question, history=history)
        except LLMUnavailable as exc:
            log.info("LLM rewrite failed, using rules: %s", exc)
    rewritten = rewritten or rules.rewrite(question, history)
    return [rewritten, question] if rewritten and rewritten != question else [question]


@dataclass
class _Context:
    region: str | None
    history: Sequence[str]
    llm: LLMClient | None
    classifier: Any
    session: Session | None


def _escalate(
    ctx: _Context, text: str, reason: str, *, kind: str, confidence: float = 0.0, query: str = ""
) -> Decision:
    draft = None
    if kind in ("complaint", "emergency", "escalate"):
        draft = draft_ticket(
            text=text,
            region=ctx.region,
            history=ctx.history,
            llm=ctx.llm,
            classifier=ctx.classifier,
            session=ctx.session,
            urgent=kind == "emergency",
            reason=reason,
        )
    return Decision(
        "escalate",
        confidence,
        ticket_draft=draft,
        reason=reason,
        query=query or text,
        reply=SAFE_REPLIES.get(kind, SAFE_REPLIES["escalate"]),
    )


def decide(
    *,
    engine: SearchEngine,
    question: str,
    region: str | None,
    session: Session | None = None,
    history: Sequence[str] = (),
    llm: LLMClient | None = None,
    threshold: float | None = None,
    calibrator: Calibrator | None = None,
    classifier: Any = None,
    today: date | None = None,
) -> Decision:
    """Answer from one KB entry, offer 2–4 candidates, or hand over to a ticket.

    ``threshold`` overrides the calibrated answer threshold (for evaluation sweeps). ``session``
    loads the entries' official text; without it, the engine's own session is used. ``classifier``
    (a TicketClassifier) fills the draft's category, department and urgency.
    """
    calibrators = {"*": calibrator} if calibrator is not None else default_calibrators()
    if session is None:
        raise ValueError("decide needs a session to read the entries' answers: pass session=")
    ctx = _Context(region, tuple(history), llm, classifier, session)
    screened = screen(question)
    if screened.kind != "ok":
        return _escalate(ctx, screened.text, screened.reason, kind=screened.kind)
    text = screened.text
    try:
        scored = [_score(engine, session, q, region, calibrators) for q in _queries(text, history, llm)]
    except BadQuery as exc:
        return _escalate(ctx, text, f"retrieval refused the query: {exc}", kind="escalate")
    best = max(scored, key=lambda s: s.probability)
    if best.degraded:
        log.warning("retrieval degraded: %s", best.degraded)
    if not best.hits:
        return _escalate(ctx, text, "no KB entry matches", kind="escalate", query=best.query)
    top = best.hits[0]
    p = best.probability
    if best.calibrator is None:
        return _escalate(ctx, text, best.degraded or "no calibration", kind="escalate", query=best.query)
    answer_at = best.calibrator.answer_threshold if threshold is None else threshold
    clarify_at = min(best.calibrator.clarify_threshold, answer_at)
    if top.kind != "qa":
        why = f"best match is a case entry ({top.external_key}), never a direct answer"
        return _escalate(ctx, text, why, kind="escalate", confidence=p, query=best.query)
    entry = kb_service.get(session=session, entry_id=top.entry_id)
    day = today or date.today()
    if entry is None or entry.status != "published" or not entry.valid_on(day):
        why = (
            "not published" if entry is None or entry.status != "published" else "outside its validity period"
        )
        return _escalate(
            ctx,
            text,
            f"best entry {top.external_key} is {why}",
            kind="escalate",
            confidence=p,
            query=best.query,
        )

    # a bare topic ("养老保险", "居住证") names a matter but not the question, and a report of the
    # caller's own situation asks nothing: never answer them outright (nor what held_back holds back)
    rule = held_back(best.feats) or _no_question(text)
    if p >= answer_at and rule is None:
        return _answer(entry, best, p, llm=llm, session=session, day=day)

    candidates = _candidates(best.hits)
    if rule == UNSTATED:
        # the top entry does not state what is asked (an amount, a place ...): offer only entries
        # that do, or none (over all 1,680 questions of the dev sets and probes, 5 out-of-KB requests
        # then go to a person instead of being offered entries, and 1 in-KB question loses its offer)
        candidates = [c for c in candidates if _states_asked(session, best.query, c["entry_id"])]
    why = f"confidence {p:.2f} below {answer_at:.2f}" if p < answer_at else str(rule)
    # candidates about another matter would not help the citizen choose
    if p >= clarify_at and len(candidates) >= 2 and rule != OFF_SUBJECT:
        listing = "；".join(f"{i}. {c['question']}" for i, c in enumerate(candidates, 1))
        return Decision(
            "clarify",
            p,
            candidates=candidates,
            reason=why,
            query=best.query,
            reply=f"您想问的是：{listing}？请回复序号。",
        )
    return _escalate(ctx, text, why, kind="escalate", confidence=p, query=best.query)


def _states_asked(session: Session, query: str, entry_id: int) -> bool:
    entry = session.get(Entry, entry_id)
    if entry is None:
        return False
    own = " ".join([entry.question, *(entry.similar_questions or [])])
    return unstated(query, entry.answer, own) is None


def _no_question(text: str) -> str | None:
    """Why a message that asks nothing is not answered outright, or None if it asks something."""
    if is_bare_topic(text):
        return "a bare topic"
    return "a statement, not a question" if is_statement(text) else None


def _asks(q: str) -> bool:
    # an aspect cue is a question even without a question word ("护照在那办": 哪 heard as 那)
    return bool(_QUESTION_CUE.search(q)) or asked_aspect(q) is not None


def is_statement(text: str) -> bool:
    """A report, not a question: it tells of the caller's own place or people and asks nothing (no
    question word, no A-not-A, no request for a procedure or a fact, no aspect). An entry that shares
    its words answers a question nobody asked, so it gets candidates or a ticket, not an answer.

    >>> is_statement("我们村的自来水一天只来两个小时"), is_statement("疫情期间送气公司还送不送")
    (True, False)
    >>> is_statement("异地就医备案的流程"), is_statement("小区时不时就停电")
    (False, True)
    """
    q = rules.strip_fillers(text)
    return bool(_NARRATIVE.search(q)) and not _asks(q) and not _REQUEST_CUE.search(q)


def is_bare_topic(text: str) -> bool:
    """A short message with no question in it ("以旧换新补贴", "社保咨询"): which of the matter's
    answers is wanted is a guess, so it gets candidates, not an answer.

    >>> is_bare_topic("居住证"), is_bare_topic("居住证在哪办"), is_bare_topic("居住证在那办")
    (True, False, False)
    """
    q = rules.strip_fillers(text)
    return len(q) <= _BARE_TOPIC_MAX_CHARS and not _asks(q)


def _candidates(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """Up to 4 distinct qa questions near the top score."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    floor = hits[0].score * 0.6
    for h in hits:
        if h.kind != "qa" or h.question in seen or h.score < floor:
            continue
        seen.add(h.question)
        out.append({"entry_id": h.entry_id, "external_key": h.external_key, "question": h.question})
        if len(out) == MAX_CANDIDATES:
            break
    return out


def answer_entry(entry: Entry, confidence: float, *, reason: str, query: str = "") -> Decision:
    """A direct answer: the entry's official text verbatim with its citation."""
    return Decision(
        "answer",
        confidence,
        entry_id=entry.id,
        entry_external_key=entry.external_key,
        answer=entry.answer,
        citations=[citation(entry)],
        reason=reason,
        query=query,
        reply=entry.answer,
    )


def _answer(
    entry: Entry, best: _Scored, p: float, *, llm: LLMClient | None, session: Session, day: date
) -> Decision:
    decision = answer_entry(entry, p, reason=f"confidence {p:.2f}", query=best.query)
    if llm is None:
        return decision
    from assistant.llm import SourceEntry

    # The decided entry is [1]; up to two more distinct, valid qa entries may add context.
    sources = [entry]
    for h in best.hits[1:]:
        if len(sources) == 3:
            break
        if h.kind != "qa" or h.entry_id in {e.id for e in sources}:
            continue
        other = kb_service.get(session=session, entry_id=h.entry_id)
        if other is not None and other.status == "published" and other.valid_on(day):
            sources.append(other)
    try:
        composed = llm.compose(
            question=best.query, entries=[SourceEntry(e.id, e.question, e.answer) for e in sources]
        )
    except LLMUnavailable as exc:
        log.info("LLM compose failed, answering verbatim: %s", exc)
        return decision
    if 1 not in composed.cited:
        log.info("LLM answer does not cite the decided entry: answering verbatim")
        return decision
    decision.answer = decision.reply = composed.text
    decision.citations = [citation(sources[n - 1], n) for n in composed.cited]
    decision.reason += "; composed by LLM"
    return decision
