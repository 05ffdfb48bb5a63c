"""Write services of the three libraries: craftsmen (劳模工匠资源库), enterprise demands (企业需求库)
and outcomes (创新成果库), with their imports and the sync from the innovation module.

Every write re-indexes the changed documents (``matching.index_craftsmen`` /
``index_outcomes``) in the same transaction, so the search index never disagrees with the
library. Imports are all-or-nothing by default, idempotent by ``external_id`` and written in
bulk (inserts, updates and re-indexing), never as a loop of single saves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can, require
from gonghui.assist import errors, matching
from gonghui.assist.engine.contract import CRAFTSMEN_COLUMNS, DEFAULT_CAPACITY, OUTCOMES_COLUMNS, split_list
from gonghui.assist.models import Craftsman, Demand, DemandKind, DemandPhoto, LibraryOutcome, Urgency
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.scoping import granted_paths
from gonghui.core.tabular import ImportReport, Row, RowError, TableError, read_table
from gonghui.innovation.models import Outcome
from gonghui.orgs.industries import Industry
from gonghui.orgs.models import Enterprise, OrgUnit

# GB/T 2260 province-level prefixes: a region code must start with one of them.
PROVINCE_PREFIXES = frozenset((
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
))  # fmt: skip
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 9
PHOTO_TYPES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}
MAX_DESCRIPTION = 5000
MAX_LIST_ITEMS = 50

# Import columns: Chinese titles of the download template → the contract's column names.
CRAFTSMAN_IMPORT_COLUMNS = {
    "外部编号": "external_id",
    "姓名": "name",
    "荣誉": "honours",
    "地区代码": "region",
    "行业门类": "industry",
    "工种": "trades",
    "专长": "skills",
    "简介": "bio",
    "工作单位": "employer_name",
    "技能等级": "skill_level",
    "熟悉的设备与工艺": "equipment",
    "每月可接单数": "monthly_capacity",
}
OUTCOME_IMPORT_COLUMNS = {
    "外部编号": "external_id",
    "名称": "title",
    "类型": "type",
    "行业门类": "industry",
    "简介": "description",
    "地区代码": "region",
    "标签": "tags",
    "核验年效益（元）": "verified_benefit",
}
_LABELS = {
    **{v: k for k, v in CRAFTSMAN_IMPORT_COLUMNS.items()},
    **{v: k for k, v in OUTCOME_IMPORT_COLUMNS.items()},
}
# Innovation outcomes that were adopted (采纳实施) or went further enter the outcome library; an
# archived one only if it was implemented (archiving also ends shelved and declined ones).
_S = Outcome.Status
SYNCED_STATUSES = frozenset(
    {_S.ADOPTED, _S.IMPLEMENTED, _S.BENEFIT_CALCULATED, _S.VERIFIED, _S.GRADED, _S.REWARDED}
)


def column_label(name: str) -> str:
    """How an error names a column: the template's title and the contract's name."""
    label = _LABELS.get(name)
    return f"{label}({name})" if label else name


# --- field rules shared by the forms, the API and the imports ----------------------------------


def clean_region(raw: str, *, field: str = "region") -> str:
    """A GB/T 2260 six-digit code ("" allowed) with a real province prefix."""
    code = (raw or "").strip()
    if not code:
        return ""
    if len(code) != 6 or not code.isascii() or not code.isdigit() or code[:2] not in PROVINCE_PREFIXES:
        raise DomainError(
            errors.LIBRARY_INVALID, f"地区代码“{code[:20]}”不是有效的 6 位行政区划代码", field=field
        )
    return code


def clean_industry(raw: str, *, field: str = "industry") -> str:
    """A GB/T 4754 section letter A–T ("" allowed), upper-cased."""
    code = (raw or "").strip().upper()
    if code and code not in Industry.values:
        raise DomainError(errors.LIBRARY_INVALID, f"行业门类“{code[:10]}”须为 A–T 之一", field=field)
    return code


def clean_list(value: str | Iterable[str], *, field: str, max_item: int = 60) -> list[str]:
    """A list given as "a、b、c" or as items: stripped, blanks and repeats dropped, bounded."""
    items = split_list(value) if isinstance(value, str) else tuple(str(v).strip() for v in value)
    out = list(dict.fromkeys(i for i in items if i))
    if len(out) > MAX_LIST_ITEMS:
        raise DomainError(errors.LIBRARY_INVALID, f"最多填写 {MAX_LIST_ITEMS} 项", field=field)
    if any(len(i) > max_item for i in out):
        raise DomainError(errors.LIBRARY_INVALID, f"每项不超过 {max_item} 字", field=field)
    return out


def _text(value: str, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(errors.LIBRARY_INVALID, f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise DomainError(errors.LIBRARY_INVALID, f"{label}不能超过 {max_length} 字", field=field)
    return text


def _count(value: Any, *, field: str, label: str, maximum: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError(errors.LIBRARY_INVALID, f"{label}须为整数", field=field) from exc
    if not 0 <= number <= maximum:
        raise DomainError(errors.LIBRARY_INVALID, f"{label}须在 0–{maximum} 之间", field=field)
    return number


def _money(value: Any, *, field: str, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise DomainError(errors.LIBRARY_INVALID, f"{label}须为数字", field=field) from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DomainError(errors.LIBRARY_INVALID, f"{label}须为不小于 0 的金额", field=field)
    return amount.quantize(Decimal("0.01"))


def region_of_unit(unit: OrgUnit) -> str:
    """The six-digit region of a union node: the nearest node at or above it with a division
    code (an enterprise union has none; its street's 330199001 gives 330199)."""
    prefixes = [unit.path[:i] for i in range(OrgUnit.steplen, len(unit.path) + 1, OrgUnit.steplen)]
    codes = dict(
        OrgUnit.objects.filter(path__in=prefixes)
        .exclude(division_code="")
        .values_list("path", "division_code")
    )
    for path in reversed(prefixes):
        code = codes.get(path, "")
        if len(code) >= 6 and code[:6].isdigit():
            return code[:6]
    return ""


def _unique_external_id(
    model: type[Craftsman] | type[LibraryOutcome], external_id: str, pk: int | None
) -> None:
    taken = model.objects.filter(external_id=external_id)
    if pk is not None:
        taken = taken.exclude(pk=pk)
    if external_id and taken.exists():
        raise DomainError(errors.LIBRARY_INVALID, f"外部编号 {external_id} 已存在", field="external_id")


# --- craftsmen ---------------------------------------------------------------------------------

CRAFTSMAN_EDITABLE = (
    "external_id",
    "name",
    "honours",
    "employer_name",
    "enterprise",
    "region",
    "industry",
    "trades",
    "skill_level",
    "skills",
    "equipment",
    "bio",
    "studio",
    "user",
    "available",
    "monthly_capacity",
    "service_radius_km",
    "languages",
    "conflict_enterprise_ids",
    "active",
)


def _clean_craftsman(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise craftsman fields (only those given); errors name the field."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in CRAFTSMAN_EDITABLE:
            raise DomainError(errors.LIBRARY_INVALID, f"不能修改字段 {name}", field=name)
        if name == "name":
            out[name] = _text(value, field=name, label="姓名", max_length=50, required=True)
        elif name == "external_id":
            out[name] = _text(value, field=name, label="外部编号", max_length=40)
        elif name in ("employer_name",):
            out[name] = _text(value, field=name, label="工作单位", max_length=160)
        elif name == "bio":
            out[name] = _text(value, field=name, label="简介", max_length=MAX_DESCRIPTION)
        elif name in ("honours", "trades", "skills", "equipment", "languages"):
            out[name] = clean_list(value, field=name)
        elif name == "region":
            out[name] = clean_region(value)
        elif name == "industry":
            out[name] = clean_industry(value)
        elif name == "skill_level":
            level = (value or "").strip()
            if level and level not in Craftsman.SkillLevel.values:
                by_label = {str(label): code for code, label in Craftsman.SkillLevel.choices}
                level = by_label.get(level, "")
                if not level:
                    raise DomainError(errors.LIBRARY_INVALID, "未知的技能等级", field=name)
            out[name] = level
        elif name == "monthly_capacity":
            out[name] = _count(value, field=name, label="每月可接单数", maximum=99)
        elif name == "service_radius_km":
            out[name] = _count(value, field=name, label="服务半径", maximum=5000)
        elif name == "conflict_enterprise_ids":
            try:
                out[name] = sorted({int(v) for v in value})
            except (TypeError, ValueError) as exc:
                raise DomainError(errors.LIBRARY_INVALID, "回避企业须为企业编号", field=name) from exc
        elif name in ("available", "active"):
            out[name] = bool(value)
        else:  # enterprise, studio, user: model instances or None
            out[name] = value
    return out


@transaction.atomic
def craftsman_create(*, actor: User, org_unit: OrgUnit, name: str, **fields: Any) -> Craftsman:
    """Add a craftsman to the library of ``org_unit`` (administrators of its subtree); the
    record is indexed for matching at once."""
    require(actor, "manage", org_unit)
    values = _clean_craftsman({"name": name, **fields})
    _unique_external_id(Craftsman, values.get("external_id", ""), None)
    craftsman = Craftsman.objects.create(org_unit=org_unit, **values)
    matching.index_craftsmen([craftsman])
    audit_record(
        actor=actor,
        action="assist.craftsman.create",
        target=craftsman,
        org_unit=org_unit,
        after={"name": craftsman.name, "external_id": craftsman.external_id},
    )
    return craftsman


@transaction.atomic
def craftsman_update(*, actor: User, craftsman: Craftsman, **changes: Any) -> Craftsman:
    """Change a craftsman's record (administrators of its union); saves only the changed
    fields, re-indexes, audits before/after. ``active=False`` withdraws it from matching."""
    locked = (
        Craftsman.objects.select_for_update(of=("self",))
        .select_related("org_unit", "studio")
        .get(pk=craftsman.pk)
    )
    require(actor, "manage", locked.org_unit)
    values = _clean_craftsman(changes)
    if "external_id" in values:
        _unique_external_id(Craftsman, values["external_id"], locked.pk)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        if getattr(locked, name) != value:
            before[name], after[name] = getattr(locked, name), value
            setattr(locked, name, value)
    if after:
        locked.save(update_fields=[*after, "updated_at"])
        matching.index_craftsmen([locked])
        audit_record(
            actor=actor,
            action="assist.craftsman.update",
            target=locked,
            org_unit=locked.org_unit,
            before=before,
            after=after,
        )
    return locked


# --- library outcomes --------------------------------------------------------------------------


@transaction.atomic
def library_outcome_create(
    *,
    actor: User,
    org_unit: OrgUnit,
    title: str,
    type: str = "",
    industry: str = "",
    region: str = "",
    description: str = "",
    tags: str | Sequence[str] = (),
    verified_benefit: Decimal | str | None = None,
    external_id: str = "",
    trial_offered: bool = False,
    owner_name: str = "",
    licence_form: str = "",
    licence_fee: Decimal | str | None = None,
    trial_months: int | None = None,
) -> LibraryOutcome:
    """Add an outcome to the 创新成果库. A 先用后转 item carries the owner's terms, fixed up
    front: licence form, fee and trial length."""
    require(actor, "manage", org_unit)
    external_id = _text(external_id, field="external_id", label="外部编号", max_length=40)
    _unique_external_id(LibraryOutcome, external_id, None)
    fee = _money(licence_fee, field="licence_fee", label="转化费用")
    if trial_offered:
        if licence_form not in LibraryOutcome.LicenceForm.values:
            raise DomainError(errors.LIBRARY_INVALID, "先用后转须选择转化方式", field="licence_form")
        if fee is None:
            raise DomainError(errors.LIBRARY_INVALID, "先用后转须填写转化费用", field="licence_fee")
        if trial_months is None or not 1 <= trial_months <= 36:
            raise DomainError(errors.LIBRARY_INVALID, "试用期须为 1–36 个月", field="trial_months")
    outcome = LibraryOutcome.objects.create(
        external_id=external_id,
        title=_text(title, field="title", label="名称", max_length=160, required=True),
        type=_text(type, field="type", label="类型", max_length=30),
        industry=clean_industry(industry),
        region=clean_region(region) or region_of_unit(org_unit),
        description=_text(description, field="description", label="简介", max_length=MAX_DESCRIPTION),
        tags=clean_list(tags, field="tags"),
        verified_benefit=_money(verified_benefit, field="verified_benefit", label="核验年效益"),
        org_unit=org_unit,
        source=LibraryOutcome.Source.IMPORT,
        trial_offered=trial_offered,
        owner_name=_text(owner_name, field="owner_name", label="权利人", max_length=100),
        licence_form=licence_form if trial_offered else "",
        licence_fee=fee if trial_offered else None,
        trial_months=trial_months if trial_offered else None,
    )
    matching.index_outcomes([outcome])
    audit_record(
        actor=actor,
        action="assist.outcome.create",
        target=outcome,
        org_unit=org_unit,
        after={"title": outcome.title, "trial_offered": trial_offered},
    )
    return outcome


def _innovation_fields(outcome: Outcome, regions: dict[int, str]) -> dict[str, Any]:
    description = "\n".join(p for p in (outcome.situation, outcome.measures, outcome.effect) if p)
    return {
        "title": outcome.title[:160],
        "type": outcome.type_label[:30],
        "industry": outcome.industry,
        "region": regions.get(outcome.org_unit_id, ""),
        "description": description,
        "tags": list(outcome.tags),
        "verified_benefit": outcome.verified_benefit,
        "org_unit_id": outcome.org_unit_id,
    }


@transaction.atomic
def library_sync_innovation(*, org_unit: OrgUnit, actor: User | None = None) -> ImportReport:
    """Copy the innovation outcomes of ``org_unit``'s subtree that were adopted or went further
    into the outcome library (source 职工创新), or refresh the copies already there: idempotent
    through the one-to-one link, in bulk, re-indexed."""
    if actor is not None:
        require(actor, "manage", org_unit)
    outcomes = list(
        Outcome.objects.filter(org_unit__path__startswith=org_unit.path)
        .filter(Q(status__in=SYNCED_STATUSES) | Q(status=_S.ARCHIVED, implemented_on__isnull=False))
        .select_related("org_unit")
        .order_by("pk")
    )
    regions = {
        unit_id: region_of_unit(unit)
        for unit_id, unit in {o.org_unit_id: o.org_unit for o in outcomes}.items()
    }
    existing = {
        entry.innovation_outcome_id: entry
        for entry in LibraryOutcome.objects.filter(innovation_outcome__in=[o.pk for o in outcomes])
    }
    report = ImportReport()
    new: list[LibraryOutcome] = []
    changed: list[LibraryOutcome] = []
    fields = list(_innovation_fields(outcomes[0], regions)) if outcomes else []
    for outcome in outcomes:
        values = _innovation_fields(outcome, regions)
        entry = existing.get(outcome.pk)
        if entry is None:
            new.append(
                LibraryOutcome(
                    external_id=f"innovation-{outcome.pk}",
                    source=LibraryOutcome.Source.INNOVATION,
                    innovation_outcome=outcome,
                    **values,
                )
            )
        elif any(getattr(entry, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(entry, k, v)
            changed.append(entry)
        else:
            report.unchanged += 1
    created = LibraryOutcome.objects.bulk_create(new, batch_size=500)
    if changed:
        LibraryOutcome.objects.bulk_update(changed, fields, batch_size=500)
    matching.index_outcomes([*created, *changed])
    report.created, report.updated = len(created), len(changed)
    if created or changed:
        audit_record(
            actor=actor,
            action="assist.outcome.sync_innovation",
            target=org_unit,
            org_unit=org_unit,
            after={"created": report.created, "updated": report.updated},
        )
    return report


# --- enterprise demands ------------------------------------------------------------------------


def is_enterprise_contact(user: User, enterprise: Enterprise) -> bool:
    """Holds the enterprise-contact role on the enterprise's union (not revoked)."""
    return RoleGrant.objects.filter(
        user_id=user.pk,
        role=Role.ENTERPRISE_CONTACT,
        org_unit_id=enterprise.union_id,
        revoked_at__isnull=True,
    ).exists()


def _check_photo(upload: UploadedFile) -> str:
    """The photo's file name after the type and size checks (extension and file signature)."""
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in PHOTO_TYPES:
        raise DomainError(
            errors.DEMAND_INVALID,
            f"不支持的照片类型 {suffix or '(无扩展名)'}，可上传：{'、'.join(sorted(PHOTO_TYPES))}",
            field="photos",
        )
    size = upload.size or 0
    if size == 0:
        raise DomainError(errors.DEMAND_INVALID, f"照片 {name} 为空", field="photos")
    if size > MAX_PHOTO_BYTES:
        raise DomainError(
            errors.DEMAND_INVALID, f"照片 {name} 超过 {MAX_PHOTO_BYTES // 1024 // 1024} MB", field="photos"
        )
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    looks_like = (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or head[4:8] == b"ftyp"
    )
    if not looks_like:
        raise DomainError(errors.DEMAND_INVALID, f"文件 {name} 不是有效的图片", field="photos")
    return name


def _store_photo(*, demand: Demand, upload: UploadedFile, name: str) -> DemandPhoto:
    return DemandPhoto.objects.create(demand=demand, file=upload, name=name[:200])


@transaction.atomic
def demand_create(
    *,
    actor: User,
    enterprise: Enterprise,
    title: str,
    description: str,
    equipment_model: str = "",
    kind: str = DemandKind.BREAKTHROUGH,
    urgency: str = Urgency.NORMAL,
    confidential: bool = False,
    photos: Sequence[UploadedFile] = (),
) -> Demand:
    """An enterprise posts a problem to the 企业需求库: its contact (enterprise_contact on its
    union) or union staff on its behalf. Industry and region come from the enterprise; photos
    are checked (type, size, signature) before anything is stored."""
    if not (is_enterprise_contact(actor, enterprise) or can(actor, "review", enterprise.union)):
        raise PermissionDenied()
    if kind not in DemandKind.values:
        raise DomainError(errors.DEMAND_INVALID, "未知的需求类别", field="kind")
    if urgency not in Urgency.values:
        raise DomainError(errors.DEMAND_INVALID, "未知的紧急程度", field="urgency")
    if len(photos) > MAX_PHOTOS:
        raise DomainError(errors.DEMAND_INVALID, f"最多上传 {MAX_PHOTOS} 张照片", field="photos")
    try:
        title = _text(title, field="title", label="问题标题", max_length=120, required=True)
        description = _text(
            description, field="description", label="问题描述", max_length=MAX_DESCRIPTION, required=True
        )
        equipment_model = _text(equipment_model, field="equipment_model", label="设备型号", max_length=100)
    except DomainError as exc:
        raise DomainError(errors.DEMAND_INVALID, exc.message, field=exc.field) from exc
    names = [_check_photo(upload) for upload in photos]
    union = enterprise.union
    demand = Demand.objects.create(
        enterprise=enterprise,
        org_unit=union,
        title=title,
        description=description,
        equipment_model=equipment_model,
        industry=enterprise.industry,
        region=region_of_unit(union),
        kind=kind,
        urgency=urgency,
        confidential=confidential,
        created_by=actor,
    )
    for upload, name in zip(photos, names, strict=True):
        _store_photo(demand=demand, upload=upload, name=name)
    audit_record(
        actor=actor,
        action="assist.demand.create",
        target=demand,
        org_unit=union,
        after={"title": title, "kind": kind, "urgency": urgency, "photos": len(names)},
    )
    return demand


@transaction.atomic
def demand_photo_add(*, actor: User, demand: Demand, upload: UploadedFile) -> DemandPhoto:
    """Add a photo to a demand (its author or staff reviewing its union)."""
    if actor.pk != demand.created_by_id and not can(actor, "review", demand.org_unit):
        raise PermissionDenied()
    if demand.photos.count() >= MAX_PHOTOS:
        raise DomainError(errors.DEMAND_INVALID, f"最多上传 {MAX_PHOTOS} 张照片", field="photos")
    photo = _store_photo(demand=demand, upload=upload, name=_check_photo(upload))
    audit_record(
        actor=actor,
        action="assist.demand.photo",
        target=demand,
        org_unit=demand.org_unit,
        after={"photo": photo.pk, "name": photo.name},
    )
    return photo


# --- imports -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parsed:
    row: Row
    values: dict[str, Any]


def _row_errors(
    rows: Iterable[Row], parse: Callable[[dict[str, str], set[str]], dict[str, Any]], columns: set[str]
) -> tuple[list[_Parsed], list[RowError]]:
    """Parse every row, collecting one error per bad row (naming row and column), and reject
    an external id repeated in the file."""
    parsed: list[_Parsed] = []
    problems: list[RowError] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            values = parse(row.values, columns)
        except DomainError as exc:
            problems.append(RowError(row.number, column_label(exc.field or ""), exc.message))
            continue
        key = values["external_id"]
        if key in seen:
            problems.append(RowError(row.number, column_label("external_id"), f"与第 {seen[key]} 行重复"))
            continue
        seen[key] = row.number
        parsed.append(_Parsed(row, values))
    return parsed, problems


def _external_id(v: dict[str, str]) -> str:
    return _text(
        v.get("external_id", ""), field="external_id", label="外部编号", max_length=40, required=True
    )


def _parse_craftsman(v: dict[str, str], columns: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": _external_id(v),
        "name": v.get("name", ""),
        "honours": v.get("honours", ""),
        "region": v.get("region", ""),
        "industry": v.get("industry", ""),
        "trades": v.get("trades", ""),
        "skills": v.get("skills", ""),
        "bio": v.get("bio", ""),
    }
    for optional in ("employer_name", "skill_level", "equipment", "monthly_capacity"):
        if optional in columns and v.get(optional, "") != "":
            values[optional] = v[optional]
    return _clean_craftsman(values)


def _parse_outcome(v: dict[str, str], columns: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": _external_id(v),
        "title": _text(v.get("title", ""), field="title", label="名称", max_length=160, required=True),
        "type": _text(v.get("type", ""), field="type", label="类型", max_length=30),
        "industry": clean_industry(v.get("industry", "")),
        "description": _text(
            v.get("description", ""), field="description", label="简介", max_length=MAX_DESCRIPTION
        ),
    }
    if "region" in columns:
        values["region"] = clean_region(v.get("region", ""))
    if "tags" in columns:
        values["tags"] = clean_list(v.get("tags", ""), field="tags")
    if "verified_benefit" in columns:
        values["verified_benefit"] = _money(
            v.get("verified_benefit"), field="verified_benefit", label="核验年效益"
        )
    return values


def _manageable(actor: User | None) -> Callable[[OrgUnit], bool]:
    if actor is None or actor.is_superuser:
        return lambda unit: True
    paths = granted_paths(actor, "manage")
    return lambda unit: any(unit.path.startswith(p) for p in paths)


def _import(
    *,
    model: type[Craftsman] | type[LibraryOutcome],
    actor: User | None,
    org_unit: OrgUnit,
    data: bytes,
    filename: str,
    skip_invalid: bool,
    required: Sequence[str],
    aliases: dict[str, str],
    parse: Callable[[dict[str, str], set[str]], dict[str, Any]],
    defaults: dict[str, Any],
    reindex: Callable[[list[Any]], None],
    action: str,
) -> ImportReport:
    if actor is not None:
        require(actor, "manage", org_unit)
    rows = list(
        read_table(data, filename, required=required, optional=list(aliases.values()), aliases=aliases)
    )
    # Every row carries exactly the known columns of the header; optional ones are only
    # written when the file has them.
    columns = set(required) | (set(rows[0].values) if rows else set())
    parsed, problems = _row_errors(rows, parse, columns)
    may_manage = _manageable(actor)
    existing = {
        obj.external_id: obj
        for obj in model.objects.filter(
            external_id__in=[p.values["external_id"] for p in parsed]
        ).select_related("org_unit")
    }
    new: list[Any] = []
    changed: list[Any] = []
    changed_fields: set[str] = set()
    unchanged = 0
    for item in parsed:
        current = existing.get(item.values["external_id"])
        if current is None:
            given = {k: v for k, v in item.values.items() if k not in defaults or v not in ("", None)}
            new.append(model(org_unit=org_unit, **{**defaults, **given}))
            continue
        if not may_manage(current.org_unit):
            problems.append(
                RowError(item.row.number, column_label("external_id"), "该外部编号已被其他工会的记录使用")
            )
            continue
        diff = {k: v for k, v in item.values.items() if getattr(current, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(current, k, v)
            changed.append(current)
            changed_fields.update(diff)
        else:
            unchanged += 1
    problems.sort(key=lambda e: e.row)
    if problems and not skip_invalid:
        raise TableError(problems)
    report = ImportReport(rejected=problems, unchanged=unchanged)
    with transaction.atomic():
        try:
            with transaction.atomic():
                created = model.objects.bulk_create(new, batch_size=500)
        except IntegrityError as exc:  # another import added the same external id meanwhile
            raise TableError(
                [RowError(0, column_label("external_id"), "外部编号与同时进行的导入冲突，请重试")]
            ) from exc
        if changed:
            update_fields = sorted(changed_fields) + (["updated_at"] if model is Craftsman else [])
            model.objects.bulk_update(changed, update_fields, batch_size=500)
        reindex([*created, *changed])
        report.created, report.updated = len(created), len(changed)
        if created or changed:
            audit_record(
                actor=actor,
                action=action,
                target=org_unit,
                org_unit=org_unit,
                after={**report.as_dict(), "rejected": len(problems), "file": filename[:200]},
            )
    return report


def craftsmen_import(
    *, actor: User | None, org_unit: OrgUnit, data: bytes, filename: str, skip_invalid: bool = False
) -> ImportReport:
    """Import craftsmen (xlsx/csv; the contract's columns ``external_id,name,honours,region,
    industry,trades,skills,bio`` or the template's Chinese titles, lists separated by "、").

    Idempotent by external id: known craftsmen are updated (only the columns in the file),
    new ones join ``org_unit``'s library. All-or-nothing unless ``skip_invalid``; ``actor`` None
    is the system (the import command).
    """
    return _import(
        model=Craftsman,
        actor=actor,
        org_unit=org_unit,
        data=data,
        filename=filename,
        skip_invalid=skip_invalid,
        required=CRAFTSMEN_COLUMNS,
        aliases=CRAFTSMAN_IMPORT_COLUMNS,
        parse=_parse_craftsman,
        defaults={"monthly_capacity": DEFAULT_CAPACITY},
        reindex=matching.index_craftsmen,
        action="assist.craftsman.import",
    )


def outcomes_import(
    *, actor: User | None, org_unit: OrgUnit, data: bytes, filename: str, skip_invalid: bool = False
) -> ImportReport:
    """Import library outcomes (xlsx/csv; the contract's columns ``external_id,title,type,
    industry,description`` or the template's Chinese titles). Same rules as the craftsmen
    import; a new outcome without a region takes ``org_unit``'s."""
    return _import(
        model=LibraryOutcome,
        actor=actor,
        org_unit=org_unit,
        data=data,
        filename=filename,
        skip_invalid=skip_invalid,
        required=OUTCOMES_COLUMNS,
        aliases=OUTCOME_IMPORT_COLUMNS,
        parse=_parse_outcome,
        defaults={"region": region_of_unit(org_unit), "source": LibraryOutcome.Source.IMPORT},
        reindex=matching.index_outcomes,
        action="assist.outcome.import",
    )


IMPORT_TEMPLATES: dict[str, tuple[dict[str, str], list[str]]] = {
    "craftsmen": (
        CRAFTSMAN_IMPORT_COLUMNS,
        [
            "GJ9001",
            "张建华",
            "全国劳动模范、浙江工匠",
            "330199",
            "C",
            "数控车工、装配钳工",
            "数控车削、螺纹加工、FANUC系统",
            "从事数控车削二十年，擅长细长轴加工变形控制。",
            "杭州示例机械有限公司",
            "高级技师",
            "CK6150数控车床、FANUC 0i-TF",
            "4",
        ],
    ),
    "outcomes": (
        OUTCOME_IMPORT_COLUMNS,
        [
            "CG9001",
            "数控车床细长轴可调跟刀架",
            "五小",
            "C",
            "设计可调式跟刀架，细长轴直线度合格率由82%提高到98%。",
            "330199",
            "细长轴、跟刀架",
            "120000",
        ],
    ),
}
