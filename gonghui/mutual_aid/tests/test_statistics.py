"""Dashboard statistics: benefit names from the policy, and the xlsx export (one sheet per
breakdown), scoped to what the user may see. Amounts are hand-computed from the 2026 policy."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.conftest import PASSWORD, World
from gonghui.members.models import Member
from gonghui.mutual_aid import selectors
from gonghui.mutual_aid.exports import STATISTICS_SHEETS
from gonghui.mutual_aid.models import Claim, Plan, PlanVersion
from gonghui.mutual_aid.plans import plan_version_create
from gonghui.mutual_aid.screening import screen_members
from gonghui.mutual_aid.tests.conftest import POLICY, add_settlement, table_assessor

pytestmark = pytest.mark.django_db
SELFPAY = "住院和规定病种门诊自负医疗费互助"
CRITICAL = "重大疾病和住院生活补助互助"


@pytest.fixture
def claims(world: World, plan: Plan, enrolled: list[Member]) -> dict[str, Claim]:
    """Street A: a 7-day stay, 6000 personal → inpatient 2600 + living allowance 700, paid.
    Street B: a 2-day stay, 3000 personal → inpatient 1000 + living allowance 200, candidate."""
    a, b = enrolled[1], world.members_b[0]
    add_settlement(a, personal="6000", begin="2026-03-01", end="2026-03-08")
    add_settlement(b, personal="3000", begin="2026-05-01", end="2026-05-03")
    screen_members(plan=plan, member_ids=[a.pk, b.pk], assessor=table_assessor)
    claim_a = Claim.objects.get(member=a)
    now = timezone.now()
    Claim.objects.filter(pk=claim_a.pk).update(status="paid", applied_at=now - timedelta(days=3), paid_at=now)
    return {"a": claim_a, "b": Claim.objects.get(member=b)}


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def workbook(client: Client, plan: Plan) -> Any:
    response = client.get("/mutual-aid/", {"plan": plan.pk, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "mutual-aid-statistics-2026-" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(book: Any, title: str) -> list[tuple[Any, ...]]:
    return list(book[title].iter_rows(values_only=True))


def test_benefit_breakdown_uses_policy_names(world: World, plan: Plan, claims: dict[str, Claim]) -> None:
    stats = selectors.statistics(user=world.users["district_admin"], plan=plan)
    assert stats["by_benefit"] == [
        {"name": "住院生活补助", "item": CRITICAL, "lines": 2, "amount": 900.0},
        {"name": "住院", "item": SELFPAY, "lines": 2, "amount": 3600.0},
    ]
    # A name given in the current policy version wins (also for lines computed under v1).
    named = POLICY.replace(
        "      - code: inpatient\n", "      - code: inpatient\n        name: 住院医疗费互助金\n"
    )
    plan_version_create(actor=world.users["district_admin"], plan=plan, policy_yaml=named, note="补助命名")
    plan.refresh_from_db()
    stats = selectors.statistics(user=world.users["district_admin"], plan=plan)
    assert {r["name"] for r in stats["by_benefit"]} == {"住院生活补助", "住院医疗费互助金"}


def test_benefit_labels_fall_back_to_item_and_kind(plan: Plan) -> None:
    labels = selectors.benefit_labels(plan)
    assert labels[("female", "")] == "女职工特殊疾病互助"
    assert labels[("critical", "critical_illness")] == "重大疾病"
    odd = POLICY.replace("code: special_outpatient", "code: chronic_outpatient")
    plan.current_version = PlanVersion.objects.create(plan=plan, number=9, policy_yaml=odd)
    assert selectors.benefit_labels(plan)[("selfpay", "chronic_outpatient")] == f"{SELFPAY}·按比例补助"


def test_dashboard_charts_get_names_not_codes(world: World, plan: Plan, claims: dict[str, Claim]) -> None:
    response = login("district_admin").get("/mutual-aid/", {"plan": plan.pk})
    body = response.content.decode()
    assert 'data-testid="stats-export"' in body and f"?plan={plan.pk}&amp;export=xlsx" in body
    script = body[body.index('id="d-benefit"') :]
    script = script[: script.index("</script>")]
    assert "living_allowance" not in script and "inpatient" not in script
    assert "\\u4f4f\\u9662" in script or "住院" in script  # json_script escapes non-ASCII or not
    table = body[body.index('data-testid="by-enterprise"') :]
    table = table[: table.index("</table>")]
    assert table.index(world.enterprise_a.name) < table.index(world.enterprise_b.name)  # by amount
    assert "¥3300.00" in table and "¥1200.00" in table


def test_statistics_export_has_a_sheet_per_breakdown(
    world: World, plan: Plan, claims: dict[str, Claim]
) -> None:
    book = workbook(login("district_admin"), plan)
    assert (
        tuple(book.sheetnames)
        == STATISTICS_SHEETS
        == ("汇总", "按镇街", "按行业", "按企业", "按月份", "按补助")
    )
    totals = dict(sheet_rows(book, "汇总")[1:])
    assert totals["互助计划"] == str(plan)
    assert totals["参保人数"] == 4 and totals["互助金合计（元）"] == 36 * 9  # fixture: 9 enrolments at 36
    assert (totals["筛查发现（笔）"], totals["已申报（笔）"], totals["已到账（笔）"]) == (2, 1, 1)
    assert totals["已支付金额（元）"] == 3300 and totals["补助金额合计（元）"] == 4500
    assert totals["自动审核率（%）"] == 100 and totals["申报到到账平均天数"] == 3
    streets = sheet_rows(book, "按镇街")
    assert streets[0] == ("镇街", "申报笔数", "补助金额（元）")
    assert streets[1:] == [(world.street_a.name, 1, 3300), (world.street_b.name, 1, 1200)]
    assert sheet_rows(book, "按月份")[1:] == [("2026-03", 1, 3300), ("2026-05", 1, 1200)]
    assert sheet_rows(book, "按补助")[1:] == [(CRITICAL, "住院生活补助", 2, 900), (SELFPAY, "住院", 2, 3600)]
    # Enterprise A: 3 members enrolled, the paid 3300; B: its 1 enrolled member's candidate.
    enterprises = sheet_rows(book, "按企业")
    assert enterprises[0] == (
        "企业",
        "参保人数",
        "筛查发现（笔）",
        "已申报（笔）",
        "已到账（笔）",
        "补助金额（元）",
    )
    assert enterprises[1:] == [
        (world.enterprise_a.name, 3, 1, 1, 1, 3300),
        (world.enterprise_b.name, 1, 1, 0, 0, 1200),
    ]
    industries = sheet_rows(book, "按行业")[1:]
    assert sum(r[1] for r in industries) == 2 and sum(r[2] for r in industries) == 4500
    assert all(isinstance(r[0], str) and r[0] for r in industries)


def test_statistics_export_is_scoped_to_the_users_subtree(
    world: World, plan: Plan, claims: dict[str, Claim]
) -> None:
    book = workbook(login("street_b_admin"), plan)
    totals = dict(sheet_rows(book, "汇总")[1:])
    assert totals["参保人数"] == 1 and totals["筛查发现（笔）"] == 1 and totals["补助金额合计（元）"] == 1200
    assert sheet_rows(book, "按镇街")[1:] == [(world.street_b.name, 1, 1200)]
    assert sheet_rows(book, "按企业")[1:] == [(world.enterprise_b.name, 1, 1, 0, 0, 1200)]
    assert sheet_rows(book, "按补助")[1:] == [(CRITICAL, "住院生活补助", 1, 200), (SELFPAY, "住院", 1, 1000)]


def test_statistics_export_without_plan_or_for_workers(world: World) -> None:
    # No plan yet: the dashboard page, not an empty workbook.
    response = login("district_admin").get("/mutual-aid/", {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    worker = login("worker_a").get("/mutual-aid/", {"export": "xlsx"})
    assert worker["Content-Type"].startswith("text/html")
