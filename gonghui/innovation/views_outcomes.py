"""Outcome pages: the worker's phone pages (my outcomes, filing with the similar-outcome
warning, status and reply) and the desk pages (list, review queue, detail with the actions the
current status allows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.core.errors import DomainError, NotFound
from gonghui.core.filters import StyledFilterSet
from gonghui.core.http import AuthedRequest
from gonghui.core.listing import Column, render_list
from gonghui.innovation import forms as f
from gonghui.innovation import outcomes as svc
from gonghui.innovation import selectors
from gonghui.innovation.config import config_for
from gonghui.innovation.models import Nomination, Outcome, OutcomeAttachment
from gonghui.members.models import Member

S = Outcome.Status


def _staff(request: AuthedRequest) -> None:
    if not is_staff_somewhere(request.user):
        raise Http404


def _member(request: AuthedRequest) -> Member | None:
    return Member.objects.filter(user=request.user).select_related("org_unit", "employer").first()


class OutcomeFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=S.choices)
    type = django_filters.ChoiceFilter(label="类型", choices=Outcome.Type.choices)
    title = django_filters.CharFilter(label="名称", lookup_expr="icontains")
    overdue = django_filters.BooleanFilter(label="已超期", method="filter_overdue")

    class Meta:
        model = Outcome
        fields = ["status", "type", "title"]

    def filter_overdue(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        late = queryset.filter(status__in=svc.DEADLINE_STATUSES, due_on__lt=timezone.localdate())
        return late if value else queryset.exclude(pk__in=late.values("pk"))


def _due(outcome: Outcome) -> str:
    if outcome.due_on is None or outcome.status not in svc.DEADLINE_STATUSES:
        return ""
    return f"{outcome.due_on:%Y-%m-%d}{'（已超期）' if svc.is_overdue(outcome) else ''}"


OUTCOME_COLUMNS = [
    Column("名称", "title", sort="title", link=True),
    Column("类型", lambda o: o.type_label, sort="type"),
    Column("所属工会", "org_unit.name"),
    Column("企业", "enterprise.name"),
    Column("状态", "status", sort="status"),
    Column("办理期限", _due, sort="due_on"),
    Column("预计年效益", "estimated_benefit", sort="estimated_benefit"),
    Column("核验年效益", "verified_benefit", sort="verified_benefit"),
    Column("等级", "grade_label", sort="grade"),
    Column("提交时间", "submitted_at", sort="submitted_at"),
]


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Staff go to the outcome list; workers see their own outcomes (phone page)."""
    if is_staff_somewhere(request.user):
        return redirect("innovation:outcome_list")
    member = _member(request)
    outcomes = selectors.outcome_list(user=request.user).filter(proposer=request.user).order_by("-created_at")
    panels = list(selectors.judge_panels(user=request.user)[:5])
    return render(
        request,
        "innovation/worker_home.html",
        {"title": "我的创新", "outcomes": outcomes, "member": member, "panels": panels},
    )


@login_required
def outcome_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.outcome_list(user=request.user),
        columns=OUTCOME_COLUMNS,
        title="创新成果",
        filterset_class=OutcomeFilter,
        export_name="innovation-outcomes",
        default_sort="-created_at",
        template="innovation/outcome_list.html",
    )


