"""Reads of the service ledger, 师徒结对, 先用后转 and the KPI dashboard, always scoped.

Staff see their subtree (``visible_to``). Two personal views are added where the business
needs them: an enterprise's contact (role ``enterprise_contact`` on the enterprise's union)
sees the activities and trial applications of that enterprise, and a craftsman with a login
sees their own pairs. 先用后转 offers are published downwards: an offer by a union is visible
to everyone under it.

KPI figures are set-based: one query per figure family and breakdown, grouped by the path
prefix of the child node (``Substr(path, 1, depth)``) or by month — never a query per node.
Distinct people and distinct enterprises are counted in SQL over the whole scope, never
summed from parts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, Substr

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.assist.models import (
    Craftsman,
    KpiTarget,
    LibraryOutcome,
    MentorPair,
    PairCheckIn,
    ServiceActivity,
    ServiceProblem,
    Trainee,
    TrialApplication,
    TrialReport,
)
from gonghui.core.errors import NotFound
from gonghui.core.scoping import granted_paths
from gonghui.orgs.models import Enterprise, OrgUnit

CENT = Decimal("0.01")

# --- who is who -------------------------------------------------------------------------------


def contact_union_ids(user: User | AnonymousUser) -> list[int]:
    """Enterprise unions where ``user`` is the enterprise's contact (cached on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache: dict[str, list[int]] = user.__dict__.setdefault("_gonghui_contact_unions", {})
    if "ids" not in cache:
        cache["ids"] = sorted(
            RoleGrant.objects.filter(
                user_id=user.pk, role=Role.ENTERPRISE_CONTACT, revoked_at__isnull=True
            ).values_list("org_unit_id", flat=True)
        )
    return cache["ids"]


def is_enterprise_contact(user: User | AnonymousUser, enterprise: Enterprise) -> bool:
    """``user`` speaks for ``enterprise`` (holds the contact role on its union)."""
    return enterprise.union_id in contact_union_ids(user)


def _ancestor_paths(paths: list[str]) -> set[str]:
    """Every path that is a node or an ancestor of one of ``paths``."""
    out: set[str] = set()
    for path in paths:
        out.update(path[:end] for end in range(OrgUnit.steplen, len(path) + 1, OrgUnit.steplen))
    return out


def top_unit(user: User | AnonymousUser) -> OrgUnit | None:
    """The highest node the user views (superuser: the tree's root)."""
    if getattr(user, "is_superuser", False):
        return OrgUnit.get_root_nodes().first()  # type: ignore[no-any-return]
    paths = granted_paths(user, "view")
    if not paths:
        return None
    return OrgUnit.objects.filter(path=min(paths, key=len)).first()  # type: ignore[no-any-return]


def unit_for_user(*, user: User | AnonymousUser, unit_id: int | None = None) -> OrgUnit:
    """The node a dashboard is about: the user's top node, or a visible node they drill into."""
    if unit_id is None:
        unit = top_unit(user)
    else:
        unit = OrgUnit.objects.visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def children_of(unit: OrgUnit) -> list[OrgUnit]:
    """The node's children by path (a stale in-memory ``numchild`` cannot hide them)."""
    return list(OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by("path"))


def craftsmen_choosable(*, user: User | AnonymousUser) -> QuerySet[Craftsman]:
    """Craftsmen the user may put on an activity or a pair: those of their subtree and those of
    the libraries of the unions above them (a district's craftsmen serve its streets)."""
    visible = Craftsman.objects.visible_to(user)
    if getattr(user, "is_superuser", False):
        return visible.filter(active=True)
    above = _ancestor_paths(granted_paths(user, "view"))
    return Craftsman.objects.filter(
        Q(pk__in=visible.values("pk")) | Q(org_unit__path__in=above), active=True
    ).order_by("name", "pk")


# --- ledger -----------------------------------------------------------------------------------


