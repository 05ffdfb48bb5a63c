"""Studio, alliance and statistics pages: scoping (404 for missing and not-yours alike), the add
forms and rating through the page, the score sheet, query-count guards and the xlsx export."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.conftest import PASSWORD, World
from gonghui.innovation.models import Alliance, Outcome, Studio, StudioEvidence, StudioRating
from gonghui.innovation.studios import alliance_create, studio_add_evidence, studio_create, studio_rate
from gonghui.innovation.tests.test_studios import (
    FULL_POINTS,
    FULL_SCORE,
    FULL_YEAR,
    YEAR,
    build_year,
    other_studio,
)
from gonghui.innovation.views_studios import STATISTICS_SHEETS

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def rated(world: World, studio: Studio) -> StudioRating:
    build_year(world, studio, YEAR, **FULL_YEAR)
    return studio_rate(studio=studio, actor=world.users["district_admin"], year=YEAR)


@pytest.fixture
def alliance(world: World, studio: Studio) -> Alliance:
    """Convened by street A; street B's studio is a member too."""
    return alliance_create(
        actor=world.users["street_a_admin"],
        org_unit=world.street_a,
        name="甲街道数控联盟",
        field="数控加工",
        founded_on=dt.date(YEAR, 1, 1),
        studios=[studio, other_studio(world)],
        lead=studio,
    )


def _pages(studio: Studio, alliance: Alliance) -> list[str]:
    return [
        reverse("innovation:studio_list"),
        reverse("innovation:studio_detail", args=[studio.pk]),
        reverse("innovation:studio_rating", args=[studio.pk, YEAR]),
        reverse("innovation:alliance_list"),
        reverse("innovation:alliance_detail", args=[alliance.pk]),
        reverse("innovation:statistics"),
    ]


