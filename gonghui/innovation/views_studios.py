"""Studio (创新工作室), alliance and innovation statistics pages.

Thin: selectors read (404 for missing and not-yours alike), services write, a DomainError
becomes a form error. The score sheet only lays out what the rating stored.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from itertools import groupby
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from openpyxl import Workbook

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.http import AuthedRequest, download_response
from gonghui.core.listing import Column, render_list
from gonghui.core.tabular import add_sheet
from gonghui.innovation import selectors, studios
from gonghui.innovation.engine import DEFAULT_SCHEME, SIX_HAVES
from gonghui.innovation.filters_studios import AllianceFilter, StudioFilter
from gonghui.innovation.forms_studios import (
    FIRST_YEAR,
    ActivityForm,
    AllianceActivityForm,
    AllianceForm,
    AllianceMemberForm,
    AllianceProjectForm,
    AllianceResourceForm,
    EvidenceForm,
    PersonForm,
    RateForm,
    StudioForm,
)
from gonghui.innovation.models import Alliance, Studio, StudioMember, StudioRating
from gonghui.orgs.models import Enterprise, OrgUnit

WAN = Decimal(10000)
CENT = Decimal("0.01")


def stars_text(stars: int) -> str:
    return "★" * stars if stars else "未评星"


def _staff(request: AuthedRequest) -> None:
    """Desk pages: users without a staff role get the same 404 as for a missing page."""
    if not is_staff_somewhere(request.user):
        raise Http404


def _managed_units(user: User) -> Any:
    return OrgUnit.objects.visible_to(user, "manage")


def _studio(request: AuthedRequest, studio_id: int) -> Studio:
    return selectors.studio_get_for_user(user=request.user, studio_id=studio_id)


def _alliance(request: AuthedRequest, alliance_id: int) -> Alliance:
    return selectors.alliance_get_for_user(user=request.user, alliance_id=alliance_id)


def _form_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- studios ---------------------------------------------------------------------------------

STUDIO_COLUMNS = [
    Column("名称", "name", sort="name"),
    Column("领军人物", "leader_name", sort="leader_name"),
    Column("依托企业", "enterprise.name"),
    Column("所属工会", "org_unit.name", sort="org_unit__path"),
    Column("级别", "level", sort="level"),
    Column("专业领域", "field", sort="field"),
    Column("星级", lambda s: stars_text(s.stars), sort="stars"),
    Column("状态", "status", sort="status"),
    Column("成立日期", "founded_on", sort="founded_on"),
]


@login_required
def studio_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.studio_list(user=request.user),
        columns=STUDIO_COLUMNS,
        title="创新工作室",
        filterset_class=StudioFilter,
        export_name="innovation-studios",
        default_sort="-stars",
        extra={"can_create": _managed_units(request.user).exists()},
        template="innovation/studio_list.html",
    )


@login_required
def studio_create(request: AuthedRequest) -> HttpResponse:
    units = _managed_units(request.user)
    if not units.exists():
        raise Http404
    form = StudioForm(
        request.POST or None,
        enterprises=Enterprise.objects.visible_to(request.user).order_by("name"),
        units=units,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            studio = studios.studio_create(
                actor=request.user,
                **{
                    key: data[key]
                    for key in (
                        "org_unit",
                        "enterprise",
                        "name",
                        "leader_name",
                        "leader_title",
                        "level",
                        "field",
                        "founded_on",
                        "space_sqm",
                        "equipment",
                        "rules",
                        "plans",
                        "funding",
                    )
                },
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已登记 {studio.name}")
            return redirect(studio)
    return render(request, "innovation/studio_form.html", {"title": "登记创新工作室", "form": form})


def _add_person(actor: User, studio: Studio, data: dict[str, Any]) -> str:
    person = studios.studio_add_person(
        actor=actor, studio=studio, name=data["name"], role=data["role"], year=data["year"]
    )
    return f"已添加{person.get_role_display()} {person.name}（{person.year} 年度）"  # type: ignore[attr-defined]


def _add_evidence(actor: User, studio: Studio, data: dict[str, Any]) -> str:
    studios.studio_add_evidence(
        actor=actor,
        studio=studio,
        have=data["have"],
        description=data["description"],
        year=data["year"],
        file=data.get("file"),
    )
    return f"已登记“{SIX_HAVES[data['have']]}”佐证"


def _add_activity(actor: User, studio: Studio, data: dict[str, Any]) -> str:
    activity = studios.studio_add_activity(
        actor=actor,
        studio=studio,
        kind=data["kind"],
        title=data["title"],
        held_on=data["held_on"],
        participants=data["participants"],
        confirmed=data["confirmed"],
    )
    return f"已记录活动 {activity.title}"


def _rate(actor: User, studio: Studio, data: dict[str, Any]) -> str:
    rating = studios.studio_rate(studio=studio, actor=actor, year=data["year"])
    return (
        f"{rating.year} 年度评定完成：{rating.score} 分，{stars_text(rating.stars)}"
        f"（{rating.get_change_display()}）"  # type: ignore[attr-defined]
    )


# action → (form, service call returning the success message)
STUDIO_ACTIONS: dict[str, tuple[type[forms.Form], Callable[[User, Studio, dict[str, Any]], str]]] = {
    "person": (PersonForm, _add_person),
    "evidence": (EvidenceForm, _add_evidence),
    "activity": (ActivityForm, _add_activity),
    "rate": (RateForm, _rate),
}


def _people_by_year(people: Iterable[StudioMember]) -> list[dict[str, Any]]:
    """People grouped by year (newest first), then by role in the order of the choices."""
    grouped = []
    for year, rows in groupby(people, key=lambda p: p.year):
        names: defaultdict[str, list[str]] = defaultdict(list)
        for person in rows:
            names[person.role].append(person.name)
        roles = [(label, names[code]) for code, label in StudioMember.Role.choices if names[code]]
        grouped.append({"year": year, "roles": roles})
    return grouped


@login_required
def studio_detail(request: AuthedRequest, studio_id: int) -> HttpResponse:
    studio = _studio(request, studio_id)
    bound = {name: form_class(prefix=name) for name, (form_class, _) in STUDIO_ACTIONS.items()}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in STUDIO_ACTIONS:
            raise Http404
        form_class, handler = STUDIO_ACTIONS[action]
        form = bound[action] = form_class(request.POST, request.FILES, prefix=action)
        if form.is_valid():
            try:
                done = handler(request.user, studio, form.cleaned_data)
            except PermissionDenied as exc:
                # Not a mistake in the form (which the user is not even shown): say so on top.
                messages.error(request, exc.message)
                return redirect(studio)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, done)
                return redirect(f"{studio.get_absolute_url()}#{action}")
        status = 400
    detail = selectors.studio_detail(studio=studio)
    for rating in detail["ratings"]:
        rating.stars_text = stars_text(rating.stars)  # type: ignore[attr-defined]
    order = {code: index for index, code in enumerate(SIX_HAVES)}
    detail["evidence"].sort(key=lambda e: (-e.year, order.get(e.have, len(order)), e.pk))
    for item in detail["evidence"]:
        item.have_label = SIX_HAVES.get(item.have, item.have)  # type: ignore[attr-defined]
    return render(
        request,
        "innovation/studio_detail.html",
        {
            "title": studio.name,
            "studio": studio,
            **detail,
            "people_by_year": _people_by_year(detail["people"]),
            "forms": bound,
            "can_manage": can(request.user, "manage", studio.org_unit),
            "can_rate": can(request.user, "review", studio.org_unit)
            and studio.status == Studio.Status.ACTIVE,
            "stars_text": stars_text(studio.stars),
        },
        status=status,
    )


@login_required
def studio_evidence_file(request: AuthedRequest, studio_id: int, evidence_id: int) -> FileResponse:
    """An evidence file, served only to those who may see the studio (never from /media/)."""
    studio = _studio(request, studio_id)
    evidence = studio.evidence.filter(pk=evidence_id).first()
    if evidence is None or not evidence.file:
        raise Http404
    return FileResponse(evidence.file.open("rb"), filename=evidence.file.name.rsplit("/", 1)[-1])


def _figure_text(value: Decimal, unit: str) -> str:
    """A figure as people read it: rates in %, money with separators and 万元, counts whole."""
    if not unit and value <= 1:
        return f"{(value * 100).quantize(CENT)}%"
    if unit == "元":
        return f"{value:,.2f} 元（{(value / WAN).quantize(CENT)} 万元）"
    number = value.to_integral_value() if value == value.to_integral_value() else value
    return f"{number} {unit}".strip()


def score_sheet(rating: StudioRating) -> dict[str, Any]:
    """The stored rating laid out for reading: the 六有 gate, the lines grouped by dimension
    with subtotals against their maximum, the total and the star thresholds."""
    # Maxima and thresholds as stored with the rating (older rows: the default scheme).
    rules = {rule.label: rule for d in DEFAULT_SCHEME.dimensions for rule in d.rules}
    stored = rating.scheme or {}
    maxima = (
        {d["name"]: Decimal(d["max"]) for d in stored["dimensions"]}
        if stored.get("dimensions")
        else {d.name: d.max_points for d in DEFAULT_SCHEME.dimensions}
    )
    dimensions: dict[str, dict[str, Any]] = {}
    for line in rating.lines:
        name = line["dimension"]
        dimension = dimensions.setdefault(
            name, {"name": name, "max": maxima.get(name), "subtotal": Decimal(0), "lines": []}
        )
        rule = rules.get(line["figure"])
        points = Decimal(line["points"])
        dimension["lines"].append(
            {
                "figure": line["figure"],
                "value": _figure_text(Decimal(line["value"]), line.get("unit", rule.unit if rule else "")),
                "rule": line["rule"],
                "points": points,
                "max": Decimal(line["max"]) if "max" in line else (rule.max_points if rule else None),
            }
        )
        dimension["subtotal"] += points
    thresholds = sorted(
        [(Decimal(m), int(c)) for m, c in stored["stars"]] if stored.get("stars") else DEFAULT_SCHEME.stars,
        key=lambda t: t[1],
    )
    return {
        "haves": [item for item in rating.gate if "code" in item],
        "reasons": [item["reason"] for item in rating.gate if "reason" in item],
        "dimensions": list(dimensions.values()),
        "total": sum((d["subtotal"] for d in dimensions.values()), Decimal(0)),
        "max_total": sum(maxima.values(), Decimal(0)),
        "thresholds": [
            {"stars": count, "text": "★" * count, "min": minimum, "reached": count == rating.stars}
            for minimum, count in thresholds
        ],
    }


@login_required
def studio_rating(request: AuthedRequest, studio_id: int, year: int) -> HttpResponse:
    """The score sheet: where every point of the year's rating came from (printable)."""
    studio = _studio(request, studio_id)
    rating = selectors.studio_rating_get(studio=studio, year=year)
    return render(
        request,
        "innovation/studio_rating.html",
        {
            "title": f"{studio.name} {year} 年度星级评分表",
            "studio": studio,
            "rating": rating,
            "sheet": score_sheet(rating),
            "stars_text": stars_text(rating.stars),
            "previous_text": "—" if rating.previous_stars is None else stars_text(rating.previous_stars),
        },
    )


