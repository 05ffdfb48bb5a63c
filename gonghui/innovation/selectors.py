"""Reads of the innovation module, always through ``visible_to``.

One deliberate exception: the similar-outcome warning searches the titles of every outcome
filed in the same district (not only the worker's own), because prior art is public there
(outcomes are published at 改善案例发布 meetings); it returns titles and status, never team
members or texts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.core.errors import NotFound
from gonghui.core.scoping import granted_paths
from gonghui.innovation.engine.similarity import Candidate, Similar, similar, terms
from gonghui.innovation.models import (
    Alliance,
    Assignment,
    Entry,
    Evaluation,
    Outcome,
    PanelJudge,
    RewardPayment,
    Studio,
    StudioRating,
)
from gonghui.innovation.outcomes import DEADLINE_STATUSES
from gonghui.members.models import Member
from gonghui.orgs.industries import Industry
from gonghui.orgs.models import OrgUnit

S = Outcome.Status
ADOPTED_OR_LATER = frozenset(
    {
        S.ADOPTED,
        S.IMPLEMENTED,
        S.BENEFIT_CALCULATED,
        S.VERIFIED,
        S.GRADED,
        S.REWARDED,
    }
)
IMPLEMENTED_OR_LATER = frozenset({S.IMPLEMENTED, S.BENEFIT_CALCULATED, S.VERIFIED, S.GRADED, S.REWARDED})
SIMILAR_CANDIDATES = 3000


def _uid(user: User | AnonymousUser) -> int:
    """The id of a signed-in user (0, matching nobody, for anonymous)."""
    return int(user.pk or 0)


def outcome_list(*, user: User | AnonymousUser, action: str = "view") -> QuerySet[Outcome]:
    """Outcomes the user may see: staff their subtree, workers their own."""
    return Outcome.objects.visible_to(user, action).select_related("org_unit", "enterprise")


def outcome_get_for_user(*, user: User | AnonymousUser, outcome_id: int, action: str = "view") -> Outcome:
    """One outcome; missing and not-visible raise the same NotFound."""
    try:
        return outcome_list(user=user, action=action).select_related("studio", "proposer").get(pk=outcome_id)
    except Outcome.DoesNotExist as exc:
        raise NotFound() from exc


def outcome_detail(*, outcome: Outcome) -> dict[str, Any]:
    """Everything the detail page shows, in a fixed number of queries."""
    return {
        "team": list(outcome.team.all()),
        "attachments": list(outcome.attachments.all()),
        "patents": list(outcome.patents.all()),
        "history": list(outcome.history.select_related("actor")),
        "benefit_lines": list(outcome.benefit_lines.all()),
        "rewards": list(outcome.rewards.all()),
        "nominations": list(outcome.nominations.all()),
        "entries": list(outcome.entries.select_related("evaluation")),
    }


def review_queue(*, user: User | AnonymousUser) -> QuerySet[Outcome]:
    """Outcomes waiting on the user's subtree (受理 / 评审), oldest deadline first."""
    return (
        outcome_list(user=user, action="review").filter(status__in=DEADLINE_STATUSES).order_by("due_on", "pk")
    )