def _count_of(model: Any, fk: str, **filters: Any) -> Coalesce:
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")}, **filters)
        .order_by()
        .values(fk)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def activity_scope(*, user: User | AnonymousUser) -> QuerySet[ServiceActivity]:
    """Activities the user may see: staff their subtree; an enterprise contact their enterprise's."""
    visible = ServiceActivity.objects.visible_to(user)
    unions = contact_union_ids(user)
    if unions:
        visible = visible | ServiceActivity.objects.filter(enterprise__union_id__in=unions)
    return visible


def activity_list(*, user: User | AnonymousUser) -> QuerySet[ServiceActivity]:
    """The ledger list with its per-row figures as subqueries (one query per page)."""
    through = ServiceActivity.craftsmen.through
    return (
        activity_scope(user=user)
        .select_related("org_unit", "enterprise")
        .annotate(
            craftsman_count=_count_of(through, "serviceactivity"),
            problem_count=_count_of(ServiceProblem, "activity"),
            confirmed_count=_count_of(ServiceProblem, "activity", confirmed_at__isnull=False),
            trainee_count=_count_of(Trainee, "activity"),
        )
    )


def activity_get_for_user(*, user: User | AnonymousUser, activity_id: int) -> ServiceActivity:
    """One activity; missing and not-visible raise the same NotFound."""
    activity = (
        activity_scope(user=user)
        .select_related("org_unit", "enterprise__union", "created_by", "demand")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        raise NotFound()
    return activity


def activity_detail(*, activity: ServiceActivity) -> dict[str, Any]:
    """Craftsmen, problems and trainees of an activity (three queries)."""
    problems = list(activity.problems.all())
    return {
        "craftsmen": list(activity.craftsmen.order_by("name", "pk")),
        "problems": problems,
        "trainees": list(activity.trainees.order_by("pk")),
        "confirmed_count": sum(1 for p in problems if p.confirmed_at is not None),
    }


def problem_get_for_user(*, user: User | AnonymousUser, problem_id: int) -> ServiceProblem:
    """A problem of an activity the user sees (same NotFound otherwise)."""
    problem = (
        ServiceProblem.objects.filter(activity__in=activity_scope(user=user), pk=problem_id)
        .select_related("activity")
        .first()
    )
    if problem is None:
        raise NotFound()
    return problem


def ledger_years(*, user: User | AnonymousUser) -> list[int]:
    """Years with activities the user sees, newest first."""
    return list(
        activity_scope(user=user)
        .annotate(y=ExtractYear("held_on"))
        .order_by("-y")
        .values_list("y", flat=True)
        .distinct()
    )


# --- pairs ------------------------------------------------------------------------------------


def pair_list(*, user: User | AnonymousUser) -> QuerySet[MentorPair]:
    """Pairs of the user's subtree, plus a craftsman's own pairs as mentor."""
    visible = MentorPair.objects.visible_to(user)
    if getattr(user, "is_authenticated", False) and user.is_active:
        visible = visible | MentorPair.objects.filter(mentor__user_id=user.pk)
    return visible.select_related("mentor", "org_unit").annotate(checkin_count=_count_of(PairCheckIn, "pair"))


def pair_get_for_user(*, user: User | AnonymousUser, pair_id: int) -> MentorPair:
    pair = pair_list(user=user).select_related("apprentice").filter(pk=pair_id).first()
    if pair is None:
        raise NotFound()
    return pair


def pair_detail(*, pair: MentorPair) -> dict[str, Any]:
    return {"checkins": list(pair.checkins.order_by("-on", "-pk"))}


# --- trials -----------------------------------------------------------------------------------


def trial_list(*, user: User | AnonymousUser) -> QuerySet[TrialApplication]:
    """Applications of the user's subtree, their own, and their enterprise's (contacts)."""
    visible = TrialApplication.objects.visible_to(user)
    unions = contact_union_ids(user)
    if unions:
        visible = visible | TrialApplication.objects.filter(enterprise__union_id__in=unions)
    return visible.select_related("outcome", "enterprise", "org_unit").annotate(
        report_count=_count_of(TrialReport, "application")
    )


def trial_get_for_user(*, user: User | AnonymousUser, application_id: int) -> TrialApplication:
    application = trial_list(user=user).select_related("created_by").filter(pk=application_id).first()
    if application is None:
        raise NotFound()
    return application


def trial_detail(*, application: TrialApplication) -> dict[str, Any]:
    return {"reports": list(application.reports.order_by("-on", "-pk"))}


def trial_offers(*, user: User | AnonymousUser) -> QuerySet[LibraryOutcome]:
    """先用后转 offers the user may see: offers within their subtree and offers by the unions
    above them or above their enterprise (an offer is published to everyone under it)."""
    offered = LibraryOutcome.objects.filter(trial_offered=True, active=True).select_related("org_unit")
    if getattr(user, "is_superuser", False):
        return offered
    unions = contact_union_ids(user)
    union_paths = list(OrgUnit.objects.filter(pk__in=unions).values_list("path", flat=True)) if unions else []
    above = _ancestor_paths([*granted_paths(user, "view"), *union_paths])
    mine = LibraryOutcome.objects.visible_to(user).filter(trial_offered=True, active=True)
    return offered.filter(Q(pk__in=mine.values("pk")) | Q(org_unit__path__in=above))


def outcomes_offerable(*, user: User | AnonymousUser) -> QuerySet[LibraryOutcome]:
    """Library outcomes the user may offer for trial (administrators of the owning union)."""
    return LibraryOutcome.objects.visible_to(user, "manage").filter(active=True).order_by("title", "pk")


def enterprises_for_trial(*, user: User | AnonymousUser) -> QuerySet[Enterprise]:
    """Enterprises the user may apply for: their own (contact) or those of their subtree (staff)."""
    unions = contact_union_ids(user)
    visible = Enterprise.objects.visible_to(user, "review")
    if unions:
        visible = visible | Enterprise.objects.filter(union_id__in=unions)
    return visible.order_by("name", "pk")


# --- KPI --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    """A dashboard figure; ``target`` names the KpiTarget field it is measured against;
    ``distinct`` figures must not be added up across rows."""

    key: str
    label: str
    unit: str
    target: str | None = None
    distinct: bool = False


LEDGER_METRICS: tuple[Metric, ...] = (
    Metric("craftsman_visits", "劳模工匠服务人次", "人次", "craftsman_visits"),
    Metric("enterprises", "服务企业（去重）", "家", "enterprises", distinct=True),
    Metric("problems", "解决问题（企业确认）", "个", "problems"),
    Metric("people_trained", "培训人数（去重）", "人", "people_trained", distinct=True),
    Metric("person_times", "培训人次", "人次", "person_times"),
    Metric("activities", "服务活动", "次"),
    Metric("problems_handled", "登记问题", "个"),
    Metric("long_term", "签订长期协议", "份"),
    Metric("estimated_benefit", "预计效益", "元"),
    Metric("verified_benefit", "核实效益", "元"),
)
PAIR_METRICS: tuple[Metric, ...] = (
    Metric("pairs", "结对", "对"),
    Metric("pairs_active", "结对中", "对"),
    Metric("pairs_completed", "已出师", "对"),
    Metric("pairs_ended", "已解除", "对"),
    Metric("pairs_cross_region", "跨区域结对", "对"),
)
TRIAL_METRICS: tuple[Metric, ...] = (
    Metric("outcomes_available", "可先用后转成果", "项"),
    Metric("trials", "先用后转申请", "项"),
    Metric("trials_signed", "签订试用协议", "项"),
    Metric("conversions", "转化", "项"),
    Metric("conversion_amount", "转化金额", "元"),
)
ALL_METRICS = (*LEDGER_METRICS, *PAIR_METRICS, *TRIAL_METRICS)
MONEY = frozenset({"estimated_benefit", "verified_benefit", "conversion_amount"})
MONTHLY_KEYS = ("craftsman_visits", "problems", "people_trained", "person_times", "activities")

KeyFor = Callable[[str], Any] | None  # lookup prefix to the activity → grouping expression


def _zero() -> dict[str, Any]:
    return {m.key: (Decimal(0) if m.key in MONEY else 0) for m in ALL_METRICS}


def _grouped(queryset: QuerySet[Any], key: Any, aggregates: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """``aggregates`` over ``queryset``, in total (``key`` None) or per value of ``key``."""
    if key is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = queryset.annotate(g=key).order_by().values("g").annotate(**aggregates)
    return {row.pop("g"): row for row in rows}


def _merge(out: defaultdict[Any, dict[str, Any]], figures: dict[Any, dict[str, Any]]) -> None:
    for group, values in figures.items():
        out[group].update({k: v for k, v in values.items() if v is not None})


def _ledger(path: str, year: int, key_for: KeyFor, out: defaultdict[Any, dict[str, Any]]) -> None:
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)

    def scope(prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}org_unit__path__startswith": path,
            f"{prefix}held_on__gte": start,
            f"{prefix}held_on__lt": end,
        }

    def key(prefix: str) -> Any:
        return key_for(prefix) if key_for else None

    through = ServiceActivity.craftsmen.through
    confirmed = Q(confirmed_at__isnull=False)
    families: list[tuple[QuerySet[Any], str, dict[str, Any]]] = [
        (
            ServiceActivity.objects.filter(**scope("")),
            "",
            {
                "activities": Count("id"),
                "enterprises": Count("enterprise", distinct=True),
                "person_times": Sum("person_times"),
                "long_term": Count("id", filter=Q(long_term_agreement=True)),
                "estimated_benefit": Sum("estimated_benefit"),
                "verified_benefit": Sum("verified_benefit"),
            },
        ),
        # Craftsman person-times: one per craftsman per activity (the M2M rows).
        (
            through.objects.filter(**scope("serviceactivity__")),
            "serviceactivity__",
            {"craftsman_visits": Count("id")},
        ),
        (
            ServiceProblem.objects.filter(**scope("activity__")),
            "activity__",
            {"problems_handled": Count("id"), "problems": Count("id", filter=confirmed)},
        ),
        # Distinct people: COUNT(DISTINCT person_key) over the group, never a sum of parts.
        (
            Trainee.objects.filter(**scope("activity__")),
            "activity__",
            {"people_trained": Count("person_key", distinct=True)},
        ),
    ]
    for queryset, prefix, aggregates in families:
        _merge(out, _grouped(queryset, key(prefix), aggregates))


def _pairs_and_trials(path: str, year: int, key_for: KeyFor, out: defaultdict[Any, dict[str, Any]]) -> None:
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    key = key_for("") if key_for else None
    status = MentorPair.Status
    # Pairs whose period overlaps the year, by their status today.
    pairs = MentorPair.objects.filter(org_unit__path__startswith=path, starts_on__lt=end, ends_on__gte=start)
    _merge(
        out,
        _grouped(
            pairs,
            key,
            {
                "pairs": Count("id"),
                "pairs_active": Count("id", filter=Q(status=status.ACTIVE)),
                "pairs_completed": Count("id", filter=Q(status=status.COMPLETED)),
                "pairs_ended": Count("id", filter=Q(status=status.ENDED)),
                "pairs_cross_region": Count("id", filter=Q(cross_region=True)),
            },
        ),
    )
    # Applications of the year, and what became of them.
    converted = Q(status=TrialApplication.Status.CONVERTED)
    trials = TrialApplication.objects.filter(org_unit__path__startswith=path, created_at__year=year)
    _merge(
        out,
        _grouped(
            trials,
            key,
            {
                "trials": Count("id"),
                "trials_signed": Count("id", filter=Q(agreement_signed_on__isnull=False)),
                "conversions": Count("id", filter=converted),
                "conversion_amount": Sum("conversion_amount", filter=converted),
            },
        ),
    )
    # Offers standing today (not tied to the year).
    available = LibraryOutcome.objects.filter(
        org_unit__path__startswith=path, trial_offered=True, active=True
    )
    _merge(out, _grouped(available, key, {"outcomes_available": Count("id")}))


def _progress(figures: dict[str, Any], target: KpiTarget | None) -> dict[str, Decimal | None]:
    """Share of each target reached, in % (None without a target)."""
    out: dict[str, Decimal | None] = {}
    for metric in LEDGER_METRICS:
        goal = getattr(target, metric.target) if target is not None and metric.target else 0
        out[metric.key] = (
            (Decimal(figures[metric.key]) * 100 / goal).quantize(Decimal("0.1")) if goal else None
        )
    return out


def kpi_dashboard(*, user: User | AnonymousUser, year: int, unit: OrgUnit | None = None) -> dict[str, Any]:
    """The service figures of a node and a year against its targets: totals, a row per child
    node (rolled up the tree) and a monthly trend. ``unit`` must be visible to the user (its
    whole subtree then is, so the figure queries filter by its path alone)."""
    if unit is None:
        unit = unit_for_user(user=user)
    elif not OrgUnit.objects.visible_to(user).filter(pk=unit.pk).exists():
        raise NotFound()
    path = unit.path
    depth = len(path) + OrgUnit.steplen

    totals: defaultdict[Any, dict[str, Any]] = defaultdict(_zero)
    _ledger(path, year, None, totals)
    _pairs_and_trials(path, year, None, totals)

    def node_key(prefix: str) -> Any:
        return Substr(f"{prefix}org_unit__path", 1, depth)

    by_node: defaultdict[Any, dict[str, Any]] = defaultdict(_zero)
    _ledger(path, year, node_key, by_node)
    _pairs_and_trials(path, year, node_key, by_node)

    def month_key(prefix: str) -> Any:
        return ExtractMonth(f"{prefix}held_on")

    by_month: defaultdict[Any, dict[str, Any]] = defaultdict(_zero)
    _ledger(path, year, month_key, by_month)

    children = children_of(unit)
    targets = {t.org_unit_id: t for t in KpiTarget.objects.filter(org_unit__in=[unit, *children], year=year)}
    rows = [
        {
            "unit": child,
            "name": child.name,
            "figures": by_node[child.path],
            "target": targets.get(child.pk),
            "progress": _progress(by_node[child.path], targets.get(child.pk)),
        }
        for child in children
    ]
    own = by_node.get(path)  # recorded at the node itself, not under a child
    if own is not None and any(own.values()):
        rows.append(
            {"unit": None, "name": f"{unit.name}（本级）", "figures": own, "target": None, "progress": {}}
        )
    target = targets.get(unit.pk)
    figures = totals[None]
    years = list(
        ServiceActivity.objects.filter(org_unit__path__startswith=path)
        .annotate(y=ExtractYear("held_on"))
        .order_by("-y")
        .values_list("y", flat=True)
        .distinct()
    )
    return {
        "unit": unit,
        "year": year,
        "years": years,
        "figures": figures,
        "target": target,
        "progress": _progress(figures, target),
        "rows": rows,
        "monthly": {key: [by_month[m][key] for m in range(1, 13)] for key in MONTHLY_KEYS},
    }


def kpi_targets(*, unit: OrgUnit, year: int) -> list[tuple[OrgUnit, KpiTarget | None]]:
    """The node and its children with their targets for the year (two queries)."""
    units = [unit, *children_of(unit)]
    targets = {t.org_unit_id: t for t in KpiTarget.objects.filter(org_unit__in=units, year=year)}
    return [(u, targets.get(u.pk)) for u in units]
