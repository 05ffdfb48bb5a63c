"""`manage.py mutual_aid_import_settlements FILE` — 医保 settlement intake from the command line.

The same service as the upload page: all-or-nothing unless --skip-invalid (then the
rejected rows go to FILE.rejected.csv), idempotent by setl_id, only consenting members'
rows kept; screening runs afterwards and candidate claims are notified.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gonghui.mutual_aid.intake import IntakeRejected, screen_after_intake, settlements_import, xlsx_to_csv
from gonghui.mutual_aid.models import Plan
from gonghui.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Import a 医保 settlements file (csv or xlsx, UTF-8 or GB18030) and screen the members."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows; write the rejected ones to FILE.rejected.csv",
        )
        parser.add_argument(
            "--org-unit",
            help="division code of the union whose members the file covers "
            "(default: the union running the plans, when there is only one)",
        )
        parser.add_argument("--no-screening", action="store_true", help="only store the settlements")
        parser.add_argument("--base-url", default="", help="site address used in SMS links")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        unit = self._unit(options.get("org_unit"))
        source = str(path)
        if path.suffix.lower() == ".xlsx":
            source = xlsx_to_csv(path.read_bytes())
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if sys.stderr.isatty():
                self.stderr.write(f"\r已读取 {done:,} 行", ending="")

        try:
            result = settlements_import(
                actor=None,
                org_unit=unit,
                path=source,
                filename=path.name,
                source="command",
                skip_invalid=options["skip_invalid"],
                progress=progress,
            )
        except IntakeRejected as exc:
            lines = [f"文件有 {exc.total} 处错误，未导入任何数据："] + [str(e) for e in exc.errors[:50]]
            if exc.total > 50:
                lines.append(f"……另有 {exc.total - 50} 处错误")
            raise CommandError("\n".join(lines)) from None
        finally:
            if source != str(path):
                Path(source).unlink(missing_ok=True)
        batch = result.batch
        self.stdout.write(
            f"读取 {batch.rows_total:,} 行：新增 {batch.rows_created:,}，重复 {batch.rows_duplicate:,}，"
            f"未授权跳过 {batch.rows_no_consent:,}，错误 {batch.rows_rejected:,}"
        )
        if result.rejected_path:
            rejected = path.with_suffix("").as_posix() + ".rejected.csv"
            Path(result.rejected_path).replace(rejected)
            self.stdout.write(f"错误行已写入 {rejected}")
        if not options["no_screening"]:
            claims = screen_after_intake(result=result)
            from django.db import transaction

            from gonghui.mutual_aid.tasks import notify_claims

            transaction.on_commit(lambda: notify_claims.delay(claims, options["base_url"]))
            self.stdout.write(f"筛查：{len(result.member_ids):,} 名会员，生成待申报 {len(claims):,} 笔")
        self.stdout.write(f"用时 {time.perf_counter() - started:.1f} 秒")

    def _unit(self, code: str | None) -> OrgUnit:
        if code:
            unit = OrgUnit.objects.filter(division_code=code).first()
            if unit is None:
                raise CommandError(f"找不到行政区划代码为 {code} 的工会组织")
            return unit
        units = {p.org_unit for p in Plan.objects.select_related("org_unit")}
        if len(units) != 1:
            raise CommandError("请用 --org-unit 指定数据所属的工会（行政区划代码）")
        return units.pop()
