"""Library pages: the assist hub, craftsmen and library outcomes (lists with filters and xlsx
export, details, imports with templates), enterprise demands (phone posting form, list, and
the detail with ranked craftsmen and outcomes, their scores and reasons, 派单 and 开始服务 for
staff, 确认已解决 and 关闭需求 for staff and the enterprise)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.assist import demands as demands_svc
from gonghui.assist import libraries as svc
from gonghui.assist import selectors_library as selectors
from gonghui.assist.engine.industries import industry_name
from gonghui.assist.forms_library import CraftsmanForm, DemandForm, DispatchForm, ImportForm
from gonghui.assist.matching import record_dispatch
from gonghui.assist.models import Craftsman, Demand, DemandKind, DemandPhoto, LibraryOutcome, Urgency
from gonghui.core.errors import DomainError, NotFound
from gonghui.core.filters import StyledFilterSet
from gonghui.core.http import AuthedRequest, download_response
from gonghui.core.listing import Column, render_list
from gonghui.core.tabular import TableError, build_xlsx
from gonghui.orgs.industries import Industry
from gonghui.orgs.models import OrgUnit


def _staff(request: AuthedRequest) -> None:
    if not is_staff_somewhere(request.user):
        raise Http404


def _join(values: list[str]) -> str:
    return "、".join(values)


# --- hub ---------------------------------------------------------------------------------------


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Staff: the hub (libraries, clinic, challenges, KPIs). An enterprise contact: their
    demands and “发布需求”. A craftsman: the clinic and the demands dispatched to them."""
    user = request.user
    staff = is_staff_somewhere(user)
    contact = selectors.contact_enterprises(user=user).exists()
    craftsman = selectors.is_craftsman(user)
    demands = selectors.demand_list(user=user).order_by("-created_at", "-pk")
    mine = demands.filter(created_by=user) if contact else demands.none()
    dispatched = demands.filter(dispatches__craftsman__user=user) if craftsman else demands.none()
    return render(
        request,
        "assist/home.html",
        {
            "title": "劳模工匠助企行",
            "staff": staff,
            "contact": contact,
            "craftsman": craftsman,
            "figures": selectors.home_figures(user=user),
            "my_demands": list(mine[:30]),
            "dispatched_demands": list(dispatched[:30]),
        },
    )


# --- craftsmen ---------------------------------------------------------------------------------


class CraftsmanFilter(StyledFilterSet):
    name = django_filters.CharFilter(label="姓名", lookup_expr="icontains")
    industry = django_filters.ChoiceFilter(label="行业门类", choices=Industry.choices)
    honour = django_filters.CharFilter(label="荣誉", method="filter_honour")
    available = django_filters.BooleanFilter(label="可接单", method="filter_available")

    class Meta:
        model = Craftsman
        fields = ["name", "industry"]

    def filter_honour(self, queryset: QuerySet[Craftsman], name: str, value: str) -> QuerySet[Craftsman]:
        value = (value or "").strip()[:40]
        if not value:
            return queryset
        # SQLite keeps JSON text \u-escaped, PostgreSQL's jsonb as characters: match both forms.
        escaped = json.dumps(value)[1:-1]
        return queryset.filter(Q(honours__icontains=value) | Q(honours__icontains=escaped))

    def filter_available(
        self, queryset: QuerySet[Craftsman], name: str, value: bool | None
    ) -> QuerySet[Craftsman]:
        if value is None:
            return queryset
        free = Q(available=True, open_requests__lt=F("monthly_capacity"))
        return queryset.filter(free) if value else queryset.exclude(free)


CRAFTSMAN_COLUMNS = [
    Column("姓名", "name", sort="name", link=True),
    Column("外部编号", "external_id", sort="external_id"),
    Column("荣誉", lambda c: _join(c.honours)),
    Column("行业门类", lambda c: industry_name(c.industry) if c.industry else "", sort="industry"),
    Column("地区代码", "region", sort="region"),
    Column("工种", lambda c: _join(c.trades)),
    Column("技能等级", "skill_level"),
    Column("可接单", lambda c: f"余 {c.capacity_left}" if c.capacity_left else "已满"),
    Column("确认解决问题", "confirmed_solutions", sort="confirmed_solutions"),
    Column("平均评分", "rating_avg", sort="rating_avg"),
    Column("管理工会", "org_unit.name"),
]


@login_required
def craftsman_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.craftsman_list(user=request.user).filter(active=True),
        columns=CRAFTSMAN_COLUMNS,
        title="劳模工匠资源库",
        filterset_class=CraftsmanFilter,
        export_name="assist-craftsmen",
        default_sort="name",
        template="assist/library_craftsman_list.html",
    )


