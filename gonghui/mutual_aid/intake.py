"""Intake of 医保 settlements (file upload, command, API push) into the database.

Set-based and atomic. The file's valid rows of consenting members land in a temporary stage
table ``ma_stage``, in one of two ways that give the same rows and the same errors:

* PostgreSQL: ``intake_sql`` COPYs the raw file and validates it set-based in SQL (every
  rule of the Python reader, message for message; blind index with pgcrypto);
* elsewhere (the SQLite demo), or for a file the SQL path declines: the Python reader
  (``engine/io.py``) validates row by row and the rows are staged with COPY / executemany.

Then, shared: staged rows that do not fit the table are reported, reversals must name a
known settlement, and one INSERT … ON CONFLICT DO NOTHING moves the rows, so a rerun of the
same file adds nothing (idempotent by ``setl_id``) and a crash leaves nothing half-done.
Only members with a live consent for 医保 data are stored; other rows are counted, not kept.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import require
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.members.models import Member
from gonghui.mutual_aid.engine import records
from gonghui.mutual_aid.engine.io import InputFileError, ReadStats, RowError
from gonghui.mutual_aid.intake_sql import STEP_SECONDS, Staged, step
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
ANALYZE_AFTER = 50_000  # rows stored by one import


class IntakeRejected(Exception):
    """The file has invalid rows and was not imported (all-or-nothing)."""

    def __init__(
        self, batch: IntakeBatch, errors: list[RowError], total: int, engine: str = "python"
    ) -> None:
        self.batch = batch
        self.errors = errors
        self.total = total
        self.engine = engine  # which validator spoke: "sql" or "python"
        super().__init__(f"{total} 处错误，未导入任何数据")


@dataclass
class IntakeResult:
    batch: IntakeBatch
    member_ids: list[int] = field(default_factory=list)
    rejected_path: str | None = None
    engine: str = "python"  # "sql": validated by the PostgreSQL fast path (intake_sql)


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


def _consent_queryset(org_unit: OrgUnit) -> QuerySet[Consent]:
    return Consent.objects.filter(
        source=Consent.Source.MEDICAL_INSURANCE,
        revoked_at__isnull=True,
        member__org_unit__path__startswith=org_unit.path,
    )


def consenting_members(org_unit: OrgUnit) -> dict[str, tuple[int, int]]:
    """blind index of the ID number → (member id, org unit id) for members under ``org_unit``
    with a live 医保 consent (one query; the ID numbers are never decrypted)."""
    rows = _consent_queryset(org_unit).values_list(
        "member__id_number_index", "member_id", "member__org_unit_id"
    )
    return {index: (member_id, unit_id) for index, member_id, unit_id in rows}


def _consent_sql(org_unit: OrgUnit) -> tuple[str, tuple[Any, ...]]:
    """The same selection as SQL: (blind index, member id), for the PostgreSQL fast path."""
    query = _consent_queryset(org_unit).values_list("member__id_number_index", "member_id").query
    sql, params = query.sql_with_params()
    return sql, tuple(params)


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


# Identifiers and amounts are unbounded here: what does not fit the settlement table is
# reported by _limit_errors (shared by both staging paths) instead of failing the INSERT.
_CREATE_STAGE = """
CREATE TEMPORARY TABLE ma_stage (
    row_no integer, setl_id text, member_id bigint, med_type varchar(4),
    hosp_lv smallint, fixmedins_name varchar(100), begndate date, enddate date,
    medfee_sumamt numeric, fund_pay_sumamt numeric, hosp_part_amt numeric,
    fulamt_ownpay_amt numeric, overlmt_selfpay numeric, preselfpay_amt numeric,
    diag_codes varchar(200), diag_names varchar(400), oprn_codes varchar(200),
    refd_setl_flag boolean, orig_setl_id text, vali_flag boolean
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


def _stage_python(
    cursor: Any,
    *,
    path: str,
    org_unit: OrgUnit,
    today: date,
    max_errors: int,
    progress: Progress | None,
) -> Staged:
    """Validate every row in Python (engine/io.py) and COPY the valid, consenting ones."""
    from gonghui.mutual_aid.engine.io import iter_settlement_rows

    members = consenting_members(org_unit)
    counters = {"rows": 0, "no_consent": 0}
    errors: list[RowError] = []
    stats = ReadStats()
    cursor.execute("DROP TABLE IF EXISTS ma_stage")
    cursor.execute(_CREATE_STAGE)
    rows = iter_settlement_rows(path, today=today, stats=stats, errors_out=errors, max_errors=max_errors)
    _copy_into_stage(cursor, _stage_rows(rows, members, counters, progress))
    return Staged(engine="python", errors=errors, rows_seen=stats.rows, no_consent=counters["no_consent"])


# What the settlement table can hold (varchar(40) identifiers, numeric(12,2) amounts).
MAX_ID_LENGTH = 40
MAX_AMOUNT = Decimal("9999999999.99")
_AMOUNT_COLUMNS = (
    "medfee_sumamt",
    "fund_pay_sumamt",
    "hosp_part_amt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
)


def _limit_errors(cursor: Any) -> list[RowError]:
    """Staged rows that would not fit the settlement table (a row the reader accepts may still
    carry a 41-character setl_id or an amount of ten billion yuan)."""
    too_big = " OR ".join(f"{c} > %s" for c in _AMOUNT_COLUMNS)
    cursor.execute(
        f"SELECT row_no, length(setl_id) > %s, {', '.join(f'{c} > %s' for c in _AMOUNT_COLUMNS)}, "  # noqa: S608 - constant columns
        f"length(orig_setl_id) > %s FROM ma_stage "
        f"WHERE length(setl_id) > %s OR length(orig_setl_id) > %s OR {too_big} ORDER BY row_no",
        [
            MAX_ID_LENGTH,
            *[MAX_AMOUNT] * len(_AMOUNT_COLUMNS),
            MAX_ID_LENGTH,
            MAX_ID_LENGTH,
            MAX_ID_LENGTH,
            *[MAX_AMOUNT] * len(_AMOUNT_COLUMNS),
        ],
    )
    errors = []
    for row_no, long_id, *flags in cursor.fetchall():
        if long_id:
            errors.append(RowError(row_no, "setl_id", f"结算单号过长（最多 {MAX_ID_LENGTH} 个字符）"))
        for column, over in zip(_AMOUNT_COLUMNS, flags[:-1], strict=True):
            if over:
                errors.append(RowError(row_no, column, f"金额超出上限 {MAX_AMOUNT}"))
        if flags[-1]:
            errors.append(RowError(row_no, "orig_setl_id", f"原结算单号过长（最多 {MAX_ID_LENGTH} 个字符）"))
    return errors


def _reversal_errors(cursor: Any) -> list[RowError]:
    """A reversal must cancel a settlement we know: in this file or already stored."""
    cursor.execute(
        "SELECT s.row_no, s.orig_setl_id FROM ma_stage s WHERE s.refd_setl_flag "
        "AND NOT EXISTS (SELECT 1 FROM ma_stage o WHERE o.setl_id = s.orig_setl_id) "
        "AND NOT EXISTS (SELECT 1 FROM mutual_aid_settlement t WHERE t.setl_id = s.orig_setl_id) "
        "ORDER BY s.row_no"
    )
    return [
        RowError(row_no, "orig_setl_id", f"冲销的原结算单「{orig}」不存在")
        for row_no, orig in cursor.fetchall()
    ]


def _delete_staged(cursor: Any, row_numbers: list[int]) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("DELETE FROM ma_stage WHERE row_no = ANY(%s::bigint[])", [row_numbers])
        return
    for start in range(0, len(row_numbers), 500):
        part = row_numbers[start : start + 500]
        cursor.execute(f"DELETE FROM ma_stage WHERE row_no IN ({', '.join(['%s'] * len(part))})", part)  # noqa: S608


def _insert_staged(cursor: Any, batch_id: int) -> int:
    """ma_stage → the settlement table; a setl_id already stored is skipped (idempotent)."""
    cols = ", ".join(TARGET_COLUMNS)
    # File order (ordering by member measured no faster: the index and foreign-key work is
    # the same either way).
    cursor.execute(
        f"INSERT INTO mutual_aid_settlement ({cols}, batch_id) "  # noqa: S608 - constant columns
        f"SELECT {cols}, %s FROM ma_stage ORDER BY row_no "
        "ON CONFLICT (setl_id) DO NOTHING",
        [batch_id],
    )
    return int(cursor.rowcount)


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
    engine: str = "auto",
) -> IntakeResult:
    """Import one settlements file (CSV path; xlsx is converted first by the caller).

    All-or-nothing by default: any invalid row (or a reversal naming an unknown settlement)
    imports nothing and raises ``IntakeRejected`` with row/column/reason. With
    ``skip_invalid`` the valid rows go in and the rejected ones are written to a CSV beside
    the input. Rerunning a file adds nothing twice.

    ``engine``: ``auto`` validates in SQL on PostgreSQL (``intake_sql``; it hands over to
    Python for files it declines) and in Python elsewhere; ``python`` forces the Python
    reader. Both give the same errors and the same rows.
    """
    if actor is not None:
        require(actor, "manage", org_unit)
    batch = IntakeBatch.objects.create(
        source=source, filename=filename[:200], org_unit=org_unit, created_by=actor
    )
    today = today or date.today()
    # With skip_invalid every rejected row is listed (they go to the rejects file).
    max_errors = 10**7 if skip_invalid else MAX_ERRORS
    result = IntakeResult(batch=batch)
    errors: list[RowError] = []
    engine_used = "python"
    STEP_SECONDS.clear()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                staged = None
                if engine != "python" and connection.vendor == "postgresql":
                    from gonghui.mutual_aid import intake_sql

                    staged = intake_sql.stage_file(
                        cursor,
                        path=path,
                        consent_sql=_consent_sql(org_unit),
                        today=today,
                        max_errors=max_errors,
                        progress=progress,
                    )
                if staged is None:
                    with step("python: read, validate, copy to ma_stage"):
                        staged = _stage_python(
                            cursor,
                            path=path,
                            org_unit=org_unit,
                            today=today,
                            max_errors=max_errors,
                            progress=progress,
                        )
                engine_used = staged.engine
                with step("limits and reversals"):
                    errors = staged.errors + _limit_errors(cursor) + _reversal_errors(cursor)
                total_errors = len(errors)
                if errors and not skip_invalid:
                    raise IntakeRejected(
                        batch, sorted(errors, key=lambda e: e.row)[:MAX_ERRORS], total_errors, engine_used
                    )
                late = sorted({e.row for e in errors[len(staged.errors) :]})
                if late:
                    _delete_staged(cursor, late)
                with step("insert into mutual_aid_settlement"):
                    created = _insert_staged(cursor, batch.pk)
                cursor.execute("SELECT COUNT(*) FROM ma_stage")
                staged_rows = cursor.fetchone()[0]
                cursor.execute("DROP TABLE ma_stage")
            rejected_rows = {e.row for e in errors}
            batch.rows_total = staged.rows_seen
            batch.rows_created = created
            batch.rows_duplicate = staged_rows - created
            batch.rows_no_consent = staged.no_consent
            batch.rows_rejected = len(rejected_rows)
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
            commit_from = time.perf_counter()
        STEP_SECONDS["commit (deferred foreign-key checks)"] = time.perf_counter() - commit_from
    except (IntakeRejected, InputFileError) as exc:
        if isinstance(exc, InputFileError):
            exc = IntakeRejected(batch, exc.errors, exc.total, engine_used)
        IntakeBatch.objects.filter(pk=batch.pk).update(
            status=IntakeBatch.Status.FAILED,
            finished_at=timezone.now(),
            rows_rejected=exc.total,
            errors=[{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors],
        )
        batch.refresh_from_db()
        raise exc from None
    result.engine = engine_used
    if created >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Screening follows at once and looks settlements up by member: give the planner
        # the new table size now rather than when autovacuum gets to it.
        with step("analyze mutual_aid_settlement"), connection.cursor() as cursor:
            cursor.execute("ANALYZE mutual_aid_settlement")
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


def keep_rejected_file(*, batch: IntakeBatch, path: str) -> None:
    """Attach an upload's rejected-rows CSV to its batch (moved into storage, the temporary
    file removed) so staff can download, correct and re-upload the rows."""
    source = Path(path)
    with source.open("rb") as fh:
        batch.rejected_file.save(f"batch-{batch.pk}-rejected.csv", File(fh), save=False)
    IntakeBatch.objects.filter(pk=batch.pk).update(rejected_file=batch.rejected_file.name)
    source.unlink(missing_ok=True)


def screen_after_intake(*, result: IntakeResult, progress: Progress | None = None) -> list[int]:
    """Run screening for the members whose settlements arrived, for every plan covering them."""
    from gonghui.mutual_aid.screening import member_ids_filter, screen_members

    if not result.member_ids:
        return []
    members = member_ids_filter(Member.objects.order_by(), '"members_member"."id"', "pk", result.member_ids)
    units = dict(members.values_list("pk", "org_unit__path"))
    claims: list[int] = []
    years = {d.year for d in result.batch.settlements.dates("enddate", "year")}
    for plan in Plan.objects.filter(year__in=years, current_version__isnull=False).select_related("org_unit"):
        ids = [m for m, path in units.items() if path.startswith(plan.org_unit.path)]
        outcome = screen_members(plan=plan, member_ids=ids, progress=progress)
        claims.extend(outcome.new_claims)
    IntakeBatch.objects.filter(pk=result.batch.pk).update(candidates_created=len(claims))
    return claims
