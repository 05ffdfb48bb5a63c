"""Write services for innovation studios (创新工作室) and alliances, and the yearly star rating.

``studio_facts`` reads everything the rating needs from the platform in a fixed number of
queries and returns the engine's frozen inputs; ``rate_studio`` (pure) scores them; the
service stores the rating with its figures and score sheet, so it can be explained later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.innovation import errors
from gonghui.innovation.engine import (
    DEFAULT_SCHEME,
    SIX_HAVES,
    Evidence,
    SixHaves,
    StudioFigures,
    rate_studio,
)
from gonghui.innovation.models import (
    Alliance,
    AllianceActivity,
    AllianceMembership,
    AllianceProject,
    AllianceResource,
    Outcome,
    Patent,
    Studio,
    StudioActivity,
    StudioEvidence,
    StudioMember,
    StudioRating,
)
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, OrgUnit

MIN_CORE_MEMBERS = 3  # 有核心骨干: at least three core members besides the leader


def _require(actor: User, action: str, org_unit: OrgUnit) -> None:
    if not can(actor, action, org_unit):
        raise PermissionDenied()


@transaction.atomic
def studio_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    name: str,
    leader_name: str,
    level: str,
    field: str,
    founded_on: dt.date,
    enterprise: Enterprise | None = None,
    leader: Member | None = None,
    leader_title: str = "",
    space_sqm: int = 0,
    equipment: str = "",
    rules: str = "",
    plans: str = "",
    funding: Decimal = Decimal(0),
) -> Studio:
    """Register a studio under a union node (staff with manage on the node)."""
    _require(actor, "manage", org_unit)
    if not name.strip() or not leader_name.strip():
        raise DomainError(errors.STUDIO_INVALID, "工作室名称和领军人物不能为空", field="name")
    if level not in Studio.Level.values:
        raise DomainError(errors.STUDIO_INVALID, "未知的工作室级别", field="level")
    if funding < 0 or space_sqm < 0:
        raise DomainError(errors.STUDIO_INVALID, "经费和面积不能为负数", field="funding")
    studio = Studio.objects.create(
        org_unit=org_unit,
        name=name.strip(),
        leader=leader,
        leader_name=leader_name.strip(),
        leader_title=leader_title,
        enterprise=enterprise,
        level=level,
        field=field,
        founded_on=founded_on,
        space_sqm=space_sqm,
        equipment=equipment,
        rules=rules,
        plans=plans,
        funding=funding,
    )
    audit_record(actor=actor, action="innovation.studio.create", target=studio, org_unit=org_unit)
    return studio


@transaction.atomic
def studio_add_person(*, actor: User, studio: Studio, name: str, role: str, year: int) -> StudioMember:
    """A core member, an apprentice or a high-skill worker trained, counted per year."""
    _require(actor, "manage", studio.org_unit)
    if role not in StudioMember.Role.values:
        raise DomainError(errors.STUDIO_INVALID, "未知的成员身份", field="role")
    if not name.strip():
        raise DomainError(errors.STUDIO_INVALID, "姓名不能为空", field="name")
    person, created = StudioMember.objects.get_or_create(
        studio=studio, name=name.strip(), role=role, year=year
    )
    if created:
        audit_record(
            actor=actor,
            action="innovation.studio.person",
            target=studio,
            org_unit=studio.org_unit,
            after={"name": person.name, "role": role, "year": year},
        )
    return person


@transaction.atomic
def studio_add_evidence(
    *, actor: User, studio: Studio, have: str, description: str, year: int, file: Any = None
) -> StudioEvidence:
    """Evidence for one of the 六有 (the gate checks that each has some)."""
    _require(actor, "manage", studio.org_unit)
    if have not in SIX_HAVES:
        raise DomainError(errors.STUDIO_INVALID, "未知的六有项", field="have")
    if not description.strip():
        raise DomainError(errors.STUDIO_INVALID, "请填写佐证说明", field="description")
    evidence = StudioEvidence.objects.create(
        studio=studio,
        have=have,
        description=description.strip()[:300],
        year=year,
        recorded_by=actor,
        file=file or "",
    )
    audit_record(
        actor=actor,
        action="innovation.studio.evidence",
        target=studio,
        org_unit=studio.org_unit,
        after={"have": have, "year": year},
    )
    return evidence


@transaction.atomic
def studio_add_activity(
    *,
    actor: User,
    studio: Studio,
    kind: str,
    title: str,
    held_on: dt.date,
    participants: int = 0,
    confirmed: bool = False,
) -> StudioActivity:
    """Record an activity; a solved problem counts only once the site has confirmed it."""
    _require(actor, "manage", studio.org_unit)
    if kind not in StudioActivity.Kind.values:
        raise DomainError(errors.STUDIO_INVALID, "未知的活动类别", field="kind")
    if not title.strip():
        raise DomainError(errors.STUDIO_INVALID, "活动名称不能为空", field="title")
    if participants < 0:
        raise DomainError(errors.STUDIO_INVALID, "参与人数不能为负数", field="participants")
    activity = StudioActivity.objects.create(
        studio=studio,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        participants=participants,
        confirmed=confirmed and kind == StudioActivity.Kind.PROBLEM,
    )
    audit_record(
        actor=actor,
        action="innovation.studio.activity",
        target=studio,
        org_unit=studio.org_unit,
        after={"kind": kind, "title": activity.title},
    )
    return activity


def studio_facts(*, studio: Studio, year: int) -> tuple[SixHaves, StudioFigures]:
    """Read the year's 六有 evidence and 六大成效 figures from the platform (fixed query count).

    Figures: outcomes filed in the year, patents granted in the year, confirmed problems,
    verified yearly value of outcomes verified in the year, apprentices and high-skill workers
    of the year, licensed outcomes implemented in the year (conversions), training and culture
    activities, and participation = distinct proposers in the host enterprise / its members.
    """
    outcomes = Outcome.objects.filter(studio=studio)
    outcome_figures = outcomes.aggregate(
        filed=Count("id", filter=Q(submitted_at__year=year)),
        value=Coalesce(Sum("verified_benefit", filter=Q(verified_at__year=year)), Decimal(0)),
        conversions=Count("id", filter=Q(licensed=True, implemented_on__year=year)),
    )
    patents = Patent.objects.filter(
        outcome__studio=studio, status=Patent.Status.GRANTED, granted_on__year=year
    ).count()
    activity = StudioActivity.objects.filter(studio=studio, held_on__year=year).aggregate(
        problems=Count("id", filter=Q(kind=StudioActivity.Kind.PROBLEM, confirmed=True)),
        events=Count("id", filter=~Q(kind=StudioActivity.Kind.PROBLEM)),
    )
    people = StudioMember.objects.filter(studio=studio, year=year).aggregate(
        core=Count("id", filter=Q(role=StudioMember.Role.CORE)),
        apprentices=Count("id", filter=Q(role=StudioMember.Role.APPRENTICE)),
        high_skill=Count("id", filter=Q(role=StudioMember.Role.HIGH_SKILL)),
    )
    participation = Decimal(0)
    if studio.enterprise_id:
        members = Member.objects.filter(employer_id=studio.enterprise_id, status=Member.Status.ACTIVE).count()
        proposers = (
            Outcome.objects.filter(enterprise_id=studio.enterprise_id, submitted_at__year=year)
            .values("proposer")
            .distinct()
            .count()
        )
        if members:
            participation = min(Decimal(1), Decimal(proposers) / Decimal(members)).quantize(Decimal("0.0001"))
    figures = StudioFigures(
        outcomes_filed=outcome_figures["filed"],
        patents_granted=patents,
        problems_solved=activity["problems"],
        verified_value=Decimal(outcome_figures["value"]),
        apprentices=people["apprentices"],
        high_skill_workers=people["high_skill"],
        conversions=outcome_figures["conversions"],
        activities=activity["events"],
        participation_rate=participation,
    )
    evidence: dict[str, list[str]] = {code: [] for code in SIX_HAVES}
    for have, description in StudioEvidence.objects.filter(studio=studio, year=year).values_list(
        "have", "description"
    ):
        evidence[have].append(description)
    met = {
        "leader": bool(studio.leader_name),
        "core_team": people["core"] >= MIN_CORE_MEMBERS,
        "facilities": studio.space_sqm > 0,
        "rules": bool(studio.rules.strip()),
        "plans": bool(studio.plans.strip()),
        "mentoring": people["apprentices"] > 0,
    }
    haves = SixHaves(
        **{code: Evidence(met=met[code], evidence="；".join(evidence[code])) for code in SIX_HAVES}
    )
    return haves, figures


def _jsonable_figures(figures: StudioFigures) -> dict[str, str]:
    return {k: str(v) for k, v in asdict(figures).items()}


@transaction.atomic
def studio_rate(*, studio: Studio, actor: User, year: int) -> StudioRating:
    """The yearly star rating. Re-rating the same year is refused (ratings are a record).

    Change against last year: up / same / down; a studio that was starred and now fails the
    六有 gate is 摘牌 (delisted) and stops being rated until re-registered.
    """
    _require(actor, "review", studio.org_unit)
    if year > timezone.localdate().year:
        # A future year has no data yet: it would fail the gate and delist the studio.
        raise DomainError(errors.STUDIO_INVALID, "不能评定未来年度", field="year")
    locked = Studio.objects.select_for_update().get(pk=studio.pk)
    if locked.status == Studio.Status.DELISTED:
        raise DomainError(errors.STUDIO_INVALID, "工作室已摘牌，不再参加评星")
    if StudioRating.objects.filter(studio=locked, year=year).exists():
        raise DomainError(errors.RATING_EXISTS, f"{year} 年度已评定", field="year")
    latest = (
        StudioRating.objects.filter(studio=locked).order_by("-year").values_list("year", flat=True).first()
    )
    if latest is not None and latest > year:
        # The studio's current stars are the latest year's; an older rating would overwrite them.
        raise DomainError(errors.STUDIO_INVALID, f"已评定 {latest} 年度，不能补评更早的年度", field="year")
    haves, figures = studio_facts(studio=locked, year=year)
    result = rate_studio(haves=haves, figures=figures, scheme=DEFAULT_SCHEME)
    rules = [rule for dimension in DEFAULT_SCHEME.dimensions for rule in dimension.rules]
    previous = StudioRating.objects.filter(studio=locked, year__lt=year).order_by("-year").first()
    previous_stars = previous.stars if previous else None
    if previous_stars is None:
        change = StudioRating.Change.NEW
    elif not result.gate.passed and previous_stars > 0:
        change = StudioRating.Change.DELISTED
    elif result.stars > previous_stars:
        change = StudioRating.Change.UP
    elif result.stars < previous_stars:
        change = StudioRating.Change.DOWN
    else:
        change = StudioRating.Change.SAME
    rating = StudioRating.objects.create(
        studio=locked,
        year=year,
        gate_passed=result.gate.passed,
        gate=[
            {
                "code": code,
                "label": label,
                "met": getattr(haves, code).met,
                "evidence": getattr(haves, code).evidence,
            }
            for code, label in SIX_HAVES.items()
        ]
        + [{"reason": r} for r in result.gate.reasons],
        score=result.score.quantize(Decimal("0.01")),
        stars=result.stars,
        previous_stars=previous_stars,
        change=change,
        figures=_jsonable_figures(figures),
        lines=[
            {
                "dimension": line.dimension,
                "figure": line.figure,
                "value": str(line.value),
                "rule": line.rule,
                "points": str(line.points.quantize(Decimal("0.01"))),
                "max": str(rule.max_points),
                "unit": rule.unit,
            }
            for line, rule in zip(result.lines, rules, strict=True)
        ],
        scheme={
            "dimensions": [{"name": d.name, "max": str(d.max_points)} for d in DEFAULT_SCHEME.dimensions],
            "stars": [[str(minimum), count] for minimum, count in DEFAULT_SCHEME.stars],
        },
        rated_by=actor,
    )
    before = {"stars": locked.stars, "status": locked.status}
    locked.stars = result.stars
    if change == StudioRating.Change.DELISTED:
        locked.status = Studio.Status.DELISTED
    locked.save(update_fields=["stars", "status"])
    audit_record(
        actor=actor,
        action="innovation.studio.rate",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"year": year, "score": rating.score, "stars": rating.stars, "change": change},
    )
    return rating


@transaction.atomic
def alliance_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    name: str,
    field: str,
    founded_on: dt.date,
    description: str = "",
    studios: list[Studio] | None = None,
    lead: Studio | None = None,
) -> Alliance:
    """An alliance convened by a union; member studios may sit anywhere (other regions too)."""
    _require(actor, "manage", org_unit)
    if not name.strip():
        raise DomainError(errors.ALLIANCE_INVALID, "联盟名称不能为空", field="name")
    alliance = Alliance.objects.create(
        org_unit=org_unit, name=name.strip(), field=field, founded_on=founded_on, description=description
    )
    members = list({s.pk: s for s in studios or []}.values())
    if lead is not None and lead.pk not in {s.pk for s in members}:
        members.insert(0, lead)
    AllianceMembership.objects.bulk_create(
        AllianceMembership(
            alliance=alliance, studio=s, is_lead=(lead is not None and s.pk == lead.pk), joined_on=founded_on
        )
        for s in members
    )
    audit_record(
        actor=actor,
        action="innovation.alliance.create",
        target=alliance,
        org_unit=org_unit,
        after={"studios": [s.pk for s in members]},
    )
    return alliance


@transaction.atomic
def alliance_join(
    *, actor: User, alliance: Alliance, studio: Studio, joined_on: dt.date
) -> AllianceMembership:
    """Add a member studio (once)."""
    _require(actor, "manage", alliance.org_unit)
    membership, created = AllianceMembership.objects.get_or_create(
        alliance=alliance, studio=studio, defaults={"joined_on": joined_on}
    )
    if not created:
        raise DomainError(errors.ALLIANCE_INVALID, "该工作室已是联盟成员", field="studio")
    audit_record(
        actor=actor,
        action="innovation.alliance.join",
        target=alliance,
        org_unit=alliance.org_unit,
        after={"studio": studio.pk},
    )
    return membership


def _member_studios(alliance: Alliance, studios: list[Studio]) -> None:
    member_ids = set(AllianceMembership.objects.filter(alliance=alliance).values_list("studio_id", flat=True))
    outsiders = [s.name for s in studios if s.pk not in member_ids]
    if outsiders:
        raise DomainError(errors.ALLIANCE_INVALID, f"{'、'.join(outsiders)} 不是联盟成员", field="studios")


@transaction.atomic
def alliance_add_project(
    *,
    actor: User,
    alliance: Alliance,
    title: str,
    studios: list[Studio],
    started_on: dt.date,
    summary: str = "",
) -> AllianceProject:
    """A joint project (联合攻关) of at least two member studios."""
    _require(actor, "manage", alliance.org_unit)
    if not title.strip():
        raise DomainError(errors.ALLIANCE_INVALID, "项目名称不能为空", field="title")
    studios = list({s.pk: s for s in studios}.values())
    if len(studios) < 2:
        raise DomainError(errors.ALLIANCE_INVALID, "联合项目至少需要两个工作室", field="studios")
    _member_studios(alliance, studios)
    project = AllianceProject.objects.create(
        alliance=alliance, title=title.strip(), started_on=started_on, summary=summary
    )
    project.studios.set(studios)
    audit_record(
        actor=actor,
        action="innovation.alliance.project",
        target=alliance,
        org_unit=alliance.org_unit,
        after={"project": project.title},
    )
    return project


@transaction.atomic
def alliance_share(
    *, actor: User, alliance: Alliance, studio: Studio, kind: str, name: str, description: str = ""
) -> AllianceResource:
    """A member studio shares equipment or an expert with the alliance."""
    _require(actor, "manage", alliance.org_unit)
    if kind not in AllianceResource.Kind.values:
        raise DomainError(errors.ALLIANCE_INVALID, "未知的资源类别", field="kind")
    if not name.strip():
        raise DomainError(errors.ALLIANCE_INVALID, "资源名称不能为空", field="name")
    _member_studios(alliance, [studio])
    resource = AllianceResource.objects.create(
        alliance=alliance, studio=studio, kind=kind, name=name.strip(), description=description
    )
    audit_record(
        actor=actor,
        action="innovation.alliance.share",
        target=alliance,
        org_unit=alliance.org_unit,
        after={"resource": resource.name},
    )
    return resource


@transaction.atomic
def alliance_add_activity(
    *, actor: User, alliance: Alliance, title: str, held_on: dt.date, participants: int = 0
) -> AllianceActivity:
    """An alliance activity (交流、培训、推进会)."""
    _require(actor, "manage", alliance.org_unit)
    if not title.strip():
        raise DomainError(errors.ALLIANCE_INVALID, "活动名称不能为空", field="title")
    if participants < 0:
        raise DomainError(errors.ALLIANCE_INVALID, "参与人数不能为负数", field="participants")
    activity = AllianceActivity.objects.create(
        alliance=alliance, title=title.strip(), held_on=held_on, participants=participants
    )
    audit_record(
        actor=actor,
        action="innovation.alliance.activity",
        target=alliance,
        org_unit=alliance.org_unit,
        after={"activity": activity.title},
    )
    return activity
