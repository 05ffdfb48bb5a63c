"""Builders for members, shared by tests and the demo district."""

from __future__ import annotations

import datetime as dt
import random

from faker import Faker

from gonghui.core.factories import make_id_number, make_phone
from gonghui.members.models import Member
from gonghui.members.services import _new_member, members_bulk_insert
from gonghui.orgs.models import Enterprise, OrgUnit


def zh_faker(seed: int) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return fake


def build_member(
    rng: random.Random,
    fake: Faker,
    *,
    org_unit: OrgUnit,
    employer: Enterprise | None = None,
    kind: str = Member.Kind.EMPLOYEE,
    sex: str | None = None,
    joined_on: dt.date | None = None,
) -> Member:
    """An unsaved, valid member (encrypted fields and blind indexes filled)."""
    sex = sex or rng.choices(["M", "F"], [55, 45])[0]
    name = fake.name_male() if sex == "M" else fake.name_female()
    id_number = make_id_number(rng, sex=sex)
    birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    earliest = max(
        birth.replace(year=birth.year + 18)
        if not (birth.month == 2 and birth.day == 29)
        else dt.date(birth.year + 18, 3, 1),
        dt.date(2005, 1, 1),
    )
    if joined_on is None:
        span = (dt.date(2026, 6, 30) - earliest).days
        joined_on = earliest + dt.timedelta(days=rng.randrange(max(span, 1)))
    return _new_member(
        name=name,
        id_number=id_number,
        phone=make_phone(rng),
        kind=kind,
        org_unit=org_unit,
        employer=employer,
        joined_on=joined_on,
    )


def save_members(members: list[Member]) -> list[Member]:
    """Bulk insert members with their join events (the import's own insert path)."""
    return members_bulk_insert(members)
