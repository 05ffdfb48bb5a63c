"""Reads of the audit trail: administrators see the rows of their subtree."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from gonghui.accounts.models import User
from gonghui.audit.models import AuditEntry


def audit_list(*, user: User | AnonymousUser) -> QuerySet[AuditEntry]:
    """Audit rows attached to nodes the user administers ("manage"), newest first."""
    return AuditEntry.objects.visible_to(user, "manage").select_related("actor", "org_unit")
