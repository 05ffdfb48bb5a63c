"""API token services and the ``api_token`` management command."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from gonghui.api.models import ApiToken
from gonghui.api.services import api_token_issue, api_token_revoke
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied


def _audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, target_type="api.apitoken").order_by("pk"))


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_issue_stores_only_the_hash_and_returns_the_secret_once(world: World) -> None:
    """The clear token is long and random; the row keeps sha256 + an 8-char prefix; audit has no secret."""
    user = world.users["street_a_admin"]
    token, raw = api_token_issue(
        actor=user, user=user, name=" 报表同步 ", scopes=["members:read", "orgs:read", "members:read"]
    )
    token.refresh_from_db()
    assert len(raw) >= 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert raw not in {token.key_hash, token.name, token.prefix}
    assert token.scopes == ["members:read", "orgs:read"]
    assert token.name == "报表同步"
    assert token.user_id == user.pk and token.revoked_at is None
    [entry] = _audit("api_token.issue")
    assert entry.actor_id == user.pk
    assert entry.target_id == str(token.pk)
    assert entry.after["scopes"] == ["members:read", "orgs:read"]
    assert raw not in json.dumps([entry.before, entry.after, entry.target_repr], ensure_ascii=False)


def test_each_issue_gets_a_different_secret(world: World) -> None:
    """Two tokens for the same user never share a secret or a hash."""
    user = world.users["worker_a"]
    first, raw1 = api_token_issue(actor=user, user=user, name="a", scopes=["members:read"])
    second, raw2 = api_token_issue(actor=user, user=user, name="b", scopes=["members:read"])
    assert raw1 != raw2
    assert first.key_hash != second.key_hash


def test_secrets_never_start_with_a_dash(world: World) -> None:
    """A prefix like "-Ab3..." would be parsed as an option by ``api_token revoke --prefix``; 300
    tokens (each had a 1/32 chance before the fix) all start with a letter or digit."""
    user = world.users["worker_a"]
    firsts = {
        api_token_issue(actor=user, user=user, name="x", scopes=["orgs:read"])[1][0] for _ in range(300)
    }
    assert all(char.isalnum() for char in firsts)


def test_command_revokes_by_prefix_whatever_its_characters(world: World) -> None:
    """Prefixes containing "_" or "-" after the first character are accepted as plain arguments."""
    user = world.users["worker_a"]
    token, _raw = api_token_issue(actor=user, user=user, name="x", scopes=["orgs:read"])
    ApiToken.objects.filter(pk=token.pk).update(prefix="a-_b-_c1")
    _command("revoke", "--prefix", "a-_b-_c1")
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(
    ("name", "scopes", "code", "field"),
    [
        ("x", ["members:delete"], "invalid_scope", "scopes"),
        ("x", ["orgs:read", "admin"], "invalid_scope", "scopes"),
        ("x", [], "invalid_scope", "scopes"),
        ("x", ["  "], "invalid_scope", "scopes"),
        ("   ", ["orgs:read"], "invalid_name", "name"),
        ("长" * 81, ["orgs:read"], "invalid_name", "name"),
    ],
)
def test_issue_rejects_bad_input_and_creates_nothing(
    world: World, name: str, scopes: list[str], code: str, field: str
) -> None:
    """Unknown or missing scopes and bad names raise a DomainError naming the field; no row, no audit."""
    user = world.users["street_a_admin"]
    with pytest.raises(DomainError) as caught:
        api_token_issue(actor=user, user=user, name=name, scopes=scopes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert not ApiToken.objects.exists()
    assert not _audit("api_token.issue")


@pytest.mark.parametrize("actor_role", ["district_admin", "street_b_admin", "worker_a", "nobody"])
def test_only_self_or_superuser_may_issue(world: World, actor_role: str) -> None:
    """Even the admin of the target's subtree cannot mint a token acting as someone else."""
    target = world.users["street_a_admin"]
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=world.users[actor_role], user=target, name="x", scopes=["orgs:read"])
    assert not ApiToken.objects.exists()


