"""Bearer-token authentication with scopes. Session users (the browser) have every scope
their roles allow; tokens are additionally limited to the scopes they were issued with."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from gonghui.api.models import ApiToken


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("认证头格式应为 Bearer <token>")
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(parts[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效或已吊销")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class HasTokenScope(permissions.BasePermission):
    """Authenticated, and a token (if used) carries the view's ``required_scope``."""

    message = "令牌缺少所需的权限范围"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        scope: str | None = getattr(view, "required_scope", None)
        if request.method not in permissions.SAFE_METHODS:
            scope = getattr(view, "required_write_scope", scope)
        if isinstance(request.auth, ApiToken):
            return scope is None or scope in request.auth.scopes
        return True


def api_user(request: Request) -> Any:
    """The authenticated ``User`` of an API request (HasTokenScope already refused anonymous)."""
    from gonghui.accounts.models import User

    user = request.user
    assert isinstance(user, User)
    return user
