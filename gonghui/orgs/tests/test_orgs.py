"""The union tree: scoping by subtree, level rules, enterprise registration and xlsx import."""

from __future__ import annotations

import io
import random

import pytest
from openpyxl import Workbook

from gonghui.accounts.models import RoleGrant
from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.factories import make_uscc
from gonghui.core.tabular import TableError
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, OrgUnit
from gonghui.orgs.services import ORG_IMPORT_COLUMNS, enterprise_create, org_unit_create, orgs_import


def test_grant_reaches_descendants_only(world: World) -> None:
    visible = set(OrgUnit.objects.visible_to(world.users["street_a_admin"]).values_list("pk", flat=True))
    expected = {world.street_a.pk, world.community_a.pk, world.unit_a().pk}
    assert visible == expected
    members = set(Member.objects.visible_to(world.users["street_a_admin"]).values_list("pk", flat=True))
    assert members == {m.pk for m in world.members_a} | {world.flexible_a.pk}


def test_worker_sees_only_own_member_record(world: World) -> None:
    visible = list(Member.objects.visible_to(world.users["worker_a"]))
    assert visible == [Member.objects.get(pk=world.members_a[0].pk)]
    assert not OrgUnit.objects.visible_to(world.users["worker_a"]).exists()


def test_revoked_grant_sees_nothing(world: World) -> None:
    user = world.users["street_b_admin"]
    RoleGrant.objects.filter(user=user).update(revoked_at="2026-01-01T00:00:00Z")
    user = type(user).objects.get(pk=user.pk)  # drop the per-request grant cache
    assert not Member.objects.visible_to(user).exists()


def test_viewer_cannot_manage(world: World) -> None:
    viewer = world.users["district_viewer"]
    assert OrgUnit.objects.visible_to(viewer).count() > 0
    assert OrgUnit.objects.visible_to(viewer, "manage").count() == 0


def test_level_rules(world: World) -> None:
    admin = world.users["district_admin"]
    with pytest.raises(DomainError, match="层级"):
        org_unit_create(actor=admin, parent=world.street_a, name="错层", level="district")
    with pytest.raises(DomainError):
        org_unit_create(actor=admin, parent=world.unit_a(), name="企业下级", level="enterprise")
    with pytest.raises(PermissionDenied):
        org_unit_create(
            actor=world.users["street_a_admin"],
            parent=world.street_b,
            name="越权",
            level="community",
            division_code="330199002099",
        )


def test_enterprise_uscc_validated_and_unique(world: World) -> None:
    admin = world.users["district_admin"]
    with pytest.raises(DomainError) as exc:
        enterprise_create(
            actor=admin,
            parent=world.community_a,
            name="坏码",
            uscc="91330199ABCDEFGH12",
            industry="C",
            size="small",
        )
    assert exc.value.field == "uscc"
    with pytest.raises(DomainError, match="已登记"):
        enterprise_create(
            actor=admin,
            parent=world.community_a,
            name="重复",
            uscc=world.enterprise_b.uscc,
            industry="C",
            size="small",
        )


def _xlsx(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(ORG_IMPORT_COLUMNS))
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_org_import_builds_subtree_and_is_idempotent(world: World) -> None:
    rng = random.Random(5)
    uscc = make_uscc(rng)
    community_code = world.community_a.division_code
    data = _xlsx(
        [
            [
                world.street_a.division_code,
                "甲第二社区工会联合会",
                "社区/园区/网格工会联合会",
                "330199001077",
                "",
                "",
                "",
                "",
                "",
            ],
            ["330199001077", "杭州新企业有限公司", "企业工会", "", uscc, "C", "小型", "35", "甲路1号"],
            [community_code, "另一家公司", "企业工会", "", make_uscc(rng), "I", "微型", "8", ""],
        ]
    )
    admin = world.users["street_a_admin"]
    report = orgs_import(actor=admin, data=data, filename="orgs.xlsx")
    assert report.created == 3
    enterprise = Enterprise.objects.get(uscc=uscc)
    assert enterprise.union.get_parent().division_code == "330199001077"
    again = orgs_import(actor=admin, data=data, filename="orgs.xlsx")
    assert (again.created, again.unchanged) == (0, 3)


def test_org_import_errors_leave_nothing(world: World) -> None:
    before = OrgUnit.objects.count()
    data = _xlsx(
        [
            [
                world.street_a.division_code,
                "好社区",
                "社区/园区/网格工会联合会",
                "330199001088",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                world.street_b.division_code,
                "越权社区",
                "社区/园区/网格工会联合会",
                "330199002088",
                "",
                "",
                "",
                "",
                "",
            ],
            ["330199001088", "坏企业", "企业工会", "", "91330199ABCDEFGH12", "Z", "巨型", "-3", ""],
        ]
    )
    with pytest.raises(TableError) as exc:
        orgs_import(actor=world.users["street_a_admin"], data=data, filename="orgs.xlsx")
    found = {(e.row, e.column) for e in exc.value.errors}
    assert {
        (4, "统一社会信用代码"),
        (4, "行业门类"),
        (4, "规模"),
        (4, "职工人数"),
        (3, "上级行政区划代码"),
    } <= found
    assert OrgUnit.objects.count() == before


def test_roles_page_grants_and_revokes_within_subtree(world: World) -> None:
    from django.test import Client

    from gonghui.conftest import PASSWORD

    client = Client()
    client.login(username="street_a_admin", password=PASSWORD)
    url = f"/orgs/{world.community_a.pk}/roles/"
    client.post(url, {"username": "nobody", "role": "viewer"})
    grant = RoleGrant.objects.get(user=world.users["nobody"], org_unit=world.community_a)
    client.post(url, {"revoke": grant.pk})
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is not None
    assert client.get(f"/orgs/{world.community_b.pk}/roles/").status_code == 404