def test_superuser_may_issue_for_another_user(world: World) -> None:
    """A superuser issues on someone's behalf; the audit row names the superuser as actor."""
    token, _raw = api_token_issue(
        actor=world.users["superuser"], user=world.users["worker_a"], name="x", scopes=["members:read"]
    )
    assert token.user_id == world.users["worker_a"].pk
    assert _audit("api_token.issue")[0].actor_id == world.users["superuser"].pk


def test_inactive_user_gets_no_token(world: World) -> None:
    """A deactivated login cannot be given a token."""
    user = world.users["nobody"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(DomainError) as caught:
        api_token_issue(actor=None, user=user, name="x", scopes=["orgs:read"])
    assert caught.value.code == "user_inactive"


def test_revoke_by_owner_is_audited_once_and_kills_the_token(world: World) -> None:
    """Revocation sets revoked_at, writes one audit row (even if repeated) and the token stops working."""
    user = world.users["street_a_admin"]
    token, raw = api_token_issue(actor=user, user=user, name="x", scopes=["orgs:read"])
    assert _bearer(raw).get("/api/v1/me").status_code == 200
    api_token_revoke(actor=user, token=token)
    api_token_revoke(actor=user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert len(_audit("api_token.revoke")) == 1
    assert _bearer(raw).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("actor_role", ["district_admin", "street_a_reviewer", "worker_a"])
def test_only_self_or_superuser_may_revoke(world: World, actor_role: str) -> None:
    """Another user's revoke attempt is refused and leaves the token live."""
    owner = world.users["street_a_admin"]
    token, _raw = api_token_issue(actor=owner, user=owner, name="x", scopes=["orgs:read"])
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=world.users[actor_role], token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not _audit("api_token.revoke")
    api_token_revoke(actor=world.users["superuser"], token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None


def _command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_issue_list_revoke_round_trip(world: World) -> None:
    """``issue`` prints a working token alone on stdout; ``list`` shows it; ``revoke --prefix`` kills it."""
    out, err = _command(
        "issue",
        "--user",
        "street_a_admin",
        "--name",
        "同步",
        "--scope",
        "orgs:read",
        "--scope",
        "members:read",
    )
    raw = out.strip()
    assert len(raw) >= 40 and "\n" not in raw
    assert raw[:8] in err
    token = ApiToken.objects.get()
    assert token.scopes == ["members:read", "orgs:read"]
    client = _bearer(raw)
    assert client.get("/api/v1/members").status_code == 200
    assert client.get("/api/v1/audit").status_code == 403  # audit:read not granted

    listed, _ = _command("list", "--user", "street_a_admin")
    assert token.prefix in listed and "有效" in listed and raw not in listed

    revoked, _ = _command("revoke", "--prefix", token.prefix)
    assert token.prefix in revoked
    assert client.get("/api/v1/members").status_code == 401
    assert "已吊销" in _command("list", "--user", "street_a_admin")[0]
    entry = _audit("api_token.revoke")[0]
    assert entry.actor_id is None  # the server operator, not a login


@pytest.mark.parametrize(
    "args",
    [
        ("issue", "--user", "ghost", "--name", "x", "--scope", "orgs:read"),
        ("issue", "--user", "worker_a", "--name", "x", "--scope", "everything"),
        ("revoke", "--prefix", "zzzzzzzz"),
        ("list", "--user", "ghost"),
    ],
)
def test_command_errors_are_clear_and_change_nothing(world: World, args: tuple[str, ...]) -> None:
    """Unknown users, scopes or prefixes end in a CommandError, never a traceback or a token."""
    with pytest.raises(CommandError):
        _command(*args)
    assert not ApiToken.objects.exists()


def test_command_refuses_an_ambiguous_prefix(world: World) -> None:
    """Two live tokens with the same prefix are not revoked by guesswork."""
    user = world.users["worker_a"]
    first, _ = api_token_issue(actor=user, user=user, name="a", scopes=["orgs:read"])
    second, _ = api_token_issue(actor=user, user=user, name="b", scopes=["orgs:read"])
    ApiToken.objects.filter(pk=second.pk).update(prefix=first.prefix)
    with pytest.raises(CommandError):
        _command("revoke", "--prefix", first.prefix)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2
