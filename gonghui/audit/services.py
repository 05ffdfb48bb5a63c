"""Writing audit rows. Services call ``audit_record`` inside their own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from gonghui.audit.models import AuditEntry
from gonghui.core import request_context

if TYPE_CHECKING:
    from gonghui.accounts.models import User
    from gonghui.orgs.models import OrgUnit


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    org_unit: OrgUnit | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row (actor, action, target, before/after, request id, IP).

    Call it inside the service's transaction so the change and its record commit together.
    """
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        org_unit=org_unit,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        request_id=request_context.current_request_id(),
        ip=request_context.current_client_ip(),
    )


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of ``instance`` as JSON-safe values, for before/after."""
    return {name: _jsonable(getattr(instance, name)) for name in fields}
