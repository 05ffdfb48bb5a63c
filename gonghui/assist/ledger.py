"""Write services for the service ledger (服务台账): service activities with their craftsmen,
enterprise, problems and trainees; the enterprise's confirmation of solved problems; verified
benefit; the xlsx import of activities; the yearly KPI targets.

People trained are distinct persons (``Trainee.person_key``), kept apart from the person-times
typed for the activity: the dashboard never derives one from the other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can
from gonghui.assist import errors
from gonghui.assist.models import (
    Craftsman,
    Demand,
    KpiTarget,
    ServiceActivity,
    ServiceProblem,
    Trainee,
)
from gonghui.assist.selectors_ledger import craftsmen_choosable, is_enterprise_contact
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.tabular import ImportReport, RowError, TableError, read_table
from gonghui.core.validators import ValidationProblem, parse_id_number
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, OrgUnit

K = ServiceActivity.Kind
# Kinds that serve one enterprise (a training may gather workers of many).
ENTERPRISE_REQUIRED = frozenset({K.VISIT, K.REMOTE, K.JOINT})
MAX_PERSON_TIMES = 100_000
MAX_AMOUNT = Decimal("1000000000000")
FIRST_TARGET_YEAR = 2000
TARGET_FIELDS = ("craftsman_visits", "enterprises", "problems", "people_trained", "person_times")
MAX_TRAINEES = 2000


@dataclass(frozen=True, slots=True)
class TraineeInput:
    """A person trained: by ID number (hashed at once, never stored) or as a known member."""

    name: str
    id_number: str = ""
    member: Member | None = None


@dataclass(slots=True)
class ActivityInput:
    """An activity as entered on the page or read from an import row (objects resolved)."""

    org_unit: OrgUnit
    kind: str
    title: str
    held_on: dt.date
    craftsmen: Sequence[Craftsman]
    enterprise: Enterprise | None = None
    problems: Sequence[str] = ()
    trainees: Sequence[TraineeInput] = ()
    person_times: int = 0
    estimated_benefit: Decimal | None = None
    verified_benefit: Decimal | None = None
    long_term_agreement: bool = False
    demand: Demand | None = None


@dataclass(slots=True)
class _Prepared:
    activity: ServiceActivity
    craftsman_ids: list[int]
    problems: list[str]
    trainees: list[tuple[str, str]] = field(default_factory=list)  # (person_key, name)


def person_key_for(*, id_number: str = "", member: Member | None = None) -> str:
    """Who a trainee is, without keeping the ID number: the keyed hash of the ID number (the
    same hash the member register keeps, so a member and their ID number give one key), else
    ``member:<id>``. Raises ``ValidationProblem`` for a malformed ID number."""
    if id_number.strip():
        return blind_index(parse_id_number(id_number).number)
    if member is not None:
        return member.id_number_index or f"member:{member.pk}"
    raise ValidationProblem("须填写身份证号或选择会员")


def _money(value: Decimal | None, name: str, label: str) -> Decimal | None:
    if value is None:
        return None
    if value < 0 or value >= MAX_AMOUNT:
        raise DomainError(errors.LEDGER_INVALID, f"{label}应为不小于 0 的金额", field=name)
    return value.quantize(Decimal("0.01"))


def _prepare(actor: User, data: ActivityInput) -> _Prepared:
    """Check one activity against the ledger's rules; nothing is written."""
    if not can(actor, "review", data.org_unit):
        raise PermissionDenied()
    if data.kind not in K.values:
        raise DomainError(errors.LEDGER_INVALID, "未知的服务类别", field="kind")
    title = data.title.strip()
    if not title or len(title) > 160:
        raise DomainError(errors.LEDGER_INVALID, "活动名称不能为空且不超过160字", field="title")
    if data.held_on > timezone.localdate():
        raise DomainError(errors.LEDGER_INVALID, "日期不能晚于今天", field="held_on")
    craftsman_ids = sorted({c.pk for c in data.craftsmen})
    if not craftsman_ids:
        raise DomainError(errors.LEDGER_INVALID, "至少选择一位参与的劳模工匠", field="craftsmen")
    if data.enterprise is None and data.kind in ENTERPRISE_REQUIRED:
        raise DomainError(errors.LEDGER_INVALID, "请选择服务的企业", field="enterprise")
    problems = [p.strip() for p in data.problems if p.strip()]
    if any(len(p) > 300 for p in problems):
        raise DomainError(errors.LEDGER_INVALID, "每个问题不超过300字", field="problems")
    if problems and data.enterprise is None:
        raise DomainError(errors.LEDGER_INVALID, "登记问题须选择企业（由企业确认解决）", field="enterprise")
    if len(data.trainees) > MAX_TRAINEES:
        raise DomainError(
            errors.LEDGER_INVALID, f"一次活动最多登记 {MAX_TRAINEES} 名培训人员", field="trainees"
        )
    trainees: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for index, person in enumerate(data.trainees, start=1):
        name = person.name.strip() or (person.member.name if person.member else "")
        if not name or len(name) > 50:
            raise DomainError(
                errors.LEDGER_INVALID, f"第 {index} 位培训人员：姓名不能为空且不超过50字", field="trainees"
            )
        try:
            key = person_key_for(id_number=person.id_number, member=person.member)
        except ValidationProblem as exc:
            raise DomainError(
                errors.LEDGER_INVALID, f"第 {index} 位培训人员（{name}）：{exc.message}", field="trainees"
            ) from exc
        if key in seen:
            raise DomainError(
                errors.LEDGER_INVALID,
                f"第 {index} 位培训人员（{name}）与第 {seen[key]} 位是同一人",
                field="trainees",
            )
        seen[key] = index
        trainees.append((key, name))
    if not 0 <= data.person_times <= MAX_PERSON_TIMES:
        raise DomainError(errors.LEDGER_INVALID, "培训人次应为 0 或正整数", field="person_times")
    # Person-times are typed separately, but every listed trainee attended at least once.
    if data.person_times < len(trainees):
        raise DomainError(
            errors.LEDGER_INVALID,
            f"培训人次（{data.person_times}）不能少于登记的培训人数（{len(trainees)}）",
            field="person_times",
        )
    activity = ServiceActivity(
        kind=data.kind,
        title=title,
        org_unit=data.org_unit,
        enterprise=data.enterprise,
        held_on=data.held_on,
        demand=data.demand,
        person_times=data.person_times,
        estimated_benefit=_money(data.estimated_benefit, "estimated_benefit", "预计效益"),
        verified_benefit=_money(data.verified_benefit, "verified_benefit", "核实效益"),
        long_term_agreement=data.long_term_agreement,
        created_by=actor,
    )
    return _Prepared(activity, craftsman_ids, problems, trainees)