def overdue_count(*, user: User | AnonymousUser, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return review_queue(user=user).filter(due_on__lt=today).count()


def _district_of(org_unit: OrgUnit) -> str:
    """The path of the district (区县) at or above ``org_unit``; units above districts search
    their own subtree."""
    prefixes = [org_unit.path[:i] for i in range(OrgUnit.steplen, len(org_unit.path) + 1, OrgUnit.steplen)]
    district = (
        OrgUnit.objects.filter(path__in=prefixes, level=OrgUnit.Level.DISTRICT)
        .values_list("path", flat=True)
        .first()
    )
    return str(district or org_unit.path)


def similar_outcomes(
    *, org_unit: OrgUnit, title: str, text: str = "", exclude_id: int | None = None
) -> tuple[Similar, ...]:
    """Existing outcomes in the same district that look like the one being filed.

    A SQL pre-filter keeps outcomes sharing at least one of the query's rarer bigrams, then the
    pure engine scores them (Dice over bigrams) and explains each hit with the shared terms.
    """
    query_terms = sorted(terms(title) | terms(text), key=lambda t: (-len(t), t))[:24]
    if not query_terms:
        return ()
    prefilter = Q()
    for term in query_terms:
        prefilter |= Q(search_text__contains=term)
    rows = (
        Outcome.objects.filter(org_unit__path__startswith=_district_of(org_unit))
        .exclude(status=S.DRAFT)
        .filter(prefilter)
        .order_by("-id")
        .values_list("id", "title", "search_text")[:SIMILAR_CANDIDATES]
    )
    candidates = [Candidate(id=pk, title=t, text=s) for pk, t, s in rows if pk != exclude_id]
    return similar(title=title, text=text, candidates=candidates)


def similar_outcome_rows(*, found: tuple[Similar, ...]) -> list[dict[str, Any]]:
    """Public facts of the similar outcomes (title, type, status, enterprise, year)."""
    by_id = {
        o.pk: o
        for o in Outcome.objects.filter(pk__in=[s.id for s in found]).select_related("enterprise", "org_unit")
    }
    rows = []
    for hit in found:
        outcome = by_id.get(hit.id)
        if outcome is None:
            continue
        rows.append(
            {
                "id": hit.id,
                "title": outcome.title,
                "type": outcome.type_label,
                "status": outcome.get_status_display(),  # type: ignore[attr-defined]
                "unit": outcome.enterprise.name if outcome.enterprise else outcome.org_unit.name,
                "year": outcome.created_at.year,
                "score": hit.score,
                "shared": hit.shared,
            }
        )
    return rows


# --- evaluations ---------------------------------------------------------------------------


def evaluation_list(*, user: User | AnonymousUser, action: str = "view") -> QuerySet[Evaluation]:
    return Evaluation.objects.visible_to(user, action).select_related("org_unit", "rubric")


def evaluation_get_for_user(
    *, user: User | AnonymousUser, evaluation_id: int, action: str = "view"
) -> Evaluation:
    """Staff of the host's subtree; judges of its panel may view it too (their pages)."""
    evaluation = evaluation_list(user=user, action=action).filter(pk=evaluation_id).first()
    if evaluation is None and action == "view" and getattr(user, "is_authenticated", False):
        evaluation = (
            Evaluation.objects.filter(pk=evaluation_id, judges__user_id=_uid(user))
            .select_related("org_unit", "rubric")
            .first()
        )
    if evaluation is None:
        raise NotFound()
    return evaluation


def evaluation_board(*, evaluation: Evaluation) -> dict[str, Any]:
    """The running order with scores as they arrive (screen page, host page, results)."""
    entries = list(
        evaluation.entries.select_related("outcome__enterprise", "outcome__org_unit").prefetch_related(
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("judge").order_by("judge__seat")
            )
        )
    )
    judges = list(evaluation.judges.select_related("user"))
    rows = []
    for entry in entries:
        assignments = list(entry.assignments.all())
        rows.append(
            {
                "entry": entry,
                "assignments": assignments,
                "scored": sum(1 for a in assignments if a.scores is not None),
                "expected": sum(1 for a in assignments if not a.excused),
                "excused": sum(1 for a in assignments if a.excused),
            }
        )
    return {"entries": rows, "judges": judges}


def judge_panels(*, user: User | AnonymousUser) -> QuerySet[PanelJudge]:
    """The panels a judge sits on (their phone landing page)."""
    if not getattr(user, "is_authenticated", False):
        return PanelJudge.objects.none()
    return (
        PanelJudge.objects.filter(user_id=_uid(user))
        .select_related("evaluation")
        .order_by("-evaluation__held_on")
    )


