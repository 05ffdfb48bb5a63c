"""Shared fixtures: a small union tree with one user per role, built with the demo factories.

Tree (all under 杭州市总工会):
    示范区总工会 (district)
      ├─ 甲街道总工会 (street_a) ─ 甲社区 (community_a) ─ enterprise_a (enterprise union)
      └─ 乙街道总工会 (street_b) ─ 乙社区 (community_b) ─ enterprise_b (enterprise union)
Members: 3 in enterprise_a, 3 in enterprise_b, 1 flexible worker in community_a.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.sms import LocmemSmsBackend
from gonghui.members.factories import build_member, save_members, zh_faker
from gonghui.members.models import Member
from gonghui.orgs.factories import build_district
from gonghui.orgs.models import Enterprise, OrgUnit

PASSWORD = "pw-for-tests-123"  # noqa: S105 - test accounts only


@dataclass
class World:
    district: OrgUnit
    street_a: OrgUnit
    street_b: OrgUnit
    community_a: OrgUnit
    community_b: OrgUnit
    enterprise_a: Enterprise
    enterprise_b: Enterprise
    members_a: list[Member]
    members_b: list[Member]
    flexible_a: Member
    users: dict[str, User] = field(default_factory=dict)

    def unit_a(self) -> OrgUnit:
        return self.enterprise_a.union

    def unit_b(self) -> OrgUnit:
        return self.enterprise_b.union


def make_user(
    username: str,
    *,
    role: str | None = None,
    unit: OrgUnit | None = None,
    superuser: bool = False,
    phone: str = "",
) -> User:
    from gonghui.accounts.services import user_create

    user = user_create(actor=None, username=username, display_name=username, password=PASSWORD, phone=phone)
    if superuser:
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    if role and unit is not None:
        RoleGrant.objects.create(user=user, role=role, org_unit=unit)
    return user


def build_world(seed: int = 7) -> World:
    rng = random.Random(seed)
    fake = zh_faker(seed)
    built = build_district(
        rng, street_names=["甲街道", "乙街道"], communities_per_street=1, enterprises_per_street=1
    )
    street_a, street_b = built.streets
    community_a, community_b = built.communities
    enterprise_a, enterprise_b = built.enterprises
    members_a = [
        build_member(rng, fake, org_unit=enterprise_a.union, employer=enterprise_a) for _ in range(3)
    ]
    members_b = [
        build_member(rng, fake, org_unit=enterprise_b.union, employer=enterprise_b) for _ in range(3)
    ]
    flexible = build_member(rng, fake, org_unit=community_a, kind="flexible")
    save_members([*members_a, *members_b, flexible])
    world = World(
        built.district,
        street_a,
        street_b,
        community_a,
        community_b,
        enterprise_a,
        enterprise_b,
        members_a,
        members_b,
        flexible,
    )
    world.users = {
        "superuser": make_user("root", superuser=True),
        "district_admin": make_user("district_admin", role=Role.ADMIN, unit=built.district),
        "district_viewer": make_user("district_viewer", role=Role.VIEWER, unit=built.district),
        "street_a_admin": make_user("street_a_admin", role=Role.ADMIN, unit=street_a),
        "street_a_reviewer": make_user("street_a_reviewer", role=Role.REVIEWER, unit=street_a),
        "street_b_admin": make_user("street_b_admin", role=Role.ADMIN, unit=street_b),
        "enterprise_a_admin": make_user("enterprise_a_admin", role=Role.ADMIN, unit=enterprise_a.union),
        "worker_a": make_user("worker_a", role=Role.WORKER, unit=enterprise_a.union, phone="13900000011"),
        "nobody": make_user("nobody"),
    }
    members_a[0].user = world.users["worker_a"]
    members_a[0].save(update_fields=["user"])
    return world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _sms_outbox(settings: pytest.FixtureRequest) -> Iterator[list[tuple[str, str]]]:
    """Every test sends SMS to memory; ``sms_outbox`` exposes what was sent."""
    settings.SMS_BACKEND = "gonghui.accounts.sms.LocmemSmsBackend"  # type: ignore[attr-defined]
    LocmemSmsBackend.outbox = []
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox = []


@pytest.fixture
def sms_outbox(_sms_outbox: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return _sms_outbox


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """The cache and the per-process resident match index start empty: tests roll their rows
    back, so a snapshot kept from another test could look current."""
    from django.core.cache import cache

    from gonghui.assist import resident

    cache.clear()
    resident.forget()
    yield
    cache.clear()
    resident.forget()