def _insert(prepared: Sequence[_Prepared]) -> list[ServiceActivity]:
    """Bulk-insert activities with their craftsmen, problems and trainees (a fixed number of
    statements whatever the count). Caller is atomic."""
    activities = ServiceActivity.objects.bulk_create([p.activity for p in prepared])
    through = ServiceActivity.craftsmen.through
    through.objects.bulk_create(
        [
            through(serviceactivity_id=a.pk, craftsman_id=cid)
            for a, p in zip(activities, prepared, strict=True)
            for cid in p.craftsman_ids
        ]
    )
    ServiceProblem.objects.bulk_create(
        [
            ServiceProblem(activity=a, description=text)
            for a, p in zip(activities, prepared, strict=True)
            for text in p.problems
        ]
    )
    Trainee.objects.bulk_create(
        [
            Trainee(activity=a, person_key=key, name=name)
            for a, p in zip(activities, prepared, strict=True)
            for key, name in p.trainees
        ],
        batch_size=1000,
    )
    return activities


def _audit_created(actor: User, activity: ServiceActivity, prepared: _Prepared, action: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=activity,
        org_unit=activity.org_unit,
        after={
            "kind": activity.kind,
            "title": activity.title,
            "held_on": activity.held_on,
            "enterprise": activity.enterprise_id,
            "craftsmen": prepared.craftsman_ids,
            "problems": len(prepared.problems),
            "trainees": len(prepared.trainees),
            "person_times": activity.person_times,
        },
    )


