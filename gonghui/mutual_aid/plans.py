"""Plans, policy versions, enrolment and consent (the inputs of screening)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import require
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError
from gonghui.members.models import Member
from gonghui.mutual_aid import errors
from gonghui.mutual_aid.engine.policy import Plan as PolicyPlan
from gonghui.mutual_aid.engine.policy import PolicyError, parse_policy
from gonghui.mutual_aid.models import Consent, Enrolment, Plan, PlanVersion
from gonghui.orgs.models import OrgUnit

CONSENT_TEXT_VERSION = "2026-01"


@lru_cache(maxsize=64)
def _parse_cached(version_id: int, text: str) -> PolicyPlan:
    return parse_policy(text, source=f"version {version_id}")


def policy_of(version: PlanVersion) -> PolicyPlan:
    """The engine's view of a stored policy version (parsed once per process)."""
    return _parse_cached(version.pk, version.policy_yaml)


def _validated(policy_yaml: str, year: int | None = None) -> PolicyPlan:
    try:
        parsed = parse_policy(policy_yaml)
    except PolicyError as exc:
        raise DomainError(errors.POLICY_INVALID, str(exc), field="policy_yaml") from exc
    if year is not None and parsed.year != year:
        raise DomainError(
            errors.POLICY_INVALID,
            f"政策文件的 year 为 {parsed.year}，与计划年度 {year} 不一致",
            field="policy_yaml",
        )
    return parsed


@transaction.atomic
def plan_create(
    *,
    actor: User | None,
    org_unit: OrgUnit,
    policy_yaml: str,
    enrol_opens: dt.date | None = None,
    enrol_closes: dt.date | None = None,
    second_level_benefits: list[str] | None = None,
    review_threshold: Decimal = Decimal("5000"),
) -> Plan:
    """Create a yearly plan from a policy file; the enrolment window defaults to 10-15..12-15
    of the year before."""
    if actor is not None:
        require(actor, "manage", org_unit)
    parsed = _validated(policy_yaml)
    plan = Plan.objects.create(
        org_unit=org_unit,
        year=parsed.year,
        name=parsed.name,
        enrol_opens=enrol_opens or dt.date(parsed.year - 1, 10, 15),
        enrol_closes=enrol_closes or dt.date(parsed.year - 1, 12, 15),
        second_level_benefits=second_level_benefits or [],
        review_threshold=review_threshold,
    )
    version = PlanVersion.objects.create(
        plan=plan, number=1, policy_yaml=policy_yaml, created_by=actor, note="初始版本"
    )
    plan.current_version = version
    plan.save(update_fields=["current_version"])
    audit_record(
        actor=actor,
        action="mutual_aid.plan_create",
        target=plan,
        org_unit=org_unit,
        after={"year": plan.year, "name": plan.name, "digest": parsed.digest},
    )
    return plan


