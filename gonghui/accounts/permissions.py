"""Permission checks used by services (the scoped selectors decide what is visible)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

from gonghui.core.errors import PermissionDenied
from gonghui.core.scoping import granted_paths

if TYPE_CHECKING:
    from gonghui.accounts.models import User
    from gonghui.orgs.models import OrgUnit


def can(user: User | AnonymousUser, action: str, org_unit: OrgUnit) -> bool:
    """True when ``user`` holds a role allowing ``action`` on ``org_unit`` or an ancestor."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(org_unit.path.startswith(path) for path in granted_paths(user, action))


def require(user: User | AnonymousUser, action: str, org_unit: OrgUnit) -> None:
    if not can(user, action, org_unit):
        raise PermissionDenied()


def is_staff_somewhere(user: User | AnonymousUser) -> bool:
    """Holds any scoped staff role (admin/reviewer/viewer) — decides the desk navigation."""
    return bool(getattr(user, "is_superuser", False) or granted_paths(user, "view"))


def can_reveal_personal_data(user: User | AnonymousUser, org_unit: OrgUnit) -> bool:
    """Full ID numbers / phones / bank cards: administrators of the subtree only (audited)."""
    return can(user, "manage", org_unit)
