"""Screening (智能提醒): replay members' years with the engine and create candidate claims.

The context builder reads everything for a chunk of members up front (settlements,
enrolments, live claim lines) in a few set-based queries; the pure engine does the money;
this module only diffs the engine's lines against what is already stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gonghui.core.bulk import copy_insert
from gonghui.members.models import Member
from gonghui.mutual_aid.assessment.types import Assessment, Case
from gonghui.mutual_aid.engine import records
from gonghui.mutual_aid.engine.calculate import AssessmentCache, PayLine, evaluate_member
from gonghui.mutual_aid.engine.io import SETTLEMENT_HEADER
from gonghui.mutual_aid.models import Claim, ClaimEvent, ClaimLine, Enrolment, Plan, Settlement
from gonghui.mutual_aid.plans import policy_of
from gonghui.mutual_aid.selectors import BENEFIT_LABELS

logger = logging.getLogger(__name__)

Assessor = Callable[[Case], Assessment]
# Claims whose money may still change when a late settlement or a reversal arrives.
OPEN_STATUSES = {
    Claim.Status.CANDIDATE,
    Claim.Status.APPLIED,
    Claim.Status.NEEDS_DOCUMENTS,
    Claim.Status.IN_REVIEW,
}
CHUNK = 2000


@dataclass
class ScreeningResult:
    """What one screening run changed."""

    members: int = 0
    new_claims: list[int] = field(default_factory=list)
    new_lines: int = 0
    superseded_lines: int = 0
    anomalies: int = 0


def default_assessor() -> Assessor:
    from gonghui.mutual_aid.assessment.service import default_assessor as real

    return real()


# Settlement columns copied into the engine's record (same names on both sides).
_RECORD_FIELDS = tuple(c for c in SETTLEMENT_HEADER if c not in ("certno", "psn_name"))


def _review_reasons(plan: Plan, lines: Sequence[PayLine], total: Decimal) -> list[str]:
    reasons = []
    for line in lines:
        if line.status == "review":
            benefit = BENEFIT_LABELS.get(line.benefit, line.benefit)
            category = _category_names().get(line.category or "", line.category or "")
            reasons.append(f"{benefit}：重疾类别「{category}」需人工确认")
    if total >= plan.review_threshold:
        reasons.append(f"金额 {total} 元达到人工审核阈值 {plan.review_threshold} 元")
    return reasons


@lru_cache(maxsize=1)
def _category_names() -> dict[str, str]:
    from gonghui.mutual_aid.assessment.catalogue import load_catalogue

    return {c.code: c.name_zh for c in load_catalogue().categories}


@lru_cache(maxsize=1)
def _evidence_by_category() -> dict[str, str]:
    from gonghui.mutual_aid.assessment.catalogue import load_catalogue

    return {c.code: c.evidence for c in load_catalogue().categories}


def _evidence(line: PayLine) -> str:
    """The documents still required for a review line's category (e.g. 病理报告)."""
    if line.status != "review" or not line.category:
        return ""
    return _evidence_by_category().get(line.category, "")


def screen_members(
    *,
    plan: Plan,
    member_ids: Iterable[int],
    assessor: Assessor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScreeningResult:
    """Recompute what each member is owed under the plan's current version.

    New (settlement, benefit) lines become one new candidate claim per member; open claims
    whose lines changed (late settlement, reversal) are corrected with the old lines kept as
    superseded; paid money is never touched — a difference there is recorded as an anomaly
    event for staff.
    """
    assert plan.current_version is not None
    version = plan.current_version
    policy = policy_of(version)
    cache = AssessmentCache(assessor or default_assessor())
    ids = sorted(set(member_ids))
    result = ScreeningResult()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            _screen_chunk(plan, version, policy, cache, chunk, result)
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))
    result.members = len(ids)
    return result


