"""揭榜挂帅 pages: the desk list (filters, xlsx export) and the public board (揭榜大厅) for
craftsmen and judges, the challenge page with the actions the user's role and the status
allow, the team page (positions, join, apply, milestone check-ins), the phone team form and
the judges' phone score sheet. Thin: selectors read, services write, a ``DomainError``
becomes a message or a form error; "not found" and "not yours" are the same 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import is_staff_somewhere
from gonghui.assist import challenges as svc
from gonghui.assist import forms_challenges as f
from gonghui.assist import selectors_challenges as sel
from gonghui.assist.models import Challenge, ChallengeTeam, Milestone, TeamPosition
from gonghui.core.errors import DomainError, NotFound
from gonghui.core.filters import StyledFilterSet
from gonghui.core.http import AuthedRequest
from gonghui.core.listing import Column, render_list
from gonghui.innovation.evaluations import engine_rubric

S = Challenge.Status
T = ChallengeTeam.Status


class ChallengeFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=S.choices)
    title = django_filters.CharFilter(label="榜单名称", lookup_expr="icontains")

    class Meta:
        model = Challenge
        fields = ["status", "title"]


def _money(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


CHALLENGE_COLUMNS = [
    Column("榜单名称", "title", sort="title", link=True),
    Column("发榜工会", "org_unit.name", sort="org_unit__path"),
    Column("需求企业", "enterprise.name"),
    Column("状态", "status", sort="status"),
    Column("揭榜截止", "deadline", sort="deadline"),
    Column("经费预算（元）", lambda c: _money(c.budget), sort="budget"),
    Column("奖励（元）", lambda c: _money(c.reward), sort="reward"),
    Column("揭榜团队", "applied_teams", sort="applied_teams"),
    Column("公示截止", "publicity_ends_on", sort="publicity_ends_on"),
    Column("创建时间", "created_at", sort="created_at"),
]


def _form_error(form: Any) -> DomainError:
    text = "；".join(
        f"{form.fields[k].label}：{' '.join(v)}" if k in form.fields else " ".join(v)
        for k, v in form.errors.items()
    )
    return DomainError("form_invalid", text or "输入有误")


def _safe_url(obj: Any) -> str:
    """The object's page, or "" while its module's pages are not installed."""
    try:
        return str(obj.get_absolute_url())
    except NoReverseMatch:
        return ""


# --- list / board ----------------------------------------------------------------------------


@login_required
def challenge_list(request: AuthedRequest) -> HttpResponse:
    """Staff: the challenges of their subtree (filter by status, export). Everyone else (and
    staff with ``?view=board``): the board of open challenges, my teams, my review queue."""
    if is_staff_somewhere(request.user) and request.GET.get("view") != "board":
        return render_list(
            request,
            queryset=sel.challenge_list(user=request.user),
            columns=CHALLENGE_COLUMNS,
            title="揭榜挂帅",
            filterset_class=ChallengeFilter,
            export_name="assist-challenges",
            default_sort="-created_at",
            template="assist/challenge_list.html",
        )
    return render(
        request,
        "assist/challenge_board.html",
        {
            "title": "揭榜大厅",
            "board": list(sel.challenge_board(user=request.user)[:100]),
            "my_teams": sel.my_teams(user=request.user),
            "judge_queue": sel.judge_queue(user=request.user),
            "craftsman": svc.craftsman_of(request.user),
        },
    )


@login_required
def challenge_create(request: AuthedRequest) -> HttpResponse:
    """需求征集: staff record a challenge (terms may be completed while vetting)."""
    if not is_staff_somewhere(request.user):
        raise Http404
    form = f.ChallengeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        terms = form.terms()
        try:
            challenge = svc.challenge_create(
                actor=request.user,
                org_unit=form.cleaned_data["org_unit"],
                title=terms.pop("title"),
                description=terms.pop("description"),
                enterprise=terms.pop("enterprise"),
                **terms,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "榜单已创建（需求征集），完善内容后提交审核。")
            return redirect("assist:challenge_detail", challenge.pk)
    return render(request, "assist/challenge_form.html", {"title": "新建榜单", "form": form})


@login_required
def challenge_edit(request: AuthedRequest, challenge_id: int) -> HttpResponse:
    """Edit while collecting or vetting (工会审核时脱敏)."""
    challenge = sel.challenge_get_for_user(user=request.user, challenge_id=challenge_id, action="review")
    if challenge.status not in svc.EDITABLE:
        messages.error(request, "发榜后不能再修改榜单内容")
        return redirect("assist:challenge_detail", challenge.pk)
    initial = {name: getattr(challenge, name) for name in svc.EDITABLE_FIELDS}
    form = f.ChallengeForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.challenge_edit(challenge=challenge, actor=request.user, **form.terms())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已保存")
            return redirect("assist:challenge_detail", challenge.pk)
    return render(
        request,
        "assist/challenge_form.html",
        {"title": f"修改榜单：{challenge.title}", "form": form, "challenge": challenge},
    )


# --- detail ----------------------------------------------------------------------------------


def _actions(challenge: Challenge, access: sel.Access, applied: int) -> dict[str, bool]:
    """Which forms the page offers (the services check again on POST)."""
    staff, st = access.staff, challenge.status
    today = timezone.localdate()
    past_deadline = challenge.deadline is not None and today > challenge.deadline
    open_for_teams = st == S.PUBLISHED and not past_deadline
    return {
        "edit": staff and st in svc.EDITABLE,
        "submit_vetting": staff and st == S.COLLECTING,
        "publish": staff and st == S.VETTING,
        "return": staff and st == S.VETTING,
        "withdraw": staff and S.WITHDRAWN in svc.TRANSITIONS[st],
        "terminate": staff and S.TERMINATED in svc.TRANSITIONS[st] and st != S.MIDTERM,
        "start_qualification": staff and st == S.PUBLISHED and past_deadline and applied > 0,
        "close_unclaimed": staff and st == S.PUBLISHED and past_deadline and applied == 0,
        "qualify": staff and st == S.QUALIFYING,
        "start_review": staff and st == S.QUALIFYING,
        "publicize": staff and st == S.REVIEWING,
        "reopen_review": staff and st == S.PUBLICITY,
        "contract": staff
        and st == S.PUBLICITY
        and challenge.publicity_ends_on is not None
        and today > challenge.publicity_ends_on,
        "start_implementation": staff and st == S.CONTRACTED,
        "confirm": staff and st in svc.WORKING,
        "start_midterm": staff and st == S.IMPLEMENTING,
        "finish_midterm": staff and st == S.MIDTERM,
        "request_acceptance": staff and st == S.IMPLEMENTING,
        "accept": staff and st == S.ACCEPTANCE,
        "benefit": staff and st == S.PASSED,
        "team_create": access.craftsman is not None and open_for_teams and access.my_team is None,
        "join": access.craftsman is not None and open_for_teams and access.my_team is None,
        "score": access.judge and st == S.REVIEWING,
        "check_in": access.my_team is not None and st in svc.WORKING,
    }


def _team_choices(rows: list[dict[str, Any]], status: str) -> list[tuple[int, str]]:
    return [(r["team"].pk, r["team"].name) for r in rows if r["team"].status == status]


@login_required
def challenge_detail(request: AuthedRequest, challenge_id: int) -> HttpResponse:
    challenge, access = sel.challenge_get_visible(user=request.user, challenge_id=challenge_id)
    detail = sel.challenge_detail(challenge=challenge, access=access, user=request.user)
    actions = _actions(challenge, access, len(detail["applied_teams"]))
    selected = _team_choices(detail["teams"], T.SELECTED)
    context: dict[str, Any] = {
        "title": challenge.title,
        "challenge": challenge,
        "access": access,
        "actions": actions,
        "today": timezone.localdate(),
        "result_url": _safe_url(challenge.result_outcome) if challenge.result_outcome else "",
        **detail,
    }
    if actions["publish"]:
        context["missing"] = [m for _, m in svc.missing_for_publish(challenge, timezone.localdate())]
    if access.staff:
        context.update(
            comment_form=f.CommentForm(),
            reason_form=f.ReasonForm(),
            qualify_form=f.QualifyForm(),
            confirm_form=f.ConfirmForm(),
            midterm_form=f.MidtermForm(),
            pass_form=f.PassForm(),
            extend_form=f.ExtendForm(teams=selected),
            benefit_form=f.BenefitForm(),
        )
        if actions["start_review"]:
            context["start_review_form"] = f.StartReviewForm(user=request.user)
        if actions["publicize"]:
            candidates = ChallengeTeam.objects.filter(challenge=challenge, status=T.QUALIFIED).order_by(
                "rank", "pk"
            )
            context["publicize_form"] = f.PublicizeForm(candidates=candidates)
        if actions["contract"]:
            context["contract_formset"] = f.milestone_formset(None, selected, rows=max(3, 2 * len(selected)))
    if actions["check_in"]:
        context["check_in_form"] = f.CheckInForm()
    return render(request, "assist/challenge_detail.html", context)


def _team_in(challenge: Challenge, raw: str | None) -> ChallengeTeam:
    team = ChallengeTeam.objects.filter(challenge=challenge, pk=_int(raw)).first()
    if team is None:
        raise DomainError("form_invalid", "请选择团队", field="team")
    return team


def _milestone_in(challenge: Challenge, raw: str | None) -> Milestone:
    milestone = (
        Milestone.objects.filter(challenge=challenge, pk=_int(raw)).select_related("challenge").first()
    )
    if milestone is None:
        raise DomainError("form_invalid", "请选择里程碑", field="milestone")
    return milestone


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return 0


def _run(request: AuthedRequest, challenge: Challenge, action: str) -> str:
    """Bind the action's form and call its service; returns the success message."""
    user, post = request.user, request.POST
    comment = post.get("comment", "")
    simple: dict[str, tuple[Callable[..., Challenge], str]] = {
        "submit_vetting": (svc.challenge_submit_for_vetting, "已提交工会审核"),
        "publish": (svc.challenge_publish, "已发榜"),
        "start_qualification": (svc.challenge_start_qualification, "揭榜截止，进入资格审查"),
        "start_implementation": (svc.challenge_start_implementation, "已进入实施"),
        "start_midterm": (svc.challenge_start_midterm, "已开始中期检查"),
        "request_acceptance": (svc.challenge_request_acceptance, "已进入验收"),
    }
    with_reason: dict[str, tuple[Callable[..., Challenge], str]] = {
        "return": (svc.challenge_return, "已退回需求征集"),
        "withdraw": (svc.challenge_withdraw, "已撤榜"),
        "terminate": (svc.challenge_terminate, "已终止"),
        "reopen_review": (svc.challenge_reopen_review, "已撤销公示，重新评审"),
        "fail": (svc.challenge_fail, "验收不通过"),
    }
    if action in simple:
        service, message = simple[action]
        service(challenge=challenge, actor=user, comment=comment)
        return message
    if action in with_reason:
        service, message = with_reason[action]
        service(challenge=challenge, actor=user, reason=post.get("reason", ""))
        return message
    if action == "close_unclaimed":
        svc.challenge_close_unclaimed(challenge=challenge, actor=user)
        return "已流榜"
    bound: Any
    if action == "qualify":
        bound = f.QualifyForm(post)
        if bound.is_valid():
            team = _team_in(challenge, post.get("team"))
            svc.team_qualify(
                team=team,
                actor=user,
                qualified=bound.cleaned_data["decision"] == "qualified",
                note=bound.cleaned_data["note"],
            )
            return f"{team.name}：资格审查意见已记录"
    elif action == "start_review":
        bound = f.StartReviewForm(post, user=user)
        if bound.is_valid():
            svc.challenge_start_review(
                challenge=challenge, actor=user, rubric=bound.cleaned_data["rubric"], comment=comment
            )
            return "已进入评审答辩，评审专家可在手机上评分"
    elif action == "publicize":
        candidates = ChallengeTeam.objects.filter(challenge=challenge, status=T.QUALIFIED)
        bound = f.PublicizeForm(post, candidates=candidates)
        if bound.is_valid():
            moved = svc.challenge_publicize(
                challenge=challenge, actor=user, selected=list(bound.cleaned_data["teams"]), comment=comment
            )
            return f"已公示，至 {moved.publicity_ends_on:%Y-%m-%d} 结束"
    elif action == "contract":
        selected = [
            (t.pk, t.name) for t in ChallengeTeam.objects.filter(challenge=challenge, status=T.SELECTED)
        ]
        bound = f.milestone_formset(post, selected, rows=0)
        if bound.is_valid():
            svc.challenge_contract(
                challenge=challenge, actor=user, milestones=bound.milestones(), comment=comment
            )
            return "已签约"
        errors = [e for form_errors in bound.errors for values in form_errors.values() for e in values]
        raise DomainError("form_invalid", "；".join([*bound.non_form_errors(), *errors]) or "输入有误")
    elif action == "confirm":
        bound = f.ConfirmForm(post)
        if bound.is_valid():
            milestone = _milestone_in(challenge, post.get("milestone"))
            svc.milestone_confirm(
                milestone=milestone,
                actor=user,
                passed=bound.cleaned_data["decision"] == "passed",
                note=bound.cleaned_data["note"],
            )
            return f"里程碑“{milestone.title}”已办理"
    elif action == "finish_midterm":
        bound = f.MidtermForm(post)
        if bound.is_valid():
            svc.challenge_finish_midterm(
                challenge=challenge,
                actor=user,
                passed=bound.cleaned_data["decision"] == "passed",
                comment=bound.cleaned_data["comment"],
            )
            return "中期检查意见已记录"
    elif action == "pass":
        bound = f.PassForm(post)
        if bound.is_valid():
            svc.challenge_pass(challenge=challenge, actor=user, **bound.cleaned_data)
            return "验收通过，成果已入成果库，开始跟踪 12 个月效益"
    elif action == "extend":
        selected = [
            (t.pk, t.name) for t in ChallengeTeam.objects.filter(challenge=challenge, status=T.SELECTED)
        ]
        bound = f.ExtendForm(post, teams=selected)
        if bound.is_valid():
            d = bound.cleaned_data
            svc.challenge_extend(
                challenge=challenge,
                actor=user,
                team=_team_in(challenge, str(d["team"])),
                title=d["title"],
                due_on=d["due_on"],
                reason=d["reason"],
            )
            return "已延期，返回实施"
    elif action == "benefit":
        bound = f.BenefitForm(post)
        if bound.is_valid():
            record = svc.benefit_record(challenge=challenge, actor=user, **bound.cleaned_data)
            return f"{record.month:%Y-%m} 效益已登记"
    else:
        raise Http404
    raise _form_error(bound)


