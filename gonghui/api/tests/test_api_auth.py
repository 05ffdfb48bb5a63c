"""Token and session authentication, scopes, and a token seeing exactly what its user sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from gonghui.accounts.models import User
from gonghui.api.models import ApiToken
from gonghui.api.services import api_token_issue, api_token_revoke
from gonghui.api.tests.conftest import TokenClient
from gonghui.conftest import World
from gonghui.members.models import Member

ERROR_KEYS = {"code", "message", "field"}


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


def _new_member_payload(world: World) -> dict[str, Any]:
    return {
        "name": "测试会员",
        "id_number": "330109199001011239",
        "org_unit_id": world.unit_a().pk,
        "joined_on": "2024-01-15",
    }


def test_valid_token_authenticates_and_records_last_use(world: World, token_client: TokenClient) -> None:
    """A live token acts as its user; last_used_at is stamped."""
    client = token_client(world.users["street_a_admin"])
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "street_a_admin"
    assert ApiToken.objects.get().last_used_at is not None


def test_revoked_token_is_401_with_error_body(world: World) -> None:
    """After revocation the same secret gets 401 {code,message,field} and a Bearer challenge."""
    user = world.users["street_a_admin"]
    token, raw = api_token_issue(actor=user, user=user, name="x", scopes=["members:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/members").status_code == 200
    api_token_revoke(actor=user, token=token)
    response = client.get("/api/v1/members")
    _assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_of_a_deactivated_user_is_401(world: World, token_client: TokenClient) -> None:
    """Deactivating a login disables its tokens at once."""
    user = world.users["street_a_admin"]
    client = token_client(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    _assert_error(client.get("/api/v1/me"), 401, "authentication_failed")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-real-token",
        "Bearer",
        "Bearer a b",
        "Token abc",
        # Non-ASCII as a WSGI server delivers it: UTF-8 bytes decoded as latin-1 (PEP 3333).
        "Bearer 中文令牌".encode().decode("latin-1"),
    ],
)
def test_bad_authorization_headers_are_401(world: World, header: str) -> None:
    """Unknown secrets and malformed headers are refused with the error format, never a 500."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    _assert_error(client.get("/api/v1/members"), 401, "authentication_failed")


def test_anonymous_is_401_with_error_body(api_client: APIClient, world: World) -> None:
    """No credentials: 401 not_authenticated in the API error format."""
    response = api_client.get("/api/v1/members")
    _assert_error(response, 401, "not_authenticated")
    assert response.json()["field"] is None


@pytest.mark.parametrize(
    ("scopes", "path", "allowed"),
    [
        (["orgs:read"], "/api/v1/orgs/units", True),
        (["orgs:read"], "/api/v1/orgs/enterprises", True),
        (["orgs:read"], "/api/v1/members", False),
        (["orgs:read"], "/api/v1/audit", False),
        (["members:read"], "/api/v1/members", True),
        (["members:read"], "/api/v1/orgs/units", False),
        (["members:write"], "/api/v1/members", False),
        (["audit:read"], "/api/v1/audit", True),
        (["audit:read"], "/api/v1/members", False),
        (["jobs:read"], "/api/v1/orgs/units", False),
        (["mutual_aid:read"], "/api/v1/me", True),
    ],
)
def test_token_scope_is_enforced(
    world: World, token_client: TokenClient, scopes: list[str], path: str, allowed: bool
) -> None:
    """A token reaches only the endpoints its scopes name; otherwise 403 permission_denied."""
    response = token_client(world.users["district_admin"], scopes=scopes).get(path)
    if allowed:
        assert response.status_code == 200
    else:
        _assert_error(response, 403, "permission_denied")


def test_write_needs_the_write_scope_and_a_refused_write_changes_nothing(
    world: World, token_client: TokenClient
) -> None:
    """members:read alone cannot POST a member (403, no row); members:write can (201)."""
    before = Member.objects.count()
    reader = token_client(world.users["street_a_admin"], scopes=["members:read"])
    _assert_error(
        reader.post("/api/v1/members", _new_member_payload(world), format="json"), 403, "permission_denied"
    )
    assert Member.objects.count() == before
    writer = token_client(world.users["street_a_admin"], scopes=["members:write"])
    assert writer.post("/api/v1/members", _new_member_payload(world), format="json").status_code == 201
    assert Member.objects.count() == before + 1


def _expected_members(world: World, role: str) -> set[int]:
    a = {m.pk for m in world.members_a} | {world.flexible_a.pk}
    b = {m.pk for m in world.members_b}
    return {
        "district_admin": a | b,
        "street_a_admin": a,
        "street_a_reviewer": a,
        "street_b_admin": b,
        "enterprise_a_admin": {m.pk for m in world.members_a},
        "worker_a": {world.members_a[0].pk},
        "nobody": set(),
    }[role]


@pytest.mark.parametrize(
    "role",
    [
        "district_admin",
        "street_a_admin",
        "street_a_reviewer",
        "street_b_admin",
        "enterprise_a_admin",
        "worker_a",
        "nobody",
    ],
)
def test_token_sees_exactly_what_its_user_sees(
    world: World,
    token_client: TokenClient,
    session_client: Callable[[User], APIClient],
    role: str,
) -> None:
    """A token never widens its user's scope: token list == session list == the user's subtree."""
    user = world.users[role]
    expected = _expected_members(world, role)
    assert _ids(token_client(user).get("/api/v1/members")) == expected
    assert _ids(session_client(user).get("/api/v1/members")) == expected


def test_session_auth_works_for_the_browser_and_enforces_csrf(world: World) -> None:
    """A logged-in browser reads with its cookie; a cookie-authenticated write without CSRF is refused."""
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.users["street_a_admin"])
    assert _ids(browser.get("/api/v1/members")) == _expected_members(world, "street_a_admin")
    before = Member.objects.count()
    response = browser.post("/api/v1/members", _new_member_payload(world), format="json")
    _assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["message"]
    assert Member.objects.count() == before


def test_token_writes_need_no_csrf(world: World) -> None:
    """Bearer requests are not cookie-based, so CSRF does not apply to them."""
    user = world.users["street_a_admin"]
    _token, raw = api_token_issue(actor=user, user=user, name="x", scopes=["members:write"])
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.post("/api/v1/members", _new_member_payload(world), format="json").status_code == 201
