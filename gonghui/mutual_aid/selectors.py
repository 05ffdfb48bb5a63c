"""Reads of the mutual-aid module, always through ``visible_to``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth

from gonghui.accounts.models import User
from gonghui.core.crypto import blind_index
from gonghui.core.errors import NotFound
from gonghui.core.scoping import granted_paths, subtree_q
from gonghui.core.validators import normalise_id_number
from gonghui.members.models import Member
from gonghui.mutual_aid.models import (
    Claim,
    ClaimLine,
    Consent,
    Enrolment,
    IntakeBatch,
    PayoutBatch,
    Plan,
)
from gonghui.mutual_aid.plans import policy_of
from gonghui.orgs.industries import Industry


def _plans_covering(user: User | AnonymousUser, action: str) -> QuerySet[Plan]:
    """Plans run by a union at or above a node where the user holds ``action``, or inside it."""
    if not user.is_authenticated:
        return Plan.objects.none()
    if user.is_superuser:
        return Plan.objects.all()
    paths = granted_paths(user, action)
    ancestors = {p[:i] for p in paths for i in range(4, len(p) + 1, 4)}
    return Plan.objects.filter(Q(org_unit__path__in=ancestors) | subtree_q("org_unit__path", paths))


def plan_list(*, user: User | AnonymousUser) -> QuerySet[Plan]:
    """Plans covering the user's subtrees (a district plan for a street's staff, who see its
    figures for their street) or run inside them, plus those covering the worker's own union."""
    visible = _plans_covering(user, "view")
    member = getattr(user, "member", None) if user.is_authenticated else None
    if member is not None:
        ancestors = [member.org_unit.path[:i] for i in range(4, len(member.org_unit.path) + 1, 4)]
        visible = visible | Plan.objects.filter(org_unit__path__in=ancestors)
    return visible.select_related("org_unit", "current_version").distinct()


