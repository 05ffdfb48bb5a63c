"""``manage.py assist_import --craftsmen C.csv --outcomes O.csv [--org-unit CODE] [--skip-invalid]``

The import contract (spec/assist.md): ``C.csv`` = ``external_id,name,honours,region,industry,
trades,skills,bio``, ``O.csv`` = ``external_id,title,type,industry,description``, lists
separated by "、"; UTF-8 or GB18030, or the same columns in xlsx. Both files are checked in full
and written in one transaction: on any bad row (listed by row and column on stderr) the exit
code is non-zero and nothing is written. Idempotent by ``external_id``: a rerun updates, never
duplicates. The records join ``--org-unit`` (a division code), by default the root-most
district (or the tree root).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gonghui.assist.libraries import craftsmen_import, outcomes_import
from gonghui.core.tabular import ImportReport, TableError
from gonghui.orgs.models import OrgUnit


def default_unit() -> OrgUnit | None:
    """The root-most district union, else the first root of the tree."""
    district = OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT).order_by("depth", "path").first()
    return district or OrgUnit.objects.filter(depth=1).order_by("path").first()


class Command(BaseCommand):
    help = "导入劳模工匠与创新成果（导入契约 CSV/xlsx）；有错误时不写入任何数据并返回非零退出码"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--craftsmen", type=Path, help="C.csv: external_id,name,honours,region,industry,trades,skills,bio"
        )
        parser.add_argument(
            "--outcomes", type=Path, help="O.csv: external_id,title,type,industry,description"
        )
        parser.add_argument(
            "--org-unit", dest="org_unit", help="所属工会的行政区划代码（默认：最上层的区县总工会）"
        )
        parser.add_argument("--skip-invalid", action="store_true", help="跳过有错误的行，仅导入正确的行")

    def handle(self, *args: Any, **options: Any) -> None:
        files = [(kind, options[kind]) for kind in ("craftsmen", "outcomes") if options[kind]]
        if not files:
            raise CommandError("请至少指定 --craftsmen 或 --outcomes")
        unit = self._unit(options["org_unit"])
        payloads = []
        for kind, path in files:
            try:
                payloads.append((kind, path, path.read_bytes()))
            except OSError as exc:
                raise CommandError(f"{path}: 无法读取文件（{exc.strerror}）") from exc
        importers = {"craftsmen": craftsmen_import, "outcomes": outcomes_import}
        reports: list[tuple[str, ImportReport]] = []
        failures: list[str] = []
        with transaction.atomic():
            for kind, path, data in payloads:
                try:
                    report = importers[kind](
                        actor=None,
                        org_unit=unit,
                        data=data,
                        filename=path.name,
                        skip_invalid=options["skip_invalid"],
                    )
                except TableError as exc:
                    failures += [f"{path}: {error}" for error in exc.errors]
                    if exc.total_errors > len(exc.errors):
                        failures.append(f"{path}: ……共 {exc.total_errors} 处错误")
                    continue
                reports.append((kind, report))
                failures += [f"{path}: {error}（已跳过）" for error in report.rejected]
            if failures and not options["skip_invalid"]:
                transaction.set_rollback(True)
        if failures and not options["skip_invalid"]:
            for line in failures:
                self.stderr.write(line)
            raise CommandError(f"导入失败：{len(failures)} 处错误，未写入任何数据")
        for line in failures:
            self.stderr.write(line)
        labels = {"craftsmen": "劳模工匠", "outcomes": "创新成果"}
        for kind, report in reports:
            self.stdout.write(
                f"{labels[kind]}：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}，"
                f"跳过 {len(report.rejected)}（{unit.name}）"
            )

    def _unit(self, code: str | None) -> OrgUnit:
        if code:
            unit = OrgUnit.objects.filter(division_code=code.strip()).order_by("depth", "path").first()
            if unit is None:
                raise CommandError(f"找不到行政区划代码为 {code} 的工会")
            return unit
        unit = default_unit()
        if unit is None:
            raise CommandError("还没有任何工会组织，请先建立组织树")
        return unit
