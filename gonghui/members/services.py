"""Writes for the member register: create, import, transfer, leave, reveal (audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can_reveal_personal_data, require
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.masking import mask_id_number, mask_phone
from gonghui.core.tabular import ImportReport, Row, RowError, TableError, read_table
from gonghui.core.validators import ValidationProblem, parse_id_number, validate_phone
from gonghui.members.models import Member, MembershipEvent
from gonghui.orgs.models import Enterprise, OrgUnit

MEMBER_IMPORT_COLUMNS = {
    "姓名": "name",
    "身份证号": "id_number",
    "手机号": "phone",
    "会员类型": "kind",
    "工作单位统一社会信用代码": "employer_uscc",
    "所在工会行政区划代码": "union_code",
    "入会日期": "joined_on",
}
_KIND_BY_LABEL = {str(label): value for value, label in Member.Kind.choices}


def _parse_date(raw: str, field: str) -> dt.date:
    try:
        value = dt.date.fromisoformat(raw.strip().replace("/", "-")[:10])
    except ValueError as exc:
        raise DomainError("invalid_date", "日期格式应为 YYYY-MM-DD", field=field) from exc
    if value > timezone.localdate():
        raise DomainError("future_date", "日期不能晚于今天", field=field)
    return value


def _new_member(
    *,
    name: str,
    id_number: str,
    phone: str,
    kind: str,
    org_unit: OrgUnit,
    employer: Enterprise | None,
    joined_on: dt.date,
) -> Member:
    """Validate and build (not save) a member; raises DomainError naming the field."""
    name = name.strip()
    if not name or len(name) > 50:
        raise DomainError("invalid_name", "姓名不能为空且不超过50字", field="name")
    try:
        info = parse_id_number(id_number)
    except ValidationProblem as exc:
        raise DomainError("invalid_id_number", exc.message, field="id_number") from exc
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationProblem as exc:
            raise DomainError("invalid_phone", exc.message, field="phone") from exc
    if kind not in Member.Kind.values:
        raise DomainError("invalid_kind", "会员类型应为 正式职工/灵活就业/新就业形态", field="kind")
    if joined_on < info.birth_date:
        raise DomainError("invalid_date", "入会日期早于出生日期", field="joined_on")
    return Member(
        name=name,
        id_number=info.number,
        id_number_index=blind_index(info.number),
        id_number_masked=mask_id_number(info.number),
        sex=info.sex,
        birth_date=info.birth_date,
        phone=phone,
        phone_index=blind_index(phone) if phone else "",
        phone_masked=mask_phone(phone) if phone else "",
        kind=kind,
        org_unit=org_unit,
        employer=employer,
        joined_on=joined_on,
    )


@transaction.atomic
def member_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    name: str,
    id_number: str,
    joined_on: dt.date,
    phone: str = "",
    kind: str = Member.Kind.EMPLOYEE,
    employer: Enterprise | None = None,
) -> Member:
    """Register one member at ``org_unit``; the ID number is unique across the register."""
    require(actor, "manage", org_unit)
    member = _new_member(
        name=name,
        id_number=id_number,
        phone=phone,
        kind=kind,
        org_unit=org_unit,
        employer=employer,
        joined_on=joined_on,
    )
    if joined_on > timezone.localdate():
        raise DomainError("future_date", "日期不能晚于今天", field="joined_on")
    if Member.objects.filter(id_number_index=member.id_number_index).exists():
        raise DomainError("duplicate_member", "该身份证号已在会员库中", field="id_number")
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent registration of the same ID number won
        raise DomainError("duplicate_member", "该身份证号已在会员库中", field="id_number") from exc
    MembershipEvent.objects.create(
        member=member, kind="join", to_unit=org_unit, on_date=joined_on, actor=actor
    )
    audit_record(
        actor=actor,
        action="member.create",
        target=member,
        org_unit=org_unit,
        after={"name": member.name, "org_unit": org_unit.pk, "kind": kind},
    )
    return member


@transaction.atomic
def member_transfer(
    *, actor: User, member: Member, to_unit: OrgUnit, on_date: dt.date, note: str = ""
) -> Member:
    """Move a member to another union; the actor must administer both ends."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    require(actor, "manage", member.org_unit)
    require(actor, "manage", to_unit)
    if member.status != Member.Status.ACTIVE:
        raise DomainError("member_not_active", "已离会的会员不能转会")
    if to_unit.pk == member.org_unit_id:
        raise DomainError("same_unit", "转入工会与当前工会相同", field="to_unit")
    before = {"org_unit": member.org_unit_id}
    from_unit = member.org_unit
    member.org_unit = to_unit
    member.employer = getattr(to_unit, "enterprise", None) if to_unit.level == "enterprise" else None
    member.save(update_fields=["org_unit", "employer", "updated_at"])
    MembershipEvent.objects.create(
        member=member,
        kind="transfer",
        from_unit=from_unit,
        to_unit=to_unit,
        on_date=on_date,
        note=note,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="member.transfer",
        target=member,
        org_unit=to_unit,
        before=before,
        after={"org_unit": to_unit.pk},
    )
    return member


