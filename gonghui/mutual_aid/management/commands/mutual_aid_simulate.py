"""`manage.py mutual_aid_simulate`: 政策测算 — the production engine over files, no database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gonghui.mutual_aid.assessment.types import Assessment, Case
from gonghui.mutual_aid.engine.calculate import Assessor
from gonghui.mutual_aid.engine.io import InputFileError
from gonghui.mutual_aid.engine.policy import PolicyError, load_policy
from gonghui.mutual_aid.engine.simulate import (
    SimulationSummary,
    no_assessor,
    plan_needs_assessor,
    simulate,
)


class _LazyDefaultAssessor:
    """The production assessor, loaded on the first case that needs it.

    Lazy so that a missing policy or unreadable file is reported without loading the text
    model, and a run where no settlement needs an assessment never loads it at all.
    """

    def __init__(self) -> None:
        self._assess: Assessor | None = None

    def __call__(self, case: Case) -> Assessment:
        if self._assess is None:
            from gonghui.mutual_aid.assessment.service import default_assessor

            self._assess = default_assessor()
        return self._assess(case)


class Command(BaseCommand):
    """Run a policy file over enrolment and settlement files and write the pay lines."""

    help = "政策测算：用生产规则引擎计算参保人员的互助金额，写出每条（结算单，补助）的结果，不读写数据库。"
    # Touches no database: no system checks, no migration checks.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--policy", required=True, help="互助计划文件（YAML）")
        parser.add_argument(
            "--enrolments", required=True, help="参保 CSV：certno,year,item,start_date,renewal"
        )
        parser.add_argument("--settlements", required=True, help="医保结算单 CSV")
        parser.add_argument("--out", required=True, help="结果 CSV（原子写入）")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        for key in ("policy", "enrolments", "settlements"):
            if not Path(options[key]).is_file():
                raise CommandError(f"找不到文件 --{key} {options[key]}")
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"输出目录不存在：{out.parent}")
        try:
            plan = load_policy(options["policy"])
        except PolicyError as exc:
            raise CommandError(str(exc)) from exc
        assessor: Assessor = _LazyDefaultAssessor() if plan_needs_assessor(plan) else no_assessor
        verbose = int(options.get("verbosity", 1)) >= 2
        try:
            summary = simulate(
                plan=plan,
                enrolments_path=options["enrolments"],
                settlements_path=options["settlements"],
                out_path=out,
                assessor=assessor,
                progress=(lambda msg: self.stderr.write(msg)) if verbose else None,
            )
        except InputFileError as exc:
            raise CommandError(str(exc)) from exc
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise CommandError(f"重疾判断模块不可用：{exc}") from exc
        except OSError as exc:
            raise CommandError(f"无法读写文件：{exc}") from exc
        self._report(plan.name, plan.year, summary, time.perf_counter() - started)

    def _report(self, name: str, year: int, s: SimulationSummary, seconds: float) -> None:
        w = self.stdout.write
        w(f"政策测算完成：{name}（{year} 年度）")
        w(f"rows: {s.rows}")
        w(f"total_amount: {s.total_amount}")
        w(f"auto_rate: {s.auto_rate:.2%}")
        w(f"seconds: {seconds:.2f}")
        w(
            f"结算单 {s.settlements_read} 条，参与计算 {s.settlements_used} 条；"
            f"参保记录 {s.enrolments} 条；获付人数 {s.members_paid}"
        )
        for t in s.by_benefit:
            if t.rows:
                w(f"  {t.item}.{t.benefit}: {t.rows} 行，{t.amount} 元，自动 {t.auto_rows} 行")
        if s.unknown_items:
            self.stderr.write("警告：参保文件中有计划未定义的项目：" + ", ".join(s.unknown_items))
