"""Every API failure answers ``{code, message, field}`` with the right status, never a 500 or HTML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from gonghui.api.tests.conftest import TokenClient
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.members.models import Member

VALID_ID = "330109199001011239"


def _payload(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "测试会员",
        "id_number": VALID_ID,
        "phone": "13800138000",
        "kind": "employee",
        "org_unit_id": world.unit_a().pk,
        "joined_on": "2024-01-15",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "field"}
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def admin_a(world: World, token_client: TokenClient) -> APIClient:
    """street_a_admin with an all-scopes token."""
    return token_client(world.users["street_a_admin"])


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"id_number": "330109199001011236"}, "invalid_id_number", "id_number"),  # bad check digit
        ({"id_number": "33010919900101123"}, "min_length", "id_number"),
        ({"id_number": "3301091990010112390"}, "max_length", "id_number"),
        ({"id_number": "33010919901301123X"}, "invalid_id_number", "id_number"),  # month 13
        ({"name": None}, "required", "name"),
        ({"name": "   "}, "blank", "name"),
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"kind": "boss"}, "invalid_choice", "kind"),
        ({"org_unit_id": "abc"}, "invalid", "org_unit_id"),
        ({"org_unit_id": 0}, "min_value", "org_unit_id"),
        ({"joined_on": "2024-13-01"}, "invalid", "joined_on"),
        ({"joined_on": "2999-01-01"}, "future_date", "joined_on"),
        ({"joined_on": "1980-01-01"}, "invalid_date", "joined_on"),  # before the birth date
    ],
)
def test_validation_errors_name_the_field_and_create_nothing(
    world: World, admin_a: APIClient, changes: dict[str, Any], code: str, field: str
) -> None:
    """Bad input on POST /api/v1/members: 400 with a stable code and the offending field; no member, no audit."""
    members, audits = Member.objects.count(), AuditEntry.objects.count()
    body = _error(admin_a.post("/api/v1/members", _payload(world, **changes), format="json"), 400)
    assert (body["code"], body["field"]) == (code, field)
    assert Member.objects.count() == members
    assert AuditEntry.objects.count() == audits


def test_duplicate_id_number_is_a_field_error(world: World, admin_a: APIClient) -> None:
    """An ID number already in the register is refused naming id_number."""
    payload = _payload(world)
    assert admin_a.post("/api/v1/members", payload, format="json").status_code == 201
    body = _error(admin_a.post("/api/v1/members", {**payload, "name": "别人"}, format="json"), 400)
    assert (body["code"], body["field"]) == ("duplicate_member", "id_number")
    assert Member.objects.filter(name="别人").count() == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"name": "x",', b"\xff\xfe not json", b"[1, 2", b'{"name": "\\ud800"}', b"NaN"],
)
def test_malformed_json_is_400_not_500(world: World, admin_a: APIClient, raw: bytes) -> None:
    """Broken JSON bodies are a client error in the standard format."""
    # Raw bytes on purpose (not valid UTF-8 in one case); generic() passes them through force_bytes.
    response = admin_a.generic("POST", "/api/v1/members", raw, content_type="application/json")  # type: ignore[arg-type]
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"code", "message", "field"}


@pytest.mark.parametrize("body", [[], [1, 2], "just a string", 42, None])
def test_json_that_is_not_an_object_is_400(world: World, admin_a: APIClient, body: Any) -> None:
    """Well-formed JSON of the wrong shape is refused, not crashed on."""
    _error(admin_a.post("/api/v1/members", body, format="json"), 400)


def test_lone_surrogate_in_a_string_is_a_field_error(world: World, admin_a: APIClient) -> None:
    """A JSON string the database cannot store (lone UTF-16 surrogate) is a 400 on that field, not a 500."""
    payload, before = _payload(world), Member.objects.count()
    raw = json.dumps({**payload, "name": "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800")
    response = admin_a.generic("POST", "/api/v1/members", raw, content_type="application/json")
    body = _error(response, 400)
    assert (body["code"], body["field"]) == ("surrogate_characters_not_allowed", "name")
    assert Member.objects.count() == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "name=x"),
        ("application/x-www-form-urlencoded", "name=%E5%BC%A0&id_number=330109199001011239"),
    ],
)
def test_non_json_bodies_are_415(world: World, admin_a: APIClient, content_type: str, body: str) -> None:
    """The API speaks JSON only: text and form bodies get 415 in the API format and create nothing."""
    before = Member.objects.count()
    response = admin_a.generic("POST", "/api/v1/members", body, content_type=content_type)
    assert _error(response, 415)["code"] == "unsupported_media_type"
    assert Member.objects.count() == before


def test_missing_and_foreign_objects_share_one_404(world: World, admin_a: APIClient) -> None:
    """A B member and a non-existent id give byte-identical 404 bodies (no existence oracle)."""
    foreign = admin_a.get(f"/api/v1/members/{world.members_b[0].pk}")
    missing = admin_a.get("/api/v1/members/987654")
    assert _error(foreign, 404) == _error(missing, 404)
    assert foreign.json()["code"] == "not_found" and foreign.json()["field"] is None
    assert foreign.content == missing.content


@pytest.mark.parametrize("missing_id", [987654, 2**63, 10**30])
def test_posting_into_a_foreign_unit_looks_like_a_missing_unit(
    world: World, admin_a: APIClient, missing_id: int
) -> None:
    """org_unit_id of street B and a non-existent (even out-of-range) unit answer the same 404; nothing created."""
    before = Member.objects.count()
    foreign = admin_a.post("/api/v1/members", _payload(world, org_unit_id=world.unit_b().pk), format="json")
    missing = admin_a.post("/api/v1/members", _payload(world, org_unit_id=missing_id), format="json")
    assert _error(foreign, 404) == _error(missing, 404)
    assert Member.objects.count() == before


def test_filtering_by_a_foreign_unit_looks_like_a_missing_unit(world: World, admin_a: APIClient) -> None:
    """?org_unit_id= of a B unit and of a non-existent unit answer alike (no existence oracle)."""
    foreign = admin_a.get(f"/api/v1/members?org_unit_id={world.unit_b().pk}")
    missing = admin_a.get("/api/v1/members?org_unit_id=987654")
    assert foreign.status_code == missing.status_code
    assert foreign.json() == missing.json()
    own = admin_a.get(f"/api/v1/members?org_unit_id={world.unit_a().pk}").json()
    assert {row["id"] for row in own["results"]} == {m.pk for m in world.members_a}


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=boss", "kind"), ("status=%00", "status"), ("sex=X", "sex"), ("org_unit_id=abc", "org_unit_id")],
)
def test_bad_filters_are_400_naming_the_parameter(
    world: World, admin_a: APIClient, query: str, field: str
) -> None:
    """An invalid query filter is a 400 that names the parameter."""
    assert _error(admin_a.get(f"/api/v1/members?{query}"), 400)["field"] == field


@pytest.mark.parametrize("page", ["0", "abc", "99"])
def test_bad_page_is_404_in_the_api_format(world: World, admin_a: APIClient, page: str) -> None:
    """A page outside the result is 404 not_found, not an HTML page."""
    assert _error(admin_a.get(f"/api/v1/members?page={page}"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/members/", "/api/v1/members/1/extra", "/api/v1/orgs"]
)
def test_unknown_api_urls_are_json_404(world: World, admin_a: APIClient, path: str) -> None:
    """A mistyped API URL answers JSON not_found, like every other API error (not the HTML page)."""
    assert _error(admin_a.get(path), 404)["code"] == "not_found"


def test_unknown_api_url_for_anonymous_reveals_nothing(api_client: APIClient, world: World) -> None:
    """Anonymous callers get the same JSON 404 for unknown URLs (no route discovery beyond the schema)."""
    assert _error(api_client.get("/api/v1/nothing-here"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/members"),
        ("put", "/api/v1/orgs/units"),
        ("post", "/api/v1/audit"),
        ("patch", "/api/v1/me"),
    ],
)
def test_method_not_allowed_is_405_in_the_api_format(
    world: World, admin_a: APIClient, method: str, path: str
) -> None:
    """Unsupported methods get 405 method_not_allowed."""
    response = getattr(admin_a, method)(path, {}, format="json")
    assert _error(response, 405)["code"] == "method_not_allowed"


def test_idempotency_key_too_long_is_a_field_error(world: World, admin_a: APIClient) -> None:
    """An oversized Idempotency-Key is refused naming the header; nothing is created."""
    before = Member.objects.count()
    response = admin_a.post("/api/v1/members", _payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert _error(response, 400)["field"] == "Idempotency-Key"
    assert Member.objects.count() == before


def test_post_to_unknown_api_url_gets_json_404_not_csrf_page(db: None) -> None:
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/innovation/assignments/null,null/score", data="{}", content_type="application/json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
