"""`manage.py mutual_aid_assess_report`: held-out evaluation → docs/mutual_aid_assessment.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    """Evaluate the text model on the held-out test split and (re)write the docs page."""

    help = (
        "重疾判断评估：在留出测试集上计算准确率、各类别精确率/召回率和混淆，"
        "写入 docs/mutual_aid_assessment.md。"
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=None, help="报告路径（默认见 evaluation.REPORT_PATH）")
        parser.add_argument(
            "--check", action="store_true", help="只检查报告是否与当前代码和数据一致，不一致则失败"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gonghui.mutual_aid.assessment.catalogue import load_catalogue
        from gonghui.mutual_aid.assessment.evaluation import (
            REPORT_PATH,
            default_report,
            render_markdown,
        )

        target = Path(options["out"]) if options["out"] else REPORT_PATH
        catalogue = load_catalogue()
        report = default_report()
        text = render_markdown(report, catalogue)
        if options["check"]:
            current = target.read_text(encoding="utf-8") if target.is_file() else ""
            if current != text:
                hint = "python manage.py mutual_aid_assess_report"
                raise CommandError(f"{target} 已过期：请运行 {hint}")
            self.stdout.write(f"{target} 与当前代码和数据一致")
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        none_total = sum(report.decisions_none.values())
        w = self.stdout.write
        w(f"已写入 {target}")
        w(f"model_version: {report.model_version}")
        w(f"test_rows: {report.rows['test']}")
        w(f"accuracy: {report.accuracy:.4f}")
        w(f"macro_f1: {report.macro_f1:.4f}")
        w(f"threshold: {report.threshold:.2f} (validation-tuned {report.tuned_threshold:.2f})")
        w(f"none_auto_accept: {report.wrong_auto_accept} / {none_total}")
        w(f"none_needs_review: {report.decisions_none['needs_review']} / {none_total}")