@transaction.atomic
def activity_create(*, actor: User, data: ActivityInput) -> ServiceActivity:
    """Record a service activity: at least one craftsman; an enterprise for visits, remote
    answers and joint 攻关; problems (unsolved until the enterprise confirms); trainees as
    distinct persons; person-times not fewer than the trainees listed."""
    prepared = _prepare(actor, data)
    (activity,) = _insert([prepared])
    _audit_created(actor, activity, prepared, "assist.ledger.create")
    return activity


@transaction.atomic
def activities_record(*, actor: User, items: Sequence[ActivityInput]) -> list[ServiceActivity]:
    """Record many activities at once, all or none: each checked by the rules of
    ``activity_create``, then inserted in bulk (batch entry, demo data)."""
    prepared = [_prepare(actor, item) for item in items]
    activities = _insert(prepared)
    for activity, item in zip(activities, prepared, strict=True):
        _audit_created(actor, activity, item, "assist.ledger.create")
    return activities


def _lock_activity(activity_id: int) -> ServiceActivity:
    return (
        ServiceActivity.objects.select_for_update(of=("self",))
        .select_related("org_unit", "enterprise__union")
        .get(pk=activity_id)
    )


@transaction.atomic
def problem_add(*, actor: User, activity: ServiceActivity, description: str) -> ServiceProblem:
    """Add a problem handled in an activity (staff of the organising union)."""
    locked = _lock_activity(activity.pk)
    if not can(actor, "review", locked.org_unit):
        raise PermissionDenied()
    if locked.enterprise_id is None:
        raise DomainError(errors.LEDGER_INVALID, "该活动没有服务企业，无法登记待企业确认的问题")
    description = description.strip()
    if not description or len(description) > 300:
        raise DomainError(errors.LEDGER_INVALID, "问题不能为空且不超过300字", field="description")
    problem = ServiceProblem.objects.create(activity=locked, description=description)
    audit_record(
        actor=actor,
        action="assist.ledger.problem_add",
        target=problem,
        org_unit=locked.org_unit,
        after={"activity": locked.pk, "description": description},
    )
    return problem


def _lock_problem(problem_id: int) -> ServiceProblem:
    return (
        ServiceProblem.objects.select_for_update(of=("self",))
        .select_related("activity__org_unit", "activity__enterprise__union")
        .get(pk=problem_id)
    )


@transaction.atomic
def problem_mark_solved(*, actor: User, problem: ServiceProblem) -> ServiceProblem:
    """Staff or a craftsman of the activity report a problem solved; it still counts only once
    the enterprise confirms."""
    locked = _lock_problem(problem.pk)
    activity = locked.activity
    by_craftsman = activity.craftsmen.filter(user_id=actor.pk).exists() if actor.pk else False
    if not (can(actor, "review", activity.org_unit) or by_craftsman):
        raise PermissionDenied()
    if locked.solved:
        raise DomainError(errors.LEDGER_INVALID, "该问题已标记为解决")
    locked.solved = True
    locked.save(update_fields=["solved"])
    audit_record(
        actor=actor,
        action="assist.ledger.problem_solved",
        target=locked,
        org_unit=activity.org_unit,
        before={"solved": False},
        after={"solved": True},
    )
    return locked


