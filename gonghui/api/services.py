"""Writes for API tokens: issue (the clear secret is returned once) and revoke (audited)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.api.auth import hash_token
from gonghui.api.models import API_SCOPES, ApiToken
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied

TOKEN_BYTES = 32  # token_urlsafe(32) is 43 characters: 256 bits of entropy
PREFIX_LENGTH = 8


def _require_self_or_superuser(actor: User | None, owner: User) -> None:
    # ``actor=None`` is the server operator running ``manage.py api_token``: shell access to
    # the application server already implies full trust. Views always pass the real user.
    if actor is None or actor.is_superuser:
        return
    if not actor.is_active or actor.pk != owner.pk:
        raise PermissionDenied("只有本人或超级管理员可以管理API令牌")


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    cleaned = sorted({scope.strip() for scope in scopes if scope.strip()})
    if not cleaned:
        raise DomainError("invalid_scope", "至少需要一个权限范围", field="scopes")
    unknown = [scope for scope in cleaned if scope not in API_SCOPES]
    if unknown:
        raise DomainError(
            "invalid_scope",
            f"未知的权限范围：{'、'.join(unknown)}（可选：{'、'.join(API_SCOPES)}）",
            field="scopes",
        )
    return cleaned


def _new_secret() -> str:
    # A secret starting with "-" would be read as an option by ``api_token revoke --prefix``
    # and by most shell tools, so draw again (costs ~1/32 of the entropy of one character).
    while True:
        raw = secrets.token_urlsafe(TOKEN_BYTES)
        if raw[0].isalnum():
            return raw


@transaction.atomic
def api_token_issue(
    *, actor: User | None, user: User, name: str, scopes: Iterable[str]
) -> tuple[ApiToken, str]:
    """Issue a token acting as ``user`` limited to ``scopes``; only the sha256 is stored.

    Only the user themself or a superuser may issue. Returns the token row and the clear
    secret, which is never retrievable again.
    """
    _require_self_or_superuser(actor, user)
    name = name.strip()
    if not name or len(name) > 80:
        raise DomainError("invalid_name", "令牌名称不能为空且不超过80字", field="name")
    if not user.is_active:
        raise DomainError("user_inactive", "该用户已停用，不能签发令牌", field="user")
    clean_scopes = _clean_scopes(scopes)
    raw = _new_secret()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        key_hash=hash_token(raw),
        scopes=clean_scopes,
    )
    audit_record(
        actor=actor,
        action="api_token.issue",
        target=token,
        after={"user": user.pk, "name": name, "prefix": token.prefix, "scopes": clean_scopes},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once (kept for history). Revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    _require_self_or_superuser(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            target=token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at, "user": token.user_id, "prefix": token.prefix},
        )
    return token
