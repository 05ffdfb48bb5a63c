"""Logins: password with throttling, SMS one-time codes, the HTTP SMS provider, role grants."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from gonghui.accounts.models import RoleGrant, SmsCode, SmsMessage
from gonghui.accounts.services import role_grant, role_revoke, sms_code_request, sms_code_verify, sms_send
from gonghui.accounts.sms import HttpSmsBackend, SmsError
from gonghui.audit.models import AuditEntry
from gonghui.conftest import PASSWORD, World
from gonghui.core.errors import DomainError, PermissionDenied

WORKER_PHONE = "13900000011"


def _code_from(outbox: list[tuple[str, str]]) -> str:
    match = re.search(r"(\d{6})", outbox[-1][1])
    assert match
    return match.group(1)


def test_sms_code_login_single_use(world: World, sms_outbox: list[tuple[str, str]]) -> None:
    sms_code_request(phone=WORKER_PHONE)
    assert sms_outbox[-1][0] == WORKER_PHONE
    code = _code_from(sms_outbox)
    assert sms_code_verify(phone=WORKER_PHONE, code=code) == world.users["worker_a"]
    with pytest.raises(DomainError):
        sms_code_verify(phone=WORKER_PHONE, code=code)  # single use


def test_sms_code_expires(world: World, sms_outbox: list[tuple[str, str]]) -> None:
    sms_code_request(phone=WORKER_PHONE)
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DomainError):
        sms_code_verify(phone=WORKER_PHONE, code=_code_from(sms_outbox))


def test_sms_code_burns_after_five_wrong_attempts(world: World, sms_outbox: list[tuple[str, str]]) -> None:
    sms_code_request(phone=WORKER_PHONE)
    code = _code_from(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(DomainError):
            sms_code_verify(phone=WORKER_PHONE, code=wrong)
    with pytest.raises(DomainError):
        sms_code_verify(phone=WORKER_PHONE, code=code)


def test_sms_code_throttled(world: World, sms_outbox: list[tuple[str, str]]) -> None:
    sms_code_request(phone=WORKER_PHONE)
    with pytest.raises(DomainError, match="频繁"):
        sms_code_request(phone=WORKER_PHONE)
    SmsCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    for _ in range(4):
        sms_code_request(phone=WORKER_PHONE)
        SmsCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with pytest.raises(DomainError, match="上限"):
        sms_code_request(phone=WORKER_PHONE)


def test_unknown_phone_gets_same_answer_but_no_sms(world: World, sms_outbox: list[tuple[str, str]]) -> None:
    sms_code_request(phone="13700000000")
    assert sms_outbox == []


def test_sms_dedup_key_sends_once(db: None, sms_outbox: list[tuple[str, str]]) -> None:
    first = sms_send(phone="13800000000", text="提醒", purpose="test", dedup_key="k1")
    second = sms_send(phone="13800000000", text="提醒", purpose="test", dedup_key="k1")
    assert first.pk == second.pk and len(sms_outbox) == 1
    assert SmsMessage.objects.get().status == "sent"


class _FakeProvider(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []
    fail = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeProvider.received.append({"auth": self.headers["Authorization"], **body})
        if _FakeProvider.fail:
            self.send_response(503)
            self.end_headers()
            return
        payload = json.dumps({"id": f"msg-{len(_FakeProvider.received)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_provider() -> Iterator[str]:
    _FakeProvider.received = []
    _FakeProvider.fail = False
    server = HTTPServer(("127.0.0.1", 0), _FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send"
    server.shutdown()


def test_http_backend_against_local_fake_provider(db: None, settings, fake_provider: str) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "gonghui.accounts.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = fake_provider
    settings.SMS_HTTP_API_KEY = "k-123"
    message = sms_send(phone="13800000000", text="您好", purpose="test")
    assert message.status == "sent" and message.provider_id == "msg-1"
    assert _FakeProvider.received == [
        {"auth": "Bearer k-123", "phone": "13800000000", "sign": settings.SMS_SIGN_NAME, "text": "您好"}
    ]
    _FakeProvider.fail = True
    failed = sms_send(phone="13800000000", text="再次", purpose="test")
    assert failed.status == "failed" and "503" in failed.error
    with pytest.raises(SmsError):
        HttpSmsBackend(url="file:///etc/passwd", api_key="x").send(phone="13800000000", text="x")


def test_password_login_throttled(world: World) -> None:
    client = Client()
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"mode": "password", "username": "street_a_admin", "password": "wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        "/accounts/login/", {"mode": "password", "username": "street_a_admin", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_login_and_safe_redirect(world: World) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/",
        {
            "mode": "password",
            "username": "street_a_admin",
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_sms_login_through_page(world: World, sms_outbox: list[tuple[str, str]]) -> None:
    client = Client()
    assert client.post("/accounts/login/sms-code/", {"phone": WORKER_PHONE}).status_code == 200
    response = client.post(
        "/accounts/login/", {"mode": "sms", "phone": WORKER_PHONE, "code": _code_from(sms_outbox)}
    )
    assert response.status_code == 302
    assert client.get("/members/me/").status_code == 200


def test_role_grant_only_by_subtree_admin(world: World) -> None:
    nobody = world.users["nobody"]
    with pytest.raises(PermissionDenied):
        role_grant(actor=world.users["street_a_admin"], user=nobody, role="viewer", org_unit=world.street_b)
    grant = role_grant(
        actor=world.users["street_a_admin"], user=nobody, role="viewer", org_unit=world.community_a
    )
    assert AuditEntry.objects.filter(action="role.grant", target_id=str(grant.pk)).exists()
    role_revoke(actor=world.users["district_admin"], grant=grant)
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is not None