def judge_sheet(*, user: User | AnonymousUser, evaluation: Evaluation) -> list[Assignment]:
    """The judge's own assignments in running order (only their own scores, never others')."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    assignments = list(
        Assignment.objects.filter(judge__evaluation=evaluation, judge__user_id=_uid(user))
        .select_related("entry__outcome", "judge")
        .order_by("entry__order")
    )
    if not assignments:
        raise NotFound()
    return assignments


def assignment_get_for_judge(*, user: User | AnonymousUser, assignment_id: int) -> Assignment:
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    assignment = (
        Assignment.objects.filter(pk=assignment_id, judge__user_id=_uid(user))
        .select_related("entry__evaluation__rubric", "entry__outcome", "judge")
        .first()
    )
    if assignment is None:
        raise NotFound()
    return assignment


def results(*, evaluation: Evaluation) -> list[Entry]:
    """Entries by rank (unranked last), for the results page and certificates."""
    return sorted(
        evaluation.entries.select_related("outcome__enterprise", "outcome__org_unit"),
        key=lambda e: (e.rank is None, e.rank or 0, e.order),
    )


# --- studios and alliances -------------------------------------------------------------------


def studio_list(*, user: User | AnonymousUser, action: str = "view") -> QuerySet[Studio]:
    return Studio.objects.visible_to(user, action).select_related("org_unit", "enterprise")


def studio_get_for_user(*, user: User | AnonymousUser, studio_id: int, action: str = "view") -> Studio:
    try:
        return studio_list(user=user, action=action).get(pk=studio_id)
    except Studio.DoesNotExist as exc:
        raise NotFound() from exc


def studio_detail(*, studio: Studio) -> dict[str, Any]:
    return {
        "ratings": list(studio.ratings.select_related("rated_by")),
        "people": list(studio.people.order_by("-year", "role", "name")),
        "evidence": list(studio.evidence.order_by("-year", "have")),
        "activities": list(studio.activities.all()[:50]),
        "outcomes": list(studio.outcomes.order_by("-created_at")[:50]),
        "alliances": list(studio.alliances.all()),
    }


def studio_rating_get(*, studio: Studio, year: int) -> StudioRating:
    """One stored yearly rating of a studio the caller already may see (NotFound if none)."""
    rating = studio.ratings.filter(year=year).select_related("rated_by").first()
    if rating is None:
        raise NotFound()
    return rating


def alliance_list(*, user: User | AnonymousUser) -> QuerySet[Alliance]:
    return (
        Alliance.objects.visible_to(user)
        .select_related("org_unit")
        .annotate(studio_count=Count("memberships"))
    )


def alliance_get_for_user(*, user: User | AnonymousUser, alliance_id: int) -> Alliance:
    try:
        return alliance_list(user=user).get(pk=alliance_id)
    except Alliance.DoesNotExist as exc:
        raise NotFound() from exc


def alliance_member_studios(*, alliance: Alliance) -> QuerySet[Studio]:
    """The member studios of an alliance the caller may see, wherever they sit (members from
    other regions included: membership is shared within the alliance)."""
    return Studio.objects.filter(pk__in=alliance.memberships.values("studio_id")).order_by("name")


def alliance_detail(*, alliance: Alliance) -> dict[str, Any]:
    memberships = list(alliance.memberships.select_related("studio__org_unit", "studio__enterprise"))
    projects = list(alliance.projects.prefetch_related("studios"))
    activities = list(alliance.activities.all())
    return {
        "memberships": memberships,
        "projects": projects,
        "resources": list(alliance.resources.select_related("studio")),
        "activities": activities,
        "stats": {
            "studios": len(memberships),
            "regions": len({m.studio.org_unit.path[:16] for m in memberships}),
            "enterprises": len({m.studio.enterprise_id for m in memberships if m.studio.enterprise_id}),
            "projects": len(projects),
            "participants": sum(a.participants for a in activities),
        },
    }


# --- statistics --------------------------------------------------------------------------------


def _top_unit(user: User | AnonymousUser) -> OrgUnit | None:
    """The highest node the user views (superuser: the tree's root)."""
    if getattr(user, "is_superuser", False):
        return OrgUnit.get_root_nodes().first()  # type: ignore[no-any-return]
    paths = granted_paths(user, "view")
    if not paths:
        return None
    return OrgUnit.objects.filter(path=min(paths, key=len)).first()


def statistics(*, user: User | AnonymousUser, year: int, unit: OrgUnit | None = None) -> dict[str, Any]:
    """Figures by node (children of the unit), industry, type and month, for ``year`` and the
    year before (year-on-year): submitted, adopted, implemented, verified value, rewards paid,
    participation (distinct proposers / active members) and studios by star."""
    unit = unit or _top_unit(user)
    if unit is None:
        raise NotFound()
    scope = Outcome.objects.visible_to(user).filter(org_unit__path__startswith=unit.path)
    submitted = scope.filter(submitted_at__isnull=False)

    def totals(y: int) -> dict[str, Any]:
        rows = submitted.filter(submitted_at__year=y)
        figures = rows.aggregate(
            submitted=Count("id"),
            adopted=Count("id", filter=Q(status__in=ADOPTED_OR_LATER)),
            implemented=Count("id", filter=Q(status__in=IMPLEMENTED_OR_LATER)),
            verified_value=Coalesce(Sum("verified_benefit"), Decimal(0)),
            proposers=Count("proposer", distinct=True),
        )
        figures["rewards_paid"] = RewardPayment.objects.filter(outcome__in=scope, paid_on__year=y).aggregate(
            total=Coalesce(Sum("amount"), Decimal(0))
        )["total"]
        return figures

    this_year, last_year = totals(year), totals(year - 1)
    members = Member.objects.filter(org_unit__path__startswith=unit.path, status=Member.Status.ACTIVE).count()
    participation = (
        (Decimal(this_year["proposers"]) / members * 100).quantize(Decimal("0.01")) if members else None
    )
    # Last year's rate over today's membership (membership history is not kept per year).
    participation_last = (
        (Decimal(last_year["proposers"]) / members * 100).quantize(Decimal("0.01")) if members else None
    )

    def yoy(key: str) -> Decimal | None:
        before, now = Decimal(last_year[key]), Decimal(this_year[key])
        return ((now - before) / before * 100).quantize(Decimal("0.1")) if before else None

    children = list(unit.get_children())
    by_node_rows: defaultdict[int, dict[str, Any]] = defaultdict(
        lambda: {"submitted": 0, "adopted": 0, "value": Decimal(0)}
    )
    child_of = {c.path: c for c in children}
    depth = len(unit.path) + OrgUnit.steplen
    for path, count, adopted, value in (
        submitted.filter(submitted_at__year=year)
        .values_list("org_unit__path")
        .annotate(
            n=Count("id"),
            a=Count("id", filter=Q(status__in=ADOPTED_OR_LATER)),
            v=Coalesce(Sum("verified_benefit"), Decimal(0)),
        )
        .values_list("org_unit__path", "n", "a", "v")
    ):
        child = child_of.get(path[:depth])
        if child is None:
            continue
        row = by_node_rows[child.pk]
        row["submitted"] += count
        row["adopted"] += adopted
        row["value"] += value
    by_node = [{"name": c.name, **by_node_rows[c.pk]} for c in children]
    labels = dict(Industry.choices)
    by_industry = [
        {"name": labels.get(code, "未填写") if code else "未填写", "submitted": n, "value": v}
        for code, n, v in submitted.filter(submitted_at__year=year)
        .values_list("industry")
        .annotate(n=Count("id"), v=Coalesce(Sum("verified_benefit"), Decimal(0)))
        .values_list("industry", "n", "v")
        .order_by("-n")
    ]
    type_labels = dict(Outcome.Type.choices)
    by_type = [
        {"name": str(type_labels[code]), "submitted": n, "adopted": a}
        for code, n, a in submitted.filter(submitted_at__year=year)
        .values_list("type")
        .annotate(n=Count("id"), a=Count("id", filter=Q(status__in=ADOPTED_OR_LATER)))
        .values_list("type", "n", "a")
        .order_by("type")
    ]
    monthly: dict[int, dict[int, int]] = {
        year - 1: dict.fromkeys(range(1, 13), 0),
        year: dict.fromkeys(range(1, 13), 0),
    }
    for created in submitted.filter(submitted_at__year__in=[year - 1, year]).values_list(
        "submitted_at", flat=True
    ):
        local = timezone.localtime(created)
        if local.year in monthly:
            monthly[local.year][local.month] += 1
    studios = (
        Studio.objects.visible_to(user)
        .filter(org_unit__path__startswith=unit.path, status=Studio.Status.ACTIVE)
        .values_list("stars")
        .annotate(n=Count("id"))
        .order_by("stars")
    )
    years = list(
        submitted.annotate(y=ExtractYear("submitted_at"))
        .values_list("y", flat=True)
        .distinct()
        .order_by("-y")
    )
    return {
        "unit": unit,
        "year": year,
        "years": years or [year],
        "this_year": this_year,
        "last_year": last_year,
        "members": members,
        "participation": participation,
        "participation_last": participation_last,
        # Change of the participation rate in percentage points (a rate's year-on-year).
        "participation_change": (
            participation - participation_last
            if participation is not None and participation_last is not None
            else None
        ),
        "yoy": {
            key: yoy(key) for key in ("submitted", "adopted", "implemented", "verified_value", "rewards_paid")
        },
        "by_node": by_node,
        "by_industry": by_industry,
        "by_type": by_type,
        "monthly": {y: [months[m] for m in range(1, 13)] for y, months in monthly.items()},
        "studios_by_star": [{"stars": s, "count": n} for s, n in studios],
        "ratings_this_year": StudioRating.objects.filter(
            studio__in=Studio.objects.visible_to(user).filter(org_unit__path__startswith=unit.path), year=year
        ).count(),
    }
