"""Thin Celery adapters; the work lives in gonghui.core.jobs."""

from celery import shared_task

from gonghui.core.jobs import job_run


@shared_task(acks_late=True)
def run_job(job_id: int) -> None:
    job_run(job_id)
