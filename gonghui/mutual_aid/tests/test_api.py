"""POST /api/v1/mutual-aid/assessments — the contract in spec/mutual_aid.md."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.conftest import PASSWORD, World

URL = "/api/v1/mutual-aid/assessments"


@pytest.fixture
def client(world: World) -> Client:
    c = Client(enforce_csrf_checks=False)
    assert c.login(username="district_viewer", password=PASSWORD)
    return c


def test_code_rule_and_ordinary_case(client: Client) -> None:
    mi = client.post(
        URL,
        {"id": "c1", "diagnoses": [{"code": "I21.900x011", "name": "急性前壁心肌梗死"}]},
        content_type="application/json",
    ).json()
    assert mi["id"] == "c1" and mi["categories"][0]["code"] == "acute_mi"
    assert mi["decision"] == mi["categories"][0]["decision"] == "needs_review"
    cabg = client.post(
        URL,
        {"id": 2, "diagnoses": [{"code": "I25.1"}], "procedures": [{"code": "36.12"}]},
        content_type="application/json",
    ).json()
    assert cabg["decision"] == "auto_accept"
    plain = client.post(
        URL, {"id": "p", "diagnoses": [{"name": "社区获得性肺炎"}]}, content_type="application/json"
    ).json()
    assert plain == {**plain, "categories": [], "decision": "none"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"diagnoses": []}, "id"),
        ({"id": "x", "diagnoses": [{"code": 5}]}, "diagnoses[0].code"),
        ({"id": "x", "diagnoses": "I21"}, "diagnoses"),
    ],
)
def test_bad_cases_name_the_field(client: Client, body: dict, field: str) -> None:  # type: ignore[type-arg]
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["code"]


def test_malformed_json_and_anonymous(client: Client) -> None:
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"code", "message", "field"}
    assert Client().post(URL, {"id": "x"}, content_type="application/json").status_code in (401, 403)


PUSH = "/api/v1/mutual-aid/settlements"


def _push_row(setl_id: str, certno: str, **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "setl_id": setl_id,
        "certno": certno,
        "med_type": "21",
        "hosp_lv": 3,
        "begndate": "2026-03-01",
        "enddate": "2026-03-05",
        "medfee_sumamt": "9000.00",
        "fund_pay_sumamt": "5000.00",
        "hosp_part_amt": 0,
        "fulamt_ownpay_amt": 0,
        "overlmt_selfpay": 0,
        "diag_codes": "J18.9",
        "diag_names": "肺炎",
    }
    row.update(over)
    return row


def test_push_stores_screens_and_is_idempotent(
    world: World, plan, enrolled, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from gonghui.members.models import Member
    from gonghui.mutual_aid.models import Claim, Settlement

    client = Client()
    client.login(username="district_admin", password=PASSWORD)
    certno = Member.objects.get(pk=enrolled[1].pk).id_number
    body = {"settlements": [_push_row("P1", certno)]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PUSH, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1 and response.json()["candidates"] == 1
    assert Claim.objects.filter(member=enrolled[1]).count() == 1
    again = client.post(PUSH, body, content_type="application/json").json()
    assert (again["created"], again["duplicate"]) == (0, 1) and Settlement.objects.count() == 1


def test_push_bad_row_names_index_and_field(world: World, plan, enrolled) -> None:  # type: ignore[no-untyped-def]
    from gonghui.members.models import Member
    from gonghui.mutual_aid.models import Settlement

    client = Client()
    client.login(username="district_admin", password=PASSWORD)
    certno = Member.objects.get(pk=enrolled[1].pk).id_number
    body = {"settlements": [_push_row("Q1", certno), _push_row("Q2", certno, medfee_sumamt="-1")]}
    response = client.post(PUSH, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "settlements[1].medfee_sumamt"
    assert not Settlement.objects.exists()
    unknown = client.post(
        PUSH, {"settlements": [{**_push_row("Q3", certno), "bogus": 1}]}, content_type="application/json"
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "settlements[0].bogus"


def test_push_needs_manage_rights(world: World, plan) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.login(username="district_viewer", password=PASSWORD)
    response = client.post(
        PUSH, {"settlements": [_push_row("R1", "11010519491231002X")]}, content_type="application/json"
    )
    assert response.status_code == 404
