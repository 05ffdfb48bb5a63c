"""Service ledger, 师徒结对, 先用后转 and KPI pages of the assist module.

Thin: selectors read (404 for missing and not-yours alike), services write, a DomainError
becomes a form error. The KPI dashboard lays out what ``kpi_dashboard`` computed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from openpyxl import Workbook

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.assist import ledger, pairs, trials
from gonghui.assist import selectors_ledger as sel
from gonghui.assist.forms_ledger import (
    ActivityFilter,
    ActivityForm,
    BenefitForm,
    CheckInForm,
    CompleteForm,
    ConfirmForm,
    ConvertForm,
    EndForm,
    ExtendForm,
    ImportForm,
    KpiTargetForm,
    PairFilter,
    PairForm,
    ProblemForm,
    ReportForm,
    SignForm,
    SolvedForm,
    TrialApplyForm,
    TrialFilter,
    TrialOfferForm,
    WithdrawForm,
)
from gonghui.assist.ledger import LEDGER_IMPORT_COLUMNS, TARGET_FIELDS, ActivityInput
from gonghui.assist.models import Craftsman, MentorPair, ServiceActivity, TrialApplication
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.http import AuthedRequest, download_response
from gonghui.core.listing import Column, render_list
from gonghui.core.tabular import TableError, add_sheet, build_xlsx
from gonghui.orgs.models import Enterprise, OrgUnit

FIRST_YEAR = 2000
WAN = Decimal(10000)
CENT = Decimal("0.01")


def _staff(request: AuthedRequest) -> None:
    """Desk pages: users without a staff role get the same 404 as for a missing page."""
    if not is_staff_somewhere(request.user):
        raise Http404


def _form_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _year_param(request: AuthedRequest) -> int:
    current = timezone.localdate().year
    year = _int(request.GET.get("year"))
    return year if year is not None and FIRST_YEAR <= year <= current else current


Handler = Callable[[User, Any, dict[str, Any]], str]


def _action_forms(
    request: AuthedRequest,
    target: Any,
    actions: dict[str, tuple[type[forms.Form], Handler]],
    url: str,
) -> tuple[dict[str, forms.Form], HttpResponse | None]:
    """A detail page's action forms (one per action, prefixed by its name) and, for a POST,
    the posted action run through its form and service: a redirect on success, or None and
    the bound form with its errors to re-render."""
    bound: dict[str, forms.Form] = {
        name: form_class(prefix=name) for name, (form_class, _) in actions.items()
    }
    if request.method != "POST":
        return bound, None
    action = request.POST.get("action", "")
    if action not in actions:
        raise Http404
    form_class, handler = actions[action]
    form = bound[action] = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            done = handler(request.user, target, form.cleaned_data)
        except PermissionDenied as exc:
            messages.error(request, exc.message)
            return bound, redirect(url)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, done)
            return bound, redirect(url)
    return bound, None


# --- ledger -----------------------------------------------------------------------------------


def _yuan(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


LEDGER_COLUMNS = [
    Column("活动名称", "title", sort="title"),
    Column("日期", "held_on", sort="held_on"),
    Column("类别", "kind", sort="kind"),
    Column("组织工会", "org_unit.name", sort="org_unit__path"),
    Column("服务企业", "enterprise.name", sort="enterprise__name"),
    Column("工匠人次", "craftsman_count", sort="craftsman_count"),
    Column("问题（确认/登记）", lambda a: f"{a.confirmed_count}/{a.problem_count}"),
    Column("培训人数", "trainee_count", sort="trainee_count"),
    Column("培训人次", "person_times", sort="person_times"),
    Column("预计效益（元）", lambda a: _yuan(a.estimated_benefit), sort="estimated_benefit"),
    Column("长期协议", lambda a: "是" if a.long_term_agreement else ""),
]


@login_required
def ledger_list(request: AuthedRequest) -> HttpResponse:
    if not (is_staff_somewhere(request.user) or sel.contact_union_ids(request.user)):
        raise Http404
    return render_list(
        request,
        queryset=sel.activity_list(user=request.user),
        columns=LEDGER_COLUMNS,
        title="服务台账",
        filterset_class=ActivityFilter,
        export_name="assist-ledger",
        default_sort="-held_on",
        extra={"can_create": OrgUnit.objects.visible_to(request.user, "review").exists()},
        template="assist/ledger_list.html",
    )


def _activity_form(request: AuthedRequest, units: QuerySet[OrgUnit]) -> ActivityForm:
    return ActivityForm(
        request.POST or None,
        units=units,
        enterprises=Enterprise.objects.visible_to(request.user).order_by("name"),
        craftsmen=sel.craftsmen_choosable(user=request.user),
        initial={"org_unit": units.first()} if units.count() == 1 else None,
    )


@login_required
def ledger_create(request: AuthedRequest) -> HttpResponse:
    units = OrgUnit.objects.visible_to(request.user, "review").exclude(level=OrgUnit.Level.ENTERPRISE)
    if not units.exists():
        raise Http404
    form = _activity_form(request, units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = ledger.activity_create(
                actor=request.user,
                data=ActivityInput(
                    org_unit=data["org_unit"],
                    kind=data["kind"],
                    title=data["title"],
                    held_on=data["held_on"],
                    craftsmen=list(data["craftsmen"]),
                    enterprise=data["enterprise"],
                    problems=data["problems"],
                    trainees=data["trainees"],
                    person_times=data["person_times"],
                    estimated_benefit=data["estimated_benefit"],
                    verified_benefit=data["verified_benefit"],
                    long_term_agreement=data["long_term_agreement"],
                ),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已登记服务活动 {activity.title}")
            return redirect("assist:ledger_detail", activity.pk)
    return render(request, "assist/ledger_form.html", {"title": "登记服务活动", "form": form})


def _add_problem(actor: User, activity: ServiceActivity, data: dict[str, Any]) -> str:
    problem = ledger.problem_add(actor=actor, activity=activity, description=data["description"])
    return f"已登记问题：{problem.description}"


def _problem(actor: User, activity: ServiceActivity, problem_id: int) -> Any:
    problem = activity.problems.filter(pk=problem_id).first()
    if problem is None:
        raise DomainError("not_found", "问题不存在")
    return problem


def _solved(actor: User, activity: ServiceActivity, data: dict[str, Any]) -> str:
    problem = ledger.problem_mark_solved(actor=actor, problem=_problem(actor, activity, data["problem"]))
    return f"已标记解决，待企业确认：{problem.description}"


def _confirm(actor: User, activity: ServiceActivity, data: dict[str, Any]) -> str:
    problem = ledger.problem_confirm(
        actor=actor, problem=_problem(actor, activity, data["problem"]), confirmed_by=data["confirmed_by"]
    )
    return f"{problem.confirmed_by} 已确认解决：{problem.description}"


def _benefit(actor: User, activity: ServiceActivity, data: dict[str, Any]) -> str:
    done = ledger.activity_verify_benefit(
        actor=actor, activity=activity, verified_benefit=data["verified_benefit"]
    )
    return f"已记录核实效益 {_yuan(done.verified_benefit)} 元"


LEDGER_ACTIONS: dict[str, tuple[type[forms.Form], Handler]] = {
    "problem": (ProblemForm, _add_problem),
    "solved": (SolvedForm, _solved),
    "confirm": (ConfirmForm, _confirm),
    "benefit": (BenefitForm, _benefit),
}


@login_required
def ledger_detail(request: AuthedRequest, activity_id: int) -> HttpResponse:
    activity = sel.activity_get_for_user(user=request.user, activity_id=activity_id)
    url = reverse("assist:ledger_detail", args=[activity.pk])
    bound, done = _action_forms(request, activity, LEDGER_ACTIONS, url)
    if done is not None:
        return done
    detail = sel.activity_detail(activity=activity)
    enterprise = activity.enterprise
    return render(
        request,
        "assist/ledger_detail.html",
        {
            "title": activity.title,
            "activity": activity,
            **detail,
            "forms": bound,
            "is_staff": can(request.user, "review", activity.org_unit),
            "is_contact": enterprise is not None and sel.is_enterprise_contact(request.user, enterprise),
        },
        status=400 if request.method == "POST" else 200,
    )


IMPORT_EXAMPLE = [
    "上门服务",
    "数控车床主轴异响诊断",
    "2026-03-05",
    "",
    "91330109MA2B3C4D5Q",
    "张建国;李秀英",
    "主轴轴承磨损;冷却液泄漏",
    "王小明:330109199001011239;赵丽:330109199203040021",
    "2",
    "50000",
    "",
    "否",
]


@login_required
def ledger_import_template(request: AuthedRequest) -> HttpResponse:
    """The import template: one row per activity; craftsmen, problems and trainees ";"-separated."""
    content = build_xlsx(list(LEDGER_IMPORT_COLUMNS), [IMPORT_EXAMPLE], sheet_title="服务活动")
    return download_response(content, "assist-ledger-template.xlsx")


@login_required
def ledger_import(request: AuthedRequest) -> HttpResponse:
    units = OrgUnit.objects.visible_to(request.user, "review").exclude(level=OrgUnit.Level.ENTERPRISE)
    if not units.exists():
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None, units=units)
    errors: list[Any] = []
    total_errors = 0
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = ledger.activities_import(
                actor=request.user,
                org_unit=form.cleaned_data["org_unit"],
                data=upload.read(),
                filename=upload.name,
            )
        except TableError as exc:
            errors, total_errors = exc.errors, exc.total_errors
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, f"导入完成：新增 {report.created} 条，已存在未重复导入 {report.unchanged} 条"
            )
            return redirect("assist:ledger_list")
    return render(
        request,
        "assist/ledger_import.html",
        {
            "title": "导入服务台账",
            "form": form,
            "errors": errors,
            "total_errors": total_errors,
            "columns": list(LEDGER_IMPORT_COLUMNS),
        },
        status=400 if errors else 200,
    )


# --- pairs ------------------------------------------------------------------------------------

LEVEL_LABELS = dict(Craftsman.SkillLevel.choices)
PAIR_COLUMNS = [
    Column("师傅", "mentor.name", sort="mentor__name"),
    Column("徒弟", "apprentice_name", sort="apprentice_name"),
    Column("所属工会", "org_unit.name", sort="org_unit__path"),
    Column("开始", "starts_on", sort="starts_on"),
    Column("结束", "ends_on", sort="ends_on"),
    Column("状态", "status", sort="status"),
    Column("跨区域", lambda p: "是" if p.cross_region else ""),
    Column("带教记录", "checkin_count", sort="checkin_count"),
    Column("出师等级", lambda p: LEVEL_LABELS.get(p.level_after, p.level_after)),
]


@login_required
def pair_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=sel.pair_list(user=request.user),
        columns=PAIR_COLUMNS,
        title="师徒结对",
        filterset_class=PairFilter,
        export_name="assist-pairs",
        default_sort="-starts_on",
        extra={"can_create": OrgUnit.objects.visible_to(request.user, "review").exists()},
        template="assist/pair_list.html",
    )


@login_required
def pair_create(request: AuthedRequest) -> HttpResponse:
    units = OrgUnit.objects.visible_to(request.user, "review")
    if not units.exists():
        raise Http404
    form = PairForm(request.POST or None, craftsmen=sel.craftsmen_choosable(user=request.user), units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pair = pairs.pair_create(
                actor=request.user,
                mentor=data["mentor"],
                apprentice_name=data["apprentice_name"],
                org_unit=data["org_unit"],
                goals=data["goals"],
                agreement=data["agreement"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                level_before=data["level_before"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已结对：{pair}")
            return redirect("assist:pair_detail", pair.pk)
    return render(request, "assist/pair_form.html", {"title": "新建师徒结对", "form": form})


def _check_in(actor: User, pair: MentorPair, data: dict[str, Any]) -> str:
    pairs.pair_check_in(actor=actor, pair=pair, on=data["on"], note=data["note"])
    return "已登记带教记录"


def _complete(actor: User, pair: MentorPair, data: dict[str, Any]) -> str:
    done = pairs.pair_complete(actor=actor, pair=pair, level_after=data["level_after"])
    return f"已出师，技能等级：{LEVEL_LABELS.get(done.level_after, done.level_after)}"


def _end(actor: User, pair: MentorPair, data: dict[str, Any]) -> str:
    pairs.pair_end(actor=actor, pair=pair, reason=data["reason"])
    return "已解除结对"


PAIR_ACTIONS: dict[str, tuple[type[forms.Form], Handler]] = {
    "checkin": (CheckInForm, _check_in),
    "complete": (CompleteForm, _complete),
    "end": (EndForm, _end),
}


@login_required
def pair_detail(request: AuthedRequest, pair_id: int) -> HttpResponse:
    pair = sel.pair_get_for_user(user=request.user, pair_id=pair_id)
    url = reverse("assist:pair_detail", args=[pair.pk])
    bound, done = _action_forms(request, pair, PAIR_ACTIONS, url)
    if done is not None:
        return done
    return render(
        request,
        "assist/pair_detail.html",
        {
            "title": str(pair),
            "pair": pair,
            **sel.pair_detail(pair=pair),
            "forms": bound,
            "level_before": LEVEL_LABELS.get(pair.level_before, pair.level_before),
            "level_after": LEVEL_LABELS.get(pair.level_after, pair.level_after),
            "is_staff": can(request.user, "review", pair.org_unit),
            "is_mentor": pair.mentor.user_id is not None and pair.mentor.user_id == request.user.pk,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- trials -----------------------------------------------------------------------------------

TRIAL_COLUMNS = [
    Column("成果", "outcome.title", sort="outcome__title"),
    Column("申请企业", "enterprise.name", sort="enterprise__name"),
    Column("状态", "status", sort="status"),
    Column("协议签订", "agreement_signed_on", sort="agreement_signed_on"),
    Column("试用截止", "trial_ends_on", sort="trial_ends_on"),
    Column("使用报告", "report_count", sort="report_count"),
    Column("转化方式", "outcome.licence_form"),
    Column("转化金额（元）", lambda t: _yuan(t.conversion_amount), sort="conversion_amount"),
    Column("申请时间", "created_at", sort="created_at"),
]


@login_required
def trial_list(request: AuthedRequest) -> HttpResponse:
    staff = is_staff_somewhere(request.user)
    if not (staff or sel.contact_union_ids(request.user)):
        raise Http404
    return render_list(
        request,
        queryset=sel.trial_list(user=request.user),
        columns=TRIAL_COLUMNS,
        title="先用后转",
        filterset_class=TrialFilter,
        export_name="assist-trials",
        default_sort="-created_at",
        extra={
            "can_offer": sel.outcomes_offerable(user=request.user).exists(),
            "offers": sel.trial_offers(user=request.user).order_by("title")[:50],
        },
        template="assist/trial_list.html",
    )


@login_required
def trial_offer(request: AuthedRequest) -> HttpResponse:
    outcomes = sel.outcomes_offerable(user=request.user)
    if not outcomes.exists():
        raise Http404
    chosen = outcomes.filter(pk=_int(request.GET.get("outcome")) or 0).first()
    initial = (
        {
            "outcome": chosen,
            "owner_name": chosen.owner_name,
            "licence_form": chosen.licence_form or None,
            "licence_fee": chosen.licence_fee,
            "trial_months": chosen.trial_months,
        }
        if chosen is not None and chosen.trial_offered
        else {"outcome": chosen}
    )
    form = TrialOfferForm(request.POST or None, outcomes=outcomes, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = trials.outcome_offer_for_trial(
                actor=request.user,
                outcome=data["outcome"],
                owner_name=data["owner_name"],
                licence_form=data["licence_form"],
                licence_fee=data["licence_fee"],
                trial_months=data["trial_months"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已发布先用后转：{outcome.title}")
            return redirect("assist:trial_list")
    return render(
        request,
        "assist/trial_form.html",
        {"title": "发布先用后转", "form": form, "testid": "trial-offer-form"},
    )


@login_required
def trial_apply(request: AuthedRequest) -> HttpResponse:
    enterprises = sel.enterprises_for_trial(user=request.user)
    offers = sel.trial_offers(user=request.user).order_by("title", "pk")
    if not enterprises.exists():
        raise Http404
    chosen = offers.filter(pk=_int(request.GET.get("outcome")) or 0).first()
    form = TrialApplyForm(
        request.POST or None,
        outcomes=offers,
        enterprises=enterprises,
        initial={"outcome": chosen, "enterprise": enterprises.first() if enterprises.count() == 1 else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = trials.trial_apply(
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                enterprise=form.cleaned_data["enterprise"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已提交先用后转申请：{application.outcome.title}")
            return redirect("assist:trial_detail", application.pk)
    return render(
        request,
        "assist/trial_form.html",
        {"title": "申请先用后转", "form": form, "testid": "trial-apply-form"},
    )


def _sign(actor: User, application: TrialApplication, data: dict[str, Any]) -> str:
    done = trials.trial_sign(actor=actor, application=application, signed_on=data["signed_on"])
    return f"已签订试用协议，试用至 {done.trial_ends_on}"


def _report(actor: User, application: TrialApplication, data: dict[str, Any]) -> str:
    trials.trial_report(actor=actor, application=application, on=data["on"], usage=data["usage"])
    return "已登记使用情况"


def _convert(actor: User, application: TrialApplication, data: dict[str, Any]) -> str:
    done = trials.trial_convert(actor=actor, application=application, amount=data["amount"])
    return f"已转化，金额 {_yuan(done.conversion_amount)} 元"


def _withdraw(actor: User, application: TrialApplication, data: dict[str, Any]) -> str:
    trials.trial_withdraw(actor=actor, application=application, feedback=data["feedback"])
    return "已退出试用"


def _extend(actor: User, application: TrialApplication, data: dict[str, Any]) -> str:
    done = trials.trial_extend(actor=actor, application=application, new_end=data["new_end"])
    return f"已延长试用至 {done.trial_ends_on}"


TRIAL_ACTIONS: dict[str, tuple[type[forms.Form], Handler]] = {
    "sign": (SignForm, _sign),
    "report": (ReportForm, _report),
    "convert": (ConvertForm, _convert),
    "extend": (ExtendForm, _extend),
    "withdraw": (WithdrawForm, _withdraw),
}


@login_required
def trial_detail(request: AuthedRequest, application_id: int) -> HttpResponse:
    application = sel.trial_get_for_user(user=request.user, application_id=application_id)
    url = reverse("assist:trial_detail", args=[application.pk])
    bound, done = _action_forms(request, application, TRIAL_ACTIONS, url)
    if done is not None:
        return done
    allowed = trials.TRIAL_TRANSITIONS[application.status]
    status = TrialApplication.Status
    is_staff = can(request.user, "review", application.org_unit)
    is_contact = sel.is_enterprise_contact(request.user, application.enterprise)
    shown = {
        "sign": is_staff and status.IN_TRIAL in allowed,
        "report": (is_staff or is_contact) and application.status in trials.IN_USE,
        "convert": is_staff and status.CONVERTED in allowed,
        "extend": is_staff and status.EXTENDED in allowed,
        "withdraw": (is_staff or is_contact) and status.WITHDRAWN in allowed,
    }
    return render(
        request,
        "assist/trial_detail.html",
        {
            "title": str(application),
            "application": application,
            "outcome": application.outcome,
            **sel.trial_detail(application=application),
            "forms": [(name, bound[name]) for name, show in shown.items() if show],
        },
        status=400 if request.method == "POST" else 200,
    )


# --- KPI --------------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    """Decimals as floats for charts and spreadsheets (yuan keep their cents)."""
    return float(value) if isinstance(value, Decimal) else value


def _display(metric: sel.Metric, value: Any) -> tuple[Any, str]:
    """Money in 万元 on the cards (the spreadsheet keeps yuan)."""
    if metric.key in sel.MONEY:
        return (Decimal(value) / WAN).quantize(CENT), "万元"
    return value, metric.unit


def _cards(data: dict[str, Any], metrics: Sequence[sel.Metric]) -> list[dict[str, Any]]:
    figures, target, progress = data["figures"], data["target"], data["progress"]
    cards = []
    for metric in metrics:
        value, unit = _display(metric, figures[metric.key])
        goal = getattr(target, metric.target) if target is not None and metric.target else None
        cards.append(
            {
                "key": metric.key,
                "label": metric.label,
                "value": value,
                "unit": unit,
                "target": goal or None,
                "progress": progress.get(metric.key),
                "bar": min(progress.get(metric.key) or 0, Decimal(100)),
            }
        )
    return cards


TABLE_METRICS = [m for m in sel.LEDGER_METRICS if m.key not in ("estimated_benefit",)]


def _cells(figures: dict[str, Any], progress: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": metric.key,
            "value": _yuan(figures[metric.key]) if metric.key in sel.MONEY else figures[metric.key],
            "progress": progress.get(metric.key),
        }
        for metric in TABLE_METRICS
    ]


def _table(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "cells": _cells(row["figures"], row["progress"]),
            "pairs": row["figures"]["pairs"],
            "trials": row["figures"]["trials"],
        }
        for row in data["rows"]
    ]


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    monthly = data["monthly"]
    return {
        "months": [f"{m}月" for m in range(1, 13)],
        "trend": [
            {"name": "劳模工匠服务人次", "data": monthly["craftsman_visits"]},
            {"name": "培训人次", "data": monthly["person_times"]},
            {"name": "培训人数（当月去重）", "data": monthly["people_trained"]},
            {"name": "解决问题（企业确认）", "data": monthly["problems"]},
        ],
        "nodes": [
            {
                "name": row["name"],
                "craftsman_visits": row["figures"]["craftsman_visits"],
                "people_trained": row["figures"]["people_trained"],
                "person_times": row["figures"]["person_times"],
            }
            for row in data["rows"]
        ],
    }


def _sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    add_sheet(workbook, title, headers, ([_number(v) for v in row] for row in rows))


KPI_SHEETS = ("汇总", "按组织", "按月份", "师徒结对", "先用后转")


def kpi_workbook(data: dict[str, Any]) -> bytes:
    """The dashboard's figures as an xlsx, one sheet per breakdown (amounts in yuan)."""
    figures, target, progress = data["figures"], data["target"], data["progress"]
    workbook = Workbook(write_only=True)
    _sheet(
        workbook,
        "汇总",
        ["指标", f"{data['year']} 年", "年度目标", "完成率（%）"],
        [
            ("统计范围", data["unit"].name, None, None),
            *(
                (
                    f"{m.label}（{m.unit}）",
                    figures[m.key],
                    (getattr(target, m.target) if target is not None and m.target else None),
                    progress.get(m.key),
                )
                for m in sel.LEDGER_METRICS
            ),
        ],
    )
    _sheet(
        workbook,
        "按组织",
        ["组织", *(f"{m.label}（{m.unit}）" for m in sel.LEDGER_METRICS), "结对", "先用后转申请"],
        (
            (
                row["name"],
                *(row["figures"][m.key] for m in sel.LEDGER_METRICS),
                row["figures"]["pairs"],
                row["figures"]["trials"],
            )
            for row in data["rows"]
        ),
    )
    monthly = data["monthly"]
    _sheet(
        workbook,
        "按月份",
        ["月份", "劳模工匠服务人次", "服务活动", "解决问题（企业确认）", "培训人数（当月去重）", "培训人次"],
        (
            (
                f"{m}月",
                monthly["craftsman_visits"][m - 1],
                monthly["activities"][m - 1],
                monthly["problems"][m - 1],
                monthly["people_trained"][m - 1],
                monthly["person_times"][m - 1],
            )
            for m in range(1, 13)
        ),
    )
    _sheet(
        workbook,
        "师徒结对",
        ["组织", *(m.label for m in sel.PAIR_METRICS)],
        [
            *((row["name"], *(row["figures"][m.key] for m in sel.PAIR_METRICS)) for row in data["rows"]),
            ("合计", *(figures[m.key] for m in sel.PAIR_METRICS)),
        ],
    )
    _sheet(
        workbook,
        "先用后转",
        ["组织", *(f"{m.label}（{m.unit}）" for m in sel.TRIAL_METRICS)],
        [
            *((row["name"], *(row["figures"][m.key] for m in sel.TRIAL_METRICS)) for row in data["rows"]),
            ("合计", *(figures[m.key] for m in sel.TRIAL_METRICS)),
        ],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@login_required
def kpi(request: AuthedRequest) -> HttpResponse:
    """Service figures of the user's top node (or a node below) for a year, against its targets."""
    _staff(request)
    year = _year_param(request)
    unit = sel.unit_for_user(user=request.user, unit_id=_int(request.GET.get("unit")))
    data = sel.kpi_dashboard(user=request.user, year=year, unit=unit)
    if request.GET.get("export") == "xlsx":
        return download_response(kpi_workbook(data), f"assist-kpi-{year}-{timezone.localdate():%Y%m%d}.xlsx")
    top = sel.top_unit(request.user) if "unit" in request.GET else unit
    return render(
        request,
        "assist/kpi.html",
        {
            "title": "助企行服务统计",
            "data": data,
            "year": year,
            "years": sorted({*data["years"], timezone.localdate().year, year}, reverse=True),
            "cards": _cards(data, sel.LEDGER_METRICS),
            "pair_cards": _cards(data, sel.PAIR_METRICS),
            "trial_cards": _cards(data, sel.TRIAL_METRICS),
            "table_metrics": TABLE_METRICS,
            "rows": _table(data),
            "total_cells": _cells(data["figures"], {}),
            "charts": _charts(data),
            "can_edit_targets": can(request.user, "manage", unit),
            "up": unit.get_parent() if top is not None and unit.pk != top.pk else None,
        },
    )


@login_required
def kpi_targets(request: AuthedRequest) -> HttpResponse:
    """Yearly targets of a node and its children, editable by administrators of each node."""
    _staff(request)
    current = timezone.localdate().year
    year = _int(request.GET.get("year")) or current
    if not FIRST_YEAR <= year <= current + 1:
        year = current
    unit = sel.unit_for_user(user=request.user, unit_id=_int(request.GET.get("unit")))
    rows = [(u, t) for u, t in sel.kpi_targets(unit=unit, year=year) if can(request.user, "manage", u)]
    if not rows:
        raise Http404
    data = request.POST if request.method == "POST" else None
    bound = [
        (
            u,
            KpiTargetForm(
                data,
                prefix=f"u{u.pk}",
                initial={name: getattr(t, name) for name in TARGET_FIELDS} if t is not None else None,
            ),
        )
        for u, t in rows
    ]
    valid = data is not None and all([form.is_valid() for _, form in bound])
    if valid:
        try:
            with transaction.atomic():
                for u, form in bound:
                    ledger.kpi_target_set(actor=request.user, org_unit=u, year=year, values=form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存 {year} 年度目标")
            return redirect(f"{reverse('assist:kpi')}?year={year}&unit={unit.pk}")
    return render(
        request,
        "assist/kpi_targets.html",
        {
            "title": f"{year} 年度服务目标",
            "unit": unit,
            "year": year,
            "years": list(range(current + 1, current - 4, -1)),
            "rows": bound,
            "labels": [KpiTargetForm.base_fields[name].label for name in TARGET_FIELDS],
        },
        status=400 if data is not None else 200,
    )


urlpatterns: list[URLPattern] = [
    path("ledger/", ledger_list, name="ledger_list"),
    path("ledger/new/", ledger_create, name="ledger_create"),
    path("ledger/import/", ledger_import, name="ledger_import"),
    path("ledger/import/template/", ledger_import_template, name="ledger_import_template"),
    path("ledger/<int:activity_id>/", ledger_detail, name="ledger_detail"),
    path("pairs/", pair_list, name="pair_list"),
    path("pairs/new/", pair_create, name="pair_create"),
    path("pairs/<int:pair_id>/", pair_detail, name="pair_detail"),
    path("trials/", trial_list, name="trial_list"),
    path("trials/offer/", trial_offer, name="trial_offer"),
    path("trials/apply/", trial_apply, name="trial_apply"),
    path("trials/<int:application_id>/", trial_detail, name="trial_detail"),
    path("kpi/", kpi, name="kpi"),
    path("kpi/targets/", kpi_targets, name="kpi_targets"),
]
