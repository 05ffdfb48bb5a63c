"""Studio services: the figures read from real rows, the 六有 gate, the stored rating with its
score sheet, yearly re-rating (升星/降星/摘牌), permissions, and the alliance rules.

``build_year`` stocks one year of a studio through the real services (evidence, people,
activities, outcomes), so the expected score can be worked out by hand from its arguments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.innovation import errors, selectors
from gonghui.innovation.engine import SIX_HAVES
from gonghui.innovation.factories import advance
from gonghui.innovation.models import (
    AllianceMembership,
    Outcome,
    Studio,
    StudioActivity,
    StudioMember,
    StudioRating,
)
from gonghui.innovation.outcomes import TeamMemberInput, outcome_add_patent, outcome_create
from gonghui.innovation.studios import (
    alliance_add_activity,
    alliance_add_project,
    alliance_create,
    alliance_join,
    alliance_share,
    studio_add_activity,
    studio_add_evidence,
    studio_add_person,
    studio_create,
    studio_facts,
    studio_rate,
)

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
S = Outcome.Status
Change = StudioRating.Change


def _in_year(year: int, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, 1, 10, 0))


def build_year(
    world: World,
    studio: Studio,
    year: int,
    *,
    evidence: bool = True,
    core: int = 3,
    filed: int = 0,
    verified: int = 0,
    patents: int = 0,
    conversions: int = 0,
    problems: int = 0,
    unconfirmed: int = 0,
    events: int = 0,
    apprentices: int = 0,
    high_skill: int = 0,
    tag: str = "",
) -> list[Outcome]:
    """One year of a studio in enterprise A: ``filed`` outcomes submitted in ``year`` by
    worker_a, the first ``verified`` of them verified in ``year`` at 120,000 yuan each, the
    first ``patents`` granted a patent and the first ``conversions`` licensed and implemented in
    ``year``; activities (``events`` split between training and culture) and people of the year.
    """
    admin, worker = world.users["district_admin"], world.users["worker_a"]
    tag = tag or str(year)
    if evidence:
        for code, label in SIX_HAVES.items():
            studio_add_evidence(
                actor=admin, studio=studio, have=code, description=f"{year}年{label}材料", year=year
            )
    for kind, count, prefix in (
        (StudioMember.Role.CORE, core, "骨干"),
        (StudioMember.Role.APPRENTICE, apprentices, "徒弟"),
        (StudioMember.Role.HIGH_SKILL, high_skill, "技师"),
    ):
        for i in range(count):
            studio_add_person(actor=admin, studio=studio, name=f"{prefix}{tag}-{i + 1}", role=kind, year=year)
    for i in range(problems + unconfirmed):
        studio_add_activity(
            actor=admin,
            studio=studio,
            kind=StudioActivity.Kind.PROBLEM,
            title=f"现场问题 {tag}-{i}",
            held_on=dt.date(year, 1, 1 + i % 28),
            participants=3,
            confirmed=i < problems,
        )
    for i in range(events):
        studio_add_activity(
            actor=admin,
            studio=studio,
            kind=StudioActivity.Kind.TRAINING if i % 2 else StudioActivity.Kind.CULTURE,
            title=f"创新活动 {tag}-{i}",
            held_on=dt.date(year, 1, 1 + i % 28),
            participants=20,
        )
    member = world.members_a[0]
    outcomes = []
    for i in range(filed):
        outcome = outcome_create(
            actor=worker,
            org_unit=world.unit_a(),
            type=Outcome.Type.FIVE_SMALL,
            subtype="小革新",
            title=f"工作室成果 {tag}-{i}",
            team=[TeamMemberInput(name=member.name, share=Decimal(100), member_id=member.pk)],
            studio=studio,
        )
        outcome = advance(outcome, proposer=worker, staff=admin, to=S.GRADED if i < verified else S.SUBMITTED)
        changes: dict[str, object] = {}
        if year != YEAR:
            changes["submitted_at"] = _in_year(year)
            if i < verified:
                changes["verified_at"] = _in_year(year, 6)
        if i < conversions:
            # No service marks an outcome as licensed (转化) yet: set it as the record would be.
            changes.update(licensed=True, implemented_on=dt.date(year, 2, 1))
        if changes:
            Outcome.objects.filter(pk=outcome.pk).update(**changes)
        if i < patents:
            outcome_add_patent(
                outcome=outcome,
                actor=admin,
                number=f"ZL{year}1{tag}{i:04d}".replace("-", ""),
                kind="utility",
                status="granted",
                granted_on=dt.date(year, 2, 1),
            )
        outcomes.append(outcome)
    return outcomes


def other_studio(world: World) -> Studio:
    return studio_create(
        actor=world.users["district_admin"],
        org_unit=world.unit_b(),
        enterprise=world.enterprise_b,
        name="李师傅创新工作室",
        leader_name="李师傅",
        level=Studio.Level.ENTERPRISE,
        field="电气维修",
        founded_on=dt.date(2023, 5, 1),
        space_sqm=60,
        rules="制度",
        plans="计划",
    )


# The studio's year, worked out by hand (DEFAULT_SCHEME):
#   创新成果申报数 5/10 × 10 = 5.00        授权专利数 1/3 × 10 = 3.33
#   解决并确认的现场问题数 16/20 × 20 = 16.00
#   核验年效益 240,000 元 ≥ 10 万 → 8.00
#   本年带徒人数 10/10 × 8 = 8.00            本年培养高技能人才数 3/3 × 7 = 7.00
#   成果转化数 3/3 × 15 = 15.00
#   创新文化活动次数 12/12 × 5 = 5.00       职工参与率 1 proposer / 3 members = 0.3333 → 3.33
#   total 70.66 → 3★ (≥70)
FULL_YEAR = {
    "filed": 5,
    "verified": 2,
    "patents": 1,
    "conversions": 3,
    "problems": 16,
    "unconfirmed": 1,
    "events": 12,
    "apprentices": 10,
    "high_skill": 3,
}
FULL_POINTS = ["5.00", "3.33", "16.00", "8.00", "8.00", "7.00", "15.00", "5.00", "3.33"]
FULL_SCORE = Decimal("70.66")
FULL_STARS = 3

# Two years without verified value: 10 filed (10) + 3 conversions (15) + 20 problems (20)
# + 10 apprentices (8) + 3 high-skill (7) + 12 events (5) + participation 1/3 (3.33) = 68.33 → 2★;
# one granted patent more (3.33) gives 71.66 → 3★.
TWO_STAR = {
    "filed": 10,
    "conversions": 3,
    "problems": 20,
    "apprentices": 10,
    "high_skill": 3,
    "events": 12,
}
THREE_STAR = {**TWO_STAR, "patents": 1}


def test_facts_count_only_the_year_and_what_counts(world: World, studio: Studio) -> None:
    build_year(world, studio, YEAR, **FULL_YEAR)
    # Last year's rows must not leak into this year's figures.
    build_year(
        world,
        studio,
        YEAR - 1,
        evidence=False,
        core=1,
        filed=2,
        verified=1,
        patents=1,
        conversions=1,
        problems=4,
        events=3,
        apprentices=2,
        high_skill=1,
    )
    # An applied (not granted) patent does not count either.
    first = Outcome.objects.filter(studio=studio, submitted_at__year=YEAR).order_by("pk").first()
    assert first is not None
    outcome_add_patent(
        outcome=first,
        actor=world.users["district_admin"],
        number="ZL-APPLIED-1",
        kind="invention",
        status="applied",
    )
    haves, figures = studio_facts(studio=studio, year=YEAR)
    assert figures.outcomes_filed == 5
    assert figures.patents_granted == 1
    assert figures.problems_solved == 16  # the unconfirmed one is left out
    assert figures.verified_value == Decimal("240000.00")
    assert figures.apprentices == 10 and figures.high_skill_workers == 3
    assert figures.conversions == 3
    assert figures.activities == 12
    assert figures.participation_rate == Decimal("0.3333")
    assert all(getattr(haves, code).met for code in SIX_HAVES)
    assert haves.rules.evidence == f"{YEAR}年有管理制度材料"

    _, last = studio_facts(studio=studio, year=YEAR - 1)
    assert (last.outcomes_filed, last.patents_granted, last.problems_solved) == (2, 1, 4)
    assert (last.verified_value, last.conversions, last.activities) == (Decimal("120000.00"), 1, 3)
    assert (last.apprentices, last.high_skill_workers) == (2, 1)


def test_participation_is_zero_without_host_enterprise(world: World) -> None:
    studio = studio_create(
        actor=world.users["district_admin"],
        org_unit=world.street_a,
        name="街道联合创新工作室",
        leader_name="王工",
        level=Studio.Level.DISTRICT,
        field="综合",
        founded_on=dt.date(2024, 1, 1),
    )
    haves, figures = studio_facts(studio=studio, year=YEAR)
    assert figures.participation_rate == 0
    assert not haves.facilities.met and not haves.rules.met and not haves.mentoring.met


def test_gate_failures_are_named_and_give_no_star(world: World, studio: Studio) -> None:
    # Plenty of results, but only one core member, no apprentices and no evidence at all.
    build_year(world, studio, YEAR, evidence=False, core=1, problems=20, events=12)
    studio_add_evidence(
        actor=world.users["district_admin"], studio=studio, have="leader", description="省工匠证书", year=YEAR
    )
    rating = studio_rate(studio=studio, actor=world.users["district_admin"], year=YEAR)
    reasons = [g["reason"] for g in rating.gate if "reason" in g]
    assert reasons == [
        "未达到“有核心骨干”",
        "“有场地设施”未提供佐证材料",
        "“有管理制度”未提供佐证材料",
        "“有课题计划”未提供佐证材料",
        "未达到“有导师带徒”",
    ]
    assert not rating.gate_passed and rating.stars == 0
    assert rating.score == Decimal("25.00")  # still scored so the studio sees where it stands
    assert rating.change == Change.NEW
    leader = next(g for g in rating.gate if g.get("code") == "leader")
    assert leader == {"code": "leader", "label": "有领军人物", "met": True, "evidence": "省工匠证书"}


def test_full_rating_matches_the_hand_computed_sheet(world: World, studio: Studio) -> None:
    build_year(world, studio, YEAR, **FULL_YEAR)
    rating = studio_rate(studio=studio, actor=world.users["district_admin"], year=YEAR)
    assert rating.gate_passed
    assert [line["points"] for line in rating.lines] == FULL_POINTS
    assert rating.score == FULL_SCORE
    assert sum(Decimal(line["points"]) for line in rating.lines) == rating.score
    assert rating.stars == FULL_STARS
    assert rating.change == Change.NEW and rating.previous_stars is None
    assert Decimal(rating.figures["verified_value"]) == Decimal("240000.00")
    assert rating.lines[0] == {
        "dimension": "孵化创新技术",
        "figure": "创新成果申报数",
        "value": "5",
        "rule": "达到 10项 得满分 10 分，不足按比例计，超出不加分",
        "points": "5.00",
        "max": "10",
        "unit": "项",
    }
    assert sorted(rating.scheme["stars"]) == [["60", 2], ["70", 3], ["80", 4], ["90", 5]]
    studio.refresh_from_db()
    assert studio.stars == FULL_STARS and studio.status == Studio.Status.ACTIVE
    entry = AuditEntry.objects.get(action="innovation.studio.rate", target_id=str(studio.pk))
    assert entry.after["stars"] == FULL_STARS and entry.before == {"stars": 0, "status": "active"}


def test_rating_the_same_year_again_is_refused(world: World, studio: Studio) -> None:
    build_year(world, studio, YEAR, **FULL_YEAR)
    studio_rate(studio=studio, actor=world.users["district_admin"], year=YEAR)
    with pytest.raises(DomainError) as err:
        studio_rate(studio=studio, actor=world.users["district_admin"], year=YEAR)
    assert err.value.code == errors.RATING_EXISTS and str(YEAR) in err.value.message
    assert StudioRating.objects.filter(studio=studio).count() == 1


def test_future_and_earlier_years_are_refused(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    with pytest.raises(DomainError) as err:
        studio_rate(studio=studio, actor=admin, year=YEAR + 1)
    assert "未来" in err.value.message
    build_year(world, studio, YEAR - 1, **TWO_STAR)
    studio_rate(studio=studio, actor=admin, year=YEAR - 1)
    with pytest.raises(DomainError) as err:
        studio_rate(studio=studio, actor=admin, year=YEAR - 2)
    assert "不能补评" in err.value.message
    studio.refresh_from_db()
    assert studio.stars == 2  # the latest year's stars stay


@pytest.mark.parametrize(
    ("first", "second", "stars", "change"),
    [(TWO_STAR, THREE_STAR, (2, 3), Change.UP), (THREE_STAR, TWO_STAR, (3, 2), Change.DOWN)],
    ids=["up", "down"],
)
def test_next_year_change(
    world: World,
    studio: Studio,
    first: dict[str, int],
    second: dict[str, int],
    stars: tuple[int, int],
    change: str,
) -> None:
    admin = world.users["district_admin"]
    build_year(world, studio, YEAR - 2, **first)
    build_year(world, studio, YEAR - 1, **second)
    before = studio_rate(studio=studio, actor=admin, year=YEAR - 2)
    after = studio_rate(studio=studio, actor=admin, year=YEAR - 1)
    assert (before.stars, after.stars) == stars
    assert after.previous_stars == stars[0] and after.change == change
    studio.refresh_from_db()
    assert studio.stars == stars[1]


def test_same_stars_next_year(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    build_year(world, studio, YEAR - 2, **TWO_STAR)
    build_year(world, studio, YEAR - 1, **TWO_STAR)
    studio_rate(studio=studio, actor=admin, year=YEAR - 2)
    assert studio_rate(studio=studio, actor=admin, year=YEAR - 1).change == Change.SAME


def test_starred_studio_failing_the_gate_is_delisted_and_not_rated_again(
    world: World, studio: Studio
) -> None:
    admin = world.users["district_admin"]
    build_year(world, studio, YEAR - 2, **TWO_STAR)
    build_year(world, studio, YEAR - 1, **TWO_STAR, evidence=False)
    assert studio_rate(studio=studio, actor=admin, year=YEAR - 2).stars == 2
    delisted = studio_rate(studio=studio, actor=admin, year=YEAR - 1)
    assert delisted.change == Change.DELISTED and delisted.stars == 0 and delisted.previous_stars == 2
    assert not delisted.gate_passed and delisted.score == Decimal("68.33")
    studio.refresh_from_db()
    assert studio.status == Studio.Status.DELISTED and studio.stars == 0
    build_year(world, studio, YEAR, **THREE_STAR, tag="again")
    with pytest.raises(DomainError) as err:
        studio_rate(studio=studio, actor=admin, year=YEAR)
    assert "摘牌" in err.value.message
    assert not StudioRating.objects.filter(studio=studio, year=YEAR).exists()


def test_unstarred_studio_failing_the_gate_is_not_delisted(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    build_year(world, studio, YEAR - 1, evidence=False)
    studio_rate(studio=studio, actor=admin, year=YEAR - 1)
    rating = studio_rate(studio=studio, actor=admin, year=YEAR)
    assert rating.change == Change.SAME
    studio.refresh_from_db()
    assert studio.status == Studio.Status.ACTIVE


@pytest.mark.parametrize("username", ["street_b_admin", "worker_a", "district_viewer", "nobody"])
def test_only_reviewers_of_the_studios_subtree_may_rate(world: World, studio: Studio, username: str) -> None:
    build_year(world, studio, YEAR, **FULL_YEAR)
    with pytest.raises(PermissionDenied):
        studio_rate(studio=studio, actor=world.users[username], year=YEAR)
    assert not StudioRating.objects.exists()
    studio.refresh_from_db()
    assert studio.stars == 0


def test_street_reviewer_may_rate_but_not_register(world: World, studio: Studio) -> None:
    reviewer = world.users["street_a_reviewer"]
    build_year(world, studio, YEAR, **FULL_YEAR)
    assert studio_rate(studio=studio, actor=reviewer, year=YEAR).stars == FULL_STARS
    with pytest.raises(PermissionDenied):
        studio_add_person(actor=reviewer, studio=studio, name="赵六", role="core", year=YEAR)


@pytest.mark.parametrize("username", ["street_b_admin", "worker_a", "street_a_reviewer"])
def test_studio_writes_need_manage_on_the_node(world: World, studio: Studio, username: str) -> None:
    user = world.users[username]
    with pytest.raises(PermissionDenied):
        studio_add_evidence(actor=user, studio=studio, have="rules", description="制度", year=YEAR)
    with pytest.raises(PermissionDenied):
        studio_add_activity(
            actor=user, studio=studio, kind="culture", title="沙龙", held_on=dt.date(YEAR, 1, 5)
        )
    with pytest.raises(PermissionDenied):
        studio_create(
            actor=user,
            org_unit=world.unit_a(),
            name="某工作室",
            leader_name="某",
            level="enterprise",
            field="x",
            founded_on=dt.date(2024, 1, 1),
        )


def test_studio_input_errors_name_the_field(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    cases = [
        (lambda: studio_add_person(actor=admin, studio=studio, name=" ", role="core", year=YEAR), "name"),
        (lambda: studio_add_person(actor=admin, studio=studio, name="甲", role="boss", year=YEAR), "role"),
        (
            lambda: studio_add_evidence(actor=admin, studio=studio, have="money", description="x", year=YEAR),
            "have",
        ),
        (
            lambda: studio_add_activity(
                actor=admin,
                studio=studio,
                kind="culture",
                title="x",
                held_on=dt.date(YEAR, 1, 1),
                participants=-1,
            ),
            "participants",
        ),
    ]
    for call, field in cases:
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.field == field
    # A person is counted once per role and year.
    studio_add_person(actor=admin, studio=studio, name="徒弟甲", role="apprentice", year=YEAR)
    studio_add_person(actor=admin, studio=studio, name="徒弟甲", role="apprentice", year=YEAR)
    assert studio.people.count() == 1
    # Only a solved problem can be confirmed.
    training = studio_add_activity(
        actor=admin, studio=studio, kind="training", title="培训", held_on=dt.date(YEAR, 1, 1), confirmed=True
    )
    assert not training.confirmed


# --- alliances ---------------------------------------------------------------------------


def test_alliance_across_regions_with_lead_and_stats(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    studio_b = other_studio(world)
    alliance = alliance_create(
        actor=admin,
        org_unit=world.district,
        name="数控加工创新工作室联盟",
        field="数控加工",
        founded_on=dt.date(YEAR, 1, 10),
        studios=[studio_b, studio_b],
        lead=studio,
    )
    memberships = {m.studio_id: m.is_lead for m in AllianceMembership.objects.filter(alliance=alliance)}
    assert memberships == {studio.pk: True, studio_b.pk: False}
    project = alliance_add_project(
        actor=admin,
        alliance=alliance,
        title="五轴加工联合攻关",
        studios=[studio, studio_b],
        started_on=dt.date(YEAR, 2, 1),
    )
    assert set(project.studios.values_list("pk", flat=True)) == {studio.pk, studio_b.pk}
    alliance_share(actor=admin, alliance=alliance, studio=studio_b, kind="expert", name="李师傅（高级技师）")
    alliance_add_activity(
        actor=admin, alliance=alliance, title="技术交流会", held_on=dt.date(YEAR, 3, 1), participants=40
    )
    stats = selectors.alliance_detail(alliance=alliance)["stats"]
    assert stats == {"studios": 2, "regions": 1, "enterprises": 2, "projects": 1, "participants": 40}
    with pytest.raises(DomainError) as err:
        alliance_join(actor=admin, alliance=alliance, studio=studio, joined_on=dt.date(YEAR, 4, 1))
    assert "已是联盟成员" in err.value.message


def test_joint_project_needs_two_member_studios(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    studio_b = other_studio(world)
    alliance = alliance_create(
        actor=admin,
        org_unit=world.district,
        name="联盟",
        field="综合",
        founded_on=dt.date(YEAR, 1, 1),
        studios=[studio],
    )
    for studios in ([studio], [studio, studio]):
        with pytest.raises(DomainError) as err:
            alliance_add_project(
                actor=admin, alliance=alliance, title="项目", studios=studios, started_on=dt.date(YEAR, 2, 1)
            )
        assert err.value.field == "studios" and "两个" in err.value.message
    with pytest.raises(DomainError) as err:
        alliance_add_project(
            actor=admin,
            alliance=alliance,
            title="项目",
            studios=[studio, studio_b],
            started_on=dt.date(YEAR, 2, 1),
        )
    assert studio_b.name in err.value.message and "不是联盟成员" in err.value.message
    alliance_join(actor=admin, alliance=alliance, studio=studio_b, joined_on=dt.date(YEAR, 2, 1))
    alliance_add_project(
        actor=admin,
        alliance=alliance,
        title="项目",
        studios=[studio, studio_b],
        started_on=dt.date(YEAR, 2, 1),
    )
    assert alliance.projects.count() == 1


def test_non_member_cannot_share(world: World, studio: Studio) -> None:
    admin = world.users["district_admin"]
    alliance = alliance_create(
        actor=admin,
        org_unit=world.district,
        name="联盟",
        field="综合",
        founded_on=dt.date(YEAR, 1, 1),
        studios=[studio],
    )
    with pytest.raises(DomainError) as err:
        alliance_share(
            actor=admin, alliance=alliance, studio=other_studio(world), kind="equipment", name="三坐标测量仪"
        )
    assert "不是联盟成员" in err.value.message
    assert not alliance.resources.exists()


def test_alliance_writes_need_manage_on_the_convening_union(world: World, studio: Studio) -> None:
    # A street admin convenes an alliance of their street; a studio of the other street may join.
    street_admin = world.users["street_a_admin"]
    studio_b = other_studio(world)
    alliance = alliance_create(
        actor=street_admin,
        org_unit=world.street_a,
        name="甲街道联盟",
        field="综合",
        founded_on=dt.date(YEAR, 1, 1),
        studios=[studio, studio_b],
    )
    assert alliance.memberships.count() == 2
    with pytest.raises(PermissionDenied):
        alliance_create(
            actor=street_admin,
            org_unit=world.district,
            name="区联盟",
            field="综合",
            founded_on=dt.date(YEAR, 1, 1),
        )
    other = world.users["street_b_admin"]
    with pytest.raises(PermissionDenied):
        alliance_add_activity(actor=other, alliance=alliance, title="活动", held_on=dt.date(YEAR, 1, 2))
    with pytest.raises(PermissionDenied):
        alliance_share(actor=other, alliance=alliance, studio=studio_b, kind="expert", name="专家")
