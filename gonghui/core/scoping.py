"""The one scoping primitive: ``Model.objects.visible_to(user, action)``.

A role granted on a node of the union tree reaches every descendant (materialised path
prefix). Personal roles (worker, craftsman, enterprise contact, judge) see only rows they own
through the model's ``owner`` lookup. Every list, detail, export, search and API endpoint
goes through this; nothing else decides who sees what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gonghui.accounts.models import User

_M = TypeVar("_M", bound=models.Model)

# Which scoped staff roles allow which action. Kept here so every model agrees.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset({"admin", "reviewer", "viewer"}),
    "review": frozenset({"admin", "reviewer"}),
    "manage": frozenset({"admin"}),
}


def granted_paths(user: User | AnonymousUser, action: str = "view") -> list[str]:
    """Tree paths where ``user`` holds a role allowing ``action``, minimal (no nested duplicates).

    Cached on the user object for the request, so a page with ten scoped queries reads the
    grants once.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache: dict[str, list[str]] = user.__dict__.setdefault("_gonghui_grant_paths", {})
    if action not in cache:
        from gonghui.accounts.models import RoleGrant

        roles = ACTION_ROLES.get(action)
        if roles is None:
            raise ValueError(f"unknown action {action!r}")
        paths = sorted(
            set(
                RoleGrant.objects.filter(
                    user_id=user.pk, role__in=roles, revoked_at__isnull=True
                ).values_list("org_unit__path", flat=True)
            )
        )
        minimal: list[str] = []
        for path in paths:  # sorted: an ancestor always comes before its descendants
            if not any(path.startswith(kept) for kept in minimal):
                minimal.append(path)
        cache[action] = minimal
    return cache[action]


def subtree_q(lookup: str, paths: list[str]) -> Q:
    """``lookup`` starts with any of ``paths``; an empty list matches nothing."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet with ``visible_to``; subclasses set ``scope_org_path`` / ``scope_owner``."""

    scope_org_path: str | None = None  # lookup reaching OrgUnit.path, e.g. "org_unit__path"
    scope_owner: str | None = None  # lookup reaching the owning User, e.g. "user"

    def visible_to(self, user: User | AnonymousUser, action: str = "view") -> ScopedQuerySet[_M]:
        """Rows ``user`` may see (or act on): superuser all; staff their subtrees; owners theirs."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        q = Q(pk__in=[])
        if self.scope_org_path:
            q |= subtree_q(self.scope_org_path, granted_paths(user, action))
        if self.scope_owner and action == "view":
            q |= Q(**{self.scope_owner: user})
        return self.filter(q)


def scoped_manager(*, org_path: str | None, owner: str | None = None) -> Any:
    """A manager whose queryset scopes by ``org_path`` (tree) and ``owner`` (self-service)."""
    queryset_class = type(
        "ScopedQuerySet",
        (ScopedQuerySet,),
        {"scope_org_path": org_path, "scope_owner": owner, "__module__": __name__},
    )
    return queryset_class.as_manager()  # type: ignore[attr-defined]