def _screen_chunk(plan, version, policy, cache, chunk: list[int], result: ScreeningResult) -> None:  # type: ignore[no-untyped-def]
    members = {
        m.pk: m
        for m in Member.objects.filter(pk__in=chunk).only(
            "id", "id_number", "org_unit_id", "name", "user_id", "phone"
        )
    }
    year_q = Q(enddate__year=plan.year) | Q(refd_setl_flag=True)
    # Tuples, not model instances: the engine wants its own frozen records, and building
    # tens of thousands of Django models just to copy their fields is the slow part.
    by_member: dict[int, list[records.Settlement]] = defaultdict(list)
    settlement_ids: dict[str, int] = {}
    for row in (
        Settlement.objects.filter(year_q, member_id__in=chunk)
        .order_by("member_id", "enddate")
        .values_list("pk", "member_id", *_RECORD_FIELDS)
    ):
        pk, member_id, values = row[0], row[1], row[2:]
        settlement_ids[values[0]] = pk
        by_member[member_id].append(
            records.Settlement(
                certno=members[member_id].id_number, **dict(zip(_RECORD_FIELDS, values, strict=True))
            )
        )
    enrolments: dict[int, list[records.Enrolment]] = defaultdict(list)
    for member_id, item, start_date, renewal in Enrolment.objects.filter(
        plan=plan, member_id__in=chunk, cancelled_at__isnull=True
    ).values_list("member_id", "item", "start_date", "renewal"):
        enrolments[member_id].append(
            records.Enrolment(
                certno=members[member_id].id_number,
                year=plan.year,
                item=item,
                start_date=start_date,
                renewal=renewal,
            )
        )
    live: dict[int, dict[tuple[str, str], ClaimLine]] = defaultdict(dict)
    for line in ClaimLine.objects.filter(
        claim__member_id__in=chunk, claim__plan=plan, superseded_at__isnull=True
    ).select_related("claim", "settlement"):
        live[line.claim.member_id][(line.settlement.setl_id, line.benefit)] = line
    now = timezone.now()
    new_claims: list[Claim] = []
    new_lines: list[tuple[Claim, ClaimLine]] = []
    touched_claims: set[int] = set()
    events: list[ClaimEvent] = []
    for member_id, rows in by_member.items():
        member = members[member_id]
        evaluated = evaluate_member(policy, enrolments.get(member_id, ()), rows, cache)
        computed = {(pl.setl_id, pl.benefit): pl for pl in evaluated.lines}
        existing = live.get(member_id, {})
        fresh: list[PayLine] = []
        for key, pl in computed.items():
            old = existing.get(key)
            if old is None:
                fresh.append(pl)
            elif old.amount != pl.amount or old.status != pl.status:
                if old.claim.status in OPEN_STATUSES:
                    old.superseded_at = now
                    old.save(update_fields=["superseded_at"])
                    result.superseded_lines += 1
                    new_lines.append((old.claim, _line(old.claim, pl, settlement_ids)))
                    touched_claims.add(old.claim_id)
                else:
                    result.anomalies += 1
                    events.append(
                        ClaimEvent(
                            claim=old.claim,
                            kind="anomaly",
                            note=(f"重新计算金额 {pl.amount} 与已处理金额 {old.amount} 不一致，请人工核查")[
                                :300
                            ],
                            data={"setl_id": pl.setl_id, "benefit": pl.benefit},
                        )
                    )
        for key, old in existing.items():
            if key in computed:
                continue
            if old.claim.status in OPEN_STATUSES:
                old.superseded_at = now
                old.save(update_fields=["superseded_at"])
                result.superseded_lines += 1
                touched_claims.add(old.claim_id)
            else:
                result.anomalies += 1
                events.append(
                    ClaimEvent(
                        claim=old.claim,
                        kind="anomaly",
                        note="该明细重新计算后不再应付（如结算单被冲销），请人工核查",
                        data={"setl_id": key[0], "benefit": key[1]},
                    )
                )
        if fresh:
            total = sum((pl.amount for pl in fresh), Decimal("0"))
            reasons = _review_reasons(plan, fresh, total)
            claim = Claim(
                member_id=member_id,
                plan=plan,
                plan_version=version,
                org_unit_id=member.org_unit_id,
                amount=total,
                needs_review=bool(reasons),
                review_reasons=reasons,
                approvals_needed=2 if any(pl.benefit in plan.second_level_benefits for pl in fresh) else 1,
                first_discharge=min(pl.enddate for pl in fresh),
            )
            new_claims.append(claim)
            for pl in fresh:
                new_lines.append((claim, _line(claim, pl, settlement_ids)))
    copy_insert(new_claims, assign_pks=True)
    if new_claims and new_claims[0].pk is None:  # pragma: no cover - backends without RETURNING
        raise RuntimeError("database backend must return primary keys from bulk_create")
    lines = []
    for claim, line in new_lines:
        line.claim = claim  # re-bind: the claim has its primary key now
        lines.append(line)
    copy_insert(lines)
    copy_insert(
        [
            ClaimEvent(
                claim=c,
                kind="screened",
                note=f"智能筛查发现应补助 {c.amount} 元",
                data={"version": version.number},
            )
            for c in new_claims
        ]
        + events
    )
    for claim in Claim.objects.filter(pk__in=touched_claims):
        total = sum((ln.amount for ln in claim.lines.filter(superseded_at__isnull=True)), Decimal("0"))
        ClaimEvent.objects.create(
            claim=claim, kind="recalculated", note=f"数据更新后重新计算：{claim.amount} → {total} 元"
        )
        claim.amount = total
        if total == 0 and claim.status in OPEN_STATUSES:
            # Everything it held was reversed or re-attributed: nothing left to apply for.
            claim.status = Claim.Status.CANCELLED
            ClaimEvent.objects.create(claim=claim, kind="cancelled", note="明细均已撤销，申报自动作废")
        claim.save(update_fields=["amount", "status"])
    result.new_claims.extend(c.pk for c in new_claims)
    result.new_lines += len(lines)


def _line(claim: Claim, pl: PayLine, settlement_ids: dict[str, int]) -> ClaimLine:
    return ClaimLine(
        claim=claim,
        settlement_id=settlement_ids[pl.setl_id],
        item=pl.item,
        benefit=pl.benefit,
        kind=pl.kind,
        base=pl.base,
        days=pl.days,
        amount=pl.amount,
        status=pl.status,
        category=pl.category or "",
        evidence=_evidence(pl)[:200],
        trace=pl.trace.as_dict(),
    )


def claim_deadline(plan: Plan, year: int) -> dt.date | None:
    """Last day to apply: the policy's ``claim_deadline`` (MM-DD) of the next year."""
    assert plan.current_version is not None
    deadlines = [i.claim_deadline for i in policy_of(plan.current_version).items if i.claim_deadline]
    if not deadlines:
        return None
    month, day = min(deadlines)
    return dt.date(year + 1, month, day)
