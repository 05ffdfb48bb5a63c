"""API of the libraries: the matching contract with its error answers, token scopes, and the
scoped craftsman, demand and outcome lists with query-count guards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from gonghui.assist import libraries as svc
from gonghui.assist.tests.test_libraries import contact_of, load_eval_library, post_demand
from gonghui.assist.tests.test_matching import api_client_for
from gonghui.conftest import World

pytestmark = pytest.mark.django_db

URL = "/api/v1/assist/match"


@pytest.fixture
def eval_library(world: World) -> None:
    load_eval_library(world, craftsmen=60, outcomes=40)


def test_match_contract(world: World, eval_library: None) -> None:
    client = api_client_for(world.users["district_viewer"])
    body = {
        "text": "注塑模具开了没多久，产品分型面上就有披锋",
        "industry": "C",
        "kind": "craftsman",
        "limit": 5,
    }
    response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == 5
    first = results[0]
    assert set(first) == {"id", "external_id", "name", "score", "reasons"}
    assert first["external_id"] == "GJ040" and isinstance(first["score"], float)
    assert any(reason.startswith("匹配词") for reason in first["reasons"])
    outcomes = client.post(URL, {**body, "kind": "outcome", "region": None}, format="json").json()["results"]
    assert outcomes and all(set(r) == set(first) for r in outcomes)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "", "kind": "craftsman", "limit": 5}, "text"),
        ({"text": "  ", "kind": "craftsman", "limit": 5}, "text"),
        ({"text": "主" * 2001, "kind": "craftsman", "limit": 5}, "text"),
        ({"text": 42, "kind": "craftsman", "limit": 5}, "text"),
        ({"kind": "craftsman", "limit": 5}, "text"),
        ({"text": "披锋", "kind": "studio", "limit": 5}, "kind"),
        ({"text": "披锋", "limit": 5}, "kind"),
        ({"text": "披锋", "kind": "craftsman", "limit": 0}, "limit"),
        ({"text": "披锋", "kind": "craftsman", "limit": 51}, "limit"),
        ({"text": "披锋", "kind": "craftsman", "limit": "5"}, "limit"),
        ({"text": "披锋", "kind": "craftsman", "limit": 5.5}, "limit"),
        ({"text": "披锋", "kind": "craftsman"}, "limit"),
        ({"text": "披锋", "kind": "craftsman", "limit": 5, "industry": "制造业"}, "industry"),
        ({"text": "披锋", "kind": "craftsman", "limit": 5, "industry": 3}, "industry"),
        ({"text": "披锋", "kind": "craftsman", "limit": 5, "region": "33"}, "region"),
    ],
)
def test_bad_input_is_400_with_code_message_field(world: World, body: dict, field: str) -> None:
    response = api_client_for(world.users["district_viewer"]).post(URL, body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "match_invalid" and answer["field"] == field and answer["message"]


def test_body_must_be_a_json_object(world: World) -> None:
    client = api_client_for(world.users["district_viewer"])
    assert client.post(URL, [1, 2], format="json").status_code == 400
    malformed = client.post(URL, "{not json", content_type="application/json")
    assert malformed.status_code == 400 and set(malformed.json()) == {"code", "message", "field"}
    assert client.post(URL, "text=x", content_type="text/plain").status_code == 415


def test_scopes_and_authentication(world: World) -> None:
    body = {"text": "披锋", "kind": "craftsman", "limit": 5}
    assert APIClient().post(URL, body, format="json").status_code in (401, 403)
    wrong_scope = api_client_for(world.users["district_admin"], scopes=("members:read",))
    assert wrong_scope.post(URL, body, format="json").status_code == 403
    assert wrong_scope.get("/api/v1/assist/craftsmen").status_code == 403
    assert api_client_for(world.users["worker_a"]).post(URL, body, format="json").status_code == 200


def test_contact_match_excludes_own_enterprises_conflicts(world: World) -> None:
    admin = world.users["district_admin"]
    insider = svc.craftsman_create(
        actor=admin, org_unit=world.district, name="甲", bio="注塑模具披锋修复", enterprise=world.enterprise_a
    )
    body = {"text": "披锋", "kind": "craftsman", "limit": 5}
    contact = api_client_for(contact_of(world))
    assert contact.post(URL, body, format="json").json()["results"] == []
    staff = api_client_for(admin).post(URL, body, format="json").json()["results"]
    assert [r["id"] for r in staff] == [insider.pk]


def test_lists_are_scoped(world: World) -> None:
    admin = world.users["district_admin"]
    svc.craftsman_create(actor=admin, org_unit=world.street_a, name="甲街工匠")
    svc.craftsman_create(actor=admin, org_unit=world.street_b, name="乙街工匠")
    svc.library_outcome_create(actor=admin, org_unit=world.street_a, title="甲街成果")
    contact = contact_of(world)
    mine = post_demand(world, contact)
    post_demand(world, world.users["street_b_admin"], enterprise=world.enterprise_b, title="乙企业的需求")

    def names(user, path: str, key: str = "name") -> list[str]:
        response = api_client_for(user).get(path)
        assert response.status_code == 200
        return sorted(row[key] for row in response.json()["results"])

    assert names(world.users["street_a_admin"], "/api/v1/assist/craftsmen") == ["甲街工匠"]
    assert names(admin, "/api/v1/assist/craftsmen") == ["乙街工匠", "甲街工匠"]
    assert names(world.users["street_b_admin"], "/api/v1/assist/outcomes", "title") == []
    assert names(world.users["street_a_admin"], "/api/v1/assist/outcomes", "title") == ["甲街成果"]
    assert names(contact, "/api/v1/assist/demands", "title") == [mine.title]
    assert names(world.users["street_b_admin"], "/api/v1/assist/demands", "title") == ["乙企业的需求"]
    assert names(world.users["nobody"], "/api/v1/assist/demands", "title") == []
    assert api_client_for(admin).get("/api/v1/assist/demands", {"status": "bogus"}).status_code == 400


def _queries(user, path: str) -> int:
    client = api_client_for(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path", ["/api/v1/assist/craftsmen", "/api/v1/assist/outcomes", "/api/v1/assist/demands"]
)
def test_list_queries_do_not_grow_with_rows(world: World, path: str) -> None:
    admin = world.users["district_admin"]

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            svc.craftsman_create(actor=admin, org_unit=world.street_a, name=f"工匠{i}")
            svc.library_outcome_create(actor=admin, org_unit=world.street_a, title=f"成果{i}")
            post_demand(world, admin, title=f"需求{i}")

    add(2, 0)
    few = _queries(admin, path)
    add(8, 10)
    assert _queries(admin, path) == few
