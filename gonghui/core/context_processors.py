"""Navigation by role: desk staff get the management menu, workers the phone menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from gonghui.accounts.permissions import is_staff_somewhere

# (url name, label, who sees it: "staff" | "admin" | "member" | "all")
NAV_ITEMS: list[tuple[str, Any, str]] = [
    ("core:home", _("工作台"), "staff"),
    ("orgs:unit_list", _("组织"), "staff"),
    ("orgs:enterprise_list", _("企业"), "staff"),
    ("members:list", _("会员"), "staff"),
    ("mutual_aid:home", _("医疗互助"), "all"),
    ("innovation:home", _("职工创新"), "all"),
    ("assist:home", _("助企行"), "all"),
    ("audit:list", _("审计"), "admin"),
    ("core:job_list", _("任务"), "staff"),
    ("members:me", _("我的"), "member"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": [], "is_desk_staff": False}
    staff = is_staff_somewhere(user)
    from gonghui.core.scoping import granted_paths

    admin = user.is_superuser or bool(granted_paths(user, "manage"))
    has_member = hasattr(user, "member")
    items = []
    for name, label, who in NAV_ITEMS:
        if (who == "staff" and not staff) or (who == "admin" and not admin):
            continue
        if who == "member" and not has_member:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # module not installed yet
        items.append(
            {
                "url": url,
                "label": label,
                "active": (request.path.startswith(url) and url != "/") or request.path == url,
            }
        )
    return {"nav_items": items, "is_desk_staff": staff, "is_union_admin": admin}