def plan_get_for_user(*, user: User | AnonymousUser, plan_id: int) -> Plan:
    plan = plan_list(user=user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    return plan


def claim_list(*, user: User | AnonymousUser, action: str = "view") -> QuerySet[Claim]:
    """Claims of members in the user's subtrees (or the worker's own)."""
    return Claim.objects.visible_to(user, action).select_related("member", "org_unit", "plan")


def review_queue(*, user: User | AnonymousUser) -> QuerySet[Claim]:
    """Claims waiting for a decision the user may take (level 1: the plan's union; level 2:
    the union above it)."""
    if not user.is_authenticated:
        return Claim.objects.none()
    base = Claim.objects.filter(status=Claim.Status.IN_REVIEW).select_related("member", "org_unit", "plan")
    if user.is_superuser:
        return base
    paths = granted_paths(user, "review")
    level1 = Q(approvals_done=0) & subtree_q("plan__org_unit__path", paths)
    # Level 2 (two-level approval): the reviewer holds the review role strictly above the
    # plan's union (e.g. city over district).
    strictly_below = Q(pk__in=[])
    for path in paths:
        strictly_below |= Q(plan__org_unit__path__startswith=path) & ~Q(plan__org_unit__path=path)
    level2 = Q(approvals_done=1, approvals_needed=2) & strictly_below
    return base.filter(level1 | level2)


def claim_get_for_user(*, user: User | AnonymousUser, claim_id: int) -> Claim:
    """One claim, visible by subtree, as reviewer of its plan, or as its member."""
    claim = (
        claim_list(user=user).filter(pk=claim_id).first()
        or review_queue(user=user).filter(pk=claim_id).first()
    )
    if claim is None:
        raise NotFound()
    return claim


def claim_archive(*, claim: Claim) -> dict[str, Any]:
    """Everything the archive keeps for an authorised claim: lines with traces, settlements,
    documents, events and payouts."""
    return {
        "lines": list(claim.lines.select_related("settlement").order_by("superseded_at", "id")),
        "documents": list(claim.documents.all()),
        "events": list(claim.events.select_related("actor")),
        "payouts": list(claim.payouts.select_related("batch")),
    }


def member_claims(*, user: User) -> QuerySet[Claim]:
    """The worker's own claims, newest first."""
    return Claim.objects.filter(member__user=user).select_related("plan").order_by("-created_at")


def member_consents(*, member: Member) -> dict[str, Consent | None]:
    live = {c.source: c for c in Consent.objects.filter(member=member, revoked_at__isnull=True)}
    return {source: live.get(source) for source in Consent.Source.values}


def intake_list(*, user: User | AnonymousUser) -> QuerySet[IntakeBatch]:
    return IntakeBatch.objects.visible_to(user).select_related("created_by", "org_unit")


def payout_batch_list(*, user: User | AnonymousUser) -> QuerySet[PayoutBatch]:
    return PayoutBatch.objects.visible_to(user).select_related("org_unit", "created_by")


def enrolment_plan_list(*, user: User | AnonymousUser) -> QuerySet[Plan]:
    """Plans the user may enrol members into: run by a union at or above a node the user
    administers (a district plan for an enterprise union's admin), or inside that subtree."""
    return (
        _plans_covering(user, "manage")
        .select_related("org_unit", "current_version")
        .order_by("-year", "org_unit__path")
    )


def enrolment_candidates(*, user: User | AnonymousUser, plan: Plan, items: Sequence[str]) -> QuerySet[Member]:
    """Members the user may enrol in all of ``items`` of ``plan`` at once: active, managed by
    the user, under the plan's union, allowed every item by its sex rule, and enrolled (live)
    in none of those items of the plan. One query; ciphertext not loaded."""
    parsed = policy_of(plan.current_version) if plan.current_version is not None else None
    chosen = [i for i in parsed.items if i.code in items] if parsed else []
    sexes = {i.sex for i in chosen if i.sex is not None}
    if not items or len(chosen) != len(set(items)) or len(sexes) > 1:
        return Member.objects.none()
    members = (
        Member.objects.visible_to(user, "manage")
        .filter(status=Member.Status.ACTIVE, org_unit__path__startswith=plan.org_unit.path)
        .exclude(
            Exists(
                Enrolment.objects.filter(
                    member=OuterRef("pk"), plan=plan, item__in=list(items), cancelled_at__isnull=True
                )
            )
        )
    )
    if sexes:
        members = members.filter(sex=sexes.pop())
    return members.select_related("org_unit", "employer").defer("id_number", "phone")


@dataclass(frozen=True, slots=True)
class EnrolmentCandidate:
    """One member offered on the enrolment form; the chosen items' names split by whether
    the member had that item in the previous year's plan (续保) or not (首次参保)."""

    member: Member
    renewal: tuple[str, ...]
    first: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EnrolmentCandidatePage:
    candidates: list[EnrolmentCandidate]
    truncated: bool  # more members match than the page shows: search to narrow


def enrolment_candidate_page(
    *, user: User | AnonymousUser, plan: Plan, items: Sequence[str], q: str = "", limit: int = 500
) -> EnrolmentCandidatePage:
    """The first ``limit`` of ``enrolment_candidates`` (name contains ``q``, or a full ID
    number matched through its blind index), each marked 续保 per item when enrolled in the
    same item in the previous year's plan. Two queries whatever the number of members."""
    members = enrolment_candidates(user=user, plan=plan, items=items)
    q = q.strip()
    if len(q) == 18:
        members = members.filter(id_number_index=blind_index(normalise_id_number(q)))
    elif q:
        members = members.filter(name__contains=q)
    found = list(members[: limit + 1])
    shown = found[:limit]
    previous: set[tuple[int, str]] = set()
    if shown:
        previous.update(
            Enrolment.objects.filter(
                plan__year=plan.year - 1,
                member_id__in=[m.pk for m in shown],
                item__in=list(items),
                cancelled_at__isnull=True,
            ).values_list("member_id", "item")
        )
    names = {i.code: i.name for i in policy_of(plan.current_version).items} if plan.current_version else {}
    return EnrolmentCandidatePage(
        candidates=[
            EnrolmentCandidate(
                member=m,
                renewal=tuple(names.get(c, c) for c in items if (m.pk, c) in previous),
                first=tuple(names.get(c, c) for c in items if (m.pk, c) not in previous),
            )
            for m in shown
        ],
        truncated=len(found) > limit,
    )


def enrolment_list(*, user: User | AnonymousUser) -> QuerySet[Enrolment]:
    """Live enrolments of members in the user's subtrees (ID numbers not decrypted)."""
    return (
        Enrolment.objects.visible_to(user)
        .filter(cancelled_at__isnull=True)
        .select_related("member", "plan", "org_unit", "member__employer")
        .defer("member__id_number", "member__phone")
    )


def enrolment_summary(*, enrolments: QuerySet[Enrolment]) -> dict[str, Any]:
    """Per enterprise (工作单位): members, enrolments and fees of an already-scoped queryset,
    in one grouped query; members without an employer form one row (灵活就业等)."""
    rows = [
        {
            "name": r["member__employer__name"] or "无工作单位（灵活就业等）",
            "members": r["members"],
            "enrolments": r["enrolments"],
            "fees": r["fees"] or Decimal("0"),
        }
        for r in enrolments.order_by()
        .values("member__employer_id", "member__employer__name")
        .annotate(members=Count("member_id", distinct=True), enrolments=Count("id"), fees=Sum("fee"))
        .order_by("-fees", "member__employer__name")
    ]
    # A member has one employer, so the per-enterprise member counts add up.
    return {
        "rows": rows,
        "members": sum(r["members"] for r in rows),
        "enrolments": sum(r["enrolments"] for r in rows),
        "fees": sum((r["fees"] for r in rows), Decimal("0")),
    }


# Readable names of the spec's benefit codes, used when the policy gives a benefit no ``name``.
BENEFIT_LABELS = {
    "inpatient": "住院",
    "special_outpatient": "规定病种门诊",
    "critical_illness": "重大疾病",
    "in_situ_thyroid": "原位癌及甲状腺癌",
    "living_allowance": "住院生活补助",
    "female_cancer": "女职工特殊疾病",
}
BENEFIT_KIND_LABELS = {"tiered_ratio": "按比例补助", "per_day": "住院天数补助", "lump_sum": "定额补助"}


def benefit_labels(plan: Plan) -> dict[tuple[str, str], str]:
    """Names from the plan's current policy: ``(item, "")`` → item name, ``(item, benefit)`` →
    the benefit's name (or a label for its code / kind when the policy gives none)."""
    if plan.current_version is None:
        return {}
    labels: dict[tuple[str, str], str] = {}
    for item in policy_of(plan.current_version).items:
        labels[(item.code, "")] = item.name
        for benefit in item.benefits:
            labels[(item.code, benefit.code)] = (
                benefit.name
                or BENEFIT_LABELS.get(benefit.code)
                or f"{item.name}·{BENEFIT_KIND_LABELS.get(benefit.kind, benefit.code)}"
            )
    return labels


def statistics(*, user: User | AnonymousUser, plan: Plan) -> dict[str, Any]:
    """Figures for the dashboard: by street, industry, month and benefit (set-based)."""
    claims = claim_list(user=user).filter(plan=plan).exclude(status=Claim.Status.CANCELLED)
    enrolled = Enrolment.objects.visible_to(user).filter(plan=plan, cancelled_at__isnull=True)
    applied_statuses = [s for s in Claim.Status.values if s not in ("candidate", "cancelled")]
    totals = claims.aggregate(
        candidates=Count("id"),
        applied=Count("id", filter=Q(status__in=applied_statuses)),
        paid=Count("id", filter=Q(status=Claim.Status.PAID)),
        paid_amount=Sum("amount", filter=Q(status=Claim.Status.PAID)),
        owed_total=Sum("amount"),
        auto=Count("id", filter=Q(status__in=applied_statuses, needs_review=False, approvals_needed=1)),
    )
    totals["enrolled_members"] = enrolled.values("member_id").distinct().count()
    totals["fees"] = enrolled.aggregate(s=Sum("fee"))["s"] or 0
    totals["automation_rate"] = (
        round(100 * totals["auto"] / totals["applied"], 1) if totals["applied"] else None
    )
    paid = claims.filter(status=Claim.Status.PAID, first_discharge__isnull=False)
    days = paid.annotate(
        wait=ExpressionWrapper(F("paid_at") - F("applied_at"), output_field=DurationField())
    ).aggregate(avg=Avg("wait"))["avg"]
    totals["avg_apply_to_paid_days"] = round(days.total_seconds() / 86400, 1) if days else None
    # Streets are the depth-5 ancestors (全总/省/市/区/镇街): group by the path prefix.
    street_len = 5 * 4
    by_street: dict[str, dict[str, Any]] = {}
    for row in claims.values("org_unit__path").annotate(n=Count("id"), total=Sum("amount")):
        key = row["org_unit__path"][:street_len]
        entry = by_street.setdefault(key, {"n": 0, "amount": 0})
        entry["n"] += row["n"]
        entry["amount"] += row["total"] or 0
    from gonghui.orgs.models import OrgUnit

    names = dict(OrgUnit.objects.filter(path__in=list(by_street)).values_list("path", "name"))
    streets = [
        {"name": names.get(k, k), "claims": v["n"], "amount": float(v["amount"])}
        for k, v in sorted(by_street.items())
    ]
    by_industry = [
        {
            "name": Industry(r["member__employer__industry"]).label
            if r["member__employer__industry"]
            else "灵活就业",
            "claims": r["n"],
            "amount": float(r["total"] or 0),
        }
        for r in claims.values("member__employer__industry")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("member__employer__industry")
    ]
    by_month = [
        {
            "month": r["m"].strftime("%Y-%m") if r["m"] else "—",
            "claims": r["n"],
            "amount": float(r["total"] or 0),
        }
        for r in claims.annotate(m=TruncMonth("first_discharge"))
        .values("m")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("m")
    ]
    by_enterprise = _by_enterprise(claims, enrolled, applied_statuses)
    labels = benefit_labels(plan)
    by_benefit = [
        {
            "name": labels.get((r["item"], r["benefit"]), r["benefit"]),
            "item": labels.get((r["item"], ""), r["item"]),
            "lines": r["n"],
            "amount": float(r["total"] or 0),
        }
        for r in ClaimLine.objects.filter(claim__in=claims, superseded_at__isnull=True)
        .values("item", "benefit")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("item", "benefit")
    ]
    return {
        "totals": totals,
        "by_street": streets,
        "by_industry": by_industry,
        "by_month": by_month,
        "by_benefit": by_benefit,
        "by_enterprise": by_enterprise,
    }


def _by_enterprise(
    claims: QuerySet[Claim], enrolled: QuerySet[Enrolment], applied_statuses: list[str]
) -> list[dict[str, Any]]:
    """Per employer (members without one under 灵活就业): enrolled members, candidates, applied,
    paid and the amount, largest amount first; enterprises with members enrolled but no claim
    are listed too (two grouped queries)."""
    rows: dict[int | None, dict[str, Any]] = {}

    def entry(employer_id: int | None, name: str | None) -> dict[str, Any]:
        return rows.setdefault(
            employer_id,
            {
                "name": name or "灵活就业",
                "enrolled": 0,
                "candidates": 0,
                "applied": 0,
                "paid": 0,
                "amount": 0.0,
            },
        )

    for r in enrolled.values("member__employer_id", "member__employer__name").annotate(
        n=Count("member_id", distinct=True)
    ):
        entry(r["member__employer_id"], r["member__employer__name"])["enrolled"] = r["n"]
    for r in claims.values("member__employer_id", "member__employer__name").annotate(
        n=Count("id"),
        applied=Count("id", filter=Q(status__in=applied_statuses)),
        paid=Count("id", filter=Q(status=Claim.Status.PAID)),
        total=Sum("amount"),
    ):
        row = entry(r["member__employer_id"], r["member__employer__name"])
        row.update(candidates=r["n"], applied=r["applied"], paid=r["paid"], amount=float(r["total"] or 0))
    return sorted(rows.values(), key=lambda r: (-r["amount"], -r["enrolled"], r["name"]))
