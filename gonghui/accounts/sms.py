"""SMS sending behind one interface: console (development), HTTP provider, in-memory (tests)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached."""


@dataclass(frozen=True)
class SmsResult:
    provider_id: str


class SmsBackend(Protocol):
    def send(self, *, phone: str, text: str) -> SmsResult: ...


class ConsoleSmsBackend:
    """Development: print the text (the demo's login codes appear in the server log)."""

    def send(self, *, phone: str, text: str) -> SmsResult:
        logger.warning("SMS to %s: %s", phone, text)
        print(f"[SMS] {phone}: {text}", flush=True)  # noqa: T201 - the developer reads it here
        return SmsResult(provider_id="console")


class LocmemSmsBackend:
    """Tests: keep sent texts in memory (``outbox``), like Django's locmem e-mail backend."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> SmsResult:
        LocmemSmsBackend.outbox.append((phone, text))
        return SmsResult(provider_id=f"locmem-{len(LocmemSmsBackend.outbox)}")


class HttpSmsBackend:
    """A JSON-over-HTTP provider: POST {phone, sign, text} with an API key; expects {id}."""

    def __init__(self, url: str | None = None, api_key: str | None = None) -> None:
        self.url = url or settings.SMS_HTTP_URL
        self.api_key = api_key or settings.SMS_HTTP_API_KEY
        if not self.url:
            raise SmsError("SMS_HTTP_URL is not configured")

    def send(self, *, phone: str, text: str) -> SmsResult:
        body = json.dumps(
            {"phone": phone, "sign": settings.SMS_SIGN_NAME, "text": text}, ensure_ascii=False
        ).encode()
        if not self.url.startswith(("http://", "https://")):
            raise SmsError("SMS_HTTP_URL must be an http(s) URL")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.api_key}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - URL is config
                payload = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as exc:
            raise SmsError(f"provider answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise SmsError(f"provider unreachable: {exc}") from exc
        if not payload.get("id"):
            raise SmsError(f"provider refused: {payload.get('error', 'no id')}")
        return SmsResult(provider_id=str(payload["id"]))


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
