"""Job handler for member imports (runs in a Celery worker or in-process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gonghui.accounts.models import User
from gonghui.core.jobs import Progress, job_handler
from gonghui.core.models import Job
from gonghui.members.services import members_import


@job_handler("members.import")
def run_members_import(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    path = Path(params["path"])
    actor = User.objects.get(pk=job.created_by_id or 0)
    progress(0, 1)
    try:
        report = members_import(
            actor=actor,
            data=path.read_bytes(),
            filename=params["filename"],
            skip_invalid=bool(params.get("skip_invalid")),
        )
    finally:
        path.unlink(missing_ok=True)  # personal data: never left behind, success or not
    progress(1, 1)
    summary = f"新增 {report.created} 人，已存在 {report.unchanged} 人，跳过 {len(report.rejected)} 行"
    return {**report.as_dict(), "message": summary, "link": "/members/"}
