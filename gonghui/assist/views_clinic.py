"""技术门诊 pages: the dispatcher's queue (desk), the expert's and the enterprise's phone pages,
asking with similar solved cases shown while typing, the question page with the actions the
user's role and the status allow, and the knowledge base search."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import is_staff_somewhere
from gonghui.assist import clinic as svc
from gonghui.assist import forms_clinic as f
from gonghui.assist import selectors_clinic as sel
from gonghui.assist.models import ClinicQuestion, DemandPhoto, Urgency
from gonghui.core.errors import DomainError, NotFound
from gonghui.core.filters import StyledFilterSet
from gonghui.core.http import AuthedRequest
from gonghui.core.listing import Column, render_list

S = ClinicQuestion.Status
PHONE_LIST_LIMIT = 50
YES_NO = [("", "全部"), ("true", "是"), ("false", "否")]


class ClinicFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=S.choices)
    urgency = django_filters.ChoiceFilter(
        label="紧急程度", field_name="demand__urgency", choices=Urgency.choices
    )
    confidential = django_filters.BooleanFilter(
        label="涉密", field_name="demand__confidential", widget=forms.Select(choices=YES_NO)
    )
    overdue = django_filters.BooleanFilter(
        label="已超期", method="filter_overdue", widget=forms.Select(choices=YES_NO)
    )
    title = django_filters.CharFilter(label="问题", field_name="demand__title", lookup_expr="icontains")
    enterprise = django_filters.CharFilter(
        label="企业", field_name="demand__enterprise__name", lookup_expr="icontains"
    )

    class Meta:
        model = ClinicQuestion
        fields = ["status"]

    def filter_overdue(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        late = sel.overdue_q()
        return queryset.filter(late) if value else queryset.exclude(late)


class _Link(str):
    """A cell that is plain text in the export and a link to the question on the page."""

    url: str

    def __new__(cls, text: str, url: str) -> _Link:
        obj = super().__new__(cls, text)
        obj.url = url
        return obj

    def __html__(self) -> str:
        return str(format_html('<a href="{}">{}</a>', self.url, str(self)))


def question_url(question: ClinicQuestion) -> str:
    return reverse("assist:clinic_detail", args=[question.pk])


def _title(question: ClinicQuestion) -> _Link:
    return _Link(question.demand.title, question_url(question))


def _due(question: ClinicQuestion) -> str:
    """The deadline while it runs (no answer yet), flagged when overdue."""
    if question.status not in sel.UNANSWERED:
        return ""
    flag = "（已超期）" if sel.is_overdue(question) else ""
    return f"{question.first_answer_due:%Y-%m-%d}{flag}"


COLUMNS = [
    Column("问题", _title, sort="demand__title"),
    Column("企业", "demand.enterprise.name", sort="demand__enterprise__name"),
    Column("紧急程度", "demand.urgency", sort="demand__urgency"),
    Column("涉密", lambda q: "涉密" if q.demand.confidential else ""),
    Column("状态", "status", sort="status"),
    Column("首次答复期限", _due, sort="first_answer_due"),
    Column("专家", "expert_count", sort="expert_count"),
    Column("解答", "answer_count", sort="answer_count"),
    Column("升级为", "escalated_to"),
    Column("评分", "rating", sort="rating"),
    Column("提问时间", "demand.created_at", sort="demand__created_at"),
]


@login_required
def clinic_list(request: AuthedRequest) -> HttpResponse:
    """Staff: the queue of their subtree with overdue flags; experts: questions to claim and
    their own; enterprise contacts: their questions."""
    user = request.user
    can_ask = sel.contact_enterprises(user=user).exists()
    if is_staff_somewhere(user):
        queue = sel.clinic_staff_queue(user=user)
        return render_list(
            request,
            queryset=queue,
            columns=COLUMNS,
            title="技术门诊",
            filterset_class=ClinicFilter,
            export_name="assist-clinic",
            default_sort="first_answer_due",
            template="assist/clinic_list.html",
            extra={"overdue_count": queue.filter(sel.overdue_q()).count(), "can_ask": can_ask},
        )
    craftsman = sel.craftsman_of(user)
    context: dict[str, Any] = {
        "title": "技术门诊",
        "craftsman": craftsman,
        "can_ask": can_ask,
        "today": timezone.localdate(),
    }
    if craftsman is not None:
        context["open_questions"] = list(sel.clinic_open_for_claim(craftsman=craftsman)[:PHONE_LIST_LIMIT])
        context["my_questions"] = list(sel.clinic_assigned_to(craftsman=craftsman)[:PHONE_LIST_LIMIT])
    else:
        context["asked"] = list(sel.clinic_asked_by(user=user)[:PHONE_LIST_LIMIT])
    return render(request, "assist/clinic_home.html", context)


@login_required
def clinic_ask(request: AuthedRequest) -> HttpResponse:
    """The phone form; similar solved cases appear while typing (``clinic_similar``)."""
    enterprises = sel.contact_enterprises(user=request.user)
    if not enterprises.exists():
        raise NotFound("只有企业联系人可以提问")
    form = f.AskForm(request.POST or None, request.FILES or None, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            question = svc.clinic_ask(
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
            messages.success(
                request, f"问题已提交，专家将在 {question.first_answer_due:%m月%d日} 前首次答复。"
            )
            return redirect("assist:clinic_detail", question.pk)
    return render(request, "assist/clinic_ask.html", {"title": "我要提问", "form": form})


@login_required
def clinic_similar(request: AuthedRequest) -> HttpResponse:
    """htmx fragment: solved cases like the question being typed."""
    text = " ".join(request.GET.get(k, "")[:500] for k in ("title", "equipment_model", "description"))
    cases = sel.knowledge_search(user=request.user, text=text, limit=3)
    return render(request, "assist/clinic_similar.html", {"cases": cases})


@login_required
def clinic_detail(request: AuthedRequest, question_id: int) -> HttpResponse:
    question = sel.clinic_get_for_user(user=request.user, question_id=question_id)
    detail = sel.clinic_detail(question=question)
    actions = sel.clinic_actions(user=request.user, question=question, assignments=detail["assignments"])
    demand = question.demand
    similar: list[sel.KnowledgeCase] = []
    experts: list[sel.SuggestedExpert] = []
    if question.status != S.CLOSED:
        similar = sel.knowledge_search(
            user=request.user,
            text=f"{demand.title} {demand.equipment_model} {demand.description}",
            industry=demand.industry or None,
            limit=3,
            exclude_id=question.pk,
        )
    if (actions.dispatcher or actions.asker) and question.status in sel.CLAIMABLE:
        experts = sel.suggested_experts(question=question)
    action_forms: dict[str, Any] = {
        "answer_form": f.AnswerForm(),
        "escalate_form": f.EscalateForm(),
        "close_form": f.CloseForm(),
    }
    if actions.assign:
        action_forms["assign_form"] = f.AssignForm(
            craftsmen=sel.assignable_craftsmen(
                user=request.user, question=question, suggested_ids=[e.craftsman_id for e in experts]
            )
        )
    if actions.accept:
        action_forms["accept_form"] = f.AcceptForm(question=question)
    return render(
        request,
        "assist/clinic_detail.html",
        {
            "title": demand.title,
            "question": question,
            "demand": demand,
            "overdue": sel.is_overdue(question),
            "actions": actions,
            "similar": similar,
            "experts": experts,
            **detail,
            **action_forms,
        },
    )


def _form_error(bound: Any) -> DomainError:
    text = "；".join(
        f"{bound.fields[k].label}：{' '.join(v)}" if k in bound.fields else " ".join(v)
        for k, v in bound.errors.items()
    )
    return DomainError("form_invalid", text or "输入有误")


def _run(request: AuthedRequest, question: ClinicQuestion, action: str) -> str:
    """Bind the action's form and call its service; returns the success message."""
    user, post = request.user, request.POST
    if action == "claim":
        svc.clinic_claim(question=question, actor=user)
        return "已认领，请在期限内解答"
    if action == "assign":
        experts = sel.suggested_experts(question=question)
        form = f.AssignForm(
            post,
            craftsmen=sel.assignable_craftsmen(
                user=user, question=question, suggested_ids=[e.craftsman_id for e in experts]
            ),
        )
        if not form.is_valid():
            raise _form_error(form)
        craftsman = form.cleaned_data["craftsman"]
        shown = next((e for e in experts if e.craftsman_id == craftsman.pk), None)
        svc.clinic_assign(
            question=question,
            actor=user,
            craftsman=craftsman,
            shown_rank=shown.rank if shown else None,
            shown_score=shown.score if shown else None,
        )
        return f"已分派给{craftsman.name}"
    if action == "answer":
        answer_form = f.AnswerForm(post)
        if not answer_form.is_valid():
            raise _form_error(answer_form)
        svc.clinic_answer(question=question, actor=user, text=answer_form.cleaned_data["text"])
        return "解答已提交，已通知提问企业"
    if action == "accept":
        accept_form = f.AcceptForm(post, question=question)
        if not accept_form.is_valid():
            raise _form_error(accept_form)
        d = accept_form.cleaned_data
        svc.clinic_accept(
            question=question, actor=user, answer=d["answer"], rating=d["rating"], comment=d["rating_comment"]
        )
        return "已采纳并评价，感谢您的反馈"
    if action == "escalate":
        escalate_form = f.EscalateForm(post)
        if not escalate_form.is_valid():
            raise _form_error(escalate_form)
        moved = svc.clinic_escalate(question=question, actor=user, **escalate_form.cleaned_data)
        return f"已升级为{moved.get_escalated_to_display()}"
    if action == "close":
        close_form = f.CloseForm(post)
        if not close_form.is_valid():
            raise _form_error(close_form)
        closed = svc.clinic_close(question=question, actor=user, comment=close_form.cleaned_data["comment"])
        return "已关闭，案例已进入知识库" if closed.in_knowledge_base else "已关闭"
    raise Http404


