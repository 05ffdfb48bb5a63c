"""Evaluation and roadshow pages (评审 / 路演): the staff list and set-up form, the host's
console, the projector screen (polled by htmx), the judges' phone pages, results and
certificates. Thin: selectors read, services write, a ``DomainError`` becomes a form error or
a message. "Not found" and "not yours" are the same 404.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.core.errors import DomainError
from gonghui.core.http import AuthedRequest, download_response
from gonghui.core.listing import Column, render_list
from gonghui.core.scoping import granted_paths, subtree_q
from gonghui.core.tabular import build_xlsx
from gonghui.innovation import certificates, selectors
from gonghui.innovation import evaluations as svc
from gonghui.innovation.engine import DEFAULT_RUBRIC, METHODS
from gonghui.innovation.engine.rubric import round_cent
from gonghui.innovation.models import Assignment, Entry, Evaluation, Outcome, Rubric
from gonghui.orgs.models import OrgUnit

E = Evaluation.Status
P = Evaluation.Phase
OUTCOME_CHOICES_LIMIT = 300


# --- helpers ---------------------------------------------------------------------------------


def _staff_evaluation(request: AuthedRequest, evaluation_id: int) -> Evaluation:
    """An evaluation the user views as staff of the host's subtree. Judges reach an evaluation
    only through their own sheet: the screen, board and results are staff pages."""
    evaluation = selectors.evaluation_list(user=request.user).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise Http404
    return evaluation


def _managed_evaluation(request: AuthedRequest, evaluation_id: int) -> Evaluation:
    return selectors.evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id, action="manage")


def _entry_of(evaluation: Evaluation, entry_id: int) -> Entry:
    entry = next((e for e in selectors.results(evaluation=evaluation) if e.pk == entry_id), None)
    if entry is None:
        raise Http404
    return entry


def method_label(method: str) -> str:
    """``z_score+trimmed_mean/mean`` as people read it."""
    if not method:
        return ""
    normalised, _sep, rest = method.rpartition("+")
    label = "、".join(METHODS.get(code, code) for code in rest.split("/") if code)
    return f"按评委标准化（z 分数）后，{label}" if normalised else label


def _timer_seconds(evaluation: Evaluation) -> int | None:
    if evaluation.phase == P.PRESENTING:
        return evaluation.presentation_seconds
    if evaluation.phase == P.QA:
        return evaluation.qa_seconds
    return None


def _board_context(evaluation: Evaluation) -> dict[str, Any]:
    """The board selector's rows plus what the screen shows of them: per-seat progress dots
    and, once every expected judge has scored, the entry's average so far (the final method
    applies at close)."""
    board = selectors.evaluation_board(evaluation=evaluation)
    rows = board["entries"]
    for row in rows:
        totals = [a.total for a in row["assignments"] if a.total is not None]
        row["complete"] = row["expected"] > 0 and row["scored"] >= row["expected"]
        row["average"] = round_cent(sum(totals, Decimal(0)) / len(totals)) if row["complete"] else None
        row["seats"] = [
            {"seat": a.judge.seat, "state": "excused" if a.excused else ("done" if a.scores else "pending")}
            for a in row["assignments"]
        ]
    position, current = next(
        ((i, r) for i, r in enumerate(rows, start=1) if r["entry"].pk == evaluation.current_entry_id),
        (None, None),
    )
    ranking = sorted(
        (r for r in rows if r["entry"].rank is not None), key=lambda r: (r["entry"].rank, r["entry"].order)
    )
    seconds = _timer_seconds(evaluation)
    started_ms = int(evaluation.phase_started_at.timestamp() * 1000) if evaluation.phase_started_at else None
    remaining = None
    if seconds is not None and started_ms is not None:
        remaining = seconds - int(time.time() - started_ms / 1000)
    shown = max(0, min(remaining if remaining is not None else 0, seconds or 0))
    return {
        "evaluation": evaluation,
        "rows": rows,
        "judges": board["judges"],
        "current": current,
        "position": position,
        "ranking": ranking,
        "timer_seconds": seconds,
        "timer_started_ms": started_ms,
        "server_now_ms": int(time.time() * 1000),
        "remaining": remaining,
        "remaining_text": f"{shown // 60:02d}:{shown % 60:02d}",
        "phases": [(P.PRESENTING, _("陈述")), (P.QA, _("答辩")), (P.SCORING, _("打分"))],
        "method": method_label(evaluation.method),
    }


# --- the set-up form -----------------------------------------------------------------------------


def host_units(user: User) -> QuerySet[OrgUnit]:
    """Unions the user can host an evaluation for: the nodes they administer."""
    if user.is_superuser:
        return OrgUnit.objects.exclude(level__in=[OrgUnit.Level.COMMUNITY, OrgUnit.Level.ENTERPRISE])
    return OrgUnit.objects.filter(path__in=granted_paths(user, "manage"))


def judge_candidates(user: User) -> QuerySet[User]:
    """Users holding the judge role (专家评委) at a node the user administers, below it, or above
    it (a city's 大国工匠 judge district roadshows)."""
    judge_grants = RoleGrant.objects.filter(role=Role.JUDGE, revoked_at__isnull=True)
    if not user.is_superuser:
        paths = granted_paths(user, "manage")
        ancestors = {p[:i] for p in paths for i in range(OrgUnit.steplen, len(p), OrgUnit.steplen)}
        judge_grants = judge_grants.filter(
            subtree_q("org_unit__path", paths) | Q(org_unit__path__in=ancestors)
        )
    return User.objects.filter(pk__in=judge_grants.values("user_id"), is_active=True).order_by(
        "display_name", "username"
    )


WIDGET_CLASS = {
    "blind": "form-check-input",
    "kind": "form-select",
    "org_unit": "form-select",
    "rubric": "form-select",
}
DEFAULT_JUDGE_TITLE = "大国工匠"


class EvaluationForm(forms.Form):
    """The plain fields; outcomes (with their running order) and judges (with a title) are
    read from the rows of the two pick tables."""

    title = forms.CharField(label=_l("名称"), max_length=120)
    kind = forms.ChoiceField(
        label=_l("方式"), choices=Evaluation.Kind.choices, initial=Evaluation.Kind.ROADSHOW
    )
    held_on = forms.DateField(label=_l("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label=_l("地点"), max_length=120, required=False)
    org_unit = forms.ModelChoiceField(label=_l("主办工会"), queryset=OrgUnit.objects.none(), empty_label=None)
    rubric = forms.ModelChoiceField(label=_l("评分细则"), queryset=Rubric.objects.none(), empty_label=None)
    blind = forms.BooleanField(label=_l("匿名评审（隐去完成人和单位，大屏只显示项目编号）"), required=False)
    presentation_minutes = forms.IntegerField(
        label=_l("陈述时长（分钟）"), min_value=1, max_value=60, initial=5
    )
    qa_minutes = forms.IntegerField(label=_l("答辩时长（分钟）"), min_value=0, max_value=60, initial=3)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = host_units(user)  # type: ignore[attr-defined]
        self.fields["rubric"].queryset = Rubric.objects.visible_to(user)  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", WIDGET_CLASS.get(name, "form-control"))
        self.outcome_rows = list(
            selectors.outcome_list(user=user, action="manage")
            .filter(status__in=svc.ELIGIBLE_STATUSES)
            .order_by("-id")[:OUTCOME_CHOICES_LIMIT]
        )
        self.judge_rows = list(judge_candidates(user))
        picked = set(self._values("outcomes"))
        for index, outcome in enumerate(self.outcome_rows):
            outcome.index = index  # type: ignore[attr-defined]
            outcome.picked = str(outcome.pk) in picked  # type: ignore[attr-defined]
            outcome.order_value = self.data.get(f"order_{outcome.pk}", "")  # type: ignore[attr-defined]
        picked = set(self._values("judges"))
        for judge in self.judge_rows:
            judge.picked = str(judge.pk) in picked  # type: ignore[attr-defined]
            judge.title_value = self.data.get(f"title_{judge.pk}", DEFAULT_JUDGE_TITLE)  # type: ignore[attr-defined]

    def _values(self, key: str) -> list[str]:
        """Every value of a repeated field (``self.data`` is the POST QueryDict, or empty)."""
        getlist = getattr(self.data, "getlist", None)
        return [str(v) for v in getlist(key)] if getlist else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = set(self._values("outcomes"))
        picked = [o for o in self.outcome_rows if str(o.pk) in chosen]
        if len(picked) != len(chosen):
            self.add_error(None, _("所选成果不可用，请刷新后重试"))

        def place(outcome: Outcome) -> tuple[int, int]:
            raw = str(self.data.get(f"order_{outcome.pk}", "")).strip()
            return (int(raw) if raw.isdigit() else 10_000, outcome.index)  # type: ignore[attr-defined]

        cleaned["outcomes"] = sorted(picked, key=place)
        picked_judges = set(self._values("judges"))
        judges = [j for j in self.judge_rows if str(j.pk) in picked_judges]
        if len(judges) != len(picked_judges):
            self.add_error(None, _("所选评委不可用，请刷新后重试"))
        cleaned["judges"] = [(j, str(self.data.get(f"title_{j.pk}", "")).strip()[:60]) for j in judges]
        return cleaned


FIELD_OF = {"presentation_seconds": "presentation_minutes", "name": "rubric", "criteria": "rubric"}


@login_required
def evaluation_create(request: AuthedRequest) -> HttpResponse:
    if not host_units(request.user).exists():
        raise Http404
    form = EvaluationForm(request.POST or None, user=request.user, initial={"held_on": timezone.localdate()})
    pick_errors: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("action") == "default_rubric":
        unit = (
            host_units(request.user).filter(pk=request.POST.get("org_unit") or 0).first()
            or host_units(request.user).order_by("depth", "path").first()
        )
        try:
            svc.rubric_create(actor=request.user, org_unit=unit, name=DEFAULT_RUBRIC.name)  # type: ignore[arg-type]
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已创建默认评分细则"))
        return redirect("innovation:evaluation_create")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evaluation = svc.evaluation_create(
                actor=request.user,
                org_unit=data["org_unit"],
                title=data["title"],
                rubric=data["rubric"],
                held_on=data["held_on"],
                outcomes=data["outcomes"],
                judges=data["judges"],
                kind=data["kind"],
                blind=data["blind"],
                venue=data["venue"],
                presentation_seconds=data["presentation_minutes"] * 60,
                qa_seconds=data["qa_minutes"] * 60,
            )
        except DomainError as exc:
            field = FIELD_OF.get(exc.field or "", exc.field)
            if field in {"outcomes", "judges"}:
                pick_errors[field] = exc.message
            else:
                form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已创建，开始前可在此页检查出场顺序和评委"))
            return redirect("innovation:evaluation_detail", evaluation.pk)
    return render(
        request,
        "innovation/evaluation_form.html",
        {"title": _("新建路演"), "form": form, "pick_errors": pick_errors},
    )


# --- staff pages --------------------------------------------------------------------------------


EVALUATION_COLUMNS = [
    Column("名称", "title", sort="title"),
    Column("方式", "kind", sort="kind"),
    Column("日期", "held_on", sort="held_on"),
    Column("地点", "venue"),
    Column("主办工会", "org_unit.name", sort="org_unit__path"),
    Column("评分细则", "rubric.name"),
    Column("匿名", lambda e: _("是") if e.blind else _("否")),
    Column("状态", "status", sort="status"),
    Column("计分方法", lambda e: method_label(e.method)),
]


@login_required
def evaluation_list(request: AuthedRequest) -> HttpResponse:
    if not is_staff_somewhere(request.user):
        return redirect("innovation:judge_home")
    queryset = selectors.evaluation_list(user=request.user)
    if request.GET.get("status") in E.values:
        queryset = queryset.filter(status=request.GET["status"])
    return render_list(
        request,
        queryset=queryset,
        columns=EVALUATION_COLUMNS,
        title=_("评审路演"),
        export_name="innovation-evaluations",
        default_sort="-held_on",
        extra={"statuses": E.choices, "can_create": host_units(request.user).exists()},
        template="innovation/evaluation_list.html",
    )


@login_required
def evaluation_detail(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    """The host's console: running order with progress, start / phase / close."""
    evaluation = _staff_evaluation(request, evaluation_id)
    context = _board_context(evaluation)
    return render(
        request,
        "innovation/evaluation_detail.html",
        {
            **context,
            "title": evaluation.title,
            "can_manage": can(request.user, "manage", evaluation.org_unit),
            "criteria": svc.engine_rubric(evaluation.rubric).criteria,
        },
    )


@login_required
@require_POST
def evaluation_start(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    evaluation = _managed_evaluation(request, evaluation_id)
    try:
        svc.evaluation_start(evaluation=evaluation, actor=request.user)
        messages.success(request, _("评审已开始，评委可以在手机上打分"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("innovation:evaluation_detail", evaluation.pk)


@login_required
@require_POST
def evaluation_phase(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    evaluation = _managed_evaluation(request, evaluation_id)
    raw = request.POST.get("entry", "")
    entry = _entry_of(evaluation, int(raw) if raw.isdigit() else 0)
    try:
        svc.roadshow_set_phase(
            evaluation=evaluation, actor=request.user, entry=entry, phase=request.POST.get("phase", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("innovation:evaluation_detail", evaluation.pk)


@login_required
@require_POST
def evaluation_close(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    evaluation = _managed_evaluation(request, evaluation_id)
    try:
        svc.evaluation_close(evaluation=evaluation, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("innovation:evaluation_detail", evaluation.pk)
    messages.success(request, _("评审已结束，成绩已锁定"))
    return redirect("innovation:evaluation_results", evaluation.pk)


@login_required
def evaluation_screen(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    """The projector page (1920×1080): current entry, phase timer, the board as scores arrive."""
    evaluation = _staff_evaluation(request, evaluation_id)
    return render(request, "innovation/evaluation_screen.html", _board_context(evaluation))


@login_required
def evaluation_board(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    """The fragment the screen (and, with ``?mode=host``, the console) polls every 2 s."""
    evaluation = _staff_evaluation(request, evaluation_id)
    context = _board_context(evaluation)
    # 286 tells htmx to stop polling: after close the board shows the final ranking for good.
    status = 286 if evaluation.status == E.CLOSED else 200
    if request.GET.get("mode") == "host":
        context["can_manage"] = can(request.user, "manage", evaluation.org_unit)
        return render(request, "innovation/_board_host.html", context, status=status)
    return render(request, "innovation/_board.html", context, status=status)


RESULT_HEADERS = ["名次", "编号", "成果名称", "所在单位", "最终得分", "计分说明"]


@login_required
def evaluation_results(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    evaluation = _staff_evaluation(request, evaluation_id)
    entries = selectors.results(evaluation=evaluation)
    closed = evaluation.status == E.CLOSED
    if request.GET.get("export") == "xlsx":
        rows = [
            [
                e.rank if closed and e.rank else "",
                e.code,
                e.outcome.title,
                e.outcome.enterprise.name if e.outcome.enterprise else e.outcome.org_unit.name,
                str(e.final_score) if closed and e.final_score is not None else "",
                "；".join(e.explanation) if closed else "",
            ]
            for e in entries
        ]
        content = build_xlsx(RESULT_HEADERS, rows, sheet_title="评审结果")
        return download_response(content, f"{evaluation.title}-结果-{timezone.localdate():%Y%m%d}.xlsx")
    # The engine appends the panel's normalisation notes to every entry's explanation: the
    # page shows them once above the table (the export keeps each entry's full text).
    ranked = [e.explanation for e in entries if e.rank is not None]
    shared = (
        [line for line in ranked[0] if all(line in other for other in ranked[1:])] if len(ranked) > 1 else []
    )
    for entry in entries:
        entry.own_lines = [line for line in entry.explanation if line not in shared]  # type: ignore[attr-defined]
    return render(
        request,
        "innovation/evaluation_results.html",
        {
            "title": _("评审结果"),
            "evaluation": evaluation,
            "entries": entries,
            "closed": closed,
            "method": method_label(evaluation.method),
            "shared_lines": shared,
        },
    )


@login_required
def evaluation_certificate(request: AuthedRequest, evaluation_id: int, entry_id: int) -> HttpResponse:
    """荣誉证书 (PDF) of a ranked entry, once the session has closed."""
    evaluation = _staff_evaluation(request, evaluation_id)
    if evaluation.status != E.CLOSED:
        raise Http404
    entry = _entry_of(evaluation, entry_id)
    if entry.rank is None:
        raise Http404
    content = certificates.certificate_pdf(certificates.certificate_data(evaluation=evaluation, entry=entry))
    return download_response(content, f"荣誉证书-{entry.code}-{entry.outcome.title}.pdf", "application/pdf")


# --- judges' phone pages ---------------------------------------------------------------------


@login_required
def judge_home(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "innovation/judge_home.html",
        {"title": _("我的评审"), "panels": selectors.judge_panels(user=request.user)},
    )


@login_required
def judge_sheet(request: AuthedRequest, evaluation_id: int) -> HttpResponse:
    """The judge's entries in running order (only their own scores), the current one marked."""
    evaluation = selectors.evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
    assignments = selectors.judge_sheet(user=request.user, evaluation=evaluation)
    live = evaluation.status == E.LIVE
    for a in assignments:
        a.is_current = live and a.entry_id == evaluation.current_entry_id  # type: ignore[attr-defined]
    return render(
        request,
        "innovation/judge_sheet.html",
        {
            "title": evaluation.title,
            "evaluation": evaluation,
            "assignments": assignments,
            "judge": assignments[0].judge,
            "done": sum(1 for a in assignments if a.scores is not None or a.excused),
        },
    )


def _assignment(request: AuthedRequest, assignment_id: int) -> Assignment:
    return selectors.assignment_get_for_judge(user=request.user, assignment_id=assignment_id)


@login_required
def judge_score(request: AuthedRequest, assignment_id: int) -> HttpResponse:
    """The phone score sheet: 1–5 per criterion with the 1/3/5 anchors and a live total."""
    assignment = _assignment(request, assignment_id)
    evaluation = assignment.entry.evaluation
    rubric = svc.engine_rubric(evaluation.rubric)
    values: dict[str, str] = {k: str(v) for k, v in (assignment.scores or {}).items()}
    errors: dict[str, str] = {}
    reason = ""
    if request.method == "POST":
        values = {c.code: request.POST.get(c.code, "") for c in rubric.criteria}
        reason = request.POST.get("reason", "")
        try:
            done = svc.score_submit(
                assignment=assignment,
                actor=request.user,
                scores={k: v for k, v in values.items() if v},
                reason=reason,
            )
        except DomainError as exc:
            errors[exc.field or "general"] = exc.message
        else:
            messages.success(
                request,
                _("%(code)s 已提交：%(total)s 分") % {"code": assignment.entry.code, "total": done.total},
            )
            return redirect("innovation:judge_sheet", evaluation.pk)
    criteria = [
        {
            "code": c.code,
            "name": c.name,
            "weight": c.weight,
            "anchors": sorted(c.anchors.items()),
            "value": values.get(c.code, ""),
            "error": errors.get(c.code, ""),
        }
        for c in rubric.criteria
    ]
    return render(
        request,
        "innovation/judge_score.html",
        {
            "title": assignment.entry.code,
            "assignment": assignment,
            "entry": assignment.entry,
            "outcome": assignment.entry.outcome,
            "evaluation": evaluation,
            "criteria": criteria,
            "levels": range(1, 6),
            "errors": errors,
            "reason": reason,
            "closed": evaluation.status == E.CLOSED,
            "preparing": evaluation.status == E.PREPARING,
        },
    )


@login_required
@require_POST
def judge_conflict(request: AuthedRequest, assignment_id: int) -> HttpResponse:
    """申报回避: the judge is excused from the entry; a score already given is withdrawn."""
    assignment = _assignment(request, assignment_id)
    try:
        svc.judge_declare_conflict(
            assignment=assignment, actor=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("innovation:judge_score", assignment.pk)
    messages.info(request, _("已申报回避 %(code)s，该项目不计您的分数") % {"code": assignment.entry.code})
    return redirect("innovation:judge_sheet", assignment.entry.evaluation_id)


urlpatterns: list[URLPattern] = [
    path("evaluations/", evaluation_list, name="evaluation_list"),
    path("evaluations/new/", evaluation_create, name="evaluation_create"),
    path("evaluations/<int:evaluation_id>/", evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:evaluation_id>/start/", evaluation_start, name="evaluation_start"),
    path("evaluations/<int:evaluation_id>/phase/", evaluation_phase, name="evaluation_phase"),
    path("evaluations/<int:evaluation_id>/close/", evaluation_close, name="evaluation_close"),
    path("evaluations/<int:evaluation_id>/screen/", evaluation_screen, name="evaluation_screen"),
    path("evaluations/<int:evaluation_id>/board/", evaluation_board, name="evaluation_board"),
    path("evaluations/<int:evaluation_id>/results/", evaluation_results, name="evaluation_results"),
    path(
        "evaluations/<int:evaluation_id>/entries/<int:entry_id>/certificate.pdf",
        evaluation_certificate,
        name="evaluation_certificate",
    ),
    path("judge/", judge_home, name="judge_home"),
    path("judge/evaluations/<int:evaluation_id>/", judge_sheet, name="judge_sheet"),
    path("judge/assignments/<int:assignment_id>/", judge_score, name="judge_score"),
    path("judge/assignments/<int:assignment_id>/conflict/", judge_conflict, name="judge_conflict"),
]
