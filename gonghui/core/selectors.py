"""Reads for cross-cutting pages: background jobs."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from gonghui.accounts.models import User
from gonghui.core.errors import NotFound
from gonghui.core.models import Job
from gonghui.core.scoping import ScopedQuerySet


def job_list(*, user: User | AnonymousUser) -> ScopedQuerySet[Job]:
    """Jobs the user started, or started within the user's subtree."""
    return Job.objects.visible_to(user).select_related("created_by")


def job_get_for_user(*, user: User | AnonymousUser, job_id: int) -> Job:
    """One job; missing and not-yours raise the same NotFound."""
    job = job_list(user=user).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job