@login_required
@require_POST
def clinic_action(request: AuthedRequest, question_id: int, action: str) -> HttpResponse:
    question = sel.clinic_get_for_user(user=request.user, question_id=question_id)
    try:
        messages.success(request, _run(request, question, action))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("assist:clinic_detail", question.pk)


@login_required
def clinic_photo(request: AuthedRequest, photo_id: int) -> FileResponse:
    """A question's photo, for whoever may see the question."""
    photo = (
        DemandPhoto.objects.filter(
            pk=photo_id, demand__clinic__in=sel.clinic_question_list(user=request.user)
        )
        .only("file", "name")
        .first()
    )
    if photo is None:
        raise Http404
    return FileResponse(photo.file.open("rb"), filename=photo.name)


@login_required
def clinic_knowledge(request: AuthedRequest) -> HttpResponse:
    """Search the knowledge base: closed cases with their accepted answer."""
    form = f.KnowledgeSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    cases = (
        sel.knowledge_search(user=request.user, text=query, limit=20)
        if query
        else sel.knowledge_latest(user=request.user)
    )
    return render(
        request,
        "assist/clinic_knowledge.html",
        {"title": "门诊知识库", "form": form, "query": query, "cases": cases},
    )


urlpatterns: list[URLPattern] = [
    path("clinic/", clinic_list, name="clinic_list"),
    path("clinic/ask/", clinic_ask, name="clinic_ask"),
    path("clinic/similar/", clinic_similar, name="clinic_similar"),
    path("clinic/knowledge/", clinic_knowledge, name="clinic_knowledge"),
    path("clinic/photos/<int:photo_id>/", clinic_photo, name="clinic_photo"),
    path("clinic/<int:question_id>/", clinic_detail, name="clinic_detail"),
    path("clinic/<int:question_id>/<slug:action>/", clinic_action, name="clinic_action"),
]
