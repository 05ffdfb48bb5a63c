"""Thin Celery adapters; the work lives in gonghui.core.jobs."""

from celery import shared_task

from gonghui.core.jobs import job_run, jobs_reap_stale


@shared_task(acks_late=True)
def run_job(job_id: int) -> None:
    job_run(job_id)


@shared_task(name="core.jobs.reap_stale")
def reap_stale_jobs() -> int:
    """Running jobs whose worker died are marked failed (scheduled every 15 minutes)."""
    return jobs_reap_stale()
