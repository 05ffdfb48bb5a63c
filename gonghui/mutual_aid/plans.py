"""Plans, policy versions, enrolment and consent (the inputs of screening)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can, require
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError
from gonghui.core.tabular import ImportReport, Row, RowError, TableError, read_table
from gonghui.core.validators import ValidationProblem, parse_id_number
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
    plan: Plan,
    parsed: PolicyPlan,
    member: Member,
    item_code: str,
    start_date: dt.date,
    actor: User | None,
    *,
    renewal: bool | None = None,
) -> Enrolment:
    """Build (not save) one enrolment: the item's sex rule, an active member, the policy's fee.

    ``renewal`` may be passed when the caller already knows last year's enrolments (bulk);
    otherwise it is looked up.
    """
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
    if renewal is None:
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


def _in_window(plan: Plan, today: dt.date) -> bool:
    return plan.enrol_opens <= today <= plan.enrol_closes


def enrolment_window_open(*, plan: Plan, today: dt.date | None = None) -> bool:
    """Group enrolment is open from ``enrol_opens`` to ``enrol_closes`` (both included)."""
    return _in_window(plan, today or timezone.localdate())


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

    Members must be managed by the actor and under the plan's union; fees come from the
    policy per item; renewal = enrolled in the same item last year (so first-time joiners
    wait the item's waiting period). ``outside_window`` lets administrators of the plan's
    union record late enrolments (audited). A live enrolment already there refuses all.
    """
    today = today or timezone.localdate()
    in_window = _in_window(plan, today)
    if not outside_window and not in_window:
        raise DomainError(
            errors.ENROLMENT_WINDOW_CLOSED,
            f"参保窗口为 {plan.enrol_opens} 至 {plan.enrol_closes}",
            field="start_date",
        )
    if outside_window:
        require(actor, "manage", plan.org_unit)
    assert plan.current_version is not None
    parsed = policy_of(plan.current_version)
    if start_date is not None and start_date.year != plan.year:
        raise DomainError(
            errors.INVALID_DATE, f"保障开始日期应在计划年度 {plan.year} 年内", field="start_date"
        )
    start = start_date or dt.date(plan.year, 1, 1)
    # Last year's enrolments of these members in these items, read once (no query per member).
    previous: set[tuple[int, str]] = set()
    for ids in _chunks([m.pk for m in members]):
        previous.update(
            Enrolment.objects.filter(
                plan__year=plan.year - 1, member_id__in=ids, item__in=items, cancelled_at__isnull=True
            ).values_list("member_id", "item")
        )
    built = []
    for member in members:
        require(actor, "manage", member.org_unit)
        if not member.org_unit.path.startswith(plan.org_unit.path):
            raise DomainError(
                errors.MEMBER_OUTSIDE_PLAN,
                f"会员「{member.name}」所在工会不在「{plan.name}」的覆盖范围内",
                field="members",
            )
        for item_code in items:
            built.append(
                _enrolment_for(
                    plan, parsed, member, item_code, start, actor, renewal=(member.pk, item_code) in previous
                )
            )
    try:
        with transaction.atomic():
            created = Enrolment.objects.bulk_create(built, batch_size=_CHUNK)
    except IntegrityError as exc:
        raise DomainError(errors.ENROLMENT_DUPLICATE, "部分会员已参加所选项目", field="members") from exc
    audit_record(
        actor=actor,
        action="mutual_aid.enrol",
        target=plan,
        org_unit=plan.org_unit,
        after={
            "members": len(members),
            "items": items,
            "enrolments": len(created),
            "fees": sum((e.fee for e in created), Decimal("0")).quantize(Decimal("0.01")),
            "outside_window": not in_window,
        },
    )
    return created


ENROLMENT_IMPORT_COLUMNS = {"身份证号": "id_number", "互助项目": "items", "保障开始日期": "start_date"}
_COLUMN_TITLES = {
    "id_number": "身份证号",
    "member": "身份证号",
    "items": "互助项目",
    "item": "互助项目",
    "start_date": "保障开始日期",
}
_ITEM_SEPARATORS = re.compile(r"[、,，;；]")
_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_CHUNK = 1000
_T = TypeVar("_T")


