"""Intake of 医保 settlements (file upload, command, API push) into the database.

Set-based and atomic: rows are validated while streaming, staged with COPY (PostgreSQL) or
executemany (SQLite) into a temporary table, checked as a set (reversals must name a known
settlement), then moved with one INSERT … ON CONFLICT DO NOTHING, so a rerun of the same file
adds nothing (idempotent by ``setl_id``) and a crash leaves nothing half-done.
Only members with a live consent for 医保 data are stored; other rows are counted, not kept.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import require
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.members.models import Member
from gonghui.mutual_aid.engine import records
from gonghui.mutual_aid.engine.io import InputFileError, ReadStats, RowError
from gonghui.mutual_aid.models import Consent, IntakeBatch, Plan
from gonghui.orgs.models import OrgUnit

Progress = Callable[[int, int], None]
STAGE_COLUMNS = [
    "row_no",
    "setl_id",
    "member_id",
    "med_type",
    "hosp_lv",
    "fixmedins_name",
    "begndate",
    "enddate",
    "medfee_sumamt",
    "fund_pay_sumamt",
    "hosp_part_amt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "diag_codes",
    "diag_names",
    "oprn_codes",
    "refd_setl_flag",
    "orig_setl_id",
    "vali_flag",
]
TARGET_COLUMNS = STAGE_COLUMNS[1:]
MAX_ERRORS = 200
PROGRESS_EVERY = 20_000


class IntakeRejected(Exception):
    """The file has invalid rows and was not imported (all-or-nothing)."""

    def __init__(self, batch: IntakeBatch, errors: list[RowError], total: int) -> None:
        self.batch = batch
        self.errors = errors
        self.total = total
        super().__init__(f"{total} 处错误，未导入任何数据")


@dataclass
class IntakeResult:
    batch: IntakeBatch
    member_ids: list[int] = field(default_factory=list)
    rejected_path: str | None = None


def xlsx_to_csv(data: bytes) -> str:
    """Convert an uploaded xlsx to a temporary UTF-8 CSV so one reader handles both."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for the caller after closing
        "w", suffix=".csv", delete=False, encoding="utf-8", newline=""
    )
    with handle:
        writer = csv.writer(handle)
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            writer.writerow(
                [
                    ""
                    if v is None
                    else (
                        v.isoformat()[:10]
                        if hasattr(v, "isoformat")
                        else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                    )
                    for v in row
                ]
            )
    return handle.name


def consenting_members(org_unit: OrgUnit) -> dict[str, tuple[int, int]]:
    """blind index of the ID number → (member id, org unit id) for members under ``org_unit``
    with a live 医保 consent (one query; the ID numbers are never decrypted)."""
    rows = Consent.objects.filter(
        source=Consent.Source.MEDICAL_INSURANCE,
        revoked_at__isnull=True,
        member__org_unit__path__startswith=org_unit.path,
    ).values_list("member__id_number_index", "member_id", "member__org_unit_id")
    return {index: (member_id, unit_id) for index, member_id, unit_id in rows}


def _stage_rows(
    settlements: Iterable[tuple[int, records.Settlement]],
    members: dict[str, tuple[int, int]],
    counters: dict[str, int],
    progress: Progress | None,
) -> Iterator[tuple[Any, ...]]:
    index_cache: dict[str, str] = {}
    for row_no, s in settlements:
        counters["rows"] += 1
        if progress and counters["rows"] % PROGRESS_EVERY == 0:
            progress(counters["rows"], 0)
        key = index_cache.get(s.certno)
        if key is None:
            key = blind_index(s.certno)
            if len(index_cache) < 500_000:
                index_cache[s.certno] = key
        member = members.get(key)
        if member is None:
            counters["no_consent"] += 1
            continue
        yield (
            row_no,
            s.setl_id,
            member[0],
            s.med_type,
            s.hosp_lv,
            s.fixmedins_name[:100],
            s.begndate,
            s.enddate,
            s.medfee_sumamt,
            s.fund_pay_sumamt,
            s.hosp_part_amt,
            s.fulamt_ownpay_amt,
            s.overlmt_selfpay,
            s.preselfpay_amt,
            s.diag_codes[:200],
            s.diag_names[:400],
            s.oprn_codes[:200],
            s.refd_setl_flag,
            s.orig_setl_id,
            s.vali_flag,
        )


