"""Payouts (打款): a daily bank batch file of approved claims and the bank's return file.

Money moves exactly once: a claim is locked while it is put in a batch, and the database
allows one live (pending or paid) payout item per claim.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import require
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError
from gonghui.core.tabular import RowError, TableError, build_xlsx, read_table, write_csv
from gonghui.mutual_aid import errors
from gonghui.mutual_aid.models import Claim, ClaimEvent, PayoutBatch, PayoutItem
from gonghui.orgs.models import OrgUnit

BANK_FILE_HEADERS = ["户名", "账号", "开户行", "金额", "用途", "流水号"]
RETURN_COLUMNS = {"流水号": "serial", "状态": "status", "说明": "message", "金额": "amount"}
PURPOSE = "职工医疗互助补助"


@transaction.atomic
def payout_batch_create(*, actor: User, org_unit: OrgUnit) -> PayoutBatch | None:
    """Put every approved, unpaid claim under ``org_unit`` into one batch (None if none)."""
    require(actor, "manage", org_unit)
    claims = list(
        Claim.objects.select_for_update(skip_locked=True)
        .filter(status=Claim.Status.APPROVED, org_unit__path__startswith=org_unit.path)
        .order_by("pk")
    )
    if not claims:
        return None
    now = timezone.localtime()
    # Date for people, random part for uniqueness (two batches may be made in one second).
    reference = f"MA{now:%Y%m%d}{secrets.token_hex(4).upper()}"
    batch = PayoutBatch.objects.create(
        org_unit=org_unit,
        reference=reference,
        created_by=actor,
        line_count=len(claims),
        total_amount=sum(c.amount for c in claims),
    )
    items = [
        PayoutItem(batch=batch, claim=c, amount=c.amount, serial=f"{reference}{i:05d}")
        for i, c in enumerate(claims, start=1)
    ]
    PayoutItem.objects.bulk_create(items)  # the partial unique constraint refuses a 2nd live item
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(status=Claim.Status.IN_PAYOUT)
    ClaimEvent.objects.bulk_create(
        [ClaimEvent(claim=c, kind="payout", actor=actor, note=f"纳入打款批次 {reference}") for c in claims]
    )
    audit_record(
        actor=actor,
        action="mutual_aid.payout_batch",
        target=batch,
        org_unit=org_unit,
        after={"reference": reference, "lines": len(claims), "total": batch.total_amount},
    )
    return batch


def payout_file_rows(batch: PayoutBatch) -> list[list[str]]:
    """The 批量代发 rows (户名, 账号, 开户行, 金额, 用途, 流水号); card numbers in full for the bank."""
    return [
        [
            item.claim.bank_account_name,
            item.claim.bank_card,
            item.claim.bank_name,
            f"{item.amount:.2f}",
            PURPOSE,
            item.serial,
        ]
        for item in batch.items.select_related("claim").order_by("serial")
    ]


def payout_file(batch: PayoutBatch, fmt: str) -> bytes:
    """The bank file as xlsx or csv (UTF-8 with BOM so Excel opens it correctly)."""
    rows = payout_file_rows(batch)
    if fmt == "xlsx":
        return build_xlsx(BANK_FILE_HEADERS, rows, sheet_title="批量代发")
    buffer = io.StringIO()
    write_csv(buffer, BANK_FILE_HEADERS, rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass
class ReturnReport:
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


_STATUS_WORDS = {
    "成功": "paid",
    "success": "paid",
    "paid": "paid",
    "失败": "failed",
    "failed": "failed",
    "fail": "failed",
}


@transaction.atomic
def payout_return_import(*, actor: User, batch: PayoutBatch, data: bytes, filename: str) -> ReturnReport:
    """Apply the bank's return file: each line paid or failed; failed claims return to the
    approved queue for the next batch. Re-importing the same file changes nothing."""
    require(actor, "manage", batch.org_unit)
    items = {i.serial: i for i in batch.items.select_for_update().select_related("claim")}
    report = ReturnReport()
    parsed = []
    for row in read_table(
        data, filename, required=["serial", "status"], optional=["message", "amount"], aliases=RETURN_COLUMNS
    ):
        serial = row.values["serial"]
        item = items.get(serial)
        status = _STATUS_WORDS.get(row.values["status"].strip().lower())
        if item is None:
            report.errors.append(RowError(row.number, "流水号", "不属于本批次"))
        elif status is None:
            report.errors.append(RowError(row.number, "状态", "应为 成功 或 失败"))
        elif row.values.get("amount") and row.values["amount"] != f"{item.amount:.2f}":
            report.errors.append(RowError(row.number, "金额", f"与打款金额 {item.amount:.2f} 不一致"))
        else:
            parsed.append((item, status, row.values.get("message", "")))
    if report.errors:
        raise TableError(report.errors)
    if not parsed:
        raise DomainError(errors.PAYOUT_RETURN_INVALID, "回盘文件没有数据行", field="file")
    now = timezone.now()
    for item, status, message in parsed:
        if item.status != PayoutItem.Status.PENDING:
            if item.status != status:
                raise TableError(
                    [
                        RowError(
                            0,
                            "流水号",
                            f"{item.serial} 已回盘为 {item.get_status_display()}，不能改为其他状态",
                        )
                    ]
                )
            report.unchanged += 1
            continue
        item.status = status
        item.bank_message = message[:200]
        item.settled_at = now
        item.save(update_fields=["status", "bank_message", "settled_at"])
        claim = item.claim
        if status == "paid":
            claim.status = Claim.Status.PAID
            claim.paid_at = now
            report.paid += 1
            ClaimEvent.objects.create(
                claim=claim, kind="paid", actor=actor, note=f"银行回盘成功 {item.serial}"
            )
        else:
            claim.status = Claim.Status.APPROVED  # back to the queue for the next batch
            report.failed += 1
            ClaimEvent.objects.create(
                claim=claim, kind="payout_failed", actor=actor, note=f"银行回盘失败：{message[:200]}"
            )
        claim.save(update_fields=["status", "paid_at"])
    if not batch.items.filter(status=PayoutItem.Status.PENDING).exists():
        batch.status = PayoutBatch.Status.RETURNED
        batch.returned_at = now
        batch.save(update_fields=["status", "returned_at"])
    audit_record(
        actor=actor,
        action="mutual_aid.payout_return",
        target=batch,
        org_unit=batch.org_unit,
        after={"paid": report.paid, "failed": report.failed, "unchanged": report.unchanged},
    )
    return report