@transaction.atomic
def problem_confirm(*, actor: User, problem: ServiceProblem, confirmed_by: str = "") -> ServiceProblem:
    """The enterprise confirms a problem solved — the only way it counts as solved. The
    enterprise's contact confirms in their own name; union staff may record a confirmation
    the enterprise gave them, naming the enterprise's person who confirmed."""
    locked = _lock_problem(problem.pk)
    activity = locked.activity
    enterprise = activity.enterprise
    if enterprise is None:
        raise DomainError(errors.LEDGER_INVALID, "该活动没有服务企业，无法由企业确认")
    if is_enterprise_contact(actor, enterprise):
        confirmed_by = confirmed_by.strip() or str(actor)
    elif can(actor, "review", activity.org_unit):
        confirmed_by = confirmed_by.strip()
        if not confirmed_by:
            raise DomainError(errors.LEDGER_INVALID, "请填写企业确认人姓名", field="confirmed_by")
    else:
        raise PermissionDenied()
    if len(confirmed_by) > 50:
        raise DomainError(errors.LEDGER_INVALID, "确认人姓名不超过50字", field="confirmed_by")
    if locked.confirmed_at is not None:
        raise DomainError(errors.LEDGER_INVALID, f"该问题已由 {locked.confirmed_by} 确认")
    before = {"solved": locked.solved, "confirmed_by": "", "confirmed_at": None}
    locked.solved = True
    locked.confirmed_by = confirmed_by
    locked.confirmed_at = timezone.now()
    locked.save(update_fields=["solved", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action="assist.ledger.problem_confirm",
        target=locked,
        org_unit=activity.org_unit,
        before=before,
        after={"solved": True, "confirmed_by": confirmed_by, "confirmed_at": locked.confirmed_at},
    )
    return locked


@transaction.atomic
def activity_verify_benefit(
    *, actor: User, activity: ServiceActivity, verified_benefit: Decimal
) -> ServiceActivity:
    """Record the verified benefit of an activity (reviewers of the organising union)."""
    locked = _lock_activity(activity.pk)
    if not can(actor, "review", locked.org_unit):
        raise PermissionDenied()
    amount = _money(verified_benefit, "verified_benefit", "核实效益")
    before = {"verified_benefit": locked.verified_benefit}
    locked.verified_benefit = amount
    locked.save(update_fields=["verified_benefit"])
    audit_record(
        actor=actor,
        action="assist.ledger.verify_benefit",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"verified_benefit": amount},
    )
    return locked


# --- import -----------------------------------------------------------------------------------

# Header titles of the template → column names. One row per activity; several craftsmen,
# problems and trainees sit in one cell separated by ";" (trainees as "姓名:身份证号").
LEDGER_IMPORT_COLUMNS = {
    "类别": "kind",
    "活动名称": "title",
    "日期": "held_on",
    "组织工会行政区划代码": "union_code",
    "企业统一社会信用代码": "enterprise_uscc",
    "参与工匠": "craftsmen",
    "问题": "problems",
    "培训人员": "trainees",
    "培训人次": "person_times",
    "预计效益（元）": "estimated_benefit",
    "核实效益（元）": "verified_benefit",
    "长期协议": "long_term",
}
LEDGER_IMPORT_REQUIRED = ("kind", "title", "held_on", "craftsmen")
COLUMN_TITLES = {v: k for k, v in LEDGER_IMPORT_COLUMNS.items()}
_KIND_BY_TEXT = {str(label): value for value, label in K.choices} | {value: value for value in K.values}
_SPLIT = re.compile(r"[;；\n]+")
_YES = {"是", "有", "y", "yes", "true", "1", "√"}
_NO = {"", "否", "无", "n", "no", "false", "0"}


