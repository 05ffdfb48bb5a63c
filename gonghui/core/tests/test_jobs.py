"""Jobs: a run records its heartbeat with each progress report, and the periodic reaper marks
running jobs whose worker died as failed — only those."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gonghui.core.jobs import STALE_AFTER, job_handler, job_run, jobs_reap_stale
from gonghui.core.models import Job
from gonghui.core.tasks import reap_stale_jobs

pytestmark = pytest.mark.django_db
seen: list[Any] = []


@job_handler("tests.heartbeat")
def _reports_progress(job: Job, progress: Any) -> dict[str, Any]:
    seen.append(Job.objects.get(pk=job.pk).heartbeat_at)
    progress(1, 2)
    seen.append(Job.objects.get(pk=job.pk).heartbeat_at)
    return {"message": "ok"}


def test_a_run_beats_at_start_and_at_every_progress_report() -> None:
    seen.clear()
    job = Job.objects.create(kind="tests.heartbeat", title="心跳")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    started, after_progress = seen
    assert started == job.started_at and after_progress >= started


def _job(status: str, *, started_ago: timedelta | None, beat_ago: timedelta | None) -> Job:
    now = timezone.now()
    return Job.objects.create(
        kind="members.import",
        title=status,
        status=status,
        started_at=now - started_ago if started_ago is not None else None,
        heartbeat_at=now - beat_ago if beat_ago is not None else None,
    )


def test_only_running_jobs_silent_for_too_long_are_reaped() -> None:
    long_ago, lately = STALE_AFTER + timedelta(minutes=5), timedelta(minutes=5)
    dead = _job(Job.Status.RUNNING, started_ago=long_ago * 3, beat_ago=long_ago)
    dead_before_heartbeats = _job(Job.Status.RUNNING, started_ago=long_ago, beat_ago=None)
    slow_but_alive = _job(Job.Status.RUNNING, started_ago=long_ago * 3, beat_ago=lately)
    queued = _job(Job.Status.PENDING, started_ago=None, beat_ago=None)
    finished = _job(Job.Status.SUCCEEDED, started_ago=long_ago, beat_ago=long_ago)

    assert reap_stale_jobs.delay().get() == 2  # the Celery task, in-process without a broker
    status = dict(Job.objects.values_list("pk", "status"))
    assert status[dead.pk] == status[dead_before_heartbeats.pk] == Job.Status.FAILED
    assert status[slow_but_alive.pk] == Job.Status.RUNNING
    assert (status[queued.pk], status[finished.pk]) == (Job.Status.PENDING, Job.Status.SUCCEEDED)
    dead.refresh_from_db()
    assert "请重新提交" in dead.message and dead.finished_at is not None
    assert jobs_reap_stale() == 0  # nothing left to reap
