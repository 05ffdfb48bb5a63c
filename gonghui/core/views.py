from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gonghui.accounts.permissions import is_staff_somewhere
from gonghui.core import selectors
from gonghui.core.http import AuthedRequest
from gonghui.core.listing import Column, render_list
from gonghui.members import selectors as member_selectors


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Desk dashboard for staff; workers go to their own phone page."""
    if not is_staff_somewhere(request.user):
        return redirect("members:me")
    context = member_selectors.dashboard_figures(user=request.user)
    return render(request, "core/home.html", {"title": "工作台", **context})


@login_required
def job_list(request: AuthedRequest) -> HttpResponse:
    return render_list(
        request,
        queryset=selectors.job_list(user=request.user),
        title="后台任务",
        columns=[
            Column("任务", "title"),
            Column("状态", "status", sort="status"),
            Column("进度", lambda j: f"{j.percent}%"),
            Column("发起人", "created_by"),
            Column("创建时间", "created_at", sort="created_at"),
        ],
        default_sort="-created_at",
    )


@login_required
@require_GET
def job_progress(request: AuthedRequest, job_id: int) -> HttpResponse:
    """The progress bar fragment; htmx polls it every second until the job finishes."""
    job = selectors.job_get_for_user(user=request.user, job_id=job_id)
    template = "core/_job_progress.html" if request.htmx else "core/job_detail.html"
    return render(request, template, {"job": job, "title": job.title})


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
