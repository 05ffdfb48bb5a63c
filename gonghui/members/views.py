from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import can, can_reveal_personal_data, is_staff_somewhere
from gonghui.core.errors import DomainError, NotFound
from gonghui.core.http import AuthedRequest, download_response
from gonghui.core.jobs import job_start, store_upload
from gonghui.core.listing import Column, render_list
from gonghui.core.tabular import build_xlsx
from gonghui.members import selectors, services
from gonghui.members.filters import MemberFilter
from gonghui.members.forms import MemberCreateForm, MemberImportForm, MemberLeaveForm, MemberTransferForm
from gonghui.members.services import MEMBER_IMPORT_COLUMNS
from gonghui.orgs.models import OrgUnit

MEMBER_COLUMNS = [
    Column("姓名", "name", sort="name"),
    Column("身份证号", "id_number_masked"),
    Column("性别", "sex"),
    Column("出生日期", "birth_date", sort="birth_date"),
    Column("手机号", "phone_masked"),
    Column("会员类型", "kind", sort="kind"),
    Column("所在工会", "org_unit.name", sort="org_unit__path"),
    Column("工作单位", "employer.name"),
    Column("状态", "status", sort="status"),
    Column("入会日期", "joined_on", sort="joined_on"),
]


@login_required
def member_list(request: AuthedRequest) -> HttpResponse:
    if not is_staff_somewhere(request.user):
        raise Http404
    return render_list(
        request,
        queryset=selectors.member_list(user=request.user),
        columns=MEMBER_COLUMNS,
        filterset_class=MemberFilter,
        title="会员",
        export_name="members",
        template="members/list.html",
    )


@login_required
def member_detail(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = selectors.member_get_for_user(user=request.user, member_id=member_id)
    return render(
        request,
        "members/detail.html",
        {
            "title": member.name,
            "member": member,
            "history": selectors.member_history(member=member),
            "can_reveal": can_reveal_personal_data(request.user, member.org_unit),
            "can_manage": can(request.user, "manage", member.org_unit),
        },
    )


@login_required
def member_change(request: AuthedRequest, member_id: int, action: str) -> HttpResponse:
    """Transfer a member to another union or record leaving (admins of the subtree)."""
    member = selectors.member_get_for_user(user=request.user, member_id=member_id)
    if action not in {"transfer", "leave"} or not can(request.user, "manage", member.org_unit):
        raise Http404
    units = OrgUnit.objects.visible_to(request.user, "manage").exclude(pk=member.org_unit_id)
    form: MemberTransferForm | MemberLeaveForm = (
        MemberTransferForm(request.POST or None, units=units)
        if action == "transfer"
        else MemberLeaveForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if action == "transfer":
                services.member_transfer(
                    actor=request.user,
                    member=member,
                    to_unit=data["to_unit"],
                    on_date=data["on_date"],
                    note=data["note"],
                )
            else:
                services.member_leave(
                    actor=request.user, member=member, on_date=data["on_date"], note=data["note"]
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已保存")
            return redirect(member)
    title = f"{'转会' if action == 'transfer' else '离会'}：{member.name}"
    return render(request, "members/form.html", {"title": title, "form": form})


@login_required
@require_POST
def member_reveal(request: AuthedRequest, member_id: int, field: str) -> HttpResponse:
    """htmx: swap the masked value for the full one (audited by the service)."""
    try:
        member = selectors.member_get_for_user(user=request.user, member_id=member_id)
        value = services.member_reveal(actor=request.user, member=member, field=field)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        return HttpResponse(f'<span class="text-danger">{exc.message}</span>', status=403)
    return HttpResponse(f'<span data-testid="revealed-{field}">{value}</span>')


@login_required
def member_create(request: AuthedRequest) -> HttpResponse:
    units = OrgUnit.objects.visible_to(request.user, "manage")
    if not units.exists():
        raise Http404
    form = MemberCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = data["org_unit"]
            member = services.member_create(
                actor=request.user,
                org_unit=unit,
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                kind=data["kind"],
                joined_on=data["joined_on"],
                employer=getattr(unit, "enterprise", None),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已登记会员 {member.name}")
            return redirect(member)
    return render(request, "members/form.html", {"title": "登记会员", "form": form})


@login_required
def member_import(request: AuthedRequest) -> HttpResponse:
    """Upload a member list; the import runs as a job with a progress bar."""
    units = OrgUnit.objects.visible_to(request.user, "manage")
    if not units.exists():
        raise Http404
    form = MemberImportForm(request.POST or None, request.FILES or None)
    job = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".xlsx") or name.endswith(".csv")):
            form.add_error("file", "仅支持 .xlsx 或 .csv 文件")
        elif upload.size > 50 * 1024 * 1024:
            form.add_error("file", "文件超过 50 MB 上限")
        else:
            path = store_upload(upload.read(), ".xlsx" if name.endswith(".xlsx") else ".csv")
            job = job_start(
                actor=request.user,
                kind="members.import",
                title=f"导入会员：{upload.name}",
                org_unit=units.first(),
                params={
                    "path": path,
                    "filename": upload.name,
                    "skip_invalid": form.cleaned_data["skip_invalid"],
                },
            )
    return render(request, "members/import.html", {"title": "导入会员", "form": form, "job": job})


@login_required
def member_import_template(request: AuthedRequest) -> HttpResponse:
    example = [
        "张三",
        "330109199001011239",
        "13800138000",
        "正式职工",
        "91330109MA2B3C4D5Q",  # valid check characters, like the ID above
        "",
        "2024-01-15",
    ]
    content = build_xlsx(list(MEMBER_IMPORT_COLUMNS), [example], sheet_title="会员名单")
    return download_response(content, "member-template.xlsx")


@login_required
def me(request: AuthedRequest) -> HttpResponse:
    """The worker's own page (phone first): membership card and services."""
    member = selectors.member_for_user(user=request.user)
    if member is None:
        if is_staff_somewhere(request.user):
            return redirect("core:home")
        return render(request, "members/me_unbound.html", {"title": "我的"})
    return render(
        request,
        "members/me.html",
        {"title": "我的", "member": member, "is_staff": can(request.user, "view", member.org_unit)},
    )