@transaction.atomic
def member_leave(*, actor: User, member: Member, on_date: dt.date, note: str = "") -> Member:
    """Record that a member left the union (kept in the register with history)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    require(actor, "manage", member.org_unit)
    if member.status == Member.Status.LEFT:
        raise DomainError("member_not_active", "该会员已离会")
    if on_date < member.joined_on:
        raise DomainError("invalid_date", "离会日期早于入会日期", field="on_date")
    member.status = Member.Status.LEFT
    member.left_on = on_date
    member.save(update_fields=["status", "left_on", "updated_at"])
    MembershipEvent.objects.create(
        member=member, kind="leave", from_unit=member.org_unit, on_date=on_date, note=note, actor=actor
    )
    audit_record(
        actor=actor,
        action="member.leave",
        target=member,
        org_unit=member.org_unit,
        before={"status": "active"},
        after={"status": "left", "left_on": on_date},
    )
    return member


@transaction.atomic
def member_reveal(*, actor: User, member: Member, field: str) -> str:
    """Return the full ID number or phone; needs the permission and is written to the audit."""
    if field not in {"id_number", "phone"}:
        raise DomainError("invalid_field", "只能查看身份证号或手机号", field="field")
    if not can_reveal_personal_data(actor, member.org_unit):
        raise PermissionDenied("无权查看完整的个人敏感信息")
    audit_record(actor=actor, action=f"member.reveal_{field}", target=member, org_unit=member.org_unit)
    value: str = getattr(member, field)
    return value


def members_bulk_insert(members: list[Member], *, actor: User | None = None, note: str = "") -> list[Member]:
    """Insert already-validated members with their join events, in bulk (ids come back)."""
    created = Member.objects.bulk_create(members, batch_size=1000)
    if created and created[0].pk is None:  # backends without RETURNING
        ids = dict(
            Member.objects.filter(id_number_index__in=[m.id_number_index for m in created]).values_list(
                "id_number_index", "pk"
            )
        )
        for m in created:
            m.pk = ids[m.id_number_index]
    MembershipEvent.objects.bulk_create(
        [
            MembershipEvent(
                member=m, kind="join", to_unit=m.org_unit, on_date=m.joined_on, actor=actor, note=note
            )
            for m in created
        ],
        batch_size=1000,
    )
    return created


@dataclass(slots=True)
class _MemberRow:
    row: Row
    member: Member


def members_import(*, actor: User, data: bytes, filename: str, skip_invalid: bool = False) -> ImportReport:
    """Bulk-import members from xlsx/csv; all-or-nothing unless ``skip_invalid``.

    A row names its union by the employer's USCC (enterprise union) or a division code
    (e.g. a community federation for flexible workers); both must be in the actor's subtree.
    Existing ID numbers are reported as unchanged, never duplicated.
    """
    errors: list[RowError] = []
    rows = list(
        read_table(
            data,
            filename,
            required=["name", "id_number", "joined_on"],
            optional=list(MEMBER_IMPORT_COLUMNS.values()),
            aliases=MEMBER_IMPORT_COLUMNS,
        )
    )
    manageable = OrgUnit.objects.visible_to(actor, "manage")
    enterprises = {e.uscc: e for e in Enterprise.objects.visible_to(actor, "manage").select_related("union")}
    units_by_code = {u.division_code: u for u in manageable.exclude(division_code="")}
    parsed: list[_MemberRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        v = row.values
        employer = None
        unit: OrgUnit | None = None
        if v.get("employer_uscc"):
            employer = enterprises.get(v["employer_uscc"].upper())
            if employer is None:
                errors.append(
                    RowError(row.number, "工作单位统一社会信用代码", "找不到该企业，或不在您管理的范围内")
                )
                continue
            unit = employer.union
        elif v.get("union_code"):
            unit = units_by_code.get(v["union_code"])
            if unit is None:
                errors.append(
                    RowError(row.number, "所在工会行政区划代码", "找不到该工会，或不在您管理的范围内")
                )
                continue
        else:
            errors.append(RowError(row.number, "工作单位统一社会信用代码", "工作单位或所在工会至少填写一项"))
            continue
        kind = _KIND_BY_LABEL.get(v.get("kind", ""), v.get("kind", "") or "employee")
        try:
            joined_on = _parse_date(v.get("joined_on", ""), "joined_on")
            member = _new_member(
                name=v.get("name", ""),
                id_number=v.get("id_number", ""),
                phone=v.get("phone", ""),
                kind=kind,
                org_unit=unit,
                employer=employer,
                joined_on=joined_on,
            )
        except DomainError as exc:
            column = {v2: k for k, v2 in MEMBER_IMPORT_COLUMNS.items()}.get(exc.field or "", "")
            errors.append(RowError(row.number, column, exc.message))
            continue
        if member.id_number_index in seen:
            errors.append(RowError(row.number, "身份证号", f"与第 {seen[member.id_number_index]} 行重复"))
            continue
        seen[member.id_number_index] = row.number
        parsed.append(_MemberRow(row, member))
    if errors and not skip_invalid:
        raise TableError(errors)
    report = ImportReport(rejected=errors)
    with transaction.atomic():
        existing = set(
            Member.objects.filter(id_number_index__in=list(seen)).values_list("id_number_index", flat=True)
        )
        new = [p.member for p in parsed if p.member.id_number_index not in existing]
        report.unchanged = len(parsed) - len(new)
        created = members_bulk_insert(new, actor=actor, note="批量导入")
        report.created = len(created)
        if created:
            audit_record(
                actor=actor,
                action="member.import",
                target=actor,
                org_unit=manageable.order_by("depth").first(),
                after={
                    "created": report.created,
                    "unchanged": report.unchanged,
                    "rejected": len(errors),
                    "file": filename,
                },
            )
    return report