_CREATE_STAGE = """
CREATE TEMPORARY TABLE ma_stage (
    row_no integer, setl_id varchar(40), member_id bigint, med_type varchar(4),
    hosp_lv smallint, fixmedins_name varchar(100), begndate date, enddate date,
    medfee_sumamt numeric(12,2), fund_pay_sumamt numeric(12,2), hosp_part_amt numeric(12,2),
    fulamt_ownpay_amt numeric(12,2), overlmt_selfpay numeric(12,2), preselfpay_amt numeric(12,2),
    diag_codes varchar(200), diag_names varchar(400), oprn_codes varchar(200),
    refd_setl_flag boolean, orig_setl_id varchar(40), vali_flag boolean
)"""


def _copy_into_stage(cursor: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        raw = cursor.cursor  # the psycopg cursor: COPY streams rows without per-row round trips
        with raw.copy(f"COPY ma_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(STAGE_COLUMNS))
    sql = f"INSERT INTO ma_stage ({', '.join(STAGE_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 - constant columns
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(tuple(str(v) if hasattr(v, "as_tuple") else v for v in row))
        if len(chunk) >= 5000:
            cursor.executemany(sql, chunk)
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)


def settlements_import(
    *,
    actor: User | None,
    org_unit: OrgUnit,
    path: str,
    filename: str,
    source: str = "file",
    skip_invalid: bool = False,
    progress: Progress | None = None,
    today: Any = None,
) -> IntakeResult:
    """Import one settlements file (CSV path; xlsx is converted first by the caller).

    All-or-nothing by default: any invalid row (or a reversal naming an unknown settlement)
    imports nothing and raises ``IntakeRejected`` with row/column/reason. With
    ``skip_invalid`` the valid rows go in and the rejected ones are written to a CSV beside
    the input. Rerunning a file adds nothing twice.
    """
    from gonghui.mutual_aid.engine.io import iter_settlement_rows

    if actor is not None:
        require(actor, "manage", org_unit)
    batch = IntakeBatch.objects.create(
        source=source, filename=filename[:200], org_unit=org_unit, created_by=actor
    )
    members = consenting_members(org_unit)
    counters = {"rows": 0, "no_consent": 0}
    errors: list[RowError] = []
    stats = ReadStats()
    result = IntakeResult(batch=batch)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS ma_stage")
                cursor.execute(_CREATE_STAGE)
                # With skip_invalid every rejected row is listed (they go to the rejects file).
                rows = iter_settlement_rows(
                    path,
                    today=today,
                    stats=stats,
                    errors_out=errors,
                    max_errors=10**7 if skip_invalid else MAX_ERRORS,
                )
                _copy_into_stage(cursor, _stage_rows(rows, members, counters, progress))
                # A reversal must cancel a settlement we know: in this file or already stored.
                cursor.execute(
                    "SELECT s.row_no, s.orig_setl_id FROM ma_stage s WHERE s.refd_setl_flag "
                    "AND NOT EXISTS (SELECT 1 FROM ma_stage o WHERE o.setl_id = s.orig_setl_id) "
                    "AND NOT EXISTS (SELECT 1 FROM mutual_aid_settlement t WHERE t.setl_id = s.orig_setl_id) "
                    "ORDER BY s.row_no"
                )
                for row_no, orig in cursor.fetchall():
                    errors.append(RowError(row_no, "orig_setl_id", f"冲销的原结算单「{orig}」不存在"))
                total_errors = len(errors)
                if errors and not skip_invalid:
                    raise IntakeRejected(
                        batch, sorted(errors, key=lambda e: e.row)[:MAX_ERRORS], total_errors
                    )
                bad_rows = sorted({e.row for e in errors})
                if bad_rows:
                    cursor.execute(
                        f"DELETE FROM ma_stage WHERE row_no IN ({', '.join(['%s'] * len(bad_rows))})",  # noqa: S608
                        bad_rows,
                    )
                cols = ", ".join(TARGET_COLUMNS)
                cursor.execute(
                    f"INSERT INTO mutual_aid_settlement ({cols}, batch_id) "  # noqa: S608 - constant columns
                    f"SELECT {cols}, %s FROM ma_stage ORDER BY row_no ON CONFLICT (setl_id) DO NOTHING",
                    [batch.pk],
                )
                created = cursor.rowcount
                cursor.execute("SELECT COUNT(*) FROM ma_stage")
                staged = cursor.fetchone()[0]
                cursor.execute("DROP TABLE ma_stage")
            batch.rows_total = counters["rows"] + len({e.row for e in errors if e.row})
            batch.rows_created = created
            batch.rows_duplicate = staged - created
            batch.rows_no_consent = counters["no_consent"]
            batch.rows_rejected = len({e.row for e in errors})
            batch.errors = [
                {"row": e.row, "column": e.column, "message": e.message}
                for e in sorted(errors, key=lambda e: e.row)[:MAX_ERRORS]
            ]
            batch.status = IntakeBatch.Status.DONE
            batch.finished_at = timezone.now()
            batch.save()
            audit_record(
                actor=actor,
                action="mutual_aid.intake",
                target=batch,
                org_unit=org_unit,
                after={
                    "file": filename,
                    "created": created,
                    "duplicate": batch.rows_duplicate,
                    "no_consent": batch.rows_no_consent,
                    "rejected": batch.rows_rejected,
                },
            )
    except (IntakeRejected, InputFileError) as exc:
        if isinstance(exc, InputFileError):
            exc = IntakeRejected(batch, exc.errors, exc.total)
        IntakeBatch.objects.filter(pk=batch.pk).update(
            status=IntakeBatch.Status.FAILED,
            finished_at=timezone.now(),
            rows_rejected=exc.total,
            errors=[{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors],
        )
        batch.refresh_from_db()
        raise exc from None
    if errors:
        result.rejected_path = write_rejected(path, errors)
    result.member_ids = list(batch.settlements.order_by().values_list("member_id", flat=True).distinct())
    return result


def write_rejected(path: str, errors: list[RowError]) -> str:
    """Copy the rejected rows of the source file, with the reasons, to ``<file>.rejected.csv``."""
    from gonghui.mutual_aid.engine.io import detect_encoding

    reasons: dict[int, list[str]] = {}
    for e in errors:
        reasons.setdefault(e.row, []).append(f"{e.column}：{e.message}" if e.column else e.message)
    out_path = str(Path(path).with_suffix("")) + ".rejected.csv"
    with (
        open(path, encoding=detect_encoding(path), newline="") as src,
        open(out_path, "w", encoding="utf-8-sig", newline="") as dst,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dst)
        header = next(reader, [])
        writer.writerow(["row", *header, "errors"])
        for number, cells in enumerate(reader, start=2):
            if number in reasons:
                writer.writerow([number, *cells, "；".join(reasons[number])])
    return out_path


def screen_after_intake(*, result: IntakeResult, progress: Progress | None = None) -> list[int]:
    """Run screening for the members whose settlements arrived, for every plan covering them."""
    from gonghui.mutual_aid.screening import screen_members

    if not result.member_ids:
        return []
    units = dict(Member.objects.filter(pk__in=result.member_ids).values_list("pk", "org_unit__path"))
    claims: list[int] = []
    years = {d.year for d in result.batch.settlements.dates("enddate", "year")}
    for plan in Plan.objects.filter(year__in=years, current_version__isnull=False).select_related("org_unit"):
        ids = [m for m, path in units.items() if path.startswith(plan.org_unit.path)]
        outcome = screen_members(plan=plan, member_ids=ids, progress=progress)
        claims.extend(outcome.new_claims)
    IntakeBatch.objects.filter(pk=result.batch.pk).update(candidates_created=len(claims))
    return claims