def test_pages_render_for_district_admin(
    world: World, studio: Studio, rated: StudioRating, alliance: Alliance
) -> None:
    client = login("district_admin")
    for url in [
        *_pages(studio, alliance),
        reverse("innovation:studio_create"),
        reverse("innovation:alliance_create"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(reverse("innovation:studio_list")).content.decode()
    assert studio.name in body and "★★★" in body and "登记工作室" in body
    detail = client.get(reverse("innovation:studio_detail", args=[studio.pk])).content.decode()
    assert f"评定 {YEAR} 年度星级" in detail
    assert "甲街道数控联盟" in detail and "工作室成果 " in detail and "核心骨干（3）" in detail


def test_other_street_and_workers_get_404(
    world: World, studio: Studio, rated: StudioRating, alliance: Alliance
) -> None:
    evidence = StudioEvidence.objects.filter(studio=studio).first()
    assert evidence is not None
    street_b = login("street_b_admin")
    for url in [
        reverse("innovation:studio_detail", args=[studio.pk]),
        reverse("innovation:studio_rating", args=[studio.pk, YEAR]),
        reverse("innovation:studio_evidence_file", args=[studio.pk, evidence.pk]),
        reverse("innovation:alliance_detail", args=[alliance.pk]),
        reverse("innovation:studio_detail", args=[999_999]),
    ]:
        assert street_b.get(url).status_code == 404, url
    # Posting to another street's studio changes nothing.
    response = street_b.post(
        reverse("innovation:studio_detail", args=[studio.pk]), {"action": "rate", "rate-year": YEAR - 1}
    )
    assert response.status_code == 404 and StudioRating.objects.count() == 1
    listed = street_b.get(reverse("innovation:studio_list")).content.decode()
    assert studio.name not in listed and "李师傅创新工作室" in listed

    worker = login("worker_a")
    for url in [
        *_pages(studio, alliance),
        reverse("innovation:studio_create"),
        reverse("innovation:alliance_create"),
    ]:
        assert worker.get(url).status_code == 404, url
    # A rating year that was never rated is a 404 too.
    assert (
        login("district_admin").get(reverse("innovation:studio_rating", args=[studio.pk, 2001])).status_code
        == 404
    )


def test_viewer_sees_pages_without_write_forms(world: World, studio: Studio, rated: StudioRating) -> None:
    client = login("district_viewer")
    body = client.get(reverse("innovation:studio_detail", args=[studio.pk])).content.decode()
    assert 'data-testid="form-rate"' not in body and 'data-testid="form-person"' not in body
    assert client.get(reverse("innovation:studio_create")).status_code == 404
    response = client.post(
        reverse("innovation:studio_detail", args=[studio.pk]),
        {"action": "person", "person-name": "甲", "person-role": "core", "person-year": YEAR},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == studio.get_absolute_url()
    assert "无权执行此操作" in response.content.decode()
    assert not studio.people.filter(name="甲").exists()


def _add_studios(world: World, count: int, start: int) -> None:
    for i in range(start, start + count):
        studio_create(
            actor=world.users["district_admin"],
            org_unit=world.unit_b() if i % 2 else world.unit_a(),
            enterprise=world.enterprise_b if i % 2 else world.enterprise_a,
            name=f"工作室{i:02d}",
            leader_name=f"领军{i}",
            level=Studio.Level.ENTERPRISE,
            field="机械",
            founded_on=dt.date(2020, 1, 1),
        )


def _alliances(world: World, count: int, start: int) -> None:
    studios = list(Studio.objects.all()[:2])
    for i in range(start, start + count):
        alliance_create(
            actor=world.users["district_admin"],
            org_unit=world.district,
            name=f"联盟{i:02d}",
            field="综合",
            founded_on=dt.date(2024, 1, 1),
            studios=studios,
        )


@pytest.mark.parametrize(
    ("url", "add"),
    [("innovation:studio_list", _add_studios), ("innovation:alliance_list", _alliances)],
    ids=["studios", "alliances"],
)
def test_list_queries_do_not_grow(world: World, url: str, add: Any) -> None:
    _add_studios(world, 2, 0)
    if add is _alliances:
        add(world, 2, 0)
    client = login("district_admin")
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse(url))
        assert response.status_code == 200 and len(response.context["rows"]) == 2
    add(world, 8, 10)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse(url))
        assert response.status_code == 200 and len(response.context["rows"]) == 10
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_studio_list_filters_sort_and_export(world: World, studio: Studio, rated: StudioRating) -> None:
    _add_studios(world, 3, 0)
    client = login("district_admin")
    starred = client.get(reverse("innovation:studio_list"), {"stars": "3"})
    assert [row["obj"].pk for row in starred.context["rows"]] == [studio.pk]
    by_field = client.get(reverse("innovation:studio_list"), {"field": "数控"}, HTTP_HX_REQUEST="true")
    fragment = by_field.content.decode()
    assert "<html" not in fragment and studio.name in fragment and "工作室01" not in fragment
    district = client.get(reverse("innovation:studio_list"), {"level": "district"})
    assert [row["obj"].pk for row in district.context["rows"]] == [studio.pk]
    sorted_rows = client.get(reverse("innovation:studio_list"), {"sort": "name"}).context["rows"]
    names = [row["obj"].name for row in sorted_rows]
    assert names == sorted(names)
    export = client.get(reverse("innovation:studio_list"), {"export": "xlsx", "sort": "-stars"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("名称", "领军人物", "依托企业") and len(rows) == 5
    assert rows[1][0] == studio.name and rows[1][6] == "★★★" and rows[1][4] == "区级"


def test_create_studio_through_the_form(world: World) -> None:
    client = login("street_a_admin")
    url = reverse("innovation:studio_create")
    data = {
        "name": "陈师傅创新工作室",
        "leader_name": "陈师傅",
        "level": "enterprise",
        "field": "焊接",
        "founded_on": "2024-04-01",
        "space_sqm": "80",
        "funding": "50000",
    }
    # Street B's enterprise is not among the choices; nothing chosen at all is an error too.
    refused = client.post(url, {**data, "enterprise": world.enterprise_b.pk})
    assert refused.status_code == 200 and "enterprise" in refused.context["form"].errors
    missing = client.post(url, data)
    assert "请选择依托企业或所属工会" in missing.content.decode()
    response = client.post(url, {**data, "enterprise": world.enterprise_a.pk})
    studio = Studio.objects.get(name="陈师傅创新工作室")
    assert response.status_code == 302 and response["Location"] == studio.get_absolute_url()
    assert studio.org_unit == world.unit_a() and studio.enterprise == world.enterprise_a
    # A node the user manages can be chosen instead of the enterprise's union.
    client.post(url, {**data, "name": "街道工作室", "org_unit": world.street_a.pk})
    assert Studio.objects.get(name="街道工作室").org_unit == world.street_a


def test_detail_forms_add_people_evidence_activities_and_rate(world: World, studio: Studio) -> None:
    client = login("district_admin")
    url = reverse("innovation:studio_detail", args=[studio.pk])
    response = client.post(
        url, {"action": "person", "person-name": "徒弟甲", "person-role": "apprentice", "person-year": YEAR}
    )
    assert response.status_code == 302 and response["Location"].endswith("#person")
    assert studio.people.filter(name="徒弟甲", role="apprentice", year=YEAR).exists()
    upload = SimpleUploadedFile("制度.pdf", b"%PDF-1.4 rules", content_type="application/pdf")
    client.post(
        url,
        {
            "action": "evidence",
            "evidence-have": "rules",
            "evidence-description": "工作室管理办法（2026 修订）",
            "evidence-year": YEAR,
            "evidence-file": upload,
        },
    )
    evidence = StudioEvidence.objects.get(studio=studio)
    assert evidence.file and evidence.have == "rules"
    download = client.get(reverse("innovation:studio_evidence_file", args=[studio.pk, evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 rules"
    bad_file = client.post(
        url,
        {
            "action": "evidence",
            "evidence-have": "rules",
            "evidence-description": "x",
            "evidence-year": YEAR,
            "evidence-file": SimpleUploadedFile("x.exe", b"MZ"),
        },
    )
    assert bad_file.status_code == 400 and "仅支持" in bad_file.content.decode()
    client.post(
        url,
        {
            "action": "activity",
            "activity-kind": "problem",
            "activity-title": "主轴异响排查",
            "activity-held_on": f"{YEAR}-01-15",
            "activity-participants": "4",
            "activity-confirmed": "on",
        },
    )
    assert studio.activities.get().confirmed
    invalid = client.post(url, {"action": "activity", "activity-kind": "problem", "activity-title": ""})
    assert invalid.status_code == 400 and 'data-testid="error-activity-title"' in invalid.content.decode()

    rate = client.post(url, {"action": "rate", "rate-year": YEAR}, follow=True)
    rating = StudioRating.objects.get(studio=studio, year=YEAR)
    assert f"{YEAR} 年度评定完成" in rate.content.decode() and not rating.gate_passed
    again = client.post(url, {"action": "rate", "rate-year": YEAR})
    assert again.status_code == 400 and f"{YEAR} 年度已评定" in again.content.decode()
    future = client.post(url, {"action": "rate", "rate-year": YEAR + 1})
    assert future.status_code == 400 and "不能评定未来年度" in future.content.decode()
    assert client.post(url, {"action": "nonsense"}).status_code == 404


def _cells(body: str, testid: str) -> list[str]:
    return [c.strip() for c in re.findall(rf'data-testid="{testid}">([^<]*)<', body)]


def test_score_sheet_explains_every_point(world: World, studio: Studio, rated: StudioRating) -> None:
    body = (
        login("district_admin")
        .get(reverse("innovation:studio_rating", args=[studio.pk, YEAR]))
        .content.decode()
    )
    assert _cells(body, "line-points") == FULL_POINTS
    assert _cells(body, "score-total") == [str(FULL_SCORE)] and _cells(body, "sheet-total") == [
        str(FULL_SCORE)
    ]
    assert _cells(body, "sheet-stars") == ["★★★"]
    # Subtotals per dimension against their maximum: 孵化 8.33/20, 问题 16/20, 效益 8/20, 人才 15/15,
    # 转化 15/15, 文化 8.33/10.
    assert _cells(body, "subtotal-points") == ["8.33", "16.00", "8.00", "15.00", "15.00", "8.33"]
    values = _cells(body, "line-value")
    assert values[0] == "5 项" and values[3] == "240,000.00 元（24.00 万元）" and values[-1] == "33.33%"
    assert "达到 20个 得满分 20 分" in body and "≥100000元 得 8 分" in body
    # The six haves with their evidence, and the reached threshold highlighted.
    assert body.count('text-success fw-bold">✓') == 6
    assert f"{YEAR}年有课题计划材料" in body
    assert re.search(r'data-testid="threshold-reached">≥70 ✓', body)
    assert "@media print" in body and "首次评定" in body


def test_score_sheet_of_a_failed_gate_lists_reasons(world: World, studio: Studio) -> None:
    build_year(world, studio, YEAR, evidence=False, core=1)
    studio_add_evidence(
        actor=world.users["district_admin"], studio=studio, have="leader", description="证书", year=YEAR
    )
    studio_rate(studio=studio, actor=world.users["district_admin"], year=YEAR)
    body = (
        login("district_admin")
        .get(reverse("innovation:studio_rating", args=[studio.pk, YEAR]))
        .content.decode()
    )
    assert "未达到“有核心骨干”" in body and "六有未全部达标，本年度不评星" in body
    assert 'data-testid="threshold-reached"' not in body and _cells(body, "sheet-stars") == ["未评星"]


def test_alliance_create_and_detail_forms(world: World, studio: Studio) -> None:
    studio_b = other_studio(world)
    client = login("district_admin")
    response = client.post(
        reverse("innovation:alliance_create"),
        {
            "name": "区数控联盟",
            "field": "数控加工",
            "org_unit": world.district.pk,
            "founded_on": f"{YEAR}-01-01",
            "studios": [studio_b.pk],
            "lead": studio.pk,
        },
    )
    alliance = Alliance.objects.get(name="区数控联盟")
    assert response.status_code == 302 and response["Location"] == alliance.get_absolute_url()
    assert set(alliance.memberships.values_list("studio_id", "is_lead")) == {
        (studio.pk, True),
        (studio_b.pk, False),
    }
    url = alliance.get_absolute_url()
    lonely = client.post(
        url,
        {
            "action": "project",
            "project-title": "攻关",
            "project-studios": [studio.pk],
            "project-started_on": "2026-01-01",
        },
    )
    assert lonely.status_code == 400 and "联合项目至少需要两个工作室" in lonely.content.decode()
    client.post(
        url,
        {
            "action": "project",
            "project-title": "五轴联合攻关",
            "project-studios": [studio.pk, studio_b.pk],
            "project-started_on": f"{YEAR}-02-01",
        },
    )
    client.post(
        url,
        {
            "action": "resource",
            "resource-studio": studio_b.pk,
            "resource-kind": "expert",
            "resource-name": "李师傅",
        },
    )
    client.post(
        url,
        {
            "action": "activity",
            "activity-title": "交流会",
            "activity-held_on": f"{YEAR}-03-01",
            "activity-participants": 30,
        },
    )
    page = client.get(url)
    assert page.context["stats"] == {
        "studios": 2,
        "regions": 1,
        "enterprises": 2,
        "projects": 1,
        "participants": 30,
    }
    body = page.content.decode()
    assert "五轴联合攻关" in body and "李师傅" in body and "交流会" in body
    # Street A's admin sees the alliance? No: it is convened by the district.
    assert login("street_a_admin").get(url).status_code == 404


def test_alliance_page_links_only_visible_member_studios(
    world: World, studio: Studio, alliance: Alliance
) -> None:
    body = login("street_a_admin").get(alliance.get_absolute_url()).content.decode()
    studio_b = Studio.objects.get(name="李师傅创新工作室")
    assert f'href="{studio.get_absolute_url()}"' in body
    assert "李师傅创新工作室" in body and f'href="{studio_b.get_absolute_url()}"' not in body


def _sheet(book: Any, title: str) -> list[tuple[Any, ...]]:
    return list(book[title].iter_rows(values_only=True))


def test_statistics_page_and_xlsx_export(world: World, studio: Studio, rated: StudioRating) -> None:
    client = login("district_admin")
    page = client.get(reverse("innovation:statistics"))
    assert page.status_code == 200
    kpis = {k["key"]: k for k in page.context["kpis"]}
    assert kpis["submitted"]["value"] == 5 and kpis["verified_value"]["value"] == 24
    assert 'id="chart-node"' in page.content.decode()
    response = client.get(reverse("innovation:statistics"), {"year": YEAR, "export": "xlsx"})
    assert response.status_code == 200
    assert f"innovation-statistics-{YEAR}-" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert tuple(book.sheetnames) == STATISTICS_SHEETS
    totals = {row[0]: row[1:] for row in _sheet(book, "汇总")[1:]}
    submitted = Outcome.objects.filter(submitted_at__year=YEAR).count()
    assert totals["提交成果（项）"][0] == submitted == 5
    assert totals["核验效益（元）"][0] == 240000
    by_node = {row[0]: row[1:] for row in _sheet(book, "按组织")[1:]}
    assert by_node == {world.street_a.name: (5, 2, 240000), world.street_b.name: (0, 0, 0)}
    assert dict(_sheet(book, "按星级")[1:]) == {"★★★": 1}
    months = _sheet(book, "按月份")
    assert len(months) == 13 and sum(row[1] for row in months[1:]) == 5
    # Street B sees its own subtree only: nothing was submitted there.
    other = load_workbook(
        io.BytesIO(login("street_b_admin").get(reverse("innovation:statistics"), {"export": "xlsx"}).content)
    )
    assert {row[0]: row[1] for row in _sheet(other, "汇总")[1:]}["提交成果（项）"] == 0


def test_statistics_year_selector_falls_back_to_this_year(world: World) -> None:
    client = login("district_admin")
    assert client.get(reverse("innovation:statistics"), {"year": "abc"}).context["year"] == YEAR
    assert client.get(reverse("innovation:statistics"), {"year": str(YEAR + 5)}).context["year"] == YEAR
    assert client.get(reverse("innovation:statistics"), {"year": str(YEAR - 1)}).context["year"] == YEAR - 1
