"""Long-running work as ``Job`` rows run by Celery (in-process when no broker is set).

A handler is registered per job kind; it receives the job and a ``progress(done, total)``
callback and returns a JSON-able result. Jobs are queued on commit, so a job never starts
before the row (and the uploaded file) that describes it exists.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gonghui.core.errors import DomainError
from gonghui.core.models import Job
from gonghui.core.tabular import TableError

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Handler = Callable[[Job, Progress], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        return func

    return register


def store_upload(data: bytes, suffix: str) -> str:
    """Keep an uploaded file for a job (MEDIA_ROOT is shared storage in production)."""
    folder = Path(settings.MEDIA_ROOT) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return str(path)


def job_start(*, actor: Any, kind: str, title: str, org_unit: Any = None, params: dict[str, Any]) -> Job:
    """Create the job row and queue it after the surrounding transaction commits."""
    if kind not in _HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job.objects.create(kind=kind, title=title, created_by=actor, org_unit=org_unit, params=params)
    from gonghui.core.tasks import run_job

    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job


def job_run(job_id: int) -> None:
    """Run one job (idempotent: a finished or running job is left alone)."""
    now = timezone.now()
    updated = Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not updated:
        return
    job = Job.objects.get(pk=job_id)

    def progress(done: int, total: int) -> None:
        Job.objects.filter(pk=job_id).update(
            progress_done=done, progress_total=total, heartbeat_at=timezone.now()
        )

    try:
        result = _HANDLERS[job.kind](job, progress)
    except (DomainError, TableError) as exc:
        messages = [str(e) for e in exc.errors[:50]] if isinstance(exc, TableError) else [exc.message]
        more = exc.total_errors - 50 if isinstance(exc, TableError) and exc.total_errors > 50 else 0
        if more:
            messages.append(f"……另有 {more} 处错误")
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message="\n".join(messages),
            result={"errors": messages},
        )
        return
    except Exception:
        logger.exception("job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message="任务执行出错，请联系管理员",
            result={"traceback": traceback.format_exc()[-4000:]},
        )
        if settings.CELERY_TASK_ALWAYS_EAGER and settings.TESTING:
            raise
        return
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result=result,
        message=str(result.get("message", "")),
    )


# A running job that has not reported for this long lost its worker (killed, out of memory,
# machine gone): the big imports report progress at least every few seconds.
STALE_AFTER = timedelta(hours=2)


def jobs_reap_stale(*, now: datetime | None = None, stale_after: timedelta = STALE_AFTER) -> int:
    """Mark running jobs silent for ``stale_after`` as failed, so their pages stop showing
    进行中 and the user knows to submit again. Their work rolled back with the dead worker's
    transaction (imports are all-or-nothing); returns how many were reaped."""
    cutoff = (now or timezone.now()) - stale_after
    return Job.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff),
        status=Job.Status.RUNNING,
    ).update(
        status=Job.Status.FAILED,
        finished_at=now or timezone.now(),
        message="任务中断（执行任务的进程已退出），请重新提交",
    )
