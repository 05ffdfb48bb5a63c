from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from gonghui.accounts.models import User
from gonghui.accounts.services import sms_code_verify
from gonghui.core.errors import DomainError


class PhoneCodeBackend(ModelBackend):
    """Authenticates ``phone`` + ``sms_code`` through the single-use code service."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        phone: str | None = None,
        sms_code: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not phone or not sms_code:
            return None
        try:
            user = sms_code_verify(phone=phone, code=sms_code)
        except DomainError:
            return None
        return user if self.user_can_authenticate(user) else None