def _chunks(values: Sequence[_T], size: int = _CHUNK) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True, slots=True)
class EnrolmentLine:
    """One accepted row of a group enrolment file, as the result page lists it."""

    row: int
    member_name: str
    id_number_masked: str
    created: tuple[str, ...]  # item names newly enrolled, marked 续保 / 首次参保
    unchanged: tuple[str, ...]  # item names the member was already enrolled in
    fee: Decimal


@dataclass(slots=True)
class EnrolmentImportReport(ImportReport):
    """``ImportReport`` plus the accepted rows and the fees they add."""

    lines: list[EnrolmentLine] = field(default_factory=list)
    fees: Decimal = Decimal("0")
    outside_window: bool = False


@dataclass(frozen=True, slots=True)
class _EnrolRow:
    row: Row
    index: str  # blind index of the normalised ID number
    items: tuple[str, ...]  # item codes, in file order
    start: dt.date


def _parse_items(raw: str, parsed: PolicyPlan) -> tuple[str, ...]:
    """Item codes or names from the policy, separated by 、 , or ; (duplicates ignored)."""
    by_key = {i.code: i.code for i in parsed.items} | {i.name: i.code for i in parsed.items}
    codes: list[str] = []
    for part in _ITEM_SEPARATORS.split(raw):
        key = part.strip()
        if not key:
            continue
        code = by_key.get(key) or by_key.get(key.lower())
        if code is None:
            raise DomainError(errors.UNKNOWN_ITEM, f"计划中没有互助项目「{key}」", field="items")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise DomainError(errors.UNKNOWN_ITEM, "请填写互助项目（代码或名称，多个用、分隔）", field="items")
    return tuple(codes)


def _parse_start(raw: str, year: int) -> dt.date:
    """保障开始日期: empty means 1 January of the plan year; otherwise a date inside that year."""
    text = raw.strip()
    if not text:
        return dt.date(year, 1, 1)
    match = _DATE_RE.fullmatch(text[:10] if "T" in text else text)
    try:
        if match is None:
            raise ValueError(text)
        value = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise DomainError(errors.INVALID_DATE, "日期格式应为 YYYY-MM-DD", field="start_date") from exc
    if value.year != year:
        raise DomainError(errors.INVALID_DATE, f"保障开始日期应在计划年度 {year} 年内", field="start_date")
    return value


