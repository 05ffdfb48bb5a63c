"""Fixtures for the innovation module over the shared test world: a worker's filed outcome,
judges, a rubric, a studio."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from gonghui.accounts.models import User
from gonghui.api.tests.conftest import token_client  # noqa: F401 - shared API fixture
from gonghui.conftest import PASSWORD, World
from gonghui.innovation.evaluations import rubric_create
from gonghui.innovation.factories import advance, make_judge
from gonghui.innovation.models import Outcome, Rubric, Studio
from gonghui.innovation.outcomes import TeamMemberInput, outcome_create
from gonghui.innovation.studios import studio_create


@pytest.fixture
def file_outcome(world: World) -> Callable[..., Outcome]:
    """File an outcome as worker_a in enterprise A's union and drive it to ``status``."""
    counter = iter(range(1, 10_000))

    def build(status: str = Outcome.Status.DRAFT, *, title: str | None = None, **kwargs: Any) -> Outcome:
        worker = world.users["worker_a"]
        member = world.members_a[0]
        outcome = outcome_create(
            actor=worker,
            org_unit=world.unit_a(),
            type=kwargs.pop("type", Outcome.Type.FIVE_SMALL),
            subtype=kwargs.pop("subtype", "小革新"),
            title=title or f"数控车床刀具快速更换装置 {next(counter)}",
            situation=kwargs.pop("situation", "换刀需要停机 20 分钟，影响产能"),
            measures=kwargs.pop("measures", "设计快换刀座，定位销一次对准"),
            effect=kwargs.pop("effect", "换刀时间降到 3 分钟"),
            team=kwargs.pop(
                "team",
                [
                    TeamMemberInput(name=member.name, share=Decimal(70), member_id=member.pk),
                    TeamMemberInput(name="李四", share=Decimal(30)),
                ],
            ),
            **kwargs,
        )
        return advance(outcome, proposer=worker, staff=world.users["district_admin"], to=status)

    return build


@pytest.fixture
def judges(world: World) -> list[User]:
    return [
        make_judge(f"judge{i}", unit=world.district, display_name=f"评委{i}", password=PASSWORD)
        for i in range(1, 7)
    ]


@pytest.fixture
def rubric(world: World) -> Rubric:
    return rubric_create(actor=world.users["district_admin"], org_unit=world.district, name="路演评分细则")


@pytest.fixture
def studio(world: World) -> Studio:
    return studio_create(
        actor=world.users["district_admin"],
        org_unit=world.unit_a(),
        enterprise=world.enterprise_a,
        name="张工创新工作室",
        leader_name="张工",
        leader_title="省工匠",
        level=Studio.Level.DISTRICT,
        field="数控加工",
        founded_on=dt.date(2022, 3, 1),
        space_sqm=120,
        rules="工作室管理办法",
        plans="2026 年课题计划",
    )
