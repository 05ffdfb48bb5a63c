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