def _items(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def parse_trainees(text: str) -> list[TraineeInput]:
    """``"张三:3301…;李四:3301…"`` (full-width separators too) → trainee inputs."""
    people = []
    for item in _items(text):
        name, _, number = item.replace("：", ":").partition(":")
        people.append(TraineeInput(name=name.strip(), id_number=number.strip()))
    return people


def _parse_date(raw: str) -> dt.date:
    text = raw.strip().replace("/", "-").replace(".", "-")[:10]
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DomainError(errors.LEDGER_INVALID, "日期格式应为 YYYY-MM-DD", field="held_on") from exc


def _parse_amount(raw: str, name: str) -> Decimal | None:
    text = raw.strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(errors.LEDGER_INVALID, "应为数字金额", field=name) from exc


def _parse_int(raw: str, name: str) -> int:
    text = raw.strip()
    if not text:
        return 0
    try:
        return int(Decimal(text))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(errors.LEDGER_INVALID, "应为整数", field=name) from exc


def _parse_flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise DomainError(errors.LEDGER_INVALID, "应填“是”或“否”", field="long_term")


class _Lookups:
    """Everything an import row may name, read once up front (no query per row)."""

    def __init__(self, actor: User, default_unit: OrgUnit) -> None:
        self.default_unit = default_unit
        reviewable = OrgUnit.objects.visible_to(actor, "review")
        self.units = {u.division_code: u for u in reviewable.exclude(division_code="")}
        self.enterprises = {e.uscc: e for e in Enterprise.objects.visible_to(actor).select_related("union")}
        self.by_external: dict[str, Craftsman] = {}
        self.by_name: dict[str, list[Craftsman]] = {}
        for craftsman in craftsmen_choosable(user=actor):
            if craftsman.external_id:
                self.by_external[craftsman.external_id] = craftsman
            self.by_name.setdefault(craftsman.name, []).append(craftsman)

    def unit(self, code: str) -> OrgUnit:
        if not code.strip():
            return self.default_unit
        unit = self.units.get(code.strip())
        if unit is None:
            raise DomainError(
                errors.LEDGER_INVALID, "找不到该行政区划代码的工会，或无权登记", field="union_code"
            )
        return unit

    def enterprise(self, uscc: str) -> Enterprise | None:
        if not uscc.strip():
            return None
        enterprise = self.enterprises.get(uscc.strip().upper())
        if enterprise is None:
            raise DomainError(
                errors.LEDGER_INVALID, "找不到该统一社会信用代码的企业", field="enterprise_uscc"
            )
        return enterprise

    def craftsmen(self, text: str) -> list[Craftsman]:
        found = []
        for item in _items(text):
            craftsman = self.by_external.get(item)
            if craftsman is None:
                named = self.by_name.get(item, [])
                if len(named) > 1:
                    raise DomainError(
                        errors.LEDGER_INVALID, f"有多位名为“{item}”的工匠，请填写外部编号", field="craftsmen"
                    )
                if not named:
                    raise DomainError(errors.LEDGER_INVALID, f"工匠库中没有“{item}”", field="craftsmen")
                craftsman = named[0]
            found.append(craftsman)
        return found


def _row_input(values: dict[str, str], lookups: _Lookups) -> ActivityInput:
    kind = _KIND_BY_TEXT.get(values.get("kind", "").strip())
    if kind is None:
        raise DomainError(errors.LEDGER_INVALID, "类别应为 上门服务/技能培训/远程解答/联合攻关", field="kind")
    return ActivityInput(
        org_unit=lookups.unit(values.get("union_code", "")),
        kind=kind,
        title=values.get("title", ""),
        held_on=_parse_date(values.get("held_on", "")),
        craftsmen=lookups.craftsmen(values.get("craftsmen", "")),
        enterprise=lookups.enterprise(values.get("enterprise_uscc", "")),
        problems=_items(values.get("problems", "")),
        trainees=parse_trainees(values.get("trainees", "")),
        person_times=_parse_int(values.get("person_times", ""), "person_times"),
        estimated_benefit=_parse_amount(values.get("estimated_benefit", ""), "estimated_benefit"),
        verified_benefit=_parse_amount(values.get("verified_benefit", ""), "verified_benefit"),
        long_term_agreement=_parse_flag(values.get("long_term", "")),
    )


def _natural_key(activity: ServiceActivity) -> tuple[int, str, str, dt.date, int | None]:
    return (activity.org_unit_id, activity.kind, activity.title, activity.held_on, activity.enterprise_id)


@transaction.atomic
def activities_import(*, actor: User, org_unit: OrgUnit, data: bytes, filename: str) -> ImportReport:
    """Import activities from xlsx/csv, all or nothing: every row is checked first and any
    error (named by row and column) leaves the ledger untouched. Idempotent: a row matching an
    existing activity (union, kind, name, date, enterprise) is reported unchanged, so a rerun
    after a crash adds nothing twice."""
    if not can(actor, "review", org_unit):
        raise PermissionDenied()
    try:
        rows = list(
            read_table(
                data,
                filename,
                required=LEDGER_IMPORT_REQUIRED,
                optional=list(LEDGER_IMPORT_COLUMNS.values()),
                aliases=LEDGER_IMPORT_COLUMNS,
            )
        )
    except TableError as exc:  # name missing columns as the template titles them
        raise TableError(
            [RowError(e.row, COLUMN_TITLES.get(e.column, e.column), e.message) for e in exc.errors],
            exc.total_errors,
        ) from exc
    if not rows:
        raise TableError([RowError(0, "", "文件中没有活动")])
    lookups = _Lookups(actor, org_unit)
    problems: list[RowError] = []
    prepared: list[tuple[int, _Prepared]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        try:
            item = _prepare(actor, _row_input(row.values, lookups))
        except PermissionDenied:
            problems.append(RowError(row.number, COLUMN_TITLES["union_code"], "无权为该工会登记"))
            continue
        except DomainError as exc:
            problems.append(RowError(row.number, COLUMN_TITLES.get(exc.field or "", ""), exc.message))
            continue
        key = _natural_key(item.activity)
        if key in seen:
            problems.append(RowError(row.number, COLUMN_TITLES["title"], f"与第 {seen[key]} 行重复"))
            continue
        seen[key] = row.number
        prepared.append((row.number, item))
    if problems:
        raise TableError(problems)
    existing = set(
        ServiceActivity.objects.filter(
            org_unit_id__in={p.activity.org_unit_id for _, p in prepared},
            held_on__in={p.activity.held_on for _, p in prepared},
        ).values_list("org_unit_id", "kind", "title", "held_on", "enterprise_id")
    )
    new = [p for _, p in prepared if _natural_key(p.activity) not in existing]
    report = ImportReport(created=len(new), unchanged=len(prepared) - len(new))
    for activity, item in zip(_insert(new), new, strict=True):
        _audit_created(actor, activity, item, "assist.ledger.import")
    return report


# --- targets ----------------------------------------------------------------------------------


@transaction.atomic
def kpi_target_set(*, actor: User, org_unit: OrgUnit, year: int, values: dict[str, int]) -> KpiTarget:
    """Set a node's yearly targets (admins of the node or above); figures roll up the tree."""
    if not can(actor, "manage", org_unit):
        raise PermissionDenied()
    if not FIRST_TARGET_YEAR <= year <= timezone.localdate().year + 1:
        raise DomainError(errors.LEDGER_INVALID, "年度超出范围", field="year")
    clean: dict[str, int] = {}
    for name in TARGET_FIELDS:
        value = values.get(name, 0)
        if value is None or value < 0 or value > 100_000_000:
            raise DomainError(errors.LEDGER_INVALID, "目标值应为不小于 0 的整数", field=name)
        clean[name] = int(value)
    target = KpiTarget.objects.select_for_update(of=("self",)).filter(org_unit=org_unit, year=year).first()
    before = {name: getattr(target, name) for name in TARGET_FIELDS} if target else {}
    if target is None:
        target = KpiTarget.objects.create(org_unit=org_unit, year=year, **clean)
    elif before != clean:
        for name, value in clean.items():
            setattr(target, name, value)
        target.save(update_fields=list(TARGET_FIELDS))
    else:
        return target
    audit_record(
        actor=actor,
        action="assist.kpi_target.set",
        target=target,
        org_unit=org_unit,
        before=before,
        after={"year": year, **clean},
    )
    return target