@login_required
def craftsman_detail(request: AuthedRequest, craftsman_id: int) -> HttpResponse:
    craftsman = selectors.craftsman_get_for_user(user=request.user, craftsman_id=craftsman_id)
    return render(
        request,
        "assist/library_craftsman_detail.html",
        {
            "title": craftsman.name,
            "craftsman": craftsman,
            "industry": industry_name(craftsman.industry) if craftsman.industry else "",
            "can_edit": can(request.user, "manage", craftsman.org_unit),
            **selectors.craftsman_track_record(user=request.user, craftsman=craftsman),
        },
    )


def _craftsman_values(form: CraftsmanForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@login_required
def craftsman_create(request: AuthedRequest) -> HttpResponse:
    units = OrgUnit.objects.visible_to(request.user, "manage").exclude(level=OrgUnit.Level.ENTERPRISE)
    unit = units.order_by("depth", "path").first()
    if unit is None:
        raise Http404
    form = CraftsmanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            craftsman = svc.craftsman_create(actor=request.user, org_unit=unit, **_craftsman_values(form))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已添加 {craftsman.name}")
            return redirect(craftsman)
    return render(
        request, "assist/library_craftsman_form.html", {"title": "添加劳模工匠", "form": form, "unit": unit}
    )


@login_required
def craftsman_edit(request: AuthedRequest, craftsman_id: int) -> HttpResponse:
    craftsman = selectors.craftsman_get_for_user(user=request.user, craftsman_id=craftsman_id)
    if not can(request.user, "manage", craftsman.org_unit):
        raise Http404
    form = CraftsmanForm(request.POST or None, initial=CraftsmanForm.initial_for(craftsman))
    if request.method == "POST" and form.is_valid():
        try:
            svc.craftsman_update(actor=request.user, craftsman=craftsman, **_craftsman_values(form))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已保存")
            return redirect(craftsman)
    return render(
        request,
        "assist/library_craftsman_form.html",
        {"title": f"编辑 {craftsman.name}", "form": form, "unit": craftsman.org_unit},
    )


# --- library outcomes --------------------------------------------------------------------------


class LibraryOutcomeFilter(StyledFilterSet):
    title = django_filters.CharFilter(label="名称", lookup_expr="icontains")
    type = django_filters.CharFilter(label="类型", lookup_expr="icontains")
    industry = django_filters.ChoiceFilter(label="行业门类", choices=Industry.choices)
    source = django_filters.ChoiceFilter(label="来源", choices=LibraryOutcome.Source.choices)
    trial_offered = django_filters.BooleanFilter(label="先用后转")

    class Meta:
        model = LibraryOutcome
        fields = ["title", "type", "industry", "source", "trial_offered"]


OUTCOME_COLUMNS = [
    Column("名称", "title", sort="title", link=True),
    Column("外部编号", "external_id", sort="external_id"),
    Column("类型", "type", sort="type"),
    Column("行业门类", lambda o: industry_name(o.industry) if o.industry else "", sort="industry"),
    Column("来源", "source", sort="source"),
    Column("先用后转", lambda o: "是" if o.trial_offered else ""),
    Column("核验年效益（元）", "verified_benefit", sort="verified_benefit"),
    Column("所属工会", "org_unit.name"),
]


@login_required
def outcome_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.outcome_list(user=request.user).filter(active=True),
        columns=OUTCOME_COLUMNS,
        title="创新成果库",
        filterset_class=LibraryOutcomeFilter,
        export_name="assist-outcomes",
        default_sort="-created_at",
        template="assist/library_outcome_list.html",
    )


@login_required
def outcome_detail(request: AuthedRequest, outcome_id: int) -> HttpResponse:
    outcome = selectors.outcome_get_for_user(user=request.user, outcome_id=outcome_id)
    return render(
        request,
        "assist/library_outcome_detail.html",
        {
            "title": outcome.title,
            "outcome": outcome,
            "industry": industry_name(outcome.industry) if outcome.industry else "",
        },
    )


@login_required
@require_POST
def outcome_sync(request: AuthedRequest) -> HttpResponse:
    """Bring the adopted innovation outcomes of the user's top managed union into the library."""
    unit = OrgUnit.objects.visible_to(request.user, "manage").order_by("depth", "path").first()
    if unit is None:
        raise Http404
    report = svc.library_sync_innovation(org_unit=unit, actor=request.user)
    messages.success(request, f"职工创新成果同步：新增 {report.created} 项，更新 {report.updated} 项")
    return redirect("assist:outcome_list")


# --- imports -----------------------------------------------------------------------------------