@login_required
@require_POST
def challenge_action(request: AuthedRequest, challenge_id: int, action: str) -> HttpResponse:
    """Staff actions: only staff of the challenge's subtree reach it (404 for anyone else)."""
    challenge = sel.challenge_get_for_user(user=request.user, challenge_id=challenge_id, action="review")
    try:
        messages.success(request, _run(request, challenge, action))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("assist:challenge_detail", challenge.pk)


# --- teams -----------------------------------------------------------------------------------


@login_required
def team_create(request: AuthedRequest, challenge_id: int) -> HttpResponse:
    """揭榜组队 (phone): the craftsman leads a new team and lists the positions to fill."""
    challenge, access = sel.challenge_get_visible(user=request.user, challenge_id=challenge_id)
    form = f.TeamForm(request.POST or None)
    if access.my_team is not None:
        messages.info(request, f"您已在团队“{access.my_team.name}”中")
        return redirect("assist:challenge_team", access.my_team.pk)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            team = svc.team_create(
                challenge=challenge,
                actor=request.user,
                name=d["name"],
                leader_role=d["leader_role"],
                plan=d["plan"],
                positions=d["positions"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "团队已创建，空缺岗位已在榜单页公开招募。")
            return redirect("assist:challenge_team", team.pk)
    return render(
        request,
        "assist/challenge_team_form.html",
        {"title": "揭榜组队", "form": form, "challenge": challenge},
    )


@login_required
def team_detail(request: AuthedRequest, team_id: int) -> HttpResponse:
    """The team page: positions (open ones with a join button), the plan and the review's
    result for its members and staff, milestones with check-ins."""
    team, access = sel.team_get_visible(user=request.user, team_id=team_id)
    challenge = team.challenge
    mine = team.pk in access.my_team_ids
    leader = access.craftsman is not None and access.craftsman.pk == team.leader_id
    open_for_teams = challenge.status == S.PUBLISHED and (
        challenge.deadline is None or timezone.localdate() <= challenge.deadline
    )
    forming = team.status == T.FORMING and open_for_teams
    positions = list(team.positions.all())
    milestones = list(team.milestones.order_by("due_on", "pk")) if (mine or access.viewer) else []
    return render(
        request,
        "assist/challenge_team.html",
        {
            "title": team.name,
            "team": team,
            "challenge": challenge,
            "positions": positions,
            "access": access,
            "mine": mine,
            "leader": leader,
            "insider": mine or access.viewer or access.judge,
            "can_join": forming and access.craftsman is not None and access.my_team is None,
            "can_manage": forming and leader,
            "can_leave": forming and mine and not leader,
            "vacant": [p for p in positions if p.craftsman_id is None],
            "milestones": milestones,
            "can_check_in": mine and challenge.status in svc.WORKING,
            "position_form": f.PositionForm(),
            "apply_form": f.ApplyForm(initial={"plan": team.plan}),
            "check_in_form": f.CheckInForm(),
        },
    )


def _position_in(team: ChallengeTeam, raw: str | None) -> TeamPosition:
    position = TeamPosition.objects.filter(team=team, pk=_int(raw)).select_related("team__challenge").first()
    if position is None:
        raise DomainError("form_invalid", "请选择岗位", field="position")
    return position


def _run_team(request: AuthedRequest, team: ChallengeTeam, action: str) -> str:
    user, post = request.user, request.POST
    bound: Any
    if action == "join":
        position = svc.team_join(position=_position_in(team, post.get("position")), actor=user)
        return f"已加入团队“{team.name}”，岗位：{position.role}"
    if action == "leave":
        svc.team_leave(position=_position_in(team, post.get("position")), actor=user)
        return "已退出团队"
    if action == "remove_position":
        svc.team_remove_position(position=_position_in(team, post.get("position")), actor=user)
        return "岗位已删除"
    if action == "add_position":
        bound = f.PositionForm(post)
        if bound.is_valid():
            svc.team_add_position(team=team, actor=user, **bound.cleaned_data)
            return "已新增招募岗位"
    elif action == "apply":
        bound = f.ApplyForm(post)
        if bound.is_valid():
            svc.team_apply(team=team, actor=user, plan=bound.cleaned_data["plan"])
            return "已揭榜，等待资格审查"
    elif action == "check_in":
        bound = f.CheckInForm(post)
        if bound.is_valid():
            milestone = _milestone_in(team.challenge, post.get("milestone"))
            if milestone.team_id != team.pk:
                raise NotFound()
            svc.milestone_check_in(milestone=milestone, actor=user, report=bound.cleaned_data["report"])
            return f"里程碑“{milestone.title}”已报告，等待工会确认"
    else:
        raise Http404
    raise _form_error(bound)


@login_required
@require_POST
def team_action(request: AuthedRequest, team_id: int, action: str) -> HttpResponse:
    """Craftsmen's team actions (join, leave, positions, apply, check-in)."""
    team, _access = sel.team_get_visible(user=request.user, team_id=team_id)
    try:
        messages.success(request, _run_team(request, team, action))
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.POST.get("next") == "challenge":
        return redirect("assist:challenge_detail", team.challenge_id)
    return redirect("assist:challenge_team", team.pk)


# --- judges ----------------------------------------------------------------------------------


@login_required
def team_score(request: AuthedRequest, team_id: int) -> HttpResponse:
    """The judge's phone score sheet for one team (1–5 per criterion, anchors, live total)."""
    team, access = sel.team_get_visible(user=request.user, team_id=team_id)
    challenge = team.challenge
    if not access.judge or challenge.rubric is None:
        raise Http404
    rubric = engine_rubric(challenge.rubric)
    sheet = team.scores.filter(judge=request.user).first()
    values: dict[str, str] = {k: str(v) for k, v in (sheet.scores if sheet else {}).items()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {c.code: request.POST.get(c.code, "") for c in rubric.criteria}
        try:
            done = svc.challenge_score_submit(
                team=team, actor=request.user, scores={k: v for k, v in values.items() if v}
            )
        except DomainError as exc:
            errors[exc.field or "general"] = exc.message
        else:
            messages.success(request, f"{team.name} 已评分：{done.total} 分")
            return redirect("assist:challenge_detail", challenge.pk)
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
    open_ = challenge.status == S.REVIEWING
    return render(
        request,
        "assist/challenge_score.html",
        {
            "title": f"评分：{team.name}",
            "team": team,
            "challenge": challenge,
            "criteria": criteria,
            "levels": range(1, 6),
            "sheet": sheet,
            "errors": errors,
            "open": open_,
            "locked": not open_,  # the shared criteria partial disables its buttons
        },
    )


urlpatterns: list[URLPattern] = [
    path("challenges/", challenge_list, name="challenge_list"),
    path("challenges/new/", challenge_create, name="challenge_create"),
    path("challenges/<int:challenge_id>/", challenge_detail, name="challenge_detail"),
    path("challenges/<int:challenge_id>/edit/", challenge_edit, name="challenge_edit"),
    path("challenges/<int:challenge_id>/teams/new/", team_create, name="challenge_team_create"),
    path("challenges/<int:challenge_id>/do/<slug:action>/", challenge_action, name="challenge_action"),
    path("challenges/teams/<int:team_id>/", team_detail, name="challenge_team"),
    path("challenges/teams/<int:team_id>/do/<slug:action>/", team_action, name="challenge_team_action"),
    path("challenges/teams/<int:team_id>/score/", team_score, name="challenge_score"),
]