@transaction.atomic
def enrolments_import(
    *,
    actor: User,
    plan: Plan,
    data: bytes,
    filename: str,
    skip_invalid: bool = False,
    today: dt.date | None = None,
) -> EnrolmentImportReport:
    """Group enrolment (集体参保) from an xlsx/csv file: 身份证号, 互助项目, 保障开始日期.

    Members must be in the register, in the actor's managed subtree and under the plan's
    union; the item's sex rule applies; fees come from the policy; renewal = enrolled in the
    same item last year. Live enrolments are reported unchanged (reruns are harmless).
    All-or-nothing unless ``skip_invalid``. Outside the window only administrators of the
    plan's union may import (late enrolment, audited).
    """
    # One import per plan at a time: the "already enrolled" check below stays true until commit.
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    today = today or timezone.localdate()
    outside_window = not _in_window(plan, today)
    if outside_window and not can(actor, "manage", plan.org_unit):
        raise DomainError(
            errors.ENROLMENT_WINDOW_CLOSED,
            f"不在参保窗口内（{plan.enrol_opens} 至 {plan.enrol_closes}），"
            f"窗口外补办参保请联系{plan.org_unit.name}",
            field="file",
        )
    if plan.current_version is None:
        raise DomainError(errors.POLICY_INVALID, "该计划尚无政策文件", field="plan")
    parsed = policy_of(plan.current_version)
    names = {i.code: i.name for i in parsed.items}
    problems: list[tuple[RowError, Row]] = []

    def reject(row: Row, column: str, message: str) -> None:
        problems.append((RowError(row.number, column, message), row))

    wanted: list[_EnrolRow] = []
    seen: dict[str, int] = {}
    rows = read_table(
        data,
        filename,
        required=["id_number", "items"],
        optional=["start_date"],
        aliases=ENROLMENT_IMPORT_COLUMNS,
    )
    for row in rows:
        try:
            info = parse_id_number(row.values.get("id_number", ""))
        except ValidationProblem as exc:
            reject(row, "身份证号", exc.message)
            continue
        try:
            items = _parse_items(row.values.get("items", ""), parsed)
            start = _parse_start(row.values.get("start_date", ""), plan.year)
        except DomainError as exc:
            reject(row, _COLUMN_TITLES.get(exc.field or "", ""), exc.message)
            continue
        index = blind_index(info.number)
        if index in seen:
            reject(row, "身份证号", f"与第 {seen[index]} 行重复（同一人的多个项目请写在同一行，用、分隔）")
            continue
        seen[index] = row.number
        wanted.append(_EnrolRow(row, index, items, start))

    # Set-based look-ups: members by blind index (ciphertext never loaded), then this plan's
    # live enrolments and last year's (renewal) for those members.
    scope = Member.objects.visible_to(actor, "manage").select_related("org_unit").defer("id_number", "phone")
    members: dict[str, Member] = {}
    for chunk in _chunks([w.index for w in wanted]):
        members.update((m.id_number_index, m) for m in scope.filter(id_number_index__in=chunk))
    live: set[tuple[int, str]] = set()
    previous: set[tuple[int, str]] = set()
    for ids in _chunks([m.pk for m in members.values()]):
        live.update(
            Enrolment.objects.filter(plan=plan, member_id__in=ids, cancelled_at__isnull=True).values_list(
                "member_id", "item"
            )
        )
        previous.update(
            Enrolment.objects.filter(
                plan__year=plan.year - 1, member_id__in=ids, cancelled_at__isnull=True
            ).values_list("member_id", "item")
        )

    built: list[Enrolment] = []
    lines: list[EnrolmentLine] = []
    for w in wanted:
        member = members.get(w.index)
        if member is None:  # not registered and not yours read the same (no probing)
            reject(w.row, "身份证号", "会员库中没有该身份证号，或不在您管理的范围内")
            continue
        if not member.org_unit.path.startswith(plan.org_unit.path):
            reject(w.row, "身份证号", f"该会员所在工会不在「{plan.name}」的覆盖范围内")
            continue
        new: list[Enrolment] = []
        kept: list[str] = []
        try:
            for code in w.items:
                if (member.pk, code) in live:
                    kept.append(code)
                    continue
                new.append(
                    _enrolment_for(
                        plan, parsed, member, code, w.start, actor, renewal=(member.pk, code) in previous
                    )
                )
        except DomainError as exc:
            reject(w.row, _COLUMN_TITLES.get(exc.field or "", ""), exc.message)
            continue
        built.extend(new)
        lines.append(
            EnrolmentLine(
                row=w.row.number,
                member_name=member.name,
                id_number_masked=member.id_number_masked,
                created=tuple(f"{names[e.item]}（{'续保' if e.renewal else '首次参保'}）" for e in new),
                unchanged=tuple(names[c] for c in kept),
                fee=sum((e.fee for e in new), Decimal("0")),
            )
        )

    problems.sort(key=lambda p: p[0].row)
    if problems and not skip_invalid:
        raise TableError([error for error, _ in problems])
    try:
        with transaction.atomic():
            Enrolment.objects.bulk_create(built, batch_size=_CHUNK)
    except IntegrityError as exc:  # a concurrent group enrolment of the same member and item
        raise DomainError(
            errors.ENROLMENT_DUPLICATE, "部分会员刚刚已由他人办理参保，请重新上传", field="file"
        ) from exc
    report = EnrolmentImportReport(
        created=len(built),
        unchanged=sum(len(line.unchanged) for line in lines),
        rejected=[error for error, _ in problems],
        rejected_rows=[row for _, row in problems],
        lines=lines,
        fees=sum((e.fee for e in built), Decimal("0")),
        outside_window=outside_window,
    )
    if built:
        audit_record(
            actor=actor,
            action="mutual_aid.enrol_import",
            target=plan,
            org_unit=plan.org_unit,
            after={
                "file": filename,
                "enrolments": report.created,
                "members": sum(1 for line in lines if line.created),
                "unchanged": report.unchanged,
                "rejected": len(report.rejected),
                "fees": report.fees,
                "outside_window": outside_window,
            },
        )
    return report


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