def _import_units(request: AuthedRequest) -> QuerySet[OrgUnit]:
    return (
        OrgUnit.objects.visible_to(request.user, "manage")
        .exclude(level=OrgUnit.Level.ENTERPRISE)
        .order_by("depth", "path")
    )


@login_required
def library_import(request: AuthedRequest) -> HttpResponse:
    """Upload craftsmen or outcomes; every bad row is listed (row and column), nothing is
    written unless the whole file is right or “skip invalid rows” is ticked."""
    units = _import_units(request)
    if not units.exists():
        raise Http404
    form = ImportForm(
        request.POST or None, request.FILES or None, units=units, initial={"kind": request.GET.get("kind")}
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        importer = svc.craftsmen_import if form.cleaned_data["kind"] == "craftsmen" else svc.outcomes_import
        try:
            report = importer(
                actor=request.user,
                org_unit=form.cleaned_data["org_unit"],
                data=upload.read(),
                filename=upload.name or "",
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except TableError as exc:
            problems = [str(e) for e in exc.errors]
            if exc.total_errors > len(exc.errors):
                problems.append(f"……共 {exc.total_errors} 处错误")
        except DomainError as exc:
            problems = [exc.message]
        else:
            messages.success(
                request,
                f"新增 {report.created} 条，更新 {report.updated} 条，未变 {report.unchanged} 条，"
                f"跳过 {len(report.rejected)} 行",
            )
            problems = [str(e) for e in report.rejected]
    return render(
        request, "assist/library_import.html", {"title": "导入资源库", "form": form, "problems": problems}
    )


@login_required
def library_import_template(request: AuthedRequest, kind: str) -> HttpResponse:
    if kind not in svc.IMPORT_TEMPLATES:
        raise Http404
    columns, example = svc.IMPORT_TEMPLATES[kind]
    title = "劳模工匠" if kind == "craftsmen" else "创新成果"
    content = build_xlsx(list(columns), [example], sheet_title=title)
    return download_response(content, f"assist-{kind}-template.xlsx")


# --- demands -----------------------------------------------------------------------------------


class DemandFilter(StyledFilterSet):
    title = django_filters.CharFilter(label="问题", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label="状态", choices=Demand.Status.choices)
    kind = django_filters.ChoiceFilter(label="类别", choices=DemandKind.choices)
    urgency = django_filters.ChoiceFilter(label="紧急程度", choices=Urgency.choices)

    class Meta:
        model = Demand
        fields = ["title", "status", "kind", "urgency"]


DEMAND_COLUMNS = [
    Column("问题", "title", sort="title", link=True),
    Column("企业", "enterprise.name"),
    Column("类别", "kind", sort="kind"),
    Column("紧急程度", "urgency", sort="urgency"),
    Column("涉密", lambda d: "是" if d.confidential else ""),
    Column("状态", "status", sort="status"),
    Column("所属工会", "org_unit.name"),
    Column("提出时间", "created_at", sort="created_at"),
]


@login_required
def demand_list(request: AuthedRequest) -> HttpResponse:
    """Staff: the demands of their subtree; others: the demands they posted or were sent to."""
    return render_list(
        request,
        queryset=selectors.demand_list(user=request.user),
        columns=DEMAND_COLUMNS,
        title="企业需求库",
        filterset_class=DemandFilter,
        export_name="assist-demands",
        default_sort="-created_at",
        template="assist/demand_list.html",
        extra={"can_post": selectors.demand_enterprises(user=request.user).exists()},
    )


@login_required
def demand_create(request: AuthedRequest) -> HttpResponse:
    """The phone form an enterprise contact (or staff, on an enterprise's behalf) posts with."""
    enterprises = selectors.demand_enterprises(user=request.user)
    if not enterprises.exists():
        raise NotFound("只有企业联系人或工会工作人员可以发布需求")
    form = DemandForm(request.POST or None, request.FILES or None, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            demand = svc.demand_create(
                actor=request.user,
                enterprise=d["enterprise"],
                title=d["title"],
                description=d["description"],
                equipment_model=d["equipment_model"],
                kind=d["kind"],
                urgency=d["urgency"],
                confidential=d["confidential"],
                photos=d["photos"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "需求已发布，下面是为您匹配的劳模工匠和可借鉴的创新成果。")
            return redirect(demand)
    return render(request, "assist/demand_form.html", {"title": "发布需求", "form": form})


@login_required
def demand_detail(request: AuthedRequest, demand_id: int) -> HttpResponse:
    demand = selectors.demand_get_for_user(user=request.user, demand_id=demand_id)
    detail = selectors.demand_detail(user=request.user, demand=demand)
    # Rankings are for the dispatcher and the asking enterprise, not for a craftsman sent to it.
    show_matches = detail["can_dispatch"] or demand.created_by_id == request.user.pk
    matches = selectors.demand_matches(user=request.user, demand=demand) if show_matches else {}
    return render(
        request,
        "assist/demand_detail.html",
        {
            "title": demand.title,
            "demand": demand,
            "industry": industry_name(demand.industry) if demand.industry else "",
            "show_matches": show_matches,
            **detail,
            **matches,
        },
    )


@login_required
@require_POST
def demand_dispatch(request: AuthedRequest, demand_id: int) -> HttpResponse:
    demand = selectors.demand_get_for_user(user=request.user, demand_id=demand_id)
    form = DispatchForm(request.POST)
    craftsman = None
    if form.is_valid():
        craftsman = Craftsman.objects.filter(pk=form.cleaned_data["craftsman"], active=True).first()
    if craftsman is None:
        messages.error(request, "请选择要派单的工匠")
        return redirect(demand)
    try:
        record_dispatch(
            demand=demand,
            craftsman=craftsman,
            actor=request.user,
            shown_rank=form.cleaned_data["shown_rank"],
            shown_score=form.cleaned_data["shown_score"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已向 {craftsman.name} 派单")
    return redirect(demand)


def _demand_step(
    request: AuthedRequest, demand_id: int, step: Callable[[Demand], object], done: str
) -> HttpResponse:
    """Run one lifecycle service on a demand the user can see; the outcome as a message."""
    demand = selectors.demand_get_for_user(user=request.user, demand_id=demand_id)
    try:
        step(demand)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(demand)


@login_required
@require_POST
def demand_start_service(request: AuthedRequest, demand_id: int) -> HttpResponse:
    """开始服务: staff record that the dispatched craftsmen are serving the enterprise."""
    return _demand_step(
        request,
        demand_id,
        lambda demand: demands_svc.demand_start_service(demand=demand, actor=request.user),
        "已开始服务",
    )


@login_required
@require_POST
def demand_solve(request: AuthedRequest, demand_id: int) -> HttpResponse:
    """确认已解决: the enterprise (or staff) confirms the problem solved, with a note."""
    note = request.POST.get("note", "")
    return _demand_step(
        request,
        demand_id,
        lambda demand: demands_svc.demand_mark_solved(demand=demand, actor=request.user, note=note),
        "已确认问题解决，需求办结",
    )


@login_required
@require_POST
def demand_close(request: AuthedRequest, demand_id: int) -> HttpResponse:
    """关闭需求: the enterprise (or staff) closes a demand that will not be served, with a reason."""
    reason = request.POST.get("reason", "")
    return _demand_step(
        request,
        demand_id,
        lambda demand: demands_svc.demand_close(demand=demand, actor=request.user, reason=reason),
        "需求已关闭",
    )


@login_required
def demand_photo(request: AuthedRequest, demand_id: int, photo_id: int) -> FileResponse:
    demand = selectors.demand_get_for_user(user=request.user, demand_id=demand_id)
    photo = DemandPhoto.objects.filter(pk=photo_id, demand=demand).first()
    if photo is None:
        raise Http404
    return FileResponse(photo.file.open("rb"), filename=photo.name)


urlpatterns = [
    path("", home, name="home"),
    path("craftsmen/", craftsman_list, name="craftsman_list"),
    path("craftsmen/new/", craftsman_create, name="craftsman_create"),
    path("craftsmen/<int:craftsman_id>/", craftsman_detail, name="craftsman_detail"),
    path("craftsmen/<int:craftsman_id>/edit/", craftsman_edit, name="craftsman_edit"),
    path("outcomes/", outcome_list, name="outcome_list"),
    path("outcomes/sync/", outcome_sync, name="outcome_sync"),
    path("outcomes/<int:outcome_id>/", outcome_detail, name="outcome_detail"),
    path("library/import/", library_import, name="library_import"),
    path("library/import/template/<slug:kind>/", library_import_template, name="library_import_template"),
    path("demands/", demand_list, name="demand_list"),
    path("demands/new/", demand_create, name="demand_create"),
    path("demands/<int:demand_id>/", demand_detail, name="demand_detail"),
    path("demands/<int:demand_id>/dispatch/", demand_dispatch, name="demand_dispatch"),
    path("demands/<int:demand_id>/start/", demand_start_service, name="demand_start_service"),
    path("demands/<int:demand_id>/solve/", demand_solve, name="demand_solve"),
    path("demands/<int:demand_id>/close/", demand_close, name="demand_close"),
    path("demands/<int:demand_id>/photos/<int:photo_id>/", demand_photo, name="demand_photo"),
]
