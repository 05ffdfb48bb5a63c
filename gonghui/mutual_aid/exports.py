"""Workbooks of the mutual-aid module: the dashboard's statistics, one sheet per breakdown."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from gonghui.core.tabular import add_sheet
from gonghui.mutual_aid.models import Plan

STATISTICS_SHEETS = ("汇总", "按镇街", "按行业", "按企业", "按月份", "按补助")
# (key in statistics()["totals"], label) in the order the 汇总 sheet lists them.
TOTALS_ROWS = (
    ("enrolled_members", "参保人数"),
    ("fees", "互助金合计（元）"),
    ("candidates", "筛查发现（笔）"),
    ("applied", "已申报（笔）"),
    ("paid", "已到账（笔）"),
    ("paid_amount", "已支付金额（元）"),
    ("owed_total", "补助金额合计（元）"),
    ("auto", "自动审核（笔）"),
    ("automation_rate", "自动审核率（%）"),
    ("avg_apply_to_paid_days", "申报到到账平均天数"),
)


def statistics_workbook(*, plan: Plan, stats: dict[str, Any]) -> bytes:
    """The figures of ``selectors.statistics`` as an xlsx: totals, then street, industry,
    enterprise, month and benefit (names from the plan's policy), amounts in yuan."""
    workbook = Workbook(write_only=True)
    totals = stats["totals"]
    add_sheet(
        workbook,
        "汇总",
        ["指标", "数值"],
        [("互助计划", str(plan)), *((label, totals.get(key)) for key, label in TOTALS_ROWS)],
    )
    add_sheet(
        workbook,
        "按镇街",
        ["镇街", "申报笔数", "补助金额（元）"],
        ((r["name"], r["claims"], r["amount"]) for r in stats["by_street"]),
    )
    add_sheet(
        workbook,
        "按行业",
        ["行业", "申报笔数", "补助金额（元）"],
        ((r["name"], r["claims"], r["amount"]) for r in stats["by_industry"]),
    )
    add_sheet(
        workbook,
        "按企业",
        ["企业", "参保人数", "筛查发现（笔）", "已申报（笔）", "已到账（笔）", "补助金额（元）"],
        (
            (r["name"], r["enrolled"], r["candidates"], r["applied"], r["paid"], r["amount"])
            for r in stats["by_enterprise"]
        ),
    )
    add_sheet(
        workbook,
        "按月份",
        ["月份（首次出院/结算）", "申报笔数", "补助金额（元）"],
        ((r["month"], r["claims"], r["amount"]) for r in stats["by_month"]),
    )
    add_sheet(
        workbook,
        "按补助",
        ["互助项目", "补助", "明细笔数", "补助金额（元）"],
        ((r["item"], r["name"], r["lines"], r["amount"]) for r in stats["by_benefit"]),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
