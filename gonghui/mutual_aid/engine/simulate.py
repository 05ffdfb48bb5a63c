"""政策测算: run the production engine over files (no database).

Reads enrolments and settlements (validated, all-or-nothing), replays every member's plan
year with `evaluate_member` — the same code production runs — and writes one CSV row per
paid (settlement, benefit). The output appears atomically: it is written to a temporary
file beside the target and renamed, so a failed run leaves no partial file.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from gonghui.mutual_aid.assessment.types import Assessment, Case
from gonghui.mutual_aid.engine.calculate import (
    CENT,
    AssessmentCache,
    Assessor,
    PlanFilter,
    evaluate_member,
    group_by_member,
    group_enrolments,
)
from gonghui.mutual_aid.engine.io import ReadStats, iter_settlements, read_enrolments
from gonghui.mutual_aid.engine.policy import Plan
from gonghui.mutual_aid.engine.records import ZERO, Settlement

OUT_HEADER: tuple[str, ...] = (
    "setl_id",
    "certno",
    "item",
    "benefit",
    "base",
    "days",
    "amount",
    "status",
    "category",
)


@dataclass(frozen=True, slots=True)
class BenefitTotal:
    """Rows and amount paid by one benefit in a simulation."""

    item: str
    benefit: str
    rows: int
    amount: Decimal
    auto_rows: int


@dataclass(slots=True)
class _Tally:
    rows: int = 0
    amount: Decimal = ZERO
    auto_rows: int = 0


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """Figures of one simulation run: paid rows, total, automation rate, time."""

    rows: int
    total_amount: Decimal
    auto_rows: int
    settlements_read: int
    settlements_used: int
    members: int
    members_paid: int
    enrolments: int
    seconds: float
    by_benefit: tuple[BenefitTotal, ...]
    unknown_items: tuple[str, ...] = ()
    assessments: int = 0

    @property
    def auto_rate(self) -> float:
        """Share of paid rows decided with no human (status `auto`); 0 when none."""
        return self.auto_rows / self.rows if self.rows else 0.0


def no_assessor(case: Case) -> Assessment:
    """Assessor for plans without `categories` benefits: finds nothing."""
    return Assessment(case_id=case.id)


def plan_needs_assessor(plan: Plan) -> bool:
    """Whether any benefit of the plan depends on critical-illness categories."""
    return any(b.categories for item in plan.items for b in item.benefits)


def simulate(
    *,
    plan: Plan,
    enrolments_path: str | Path,
    settlements_path: str | Path,
    out_path: str | Path,
    assessor: Assessor,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationSummary:
    """Compute every member's subsidies for the plan year and write them to `out_path`.

    Raises `InputFileError` (nothing written) when either file has invalid rows.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    enrolments = read_enrolments(enrolments_path)
    by_member = group_enrolments(enrolments, year=plan.year)
    plan_items = {item.code for item in plan.items}
    unknown = sorted({e.item for e in enrolments if e.year == plan.year} - plan_items)
    say(f"参保记录 {len(enrolments)} 条，本年度参保人数 {len(by_member)}")

    cache = assessor if isinstance(assessor, AssessmentCache) else AssessmentCache(assessor)

    applies = PlanFilter(plan, cache)

    def relevant(s: Settlement) -> bool:
        # Members with no enrolment this year and settlements no benefit applies to cannot
        # be paid nor move an accumulator: not holding them keeps memory small.
        return s.certno in by_member and applies(s)

    stats = ReadStats()
    groups = group_by_member(
        iter_settlements(settlements_path, today=today, stats=stats),
        year=plan.year,
        keep=relevant,
    )
    used = sum(len(rows) for rows in groups.values())
    say(f"结算单 {stats.rows} 条（编码 {stats.encoding}），参与计算 {used} 条")

    out = Path(out_path)
    rows = auto_rows = members_paid = 0
    total = ZERO
    per_benefit = {(item.code, b.code): _Tally() for item in plan.items for b in item.benefits}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(OUT_HEADER)
            for certno in sorted(groups):
                result = evaluate_member(plan, by_member.get(certno, ()), groups[certno], cache)
                if result.lines:
                    members_paid += 1
                for line in result.lines:
                    writer.writerow(
                        (
                            line.setl_id,
                            line.certno,
                            line.item,
                            line.benefit,
                            line.base.quantize(CENT),
                            line.days,
                            line.amount.quantize(CENT),
                            line.status,
                            line.category or "",
                        )
                    )
                    rows += 1
                    total += line.amount
                    tally = per_benefit[(line.item, line.benefit)]
                    tally.rows += 1
                    tally.amount += line.amount
                    if line.status == "auto":
                        auto_rows += 1
                        tally.auto_rows += 1
        os.replace(tmp_name, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return SimulationSummary(
        rows=rows,
        total_amount=total.quantize(CENT),
        auto_rows=auto_rows,
        settlements_read=stats.rows,
        settlements_used=used,
        members=len(groups),
        members_paid=members_paid,
        enrolments=len(enrolments),
        seconds=time.perf_counter() - started,
        by_benefit=tuple(
            BenefitTotal(item, benefit, t.rows, t.amount, t.auto_rows)
            for (item, benefit), t in per_benefit.items()
        ),
        unknown_items=tuple(unknown),
        assessments=cache.misses,
    )
