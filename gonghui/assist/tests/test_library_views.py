"""Library pages: the hub by role, scoping (street B never sees A's demand; a contact only their
own), posting a demand with photos and seeing ranked craftsmen and outcomes with reasons,
派单, imports with row errors, filters and exports, query-count guards."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.accounts.models import Role
from gonghui.assist import libraries as svc
from gonghui.assist.models import Craftsman, Demand, Dispatch
from gonghui.assist.tests.test_libraries import JPEG, PNG, contact_of, load_eval_library, post_demand
from gonghui.conftest import World, make_user

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spindle_library(world: World) -> list[Craftsman]:
    admin = world.users["district_admin"]
    made = [
        svc.craftsman_create(
            actor=admin,
            org_unit=world.district,
            name=name,
            honours=honours,
            industry="C",
            region="330199",
            bio=bio,
            enterprise=enterprise,
        )
        for name, honours, bio, enterprise in [
            ("陈建国", "全国劳动模范", "数控车床主轴异响、发热故障诊断与维修。", None),
            ("李春华", "杭州工匠", "CK6150数控车床维修，主轴轴承更换。", None),
            ("内部人", "", "数控车床主轴异响维修。", world.enterprise_a),
        ]
    ]
    svc.library_outcome_create(
        actor=admin, org_unit=world.district, title="主轴异响三步快速诊断法", type="先进操作法", industry="C"
    )
    return made


# --- hub ---------------------------------------------------------------------------------------


def test_home_by_role(world: World) -> None:
    staff = _client(world.users["street_a_admin"]).get(reverse("assist:home")).content.decode()
    for link in ("/assist/clinic/", "/assist/challenges/", "/assist/kpi/", reverse("assist:craftsman_list")):
        assert link in staff
    contact = contact_of(world)
    post_demand(world, contact)
    page = _client(contact).get(reverse("assist:home")).content.decode()
    assert 'data-testid="new-demand"' in page and "数控车床主轴异响" in page and "/assist/kpi/" not in page
    craftsman_user = make_user("cm", role=Role.CRAFTSMAN, unit=world.district)
    page = _client(craftsman_user).get(reverse("assist:home")).content.decode()
    assert 'data-testid="clinic-link"' in page and "/assist/clinic/" in page
    assert "联系所在工会" in _client(world.users["nobody"]).get(reverse("assist:home")).content.decode()


# --- scoping -----------------------------------------------------------------------------------


def test_street_b_gets_404_on_a_demand_of_street_a(world: World, spindle_library) -> None:
    demand = post_demand(world, contact_of(world))
    for name in ("street_b_admin", "worker_a", "nobody"):
        client = _client(world.users[name])
        assert client.get(reverse("assist:demand_detail", args=[demand.pk])).status_code == 404
        assert (
            client.post(
                reverse("assist:demand_dispatch", args=[demand.pk]), {"craftsman": spindle_library[0].pk}
            ).status_code
            == 404
        )
    assert not Dispatch.objects.exists()
    assert (
        _client(world.users["street_a_reviewer"])
        .get(reverse("assist:demand_detail", args=[demand.pk]))
        .status_code
        == 200
    )
    # Missing and not-yours look the same.
    assert (
        _client(world.users["street_b_admin"]).get(reverse("assist:demand_detail", args=[99999])).status_code
        == 404
    )


def test_enterprise_contact_sees_only_own_demands(world: World) -> None:
    contact = contact_of(world)
    mine = post_demand(world, contact, title="我的需求")
    colleague = post_demand(world, world.users["street_a_reviewer"], title="工会代发的需求")
    other = post_demand(
        world, world.users["district_admin"], enterprise=world.enterprise_b, title="乙企业需求"
    )
    client = _client(contact)
    page = client.get(reverse("assist:demand_list")).content.decode()
    assert "我的需求" in page and "工会代发的需求" not in page and "乙企业需求" not in page
    assert client.get(reverse("assist:demand_detail", args=[mine.pk])).status_code == 200
    for demand in (colleague, other):
        assert client.get(reverse("assist:demand_detail", args=[demand.pk])).status_code == 404
    export = client.get(reverse("assist:demand_list"), {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["我的需求"]


def test_library_pages_are_for_staff(world: World, spindle_library) -> None:
    contact = _client(contact_of(world))
    assert contact.get(reverse("assist:craftsman_list")).status_code == 404
    assert contact.get(reverse("assist:outcome_list")).status_code == 404
    assert contact.get(reverse("assist:craftsman_detail", args=[spindle_library[0].pk])).status_code == 404
    assert contact.get(reverse("assist:library_import")).status_code == 404
    street_b = _client(world.users["street_b_admin"])
    assert street_b.get(reverse("assist:craftsman_detail", args=[spindle_library[0].pk])).status_code == 404


# --- posting a demand and the matches ---------------------------------------------------------


def test_contact_posts_a_demand_with_photos_and_sees_ranked_matches(world: World, spindle_library) -> None:
    contact = contact_of(world)
    client = _client(contact)
    form = client.get(reverse("assist:demand_create")).content.decode()
    assert world.enterprise_a.name in form and 'accept="image/*"' in form
    response = client.post(
        reverse("assist:demand_create"),
        {
            "enterprise": world.enterprise_a.pk,
            "title": "数控车床主轴异响",
            "description": "主轴转起来有咔咔的异响，转速一高还发热。",
            "equipment_model": "CK6150",
            "kind": "breakthrough",
            "urgency": "high",
            "photos": [SimpleUploadedFile("a.jpg", JPEG), SimpleUploadedFile("b.png", PNG)],
        },
    )
    demand = Demand.objects.get()
    assert response.status_code == 302 and response["Location"] == demand.get_absolute_url()
    assert demand.photos.count() == 2
    page = client.get(demand.get_absolute_url()).content.decode()
    assert page.count('data-testid="craftsman-match"') == 2  # the insider is excluded
    assert "内部人" not in page
    ranked = page.split('data-testid="matched-craftsmen"')[1]
    assert ranked.index("陈建国") < ranked.index("李春华")  # the better match first
    assert "匹配词：" in page and "同行业：制造业" in page and "全国劳动模范" in page and "同区县" in page
    assert 'data-testid="outcome-match"' in page and "主轴异响三步快速诊断法" in page
    assert "派单" not in page.split('data-testid="matched-craftsmen"')[1].split("</section>")[0].replace(
        "已派单", ""
    )  # a contact cannot dispatch
    photo = demand.photos.first()
    assert client.get(reverse("assist:demand_photo", args=[demand.pk, photo.pk])).status_code == 200
    assert (
        _client(world.users["street_b_admin"])
        .get(reverse("assist:demand_photo", args=[demand.pk, photo.pk]))
        .status_code
        == 404
    )


def test_bad_photo_is_a_form_error(world: World) -> None:
    client = _client(contact_of(world))
    response = client.post(
        reverse("assist:demand_create"),
        {
            "enterprise": world.enterprise_a.pk,
            "title": "问题",
            "description": "描述",
            "kind": "breakthrough",
            "urgency": "normal",
            "photos": [SimpleUploadedFile("x.exe", b"MZ....")],
        },
    )
    assert response.status_code == 200 and "不支持的照片类型" in response.content.decode()
    assert not Demand.objects.exists()


def test_contact_cannot_post_for_another_enterprise(world: World) -> None:
    client = _client(contact_of(world))
    response = client.post(
        reverse("assist:demand_create"),
        {
            "enterprise": world.enterprise_b.pk,
            "title": "t",
            "description": "d",
            "kind": "training",
            "urgency": "low",
        },
    )
    assert response.status_code == 200 and not Demand.objects.exists()
    assert _client(world.users["nobody"]).get(reverse("assist:demand_create")).status_code == 404


def test_staff_dispatch_from_the_ranked_list(world: World, spindle_library) -> None:
    demand = post_demand(world, contact_of(world))
    client = _client(world.users["street_a_reviewer"])
    page = client.get(demand.get_absolute_url()).content.decode()
    first = spindle_library[0]
    assert f'data-testid="dispatch-{first.pk}"' in page
    response = client.post(
        reverse("assist:demand_dispatch", args=[demand.pk]),
        {"craftsman": first.pk, "shown_rank": "1", "shown_score": "1.2345"},
    )
    assert response.status_code == 302
    dispatch = Dispatch.objects.get()
    assert (dispatch.craftsman, dispatch.shown_rank, dispatch.shown_score) == (first, 1, 1.2345)
    demand.refresh_from_db()
    assert demand.status == Demand.Status.MATCHED
    page = client.get(demand.get_absolute_url(), follow=True).content.decode()
    assert "已向 陈建国 派单" in page or 'data-testid="dispatch-list"' in page
    # The insider cannot be dispatched even by posting its id.
    client.post(reverse("assist:demand_dispatch", args=[demand.pk]), {"craftsman": spindle_library[2].pk})
    assert Dispatch.objects.count() == 1
    # The district's craftsman is not the street's to open; the district's staff see the dispatch.
    assert client.get(first.get_absolute_url()).status_code == 404
    craftsman_page = _client(world.users["district_admin"]).get(first.get_absolute_url()).content.decode()
    assert demand.title in craftsman_page


# --- library lists, filters, exports -----------------------------------------------------------


def test_craftsman_list_filters_and_export(world: World) -> None:
    load_eval_library(world, craftsmen=30, outcomes=5)
    client = _client(world.users["district_admin"])
    url = reverse("assist:craftsman_list")
    everyone = client.get(url).content.decode()
    assert "陈建国" in everyone and 'data-testid="total-count"' in everyone
    national = client.get(url, {"honour": "全国劳动模范"}).content.decode()
    assert "陈建国" in national and "王立新" not in national  # GJ002 is a 浙江工匠
    Craftsman.objects.filter(external_id="GJ001").update(open_requests=3)
    available = client.get(url, {"available": "true"}).content.decode()
    assert "陈建国" not in available and "王立新" in available
    assert "陈建国" in client.get(url, {"available": "false"}).content.decode()
    building = client.get(url, {"industry": "E"}).content.decode()
    assert "陈建国" not in building
    export = client.get(url, {"export": "xlsx", "honour": "大国工匠"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and all("大国工匠" in (r[2] or "") for r in rows[1:]) and len(rows) > 1
    outcomes = client.get(reverse("assist:outcome_list"), {"export": "xlsx"})
    assert outcomes.status_code == 200 and outcomes["Content-Type"].startswith("application/vnd.openxml")


def test_craftsman_and_outcome_details(world: World, spindle_library) -> None:
    client = _client(world.users["district_admin"])
    page = client.get(spindle_library[0].get_absolute_url()).content.decode()
    assert 'data-testid="track-record"' in page and "全国劳动模范" in page
    outcome = svc.library_outcome_create(
        actor=world.users["district_admin"],
        org_unit=world.district,
        title="试用的夹具",
        trial_offered=True,
        licence_form="transfer",
        licence_fee="30000",
        trial_months=3,
    )
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert 'data-testid="trial-terms"' in page and "30000" in page


def test_craftsman_create_and_edit_pages(world: World) -> None:
    client = _client(world.users["district_admin"])
    response = client.post(
        reverse("assist:craftsman_create"),
        {
            "name": "周工",
            "honours": "杭州工匠、首席技师",
            "region": "330199",
            "industry": "C",
            "monthly_capacity": 4,
            "available": "on",
        },
    )
    craftsman = Craftsman.objects.get()
    assert response.status_code == 302 and craftsman.honours == ["杭州工匠", "首席技师"]
    bad = client.post(
        reverse("assist:craftsman_edit", args=[craftsman.pk]),
        {"name": "周工", "region": "12", "monthly_capacity": 4},
    )
    assert bad.status_code == 200 and "行政区划代码" in bad.content.decode()
    client.post(
        reverse("assist:craftsman_edit", args=[craftsman.pk]),
        {"name": "周工", "honours": "杭州工匠", "region": "330199", "bio": "焊接", "monthly_capacity": 2},
    )
    craftsman.refresh_from_db()
    assert craftsman.honours == ["杭州工匠"] and craftsman.bio == "焊接" and not craftsman.available
    assert (
        _client(world.users["street_b_admin"])
        .get(reverse("assist:craftsman_edit", args=[craftsman.pk]))
        .status_code
        == 404
    )


# --- imports -----------------------------------------------------------------------------------


def test_import_page_lists_row_errors_and_writes_nothing(world: World) -> None:
    client = _client(world.users["district_admin"])
    page = client.get(reverse("assist:library_import")).content.decode()
    assert reverse("assist:library_import_template", args=["craftsmen"]) in page
    bad = "external_id,name,honours,region,industry,trades,skills,bio\nGJ1,张三,,330199,C,,,\nGJ1,李四,,330199,C,,,\n"
    response = client.post(
        reverse("assist:library_import"),
        {
            "kind": "craftsmen",
            "org_unit": world.district.pk,
            "file": SimpleUploadedFile("c.csv", bad.encode()),
        },
    )
    text = response.content.decode()
    assert 'data-testid="import-errors"' in text and "第 3 行" in text and "外部编号(external_id)" in text
    assert not Craftsman.objects.exists()
    response = client.post(
        reverse("assist:library_import"),
        {
            "kind": "craftsmen",
            "org_unit": world.district.pk,
            "file": SimpleUploadedFile("c.csv", bad.encode()),
            "skip_invalid": "on",
        },
        follow=True,
    )
    assert "新增 1 条" in response.content.decode() and Craftsman.objects.count() == 1
    # A union the user does not manage is not a choice.
    other = client.post(
        reverse("assist:library_import"),
        {"kind": "outcomes", "org_unit": 999999, "file": SimpleUploadedFile("o.csv", b"x")},
    )
    assert other.status_code == 200 and Craftsman.objects.count() == 1


@pytest.mark.parametrize("kind", ["craftsmen", "outcomes"])
def test_import_templates_round_trip(world: World, kind: str) -> None:
    client = _client(world.users["district_admin"])
    template = client.get(reverse("assist:library_import_template", args=[kind]))
    assert template.status_code == 200
    response = client.post(
        reverse("assist:library_import"),
        {"kind": kind, "org_unit": world.district.pk, "file": SimpleUploadedFile("t.xlsx", template.content)},
        follow=True,
    )
    assert "新增 1 条" in response.content.decode()
    assert client.get(reverse("assist:library_import_template", args=["nope"])).status_code == 404


# --- query-count guards ------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_craftsman_list_queries_do_not_grow(world: World) -> None:
    client = _client(world.users["district_admin"])
    load_eval_library(world, craftsmen=5, outcomes=5)
    few = _count(client, reverse("assist:craftsman_list"))
    svc.craftsmen_import(
        actor=None,
        org_unit=world.street_a,
        data=b"external_id,name,honours,region,industry,trades,skills,bio\n"
        + "".join(f"X{i},工匠{i},浙江工匠,330199,C,钳工,装配,简介\n" for i in range(40)).encode(),
        filename="c.csv",
    )
    assert _count(client, reverse("assist:craftsman_list")) == few
    assert _count(client, reverse("assist:outcome_list")) <= few


def test_demand_list_queries_do_not_grow(world: World) -> None:
    admin = world.users["district_admin"]
    client = _client(admin)
    post_demand(world, admin)
    few = _count(client, reverse("assist:demand_list"))
    for i in range(15):
        post_demand(
            world, admin, title=f"需求{i}", enterprise=world.enterprise_b if i % 2 else world.enterprise_a
        )
    assert _count(client, reverse("assist:demand_list")) == few