# --- alliances -------------------------------------------------------------------------------

ALLIANCE_COLUMNS = [
    Column("名称", "name", sort="name"),
    Column("牵头工会", "org_unit.name", sort="org_unit__path"),
    Column("领域", "field", sort="field"),
    Column("成员工作室", "studio_count", sort="studio_count"),
    Column("成立日期", "founded_on", sort="founded_on"),
]


@login_required
def alliance_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.alliance_list(user=request.user),
        columns=ALLIANCE_COLUMNS,
        title="创新工作室联盟",
        filterset_class=AllianceFilter,
        export_name="innovation-alliances",
        default_sort="name",
        extra={"can_create": _managed_units(request.user).exists()},
        template="innovation/alliance_list.html",
    )


@login_required
def alliance_create(request: AuthedRequest) -> HttpResponse:
    units = _managed_units(request.user)
    if not units.exists():
        raise Http404
    visible = selectors.studio_list(user=request.user).filter(status=Studio.Status.ACTIVE).order_by("name")
    form = AllianceForm(request.POST or None, studios=visible, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            alliance = studios.alliance_create(
                actor=request.user,
                org_unit=data["org_unit"],
                name=data["name"],
                field=data["field"],
                founded_on=data["founded_on"],
                description=data["description"],
                studios=list(data["studios"]),
                lead=data["lead"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已成立 {alliance.name}")
            return redirect(alliance)
    return render(request, "innovation/alliance_form.html", {"title": "成立工作室联盟", "form": form})


def _join(actor: User, alliance: Alliance, data: dict[str, Any]) -> str:
    studios.alliance_join(actor=actor, alliance=alliance, studio=data["studio"], joined_on=data["joined_on"])
    return f"{data['studio'].name} 已加入联盟"


def _project(actor: User, alliance: Alliance, data: dict[str, Any]) -> str:
    project = studios.alliance_add_project(
        actor=actor,
        alliance=alliance,
        title=data["title"],
        studios=list(data["studios"]),
        started_on=data["started_on"],
        summary=data["summary"],
    )
    return f"已添加联合项目 {project.title}"


def _share(actor: User, alliance: Alliance, data: dict[str, Any]) -> str:
    resource = studios.alliance_share(
        actor=actor,
        alliance=alliance,
        studio=data["studio"],
        kind=data["kind"],
        name=data["name"],
        description=data["description"],
    )
    return f"已登记共享资源 {resource.name}"


def _alliance_activity(actor: User, alliance: Alliance, data: dict[str, Any]) -> str:
    activity = studios.alliance_add_activity(
        actor=actor,
        alliance=alliance,
        title=data["title"],
        held_on=data["held_on"],
        participants=data["participants"],
    )
    return f"已记录活动 {activity.title}"


ALLIANCE_ACTIONS: dict[str, Callable[[User, Alliance, dict[str, Any]], str]] = {
    "member": _join,
    "project": _project,
    "resource": _share,
    "activity": _alliance_activity,
}


def _alliance_forms(request: AuthedRequest, alliance: Alliance, action: str | None) -> dict[str, forms.Form]:
    members = selectors.alliance_member_studios(alliance=alliance)
    candidates = (
        selectors.studio_list(user=request.user)
        .filter(status=Studio.Status.ACTIVE)
        .exclude(pk__in=members.values("pk"))
        .order_by("name")
    )
    builders: dict[str, Callable[..., forms.Form]] = {
        "member": lambda *a: AllianceMemberForm(*a, studios=candidates, prefix="member"),
        "project": lambda *a: AllianceProjectForm(*a, studios=members, prefix="project"),
        "resource": lambda *a: AllianceResourceForm(*a, studios=members, prefix="resource"),
        "activity": lambda *a: AllianceActivityForm(*a, prefix="activity"),
    }
    return {name: build(request.POST) if name == action else build() for name, build in builders.items()}


@login_required
def alliance_detail(request: AuthedRequest, alliance_id: int) -> HttpResponse:
    alliance = _alliance(request, alliance_id)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and action not in ALLIANCE_ACTIONS:
        raise Http404
    bound = _alliance_forms(request, alliance, action)
    status = 200
    if action is not None:
        form = bound[action]
        if form.is_valid():
            try:
                done = ALLIANCE_ACTIONS[action](request.user, alliance, form.cleaned_data)
            except PermissionDenied as exc:
                messages.error(request, exc.message)
                return redirect(alliance)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, done)
                return redirect(f"{alliance.get_absolute_url()}#{action}")
        status = 400
    detail = selectors.alliance_detail(alliance=alliance)
    member_ids = [m.studio_id for m in detail["memberships"]]
    visible_ids = set(
        selectors.studio_list(user=request.user).filter(pk__in=member_ids).values_list("pk", flat=True)
    )
    for membership in detail["memberships"]:
        membership.visible = membership.studio_id in visible_ids  # type: ignore[attr-defined]
        membership.stars_text = stars_text(membership.studio.stars)  # type: ignore[attr-defined]
    return render(
        request,
        "innovation/alliance_detail.html",
        {
            "title": alliance.name,
            "alliance": alliance,
            **detail,
            "forms": bound,
            "can_manage": can(request.user, "manage", alliance.org_unit),
        },
        status=status,
    )


# --- statistics ------------------------------------------------------------------------------

STATISTICS_SHEETS = ("汇总", "按组织", "按行业", "按类型", "按月份", "按星级")


def _number(value: Any) -> Any:
    """Decimals as floats for charts and spreadsheets (yuan keep their cents)."""
    return float(value) if isinstance(value, Decimal) else value


def _kpis(stats: dict[str, Any]) -> list[dict[str, Any]]:
    now, yoy = stats["this_year"], stats["yoy"]
    change = stats["participation_change"]
    return [
        {
            "key": "submitted",
            "label": "提交成果",
            "value": now["submitted"],
            "unit": "项",
            "yoy": yoy["submitted"],
        },
        {"key": "adopted", "label": "采纳", "value": now["adopted"], "unit": "项", "yoy": yoy["adopted"]},
        {
            "key": "implemented",
            "label": "实施",
            "value": now["implemented"],
            "unit": "项",
            "yoy": yoy["implemented"],
        },
        {
            "key": "verified_value",
            "label": "核验效益",
            "value": (Decimal(now["verified_value"]) / WAN).quantize(CENT),
            "unit": "万元",
            "yoy": yoy["verified_value"],
        },
        {
            "key": "rewards_paid",
            "label": "发放奖励",
            "value": Decimal(now["rewards_paid"]).quantize(CENT),
            "unit": "元",
            "yoy": yoy["rewards_paid"],
        },
        {
            "key": "participation",
            "label": "职工参与率",
            "value": "—" if stats["participation"] is None else stats["participation"],
            "unit": "" if stats["participation"] is None else "%",
            "yoy": None,
            "points": change,
        },
    ]


def _charts(stats: dict[str, Any]) -> dict[str, Any]:
    year = stats["year"]
    return {
        "by_node": [
            {"name": r["name"], "submitted": r["submitted"], "adopted": r["adopted"]}
            for r in stats["by_node"]
        ],
        "by_type": [{"name": r["name"], "value": r["submitted"]} for r in stats["by_type"]],
        "by_industry": [{"name": r["name"], "value": r["submitted"]} for r in stats["by_industry"]],
        "monthly": {
            "months": [f"{m}月" for m in range(1, 13)],
            "series": [
                {"name": f"{year} 年", "data": stats["monthly"][year]},
                {"name": f"{year - 1} 年", "data": stats["monthly"][year - 1]},
            ],
        },
        "studios": [{"name": stars_text(r["stars"]), "value": r["count"]} for r in stats["studios_by_star"]],
    }


def _sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    add_sheet(workbook, title, headers, ([_number(v) for v in row] for row in rows))


def statistics_workbook(stats: dict[str, Any]) -> bytes:
    """The dashboard's figures as an xlsx, one sheet per breakdown (amounts in yuan)."""
    year, now, before = stats["year"], stats["this_year"], stats["last_year"]
    workbook = Workbook(write_only=True)
    totals = [
        ("统计范围", stats["unit"].name, "", ""),
        ("提交成果（项）", now["submitted"], before["submitted"], stats["yoy"]["submitted"]),
        ("采纳（项）", now["adopted"], before["adopted"], stats["yoy"]["adopted"]),
        ("实施（项）", now["implemented"], before["implemented"], stats["yoy"]["implemented"]),
        ("核验效益（元）", now["verified_value"], before["verified_value"], stats["yoy"]["verified_value"]),
        ("发放奖励（元）", now["rewards_paid"], before["rewards_paid"], stats["yoy"]["rewards_paid"]),
        ("参与率（%）", stats["participation"], stats["participation_last"], None),
        ("在会会员（人）", stats["members"], None, None),
    ]
    _sheet(workbook, "汇总", ["指标", f"{year} 年", f"{year - 1} 年", "同比（%）"], totals)
    _sheet(
        workbook,
        "按组织",
        ["组织", "提交成果", "采纳", "核验效益（元）"],
        ((r["name"], r["submitted"], r["adopted"], r["value"]) for r in stats["by_node"]),
    )
    _sheet(
        workbook,
        "按行业",
        ["行业", "提交成果", "核验效益（元）"],
        ((r["name"], r["submitted"], r["value"]) for r in stats["by_industry"]),
    )
    _sheet(
        workbook,
        "按类型",
        ["类型", "提交成果", "采纳"],
        ((r["name"], r["submitted"], r["adopted"]) for r in stats["by_type"]),
    )
    _sheet(
        workbook,
        "按月份",
        ["月份", f"{year} 年", f"{year - 1} 年"],
        ((f"{m}月", stats["monthly"][year][m - 1], stats["monthly"][year - 1][m - 1]) for m in range(1, 13)),
    )
    _sheet(
        workbook,
        "按星级",
        ["星级", "工作室数"],
        ((stars_text(r["stars"]), r["count"]) for r in stats["studios_by_star"]),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _year_param(request: AuthedRequest) -> int:
    current = timezone.localdate().year
    try:
        year = int(request.GET.get("year", current))
    except ValueError:
        return current
    return year if FIRST_YEAR <= year <= current else current


@login_required
def statistics(request: AuthedRequest) -> HttpResponse:
    """Innovation figures of the user's top node for a year, with the year before."""
    _staff(request)
    year = _year_param(request)
    stats = selectors.statistics(user=request.user, year=year)
    if request.GET.get("export") == "xlsx":
        return download_response(
            statistics_workbook(stats), f"innovation-statistics-{year}-{timezone.localdate():%Y%m%d}.xlsx"
        )
    years = sorted({*stats["years"], timezone.localdate().year, year}, reverse=True)
    return render(
        request,
        "innovation/statistics.html",
        {
            "title": "职工创新统计",
            "stats": stats,
            "year": year,
            "years": years,
            "kpis": _kpis(stats),
            "charts": _charts(stats),
        },
    )


urlpatterns: list[URLPattern] = [
    path("studios/", studio_list, name="studio_list"),
    path("studios/new/", studio_create, name="studio_create"),
    path("studios/<int:studio_id>/", studio_detail, name="studio_detail"),
    path(
        "studios/<int:studio_id>/evidence/<int:evidence_id>/file/",
        studio_evidence_file,
        name="studio_evidence_file",
    ),
    path("studios/<int:studio_id>/ratings/<int:year>/", studio_rating, name="studio_rating"),
    path("alliances/", alliance_list, name="alliance_list"),
    path("alliances/new/", alliance_create, name="alliance_create"),
    path("alliances/<int:alliance_id>/", alliance_detail, name="alliance_detail"),
    path("statistics/", statistics, name="statistics"),
]
