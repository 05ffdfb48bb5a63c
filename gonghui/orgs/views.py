from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from gonghui.accounts.permissions import can, is_staff_somewhere
from gonghui.core.http import AuthedRequest, download_response
from gonghui.core.listing import Column, render_list
from gonghui.core.tabular import TableError, build_xlsx
from gonghui.orgs import selectors, services
from gonghui.orgs.filters import EnterpriseFilter, OrgUnitFilter
from gonghui.orgs.services import ORG_IMPORT_COLUMNS


def _require_staff(request: AuthedRequest) -> None:
    if not is_staff_somewhere(request.user):
        raise Http404


@login_required
def unit_list(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    return render_list(
        request,
        queryset=selectors.org_unit_list(user=request.user),
        columns=[
            Column("名称", lambda u: "　" * (u.depth - 1) + u.name, sort="name"),
            Column("层级", "level", sort="level"),
            Column("行政区划代码", "division_code", sort="division_code"),
            Column("地址", "address"),
        ],
        filterset_class=OrgUnitFilter,
        title="工会组织",
        export_name="org-units",
        template="orgs/unit_list.html",
    )


@login_required
def unit_detail(request: AuthedRequest, unit_id: int) -> HttpResponse:
    unit = selectors.org_unit_get_for_user(user=request.user, unit_id=unit_id)
    return render(
        request,
        "orgs/unit_detail.html",
        {
            "title": unit.name,
            "unit": unit,
            "children": selectors.org_unit_children(unit=unit),
            "ancestors": [a for a in unit.get_ancestors() if can(request.user, "view", a)],
            "enterprise": getattr(unit, "enterprise", None) if unit.level == "enterprise" else None,
            "can_manage": can(request.user, "manage", unit),
        },
    )


@login_required
def unit_roles(request: AuthedRequest, unit_id: int) -> HttpResponse:
    """Role grants at a node: administrators of the subtree grant and revoke them."""
    from gonghui.accounts.models import Role, RoleGrant, User
    from gonghui.accounts.services import role_grant, role_revoke
    from gonghui.core.errors import DomainError

    unit = selectors.org_unit_get_for_user(user=request.user, unit_id=unit_id)
    if not can(request.user, "manage", unit):
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                grant = RoleGrant.objects.visible_to(request.user, "manage").get(
                    pk=int(request.POST["revoke"]), org_unit=unit
                )
                role_revoke(actor=request.user, grant=grant)
            else:
                user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
                if user is None:
                    raise DomainError("unknown_user", "找不到该用户名", field="username")
                role_grant(actor=request.user, user=user, role=request.POST.get("role", ""), org_unit=unit)
        except (DomainError, RoleGrant.DoesNotExist, ValueError) as exc:
            error = getattr(exc, "message", "操作失败")
        else:
            messages.success(request, "已保存")
    grants = RoleGrant.objects.filter(org_unit=unit, revoked_at__isnull=True).select_related("user")
    return render(
        request,
        "orgs/unit_roles.html",
        {
            "title": f"{unit.name} · 角色",
            "unit": unit,
            "grants": grants,
            "roles": Role.choices,
            "error": error,
        },
    )


@login_required
def enterprise_list(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    return render_list(
        request,
        queryset=selectors.enterprise_list(user=request.user),
        columns=[
            Column("企业名称", "name", sort="name"),
            Column("统一社会信用代码", "uscc"),
            Column("行业门类", "industry", sort="industry"),
            Column("规模", "size", sort="size"),
            Column("职工人数", "employee_count", sort="employee_count"),
            Column("企业工会", "union.name"),
        ],
        filterset_class=EnterpriseFilter,
        title="企业",
        export_name="enterprises",
    )


@login_required
def org_import(request: AuthedRequest) -> HttpResponse:
    """Upload nodes and enterprises; errors are listed by row, nothing half-imported."""
    _require_staff(request)
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors.append("请选择文件")
        else:
            try:
                report = services.orgs_import(
                    actor=request.user,
                    data=upload.read(),
                    filename=upload.name or "",
                    skip_invalid=bool(request.POST.get("skip_invalid")),
                )
            except TableError as exc:
                errors = [str(e) for e in exc.errors]
            else:
                messages.success(
                    request,
                    f"新增 {report.created} 个，已存在 {report.unchanged} 个，跳过 {len(report.rejected)} 行",
                )
                errors = [str(e) for e in report.rejected]
    return render(request, "orgs/import.html", {"title": "导入组织与企业", "errors": errors})


@login_required
def org_import_template(request: AuthedRequest) -> HttpResponse:
    rows = [["330199", "示例街道总工会", "镇街总工会", "330199001", "", "", "", "", "示范区示例路1号"]]
    return download_response(
        build_xlsx(list(ORG_IMPORT_COLUMNS), rows, sheet_title="组织"), "org-template.xlsx"
    )