@login_required
def review_queue(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return render_list(
        request,
        queryset=selectors.review_queue(user=request.user),
        columns=OUTCOME_COLUMNS,
        title="待办成果（受理 / 评审）",
        export_name="innovation-queue",
        default_sort="due_on",
    )


def _filing_unit(request: AuthedRequest) -> Any:
    """Workers file for their own union; staff pick via ?unit= among units they review."""
    member = _member(request)
    if member is not None:
        return member.org_unit
    raise NotFound("只有会员可以在手机端提交成果")


@login_required
def outcome_create(request: AuthedRequest) -> HttpResponse:
    """The phone filing form; similar outcomes are shown while typing and before filing."""
    unit = _filing_unit(request)
    config = config_for(unit)
    member = _member(request)
    initial = {"team": f"{member.name} 100" if member else ""}
    form = f.OutcomeForm(request.POST or None, initial=initial, five_small_labels=config.five_small_labels)
    similar_rows: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        found = selectors.similar_outcomes(
            org_unit=unit, title=d["title"], text=f"{d['situation']} {d['measures']}"
        )
        similar_rows = selectors.similar_outcome_rows(found=found)
        if similar_rows and not request.POST.get("confirm_similar"):
            messages.warning(request, "发现相似成果，请确认不是重复提交后再提交。")
        else:
            try:
                outcome = svc.outcome_create(
                    actor=request.user,
                    org_unit=unit,
                    type=d["type"],
                    subtype=d["subtype"],
                    title=d["title"],
                    situation=d["situation"],
                    measures=d["measures"],
                    effect=d["effect"],
                    tags=d["tags"],
                    estimated_benefit=d["estimated_benefit"],
                    team=d["team"],
                    submit=request.POST.get("action") != "draft",
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    "已提交，工会将在规定时限内受理。" if outcome.status == S.SUBMITTED else "草稿已保存。",
                )
                return redirect("innovation:outcome_detail", outcome.pk)
    return render(
        request,
        "innovation/outcome_form.html",
        {"title": "提交创新成果", "form": form, "similar": similar_rows, "unit": unit},
    )


@login_required
def outcome_similar(request: AuthedRequest) -> HttpResponse:
    """htmx fragment: similar existing outcomes for the title/measures being typed."""
    unit = _filing_unit(request)
    title = request.GET.get("title", "")[:120]
    text = f"{request.GET.get('situation', '')[:500]} {request.GET.get('measures', '')[:500]}"
    rows = selectors.similar_outcome_rows(
        found=selectors.similar_outcomes(org_unit=unit, title=title, text=text)
    )
    return render(request, "innovation/_similar.html", {"similar": rows})


def _actions(request: AuthedRequest, outcome: Outcome) -> dict[str, Any]:
    """Which action forms the detail page offers (the services check again on POST)."""
    review = can(request.user, "review", outcome.org_unit)
    manage = can(request.user, "manage", outcome.org_unit)
    proposer = outcome.proposer_id == request.user.pk
    st = outcome.status
    return {
        "submit": st == S.DRAFT and (proposer or review),
        "accept": review and st == S.SUBMITTED,
        "start_review": review and st == S.ACCEPTED,
        "decide": review and st in (S.SUBMITTED, S.IN_REVIEW, S.TRIAL),
        "implement": review and st == S.ADOPTED,
        "benefit": review and st in (S.IMPLEMENTED, S.BENEFIT_CALCULATED),
        "verify": review and st == S.BENEFIT_CALCULATED,
        "reward": manage and st == S.GRADED,
        "archive": review and st in (S.GRADED, S.REWARDED, S.SHELVED, S.DECLINED),
        "reopen": review and st == S.SHELVED,
        "reply": proposer and st in svc.NEEDS_REASON,
        "attach": (proposer or review) and st != S.ARCHIVED,
        "nominate": review and st in (S.GRADED, S.REWARDED, S.ARCHIVED),
        "staff": review,
    }


@login_required
def outcome_detail(request: AuthedRequest, outcome_id: int) -> HttpResponse:
    outcome = selectors.outcome_get_for_user(user=request.user, outcome_id=outcome_id)
    actions = _actions(request, outcome)
    forms_: dict[str, Any] = {
        "decide_form": f.DecideForm(),
        "comment_form": f.CommentForm(),
        "reply_form": f.ReplyForm(),
        "implement_form": f.ImplementForm(initial={"implemented_on": timezone.localdate()}),
        "benefit_form": f.BenefitForm(initial={"first_benefit_on": outcome.implemented_on}),
        "verify_form": f.VerifyForm(initial={"amount": outcome.calculated_benefit}),
        "reward_form": f.RewardForm(),
        "patent_form": f.PatentForm(),
        "nominate_form": f.NominateForm(),
        "attach_form": f.AttachForm(),
    }
    similar_rows: list[dict[str, Any]] = []
    if actions["accept"]:  # staff deciding whether to accept see possible duplicates too
        found = selectors.similar_outcomes(
            org_unit=outcome.org_unit, title=outcome.title, text=outcome.measures, exclude_id=outcome.pk
        )
        similar_rows = selectors.similar_outcome_rows(found=found)
    return render(
        request,
        "innovation/outcome_detail.html",
        {
            "title": outcome.title,
            "outcome": outcome,
            "overdue": svc.is_overdue(outcome),
            "actions": actions,
            "similar": similar_rows,
            **selectors.outcome_detail(outcome=outcome),
            **forms_,
        },
    )


def _run(request: AuthedRequest, outcome: Outcome, action: str) -> str:
    """Bind the action's form and call its service; returns the success message."""
    user, post = request.user, request.POST
    simple: dict[str, Callable[..., Outcome]] = {
        "submit": svc.outcome_submit,
        "accept": svc.outcome_accept,
        "start_review": svc.outcome_start_review,
        "archive": svc.outcome_archive,
        "reopen": svc.outcome_reopen,
    }
    if action == "submit":
        svc.outcome_submit(outcome=outcome, actor=user)
        return "已提交"
    if action in simple:
        simple[action](outcome=outcome, actor=user, comment=post.get("comment", ""))
        return "已办理"
    bound: Any
    if action == "decide":
        bound = f.DecideForm(post)
        if bound.is_valid():
            svc.outcome_decide(outcome=outcome, actor=user, **bound.cleaned_data)
            return "评审结论已记录，并已通知提交人"
    elif action == "reply":
        bound = f.ReplyForm(post)
        if bound.is_valid():
            svc.outcome_record_reply(outcome=outcome, actor=user, reply=bound.cleaned_data["reply"])
            return "回复已记录"
    elif action == "implement":
        bound = f.ImplementForm(post)
        if bound.is_valid():
            svc.outcome_implement(
                outcome=outcome, actor=user, implemented_on=bound.cleaned_data["implemented_on"]
            )
            return "已登记实施"
    elif action == "benefit":
        bound = f.BenefitForm(post)
        if bound.is_valid():
            svc.outcome_calculate_benefit(
                outcome=outcome,
                actor=user,
                first_benefit_on=bound.cleaned_data["first_benefit_on"],
                lines=bound.lines(),
            )
            return "效益已核算"
    elif action == "verify":
        bound = f.VerifyForm(post)
        if bound.is_valid():
            moved = svc.outcome_verify_benefit(outcome=outcome, actor=user, **bound.cleaned_data)
            return f"效益已核验，评为{moved.grade_label}"
    elif action == "reward":
        bound = f.RewardForm(post)
        if bound.is_valid():
            svc.outcome_reward(outcome=outcome, actor=user, **bound.cleaned_data)
            return "奖励已发放"
    elif action == "patent":
        bound = f.PatentForm(post)
        if bound.is_valid():
            svc.outcome_add_patent(outcome=outcome, actor=user, **bound.cleaned_data)
            return "专利已登记"
    elif action == "nominate":
        bound = f.NominateForm(post)
        if bound.is_valid():
            nomination = svc.outcome_nominate(outcome=outcome, actor=user, **bound.cleaned_data)
            if nomination.status == Nomination.Status.INELIGIBLE:
                raise DomainError("not_eligible", "不符合推荐条件，原因见资格审查记录")
            return "已推荐，资格审查通过"
    elif action == "attach":
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("attachment_invalid", "请选择要上传的文件", field="file")
        svc.outcome_attach(outcome=outcome, actor=user, upload=upload)
        return "附件已上传"
    else:
        raise Http404
    errors = "；".join(
        f"{bound.fields[k].label if k in bound.fields else ''}{'：' if k in bound.fields else ''}{' '.join(v)}"
        for k, v in bound.errors.items()
    )
    raise DomainError("form_invalid", errors or "输入有误")


@login_required
@require_POST
def outcome_action(request: AuthedRequest, outcome_id: int, action: str) -> HttpResponse:
    outcome = selectors.outcome_get_for_user(user=request.user, outcome_id=outcome_id)
    try:
        messages.success(request, _run(request, outcome, action))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("innovation:outcome_detail", outcome.pk)


@login_required
def attachment_download(request: AuthedRequest, attachment_id: int) -> FileResponse:
    attachment = OutcomeAttachment.objects.filter(
        pk=attachment_id, outcome__in=selectors.outcome_list(user=request.user)
    ).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), filename=attachment.name)


urlpatterns = [
    path("", home, name="home"),
    path("outcomes/", outcome_list, name="outcome_list"),
    path("outcomes/queue/", review_queue, name="review_queue"),
    path("outcomes/new/", outcome_create, name="outcome_create"),
    path("outcomes/similar/", outcome_similar, name="outcome_similar"),
    path("outcomes/<int:outcome_id>/", outcome_detail, name="outcome_detail"),
    path("outcomes/<int:outcome_id>/<slug:action>/", outcome_action, name="outcome_action"),
    path("attachments/<int:attachment_id>/", attachment_download, name="attachment_download"),
]
