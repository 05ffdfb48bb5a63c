from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from gonghui.audit.filters import AuditFilter
from gonghui.audit.selectors import audit_list
from gonghui.core.http import AuthedRequest
from gonghui.core.listing import Column, render_list
from gonghui.core.scoping import granted_paths


@login_required
def audit_view(request: AuthedRequest) -> HttpResponse:
    """Filterable audit viewer for administrators of a subtree."""
    if not (request.user.is_superuser or granted_paths(request.user, "manage")):
        raise Http404
    return render_list(
        request,
        queryset=audit_list(user=request.user),
        columns=[
            Column("时间", "created_at", sort="created_at"),
            Column("操作人", "actor"),
            Column("动作", "action", sort="action"),
            Column("对象", "target_repr"),
            Column("对象类型", "target_type"),
            Column("组织", "org_unit.name"),
            Column("变更", lambda e: _diff(e.before, e.after)),
            Column("请求ID", "request_id"),
        ],
        filterset_class=AuditFilter,
        title="审计日志",
        export_name="audit",
        default_sort="-created_at",
    )


def _diff(before: dict, after: dict) -> str:  # type: ignore[type-arg]
    keys = sorted(set(before) | set(after))
    return "; ".join(f"{k}: {before.get(k, '')} → {after.get(k, '')}" for k in keys)[:200]
