"""Job handler: settlement intake + screening + reminders (runs in a worker or in-process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from gonghui.accounts.models import User
from gonghui.core.jobs import Progress, job_handler
from gonghui.core.models import Job
from gonghui.mutual_aid.intake import (
    IntakeRejected,
    keep_rejected_file,
    screen_after_intake,
    settlements_import,
    xlsx_to_csv,
)
from gonghui.orgs.models import OrgUnit


@job_handler("mutual_aid.intake")
def run_intake(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    path = params["path"]
    if params["filename"].lower().endswith(".xlsx"):
        path = xlsx_to_csv(Path(path).read_bytes())
    actor = User.objects.filter(pk=job.created_by_id or 0).first()
    unit = OrgUnit.objects.get(pk=params["org_unit_id"])
    uploaded = [params["path"], path] if path != params["path"] else [path]
    try:
        result = settlements_import(
            actor=actor,
            org_unit=unit,
            path=path,
            filename=params["filename"],
            skip_invalid=bool(params.get("skip_invalid")),
            progress=lambda done, total: progress(done, max(total, done)),
        )
    except IntakeRejected as exc:
        from gonghui.core.tabular import RowError as TRow
        from gonghui.core.tabular import TableError

        raise TableError([TRow(e.row, e.column, e.message) for e in exc.errors], exc.total) from None
    finally:
        for leftover in uploaded:  # 医保 data: the upload is not kept once it is in the database
            Path(leftover).unlink(missing_ok=True)
    if result.rejected_path:
        keep_rejected_file(batch=result.batch, path=result.rejected_path)
    claims = screen_after_intake(result=result)
    from gonghui.mutual_aid.tasks import notify_claims

    base_url = params.get("base_url", "")
    transaction.on_commit(lambda: notify_claims.delay(claims, base_url))
    batch = result.batch
    return {
        "message": (
            f"读取 {batch.rows_total} 行：新增 {batch.rows_created}，重复 {batch.rows_duplicate}，"
            f"未授权跳过 {batch.rows_no_consent}，错误 {batch.rows_rejected}；生成待申报 {len(claims)} 笔"
        ),
        "batch_id": batch.pk,
        "claims": len(claims),
        "link": f"/mutual-aid/intake/{batch.pk}/",
    }