@transaction.atomic
def plan_version_create(*, actor: User, plan: Plan, policy_yaml: str, note: str) -> PlanVersion:
    """Edit the policy: a new immutable version becomes current (old claims keep theirs)."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require(actor, "manage", plan.org_unit)
    parsed = _validated(policy_yaml, plan.year)
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PlanVersion.objects.create(
        plan=plan, number=number, policy_yaml=policy_yaml, created_by=actor, note=note
    )
    before = {"version": plan.current_version_id}
    plan.current_version = version
    plan.name = parsed.name
    plan.save(update_fields=["current_version", "name"])
    audit_record(
        actor=actor,
        action="mutual_aid.plan_version",
        target=plan,
        org_unit=plan.org_unit,
        before=before,
        after={"version": version.pk, "number": number, "note": note},
    )
    return version


def _enrolment_for(
    plan: Plan, parsed: PolicyPlan, member: Member, item_code: str, start_date: dt.date, actor: User | None
) -> Enrolment:
    item = next((i for i in parsed.items if i.code == item_code), None)
    if item is None:
        raise DomainError(errors.UNKNOWN_ITEM, f"计划中没有互助项目「{item_code}」", field="item")
    if item.sex is not None and item.sex != member.sex:
        raise DomainError(
            errors.ITEM_SEX_MISMATCH,
            f"「{item.name}」仅限{'女' if item.sex == 'F' else '男'}职工参加",
            field="item",
        )
    if member.status != Member.Status.ACTIVE:
        raise DomainError(errors.MEMBER_NOT_ACTIVE, "该会员已离会，不能参保", field="member")
    renewal = Enrolment.objects.filter(
        member=member, plan__year=plan.year - 1, item=item_code, cancelled_at__isnull=True
    ).exists()
    return Enrolment(
        plan=plan,
        member=member,
        item=item_code,
        start_date=start_date,
        renewal=renewal,
        fee=item.fee,
        org_unit=member.org_unit,
        created_by=actor,
    )


@transaction.atomic
def enrolment_create_group(
    *,
    actor: User,
    plan: Plan,
    members: list[Member],
    items: list[str],
    start_date: dt.date | None = None,
    today: dt.date | None = None,
    outside_window: bool = False,
) -> list[Enrolment]:
    """Group enrolment (集体参保) by an enterprise union inside the window.

    Fees come from the policy per item; renewal = enrolled in the same item last year (so
    first-time joiners wait the item's waiting period). ``outside_window`` lets district
    administrators record late enrolments (audited).
    """
    today = today or timezone.localdate()
    if not outside_window and not (plan.enrol_opens <= today <= plan.enrol_closes):
        raise DomainError(
            errors.ENROLMENT_WINDOW_CLOSED,
            f"参保窗口为 {plan.enrol_opens} 至 {plan.enrol_closes}",
            field="start_date",
        )
    if outside_window:
        require(actor, "manage", plan.org_unit)
    assert plan.current_version is not None
    parsed = policy_of(plan.current_version)
    start = start_date or dt.date(plan.year, 1, 1)
    built = []
    for member in members:
        require(actor, "manage", member.org_unit)
        for item_code in items:
            built.append(_enrolment_for(plan, parsed, member, item_code, start, actor))
    try:
        with transaction.atomic():
            created = Enrolment.objects.bulk_create(built)
    except IntegrityError as exc:
        raise DomainError(errors.ENROLMENT_DUPLICATE, "部分会员已参加所选项目", field="members") from exc
    audit_record(
        actor=actor,
        action="mutual_aid.enrol",
        target=plan,
        org_unit=plan.org_unit,
        after={"members": len(members), "items": items, "enrolments": len(created)},
    )
    return created


@transaction.atomic
def consent_grant(
    *,
    member: Member,
    source: str,
    actor: User | None,
    text_version: str = CONSENT_TEXT_VERSION,
    channel: str = "h5",
) -> Consent:
    """The member authorises the union to read one data source (PIPL art. 29)."""
    if source not in Consent.Source.values:
        raise DomainError("invalid_source", "未知的数据来源", field="source")
    existing = Consent.objects.filter(member=member, source=source, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    consent = Consent.objects.create(
        member=member, source=source, text_version=text_version, channel=channel, granted_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="mutual_aid.consent_grant",
        target=consent,
        org_unit=member.org_unit,
        after={"source": source, "text_version": text_version},
    )
    return consent


@transaction.atomic
def consent_revoke(*, member: Member, source: str, actor: User | None) -> Consent | None:
    """Withdraw an authorisation: no further data of this source is read for the member."""
    consent = (
        Consent.objects.select_for_update()
        .filter(member=member, source=source, revoked_at__isnull=True)
        .first()
    )
    if consent is None:
        return None
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="mutual_aid.consent_revoke",
        target=consent,
        org_unit=member.org_unit,
        before={"revoked_at": None},
        after={"revoked_at": consent.revoked_at},
    )
    return consent
