"""The human-readable reasons shown with each match (Chinese, most telling first).

Order: matched terms, outcome type, same industry, region, honour, track record, capacity.
Only reasons that hold are listed; a full craftsman says so, because the demotion would
otherwise look arbitrary to the dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from gonghui.assist.engine.documents import CraftsmanDoc, OutcomeDoc
from gonghui.assist.engine.industries import industry_name

MAX_TERMS = 5


def shown_terms(terms: Sequence[str], *, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """Matched terms worth showing: most specific first (the input order), without a term
    that is part of a longer one already shown ("数控" under "数控车床"), at most `limit`.
    A single Chinese character ("具") explains nothing to a dispatcher: shown only when it is
    all there is."""
    telling = [t for t in terms if len(t) > 1 or t.isascii()] or list(terms)
    shown: list[str] = []
    for term in sorted(telling, key=len, reverse=True):
        if not any(term in longer for longer in shown):
            shown.append(term)
    kept = set(shown)
    return tuple(t for t in terms if t in kept)[:limit]


def terms_reason(words: Sequence[str], bigrams: Sequence[str]) -> str | None:
    """ "匹配词：…" from the word view; "相近字词：…" when only bigrams matched."""
    if words:
        return "匹配词：" + "、".join(shown_terms(words))
    if bigrams:
        return "相近字词：" + "、".join(shown_terms(bigrams))
    return None


def industry_reason(code: str) -> str:
    return f"同行业：{industry_name(code)}"


def track_record_reason(doc: CraftsmanDoc) -> str | None:
    """ "已解决问题 12 个，平均评分 4.8", or the accepted answers when nothing is confirmed yet."""
    if doc.confirmed_solutions > 0:
        text = f"已解决问题 {doc.confirmed_solutions} 个"
        if doc.rating_avg is not None:
            text += f"，平均评分 {doc.rating_avg:.1f}"
        return text
    if doc.accepted_answers > 0:
        return f"已被采纳解答 {doc.accepted_answers} 个"
    return None


def capacity_reason(doc: CraftsmanDoc) -> str | None:
    return "当前接单已满，排序靠后" if doc.capacity_left <= 0 else None


def outcome_type_reason(doc: OutcomeDoc) -> str | None:
    return f"成果类型：{doc.type}" if doc.type else None


def benefit_reason(benefit: Decimal | None) -> str | None:
    """ "已核实年效益 12.5 万元" (one decimal in 万元)."""
    if benefit is None or benefit <= 0:
        return None
    wan = (benefit / 10_000).quantize(Decimal("0.1"))
    return f"已核实年效益 {wan} 万元"
