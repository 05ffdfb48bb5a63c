"""Ledger, pair, trial and KPI pages: forms call the services, lists and the dashboard do not
grow in queries with rows, exports open with openpyxl, and another street's staff get 404s
and see none of street A's data."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.assist.ledger import TraineeInput
from gonghui.assist.models import (
    Craftsman,
    KpiTarget,
    LibraryOutcome,
    MentorPair,
    ServiceActivity,
    TrialApplication,
)
from gonghui.assist.tests.test_ledger import (
    EXPECTED_DISTRICT,
    PERSON_X,
    PERSON_Y,
    YEAR,
    build_ledger_world,
    contact,
    craftsmen,
    id_number,
    import_row,
    record,
    workbook,
)
from gonghui.assist.views_ledger import KPI_SHEETS
from gonghui.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def rows_of(content: bytes, sheet: str | None = None) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content))
    return list((book[sheet] if sheet else book.active).iter_rows(values_only=True))


# --- ledger list / detail -------------------------------------------------------------------


def _add_activities(world: World, count: int, start: int) -> None:
    team = list(Craftsman.objects.all()) or craftsmen(world, "张建国", "李秀英")
    for index in range(start, start + count):
        record(
            world,
            craftsmen=team,
            title=f"活动{index:02d}",
            held_on=dt.date(YEAR, index % 12 + 1, 2),
            problems=["漏油", "异响"],
            trainees=[TraineeInput(f"人{index}", id_number(index))],
            person_times=2,
        )


def test_ledger_list_queries_do_not_grow_with_rows(world: World) -> None:
    _add_activities(world, 2, 0)
    client = login("district_admin")
    url = reverse("assist:ledger_list")
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
        assert response.status_code == 200 and len(response.context["rows"]) == 2
    _add_activities(world, 10, 2)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
        assert response.status_code == 200 and len(response.context["rows"]) == 12
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]
    html = response.content.decode()
    activity = ServiceActivity.objects.get(title="活动05")
    assert f'href="{reverse("assist:ledger_detail", args=[activity.pk])}"' in html  # rows link to detail


def test_ledger_list_filters_and_export(world: World) -> None:
    build_ledger_world(world)
    client = login("district_admin")
    url = reverse("assist:ledger_list")
    training = client.get(url, {"kind": "training"})
    assert {row["obj"].title for row in training.context["rows"]} == {"A2 技能培训", "B1 企业培训"}
    by_year = client.get(url, {"year": YEAR - 1})
    assert [row["obj"].title for row in by_year.context["rows"]] == ["旧年活动"]
    export = client.get(url, {"export": "xlsx", "sort": "held_on", "year": YEAR})
    rows = rows_of(export.content)
    assert rows[0][:3] == ("活动名称", "日期", "类别")
    assert [r[0] for r in rows[1:]] == ["A1 上门诊断", "A2 技能培训", "B1 企业培训", "D1 远程解答"]
    a1 = rows[1]
    assert a1[2] == "上门服务" and a1[5] == 2 and a1[6] == "1/2" and a1[7] == 2 and a1[8] == 5
    assert "<a" not in str(a1[0])


def test_street_b_sees_none_of_street_a(world: World) -> None:
    build_ledger_world(world)
    a1 = ServiceActivity.objects.get(title="A1 上门诊断")
    client = login("street_b_admin")
    titles = {row["obj"].title for row in client.get(reverse("assist:ledger_list")).context["rows"]}
    assert titles == {"B1 企业培训"}
    assert client.get(reverse("assist:ledger_detail", args=[a1.pk])).status_code == 404
    assert client.get(reverse("assist:ledger_detail", args=[999_999])).status_code == 404
    problem = a1.problems.order_by("pk").last()
    assert problem is not None
    response = client.post(
        reverse("assist:ledger_detail", args=[a1.pk]),
        {"action": "confirm", "confirm-problem": problem.pk, "confirm-confirmed_by": "某人"},
    )
    assert response.status_code == 404
    problem.refresh_from_db()
    assert problem.confirmed_at is None
    export = rows_of(client.get(reverse("assist:ledger_list"), {"export": "xlsx"}).content)
    assert [r[0] for r in export[1:]] == ["B1 企业培训"]
    for username in ("worker_a", "nobody"):
        assert login(username).get(reverse("assist:ledger_list")).status_code == 404
        assert login(username).get(reverse("assist:ledger_create")).status_code == 404
        assert login(username).get(reverse("assist:kpi")).status_code == 404


def test_enterprise_contact_sees_and_confirms_their_enterprises_problems(world: World) -> None:
    build_ledger_world(world)
    a1 = ServiceActivity.objects.get(title="A1 上门诊断")
    b1 = ServiceActivity.objects.get(title="B1 企业培训")
    client = Client()
    client.force_login(contact(world, "contact_a2"))
    listed = {row["obj"].title for row in client.get(reverse("assist:ledger_list")).context["rows"]}
    assert listed == {"A1 上门诊断", "旧年活动"}  # enterprise A's activities only
    assert client.get(reverse("assist:ledger_detail", args=[b1.pk])).status_code == 404
    page = client.get(reverse("assist:ledger_detail", args=[a1.pk]))
    assert page.status_code == 200 and page.context["is_contact"] and not page.context["is_staff"]
    pending = a1.problems.get(confirmed_at__isnull=True)
    response = client.post(
        reverse("assist:ledger_detail", args=[a1.pk]), {"action": "confirm", "confirm-problem": pending.pk}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.confirmed_by == "contact_a2" and pending.solved
    assert client.get(reverse("assist:kpi")).status_code == 404  # the dashboard is for staff


def test_staff_confirmation_needs_the_enterprise_persons_name(world: World) -> None:
    activity = record(world, problems=["主轴异响"])
    problem = activity.problems.get()
    client = login("street_a_admin")
    url = reverse("assist:ledger_detail", args=[activity.pk])
    response = client.post(url, {"action": "confirm", "confirm-problem": problem.pk})
    assert response.status_code == 400 and "请填写企业确认人姓名" in response.content.decode()
    response = client.post(
        url, {"action": "confirm", "confirm-problem": problem.pk, "confirm-confirmed_by": "陈工"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "已解决（企业确认）" in page and "陈工" in page
    assert client.post(url, {"action": "nonsense"}).status_code == 404


def test_record_an_activity_through_the_form(world: World) -> None:
    team = craftsmen(world, "张建国", "李秀英")
    client = login("street_a_admin")
    url = reverse("assist:ledger_create")
    form = {
        "org_unit": world.street_a.pk,
        "kind": "visit",
        "title": "注塑机温控故障排查",
        "held_on": f"{YEAR}-06-01",
        "enterprise": world.enterprise_a.pk,
        "craftsmen": [c.pk for c in team],
        "problems": "温控漂移\n加热圈老化\n",
        "trainees": f"王小明 {PERSON_X}\n赵丽，{PERSON_Y}\n",
        "person_times": "4",
        "estimated_benefit": "30000",
        "long_term_agreement": "on",
    }
    bad = client.post(url, {**form, "trainees": "王小明"})
    assert bad.status_code == 200 and "第 1 行应为“姓名 身份证号”" in bad.content.decode()
    bad = client.post(url, {**form, "person_times": "1"})
    assert "不能少于登记的培训人数" in bad.content.decode()
    assert not ServiceActivity.objects.exists()
    response = client.post(url, form)
    activity = ServiceActivity.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assist:ledger_detail", args=[activity.pk]
    )
    assert (activity.person_times, activity.long_term_agreement, activity.problems.count()) == (4, True, 2)
    assert activity.trainees.count() == 2 and activity.craftsmen.count() == 2
    detail = client.get(response["Location"])
    assert detail.context["trainees"][0].name == "王小明"
    # Street A's form offers neither street B nor its enterprise.
    choices = client.get(url).context["form"]
    assert world.street_b not in choices.fields["org_unit"].queryset
    assert world.enterprise_b not in choices.fields["enterprise"].queryset


def test_import_page(world: World) -> None:
    craftsmen(world, "张建国", "李秀英")
    client = login("street_a_admin")
    template = client.get(reverse("assist:ledger_import_template"))
    header = rows_of(template.content)[0]
    assert header[:4] == ("类别", "活动名称", "日期", "组织工会行政区划代码")
    url = reverse("assist:ledger_import")
    bad = workbook([import_row(world), import_row(world, **{"活动名称": "B", "类别": "聚餐"})])
    response = client.post(url, {"org_unit": world.street_a.pk, "file": SimpleUploadedFile("台账.xlsx", bad)})
    assert response.status_code == 400
    assert "第 3 行「类别」" in response.content.decode() and not ServiceActivity.objects.exists()
    wrong_type = client.post(
        url, {"org_unit": world.street_a.pk, "file": SimpleUploadedFile("a.pdf", b"%PDF")}
    )
    assert "仅支持 .xlsx 或 .csv 文件" in wrong_type.content.decode()
    good = workbook([import_row(world)])
    response = client.post(
        url, {"org_unit": world.street_a.pk, "file": SimpleUploadedFile("台账.xlsx", good)}
    )
    assert response.status_code == 302 and ServiceActivity.objects.count() == 1
    response = client.post(
        url, {"org_unit": world.street_a.pk, "file": SimpleUploadedFile("台账.xlsx", good)}, follow=True
    )
    assert "新增 0 条，已存在未重复导入 1 条" in response.content.decode()


# --- KPI --------------------------------------------------------------------------------------


def test_kpi_page_and_export(world: World) -> None:
    build_ledger_world(world)
    client = login("district_admin")
    page = client.get(reverse("assist:kpi"), {"year": YEAR})
    assert page.status_code == 200
    cards = {c["key"]: c for c in page.context["cards"]}
    assert cards["craftsman_visits"]["value"] == 6 and cards["craftsman_visits"]["progress"] == Decimal(
        "50.0"
    )
    assert cards["people_trained"]["value"] == 4 and cards["person_times"]["value"] == 12
    assert (
        cards["verified_benefit"]["value"] == Decimal("0.80") and cards["verified_benefit"]["unit"] == "万元"
    )
    html = page.content.decode()
    assert 'id="chart-month"' in html and 'data-testid="kpi-people_trained-value">4<' in html
    assert page.context["can_edit_targets"]
    response = client.get(reverse("assist:kpi"), {"year": YEAR, "export": "xlsx"})
    assert f"assist-kpi-{YEAR}-" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert tuple(book.sheetnames) == KPI_SHEETS
    totals = {row[0]: row[1:] for row in rows_of(response.content, "汇总")[1:]}
    assert totals["劳模工匠服务人次（人次）"] == (6, 12, 50)
    assert totals["培训人数（去重）（人）"] == (4, 8, 50)
    assert totals["培训人次（人次）"][0] == 12 and totals["解决问题（企业确认）（个）"][0] == 3
    by_node = {row[0]: row[1:] for row in rows_of(response.content, "按组织")[1:]}
    assert by_node[world.street_a.name][:5] == (3, 1, 1, 3, 8)  # visits, enterprises, problems, people, times
    assert by_node[world.street_b.name][:5] == (2, 1, 1, 2, 4)
    months = rows_of(response.content, "按月份")
    assert len(months) == 13 and sum(r[1] for r in months[1:]) == EXPECTED_DISTRICT["craftsman_visits"]
    # Street B's admin: their own street only; street A is not reachable.
    other = login("street_b_admin")
    mine = other.get(reverse("assist:kpi"), {"year": YEAR})
    assert mine.context["data"]["unit"] == world.street_b
    assert {c["key"]: c["value"] for c in mine.context["cards"]}["craftsman_visits"] == 2
    assert other.get(reverse("assist:kpi"), {"year": YEAR, "unit": world.street_a.pk}).status_code == 404
    # The district drills down into street A.
    drill = client.get(reverse("assist:kpi"), {"year": YEAR, "unit": world.street_a.pk})
    assert {c["key"]: c["value"] for c in drill.context["cards"]}["people_trained"] == 3
    assert drill.context["up"] == world.district


def test_kpi_page_queries_do_not_grow(world: World) -> None:
    build_ledger_world(world)
    client = login("district_admin")
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("assist:kpi"), {"year": YEAR}).status_code == 200
    _add_activities(world, 12, 50)
    district = world.district
    district.refresh_from_db()
    district.add_child(name="新街道", level="street")
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("assist:kpi"), {"year": YEAR})
    assert len(response.context["rows"]) == 4
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_kpi_year_falls_back_to_this_year(world: World) -> None:
    client = login("district_admin")
    this_year = timezone.localdate().year
    assert client.get(reverse("assist:kpi"), {"year": "abc"}).context["year"] == this_year
    assert client.get(reverse("assist:kpi"), {"year": this_year + 3}).context["year"] == this_year


def test_targets_page(world: World) -> None:
    client = login("district_admin")
    url = reverse("assist:kpi_targets")
    page = client.get(url, {"year": YEAR})
    assert [u for u, _ in page.context["rows"]] == [world.district, world.street_a, world.street_b]
    data: dict[str, Any] = {}
    for unit, visits in ((world.district, 1000), (world.street_a, 400), (world.street_b, 600)):
        for name, value in (
            ("craftsman_visits", visits),
            ("enterprises", 100),
            ("problems", 80),
            ("people_trained", 900),
            ("person_times", 1500),
        ):
            data[f"u{unit.pk}-{name}"] = value
    bad = client.post(f"{url}?year={YEAR}", {**data, f"u{world.street_b.pk}-problems": "-3"})
    assert bad.status_code == 400 and not KpiTarget.objects.exists()
    response = client.post(f"{url}?year={YEAR}", data)
    assert response.status_code == 302
    assert KpiTarget.objects.get(org_unit=world.street_a, year=YEAR).craftsman_visits == 400
    assert KpiTarget.objects.filter(year=YEAR).count() == 3
    # Street B's admin edits street B only; a viewer edits nothing.
    street_b = login("street_b_admin").get(url, {"year": YEAR})
    assert [u for u, _ in street_b.context["rows"]] == [world.street_b, world.community_b]
    assert login("street_b_admin").get(url, {"unit": world.street_a.pk}).status_code == 404
    assert login("district_viewer").get(url).status_code == 404
    assert not login("district_viewer").get(reverse("assist:kpi")).context["can_edit_targets"]


# --- pairs ------------------------------------------------------------------------------------


def test_pair_pages(world: World) -> None:
    (mentor,) = craftsmen(world, "张建国")
    client = login("street_a_admin")
    response = client.post(
        reverse("assist:pair_create"),
        {
            "mentor": mentor.pk,
            "apprentice_name": "王小明",
            "org_unit": world.unit_a().pk,
            "level_before": "middle",
            "goals": "三年内达到技师",
            "starts_on": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
            "ends_on": (timezone.localdate() + dt.timedelta(days=700)).isoformat(),
        },
    )
    pair = MentorPair.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assist:pair_detail", args=[pair.pk]
    )
    url = response["Location"]
    client.post(
        url,
        {"action": "checkin", "checkin-on": timezone.localdate().isoformat(), "checkin-note": "讲解G代码"},
    )
    low = client.post(url, {"action": "complete", "complete-level_after": "junior"})
    assert low.status_code == 400 and "出师等级不能低于结对前等级" in low.content.decode()
    client.post(url, {"action": "complete", "complete-level_after": "technician"})
    pair.refresh_from_db()
    assert (pair.status, pair.level_after, pair.checkins.count()) == ("completed", "technician", 1)
    page = client.get(url)
    assert "中级工 → 技师" in page.content.decode()
    listed = client.get(reverse("assist:pair_list"))
    assert [row["obj"].pk for row in listed.context["rows"]] == [pair.pk]
    export = rows_of(client.get(reverse("assist:pair_list"), {"export": "xlsx"}).content)
    assert export[1][:2] == ("张建国", "王小明") and export[1][8] == "技师"
    other = login("street_b_admin")
    assert other.get(url).status_code == 404
    assert other.get(reverse("assist:pair_list")).context["rows"] == []


# --- trials -----------------------------------------------------------------------------------


def test_trial_pages_from_offer_to_conversion(world: World) -> None:
    outcome = LibraryOutcome.objects.create(title="数控刀具快换装置", org_unit=world.district)
    admin = login("district_admin")
    response = admin.post(
        reverse("assist:trial_offer"),
        {
            "outcome": outcome.pk,
            "owner_name": "张建国",
            "licence_form": "licence",
            "licence_fee": "20000",
            "trial_months": "6",
        },
    )
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.trial_offered and outcome.trial_months == 6
    assert (
        login("street_a_admin").get(reverse("assist:trial_offer")).status_code == 404
    )  # not the owner's admin

    applicant = Client()
    applicant.force_login(contact(world))
    assert [o.pk for o in applicant.get(reverse("assist:trial_list")).context["offers"]] == [outcome.pk]
    response = applicant.post(
        reverse("assist:trial_apply"), {"outcome": outcome.pk, "enterprise": world.enterprise_a.pk}
    )
    application = TrialApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assist:trial_detail", args=[application.pk]
    )
    url = response["Location"]
    page = applicant.get(url)
    assert [name for name, _ in page.context["forms"]] == ["withdraw"]  # the enterprise may only withdraw now
    assert (
        applicant.post(
            url, {"action": "sign", "sign-signed_on": timezone.localdate().isoformat()}
        ).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.status == "applied"  # refused: signing is the union's step

    staff = login("street_a_admin")
    staff.post(url, {"action": "sign", "sign-signed_on": timezone.localdate().isoformat()})
    applicant.post(
        url,
        {"action": "report", "report-on": timezone.localdate().isoformat(), "report-usage": "换刀 3 分钟"},
    )
    no_feedback = applicant.post(url, {"action": "withdraw", "withdraw-feedback": ""})
    assert no_feedback.status_code == 400
    staff.post(url, {"action": "convert", "convert-amount": ""})
    application.refresh_from_db()
    assert (application.status, application.conversion_amount) == ("converted", Decimal("20000.00"))
    assert application.reports.count() == 1
    listed = applicant.get(reverse("assist:trial_list"))
    assert [row["obj"].pk for row in listed.context["rows"]] == [application.pk]
    export = rows_of(staff.get(reverse("assist:trial_list"), {"export": "xlsx"}).content)
    assert (
        export[1][:3] == ("数控刀具快换装置", world.enterprise_a.name, "已转化")
        and export[1][6] == "许可使用"
    )
    assert login("street_b_admin").get(url).status_code == 404
    assert login("street_b_admin").get(reverse("assist:trial_list")).context["rows"] == []


def _add_pairs_and_trials(world: World, count: int) -> None:
    mentor = Craftsman.objects.first() or craftsmen(world, "师傅")[0]
    outcome = LibraryOutcome.objects.first() or LibraryOutcome.objects.create(
        title="成果", org_unit=world.district, trial_offered=True, licence_fee=Decimal(1), trial_months=3
    )
    staff = world.users["district_admin"]
    start = MentorPair.objects.count()
    for index in range(start, start + count):
        pair = MentorPair.objects.create(
            mentor=mentor,
            apprentice_name=f"徒弟{index}",
            org_unit=world.unit_a(),
            goals="g",
            starts_on=dt.date(YEAR, 1, 1),
            ends_on=dt.date(YEAR, 12, 31),
        )
        pair.checkins.create(on=dt.date(YEAR, 2, 1), note="n")
        application = TrialApplication.objects.create(
            outcome=outcome, enterprise=world.enterprise_a, org_unit=world.unit_a(), created_by=staff
        )
        application.reports.create(on=dt.date(YEAR, 2, 1), usage="u")


@pytest.mark.parametrize("url", ["assist:pair_list", "assist:trial_list"])
def test_pair_and_trial_lists_do_not_grow_in_queries(world: World, url: str) -> None:
    _add_pairs_and_trials(world, 2)
    client = login("district_admin")
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse(url))
        assert response.status_code == 200 and len(response.context["rows"]) == 2
    _add_pairs_and_trials(world, 10)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse(url))
        assert response.status_code == 200 and len(response.context["rows"]) == 12
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_every_page_renders_for_the_district_admin(world: World) -> None:
    build_ledger_world(world)
    _add_pairs_and_trials(world, 1)
    LibraryOutcome.objects.update(trial_offered=True, licence_fee=Decimal(1), trial_months=3)
    activity = ServiceActivity.objects.get(title="A1 上门诊断")
    pages = [
        reverse("assist:ledger_list"),
        reverse("assist:ledger_create"),
        reverse("assist:ledger_import"),
        reverse("assist:ledger_detail", args=[activity.pk]),
        reverse("assist:pair_list"),
        reverse("assist:pair_create"),
        reverse("assist:pair_detail", args=[MentorPair.objects.get().pk]),
        reverse("assist:trial_list"),
        reverse("assist:trial_offer") + f"?outcome={LibraryOutcome.objects.get().pk}",
        reverse("assist:trial_apply"),
        reverse("assist:trial_detail", args=[TrialApplication.objects.get().pk]),
        reverse("assist:kpi") + f"?year={YEAR}&unit={world.street_a.pk}",
        reverse("assist:kpi_targets"),
    ]
    client = login("district_admin")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<html" in response.content.decode()
