"""``Idempotency-Key`` on POST /api/v1/members: a retry replays the first answer, never a second member."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from gonghui.api.models import IdempotencyRecord
from gonghui.api.tests.conftest import TokenClient
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.members.models import Member

URL = "/api/v1/members"


def _payload(world: World, id_number: str = "330109199001011239", name: str = "重试会员") -> dict[str, Any]:
    return {"name": name, "id_number": id_number, "org_unit_id": world.unit_a().pk, "joined_on": "2024-01-15"}


@pytest.fixture
def client(world: World, token_client: TokenClient) -> APIClient:
    """street_a_admin with an all-scopes token."""
    return token_client(world.users["street_a_admin"])


def _post(client: APIClient, payload: dict[str, Any], key: str | None) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, payload, format="json", **headers)


def test_same_key_same_body_replays_the_first_response(world: World, client: APIClient) -> None:
    """Three identical retries: one member, one audit row, three identical 201 answers."""
    before = Member.objects.count()
    responses = [_post(client, _payload(world), "retry-1") for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert responses[0].json() == responses[1].json() == responses[2].json()
    assert Member.objects.count() == before + 1
    assert Member.objects.filter(pk=responses[0].json()["id"], name="重试会员").exists()
    assert AuditEntry.objects.filter(action="member.create").count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_same_key_different_body_is_409_and_changes_nothing(world: World, client: APIClient) -> None:
    """Reusing a key for another request is a conflict; the second body is not applied."""
    assert _post(client, _payload(world), "k").status_code == 201
    count = Member.objects.count()
    response = _post(client, _payload(world, id_number="11010519491231002X", name="另一人"), "k")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert response.json()["field"] == "Idempotency-Key"
    assert Member.objects.count() == count
    assert not Member.objects.filter(name="另一人").exists()


def test_without_a_key_a_retry_is_a_new_request(world: World, client: APIClient) -> None:
    """No key: the retry is processed again and hits the duplicate-ID rule (400), proving the replay is the key's doing."""
    assert _post(client, _payload(world), None).status_code == 201
    second = _post(client, _payload(world), None)
    assert second.status_code == 400
    assert second.json()["code"] == "duplicate_member"


def test_a_failed_request_is_not_remembered(world: World, client: APIClient) -> None:
    """A 400 is not stored: the client may fix the body and retry under the same key."""
    bad = _post(client, _payload(world, id_number="330109199001011236"), "fix-me")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = _post(client, _payload(world), "fix-me")
    assert good.status_code == 201
    assert _post(client, _payload(world), "fix-me").json() == good.json()


def test_keys_are_per_user(world: World, client: APIClient, token_client: TokenClient) -> None:
    """Another user's identical key is a different request (it cannot read or block mine)."""
    first = _post(client, _payload(world), "shared")
    other = token_client(world.users["district_admin"])
    second = _post(other, _payload(world, id_number="11010519491231002X", name="区级登记"), "shared")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_refused_write_outside_the_subtree_is_not_stored(world: World, client: APIClient) -> None:
    """A 404 for a B unit leaves no member and no idempotency record to replay."""
    before = Member.objects.count()
    payload = {**_payload(world), "org_unit_id": world.unit_b().pk}
    assert _post(client, payload, "b-unit").status_code == 404
    assert Member.objects.count() == before
    assert not IdempotencyRecord.objects.exists()
