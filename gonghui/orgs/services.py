"""Writes for the union tree and enterprises."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from gonghui.accounts.models import User
from gonghui.accounts.permissions import require
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError
from gonghui.core.tabular import ImportReport, Row, RowError, TableError, read_table
from gonghui.core.validators import ValidationProblem, validate_uscc
from gonghui.orgs.industries import Industry
from gonghui.orgs.models import Enterprise, OrgUnit

# Which level may sit under which: the tree is 全总→省→市→区县→镇街→社区/园区→企业.
LEVEL_ORDER = [choice for choice, _label in OrgUnit.Level.choices]
_DIVISION_RE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")


def _check_child_level(parent: OrgUnit | None, level: str) -> None:
    if level not in LEVEL_ORDER:
        raise DomainError("invalid_level", "未知的组织层级", field="level")
    if parent is not None and LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent.level):
        raise DomainError("invalid_level", "下级组织的层级必须低于上级", field="level")
    if parent is not None and parent.level == OrgUnit.Level.ENTERPRISE:
        raise DomainError("invalid_parent", "企业工会下不能再建下级组织", field="parent")


def _check_division(code: str) -> None:
    if code and not _DIVISION_RE.match(code):
        raise DomainError("invalid_division_code", "行政区划代码应为6、9或12位数字", field="division_code")


@transaction.atomic
def org_unit_create(
    *,
    actor: User | None,
    parent: OrgUnit | None,
    name: str,
    level: str,
    division_code: str = "",
    address: str = "",
) -> OrgUnit:
    """Add a node under ``parent`` (a root only for system set-up, with no actor check)."""
    _check_child_level(parent, level)
    _check_division(division_code)
    if parent is None:
        if actor is not None and not actor.is_superuser:
            raise DomainError("permission_denied", "只有系统管理员可以创建根组织")
        unit: OrgUnit = OrgUnit.add_root(name=name, level=level, division_code=division_code, address=address)
    else:
        if actor is not None:
            require(actor, "manage", parent)
        parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)  # serialise siblings
        unit = parent.add_child(name=name, level=level, division_code=division_code, address=address)
    audit_record(
        actor=actor,
        action="org_unit.create",
        target=unit,
        org_unit=unit,
        after={"name": name, "level": level, "division_code": division_code},
    )
    return unit


@transaction.atomic
def enterprise_create(
    *,
    actor: User | None,
    parent: OrgUnit,
    name: str,
    uscc: str,
    industry: str,
    size: str,
    employee_count: int = 0,
    address: str = "",
) -> Enterprise:
    """Register an enterprise together with its enterprise union under ``parent``."""
    try:
        uscc = validate_uscc(uscc)
    except ValidationProblem as exc:
        raise DomainError("invalid_uscc", exc.message, field="uscc") from exc
    if industry not in Industry.values:
        raise DomainError("invalid_industry", "未知的行业门类", field="industry")
    if size not in Enterprise.Size.values:
        raise DomainError("invalid_size", "未知的企业规模", field="size")
    if Enterprise.objects.filter(uscc=uscc).exists():
        raise DomainError("uscc_taken", "该统一社会信用代码已登记", field="uscc")
    union = org_unit_create(
        actor=actor, parent=parent, name=f"{name}工会委员会", level=OrgUnit.Level.ENTERPRISE
    )
    enterprise = Enterprise.objects.create(
        name=name,
        uscc=uscc,
        industry=industry,
        size=size,
        employee_count=employee_count,
        address=address,
        union=union,
    )
    audit_record(
        actor=actor,
        action="enterprise.create",
        target=enterprise,
        org_unit=union,
        after={"name": name, "uscc": uscc, "industry": industry, "size": size},
    )
    return enterprise


ORG_IMPORT_COLUMNS = {
    "上级行政区划代码": "parent_code",
    "名称": "name",
    "层级": "level",
    "行政区划代码": "division_code",
    "统一社会信用代码": "uscc",
    "行业门类": "industry",
    "规模": "size",
    "职工人数": "employee_count",
    "地址": "address",
}
_LEVEL_BY_LABEL = {str(label): value for value, label in OrgUnit.Level.choices}
_SIZE_BY_LABEL = {str(label): value for value, label in Enterprise.Size.choices}


@dataclass(slots=True)
class _OrgRow:
    row: Row
    parent_code: str
    name: str
    level: str
    division_code: str
    uscc: str
    industry: str
    size: str
    employee_count: int
    address: str


def _parse_org_row(row: Row, errors: list[RowError]) -> _OrgRow | None:
    v = row.values
    start = len(errors)
    name = v.get("name", "")
    if not name:
        errors.append(RowError(row.number, "名称", "不能为空"))
    level = _LEVEL_BY_LABEL.get(v.get("level", ""), v.get("level", ""))
    if level not in LEVEL_ORDER or level == "national":
        errors.append(RowError(row.number, "层级", "应为省/市/区县/镇街/社区/企业工会之一"))
    division = v.get("division_code", "")
    if division and not _DIVISION_RE.match(division):
        errors.append(RowError(row.number, "行政区划代码", "应为6、9或12位数字"))
    if not v.get("parent_code"):
        errors.append(RowError(row.number, "上级行政区划代码", "不能为空"))
    uscc = v.get("uscc", "")
    industry = v.get("industry", "")
    size = _SIZE_BY_LABEL.get(v.get("size", ""), v.get("size", ""))
    employee_count = 0
    if level == OrgUnit.Level.ENTERPRISE:
        try:
            uscc = validate_uscc(uscc)
        except ValidationProblem as exc:
            errors.append(RowError(row.number, "统一社会信用代码", exc.message))
        industry = industry[:1].upper() if industry else ""
        if industry not in Industry.values:
            errors.append(RowError(row.number, "行业门类", "应为 GB/T 4754 门类字母 A–T"))
        if size not in Enterprise.Size.values:
            errors.append(RowError(row.number, "规模", "应为 大型/中型/小型/微型"))
        raw_count = v.get("employee_count", "") or "0"
        if not raw_count.isdigit():
            errors.append(RowError(row.number, "职工人数", "应为非负整数"))
        else:
            employee_count = int(raw_count)
    elif not division:
        errors.append(RowError(row.number, "行政区划代码", "非企业组织必须填写"))
    if len(errors) > start:
        return None
    return _OrgRow(
        row,
        v["parent_code"],
        name,
        level,
        division,
        uscc,
        industry,
        size,
        employee_count,
        v.get("address", ""),
    )


def orgs_import(*, actor: User, data: bytes, filename: str, skip_invalid: bool = False) -> ImportReport:
    """Import union nodes and enterprises (xlsx/csv); idempotent by division code / USCC.

    Parents are found by division code among the nodes the actor administers or earlier rows
    of the same file. All-or-nothing unless ``skip_invalid``.
    """
    errors: list[RowError] = []
    parsed: list[_OrgRow] = []
    for row in read_table(
        data,
        filename,
        required=["parent_code", "name", "level"],
        optional=list(ORG_IMPORT_COLUMNS.values()),
        aliases=ORG_IMPORT_COLUMNS,
    ):
        item = _parse_org_row(row, errors)
        if item is not None:
            parsed.append(item)
    report = ImportReport()
    with transaction.atomic():
        visible = OrgUnit.objects.visible_to(actor, "manage")
        by_code = {u.division_code: u for u in visible.exclude(division_code="")}
        existing_uscc = dict(Enterprise.objects.values_list("uscc", "union_id"))
        seen_codes: set[str] = set()
        for item in parsed:
            key = item.uscc or item.division_code
            if key in seen_codes:
                errors.append(
                    RowError(
                        item.row.number,
                        "行政区划代码" if item.division_code else "统一社会信用代码",
                        "文件中重复",
                    )
                )
                continue
            seen_codes.add(key)
            parent = by_code.get(item.parent_code)
            if parent is None:
                errors.append(RowError(item.row.number, "上级行政区划代码", "找不到该上级组织，或您无权管理"))
                continue
            try:
                _check_child_level(parent, item.level)
            except DomainError as exc:
                errors.append(RowError(item.row.number, "层级", exc.message))
                continue
            if item.level == OrgUnit.Level.ENTERPRISE:
                if item.uscc in existing_uscc:
                    report.unchanged += 1
                    continue
                enterprise_create(
                    actor=actor,
                    parent=parent,
                    name=item.name,
                    uscc=item.uscc,
                    industry=item.industry,
                    size=item.size,
                    employee_count=item.employee_count,
                    address=item.address,
                )
                existing_uscc[item.uscc] = 0
            else:
                if item.division_code in by_code:
                    report.unchanged += 1
                    continue
                unit = org_unit_create(
                    actor=actor,
                    parent=parent,
                    name=item.name,
                    level=item.level,
                    division_code=item.division_code,
                    address=item.address,
                )
                by_code[unit.division_code] = unit
            report.created += 1
        if errors and not skip_invalid:
            transaction.set_rollback(True)
            raise TableError(sorted(errors, key=lambda e: e.row))
    report.rejected = sorted(errors, key=lambda e: e.row)
    return report
