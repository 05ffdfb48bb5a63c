"""Service ledger services and the KPI figures.

People trained are distinct persons (keyed hash of the ID number), person-times are typed
per activity: the same person trained twice counts once as a person and twice as
person-times, and across two streets rolled up to the district still once. Problems count
as solved only once the enterprise confirms. KPI figures are checked on a hand-built world
with exact expected numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from gonghui.accounts.models import Role, User
from gonghui.assist import errors, ledger
from gonghui.assist import selectors_ledger as sel
from gonghui.assist.ledger import ActivityInput, TraineeInput
from gonghui.assist.models import (
    Craftsman,
    KpiTarget,
    LibraryOutcome,
    MentorPair,
    ServiceActivity,
    ServiceProblem,
    Trainee,
    TrialApplication,
)
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World, make_user
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError, NotFound, PermissionDenied
from gonghui.core.tabular import TableError
from gonghui.core.validators import id_number_check_char
from gonghui.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year - 1  # a whole past year: every month may hold activities
K = ServiceActivity.Kind


def id_number(serial: int, *, region: str = "330109", birth: str = "19900101") -> str:
    """A valid 18-character ID number (check digit computed)."""
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + id_number_check_char(first17)


PERSON_X, PERSON_Y, PERSON_Z = id_number(11), id_number(23), id_number(35)


def craftsmen(world: World, *names: str) -> list[Craftsman]:
    return [Craftsman.objects.create(name=name, org_unit=world.district, region="330199") for name in names]


def record(world: World, *, actor: str = "district_admin", **kwargs: Any) -> ServiceActivity:
    data: dict[str, Any] = {
        "org_unit": world.street_a,
        "kind": K.VISIT,
        "title": "数控车床主轴异响诊断",
        "held_on": dt.date(YEAR, 3, 10),
        "enterprise": world.enterprise_a,
        **kwargs,
    }
    if "craftsmen" not in data:
        data["craftsmen"] = Craftsman.objects.all()[:1] or craftsmen(world, "张建国")
    return ledger.activity_create(actor=world.users[actor], data=ActivityInput(**data))


def contact(world: World, username: str = "contact_a", *, union: OrgUnit | None = None) -> User:
    return make_user(username, role=Role.ENTERPRISE_CONTACT, unit=union or world.unit_a())


# --- person keys ------------------------------------------------------------------------------


def test_person_key_is_the_keyed_hash_shared_with_the_member_register(world: World) -> None:
    member = world.members_a[0]
    assert ledger.person_key_for(id_number=PERSON_X) == blind_index(PERSON_X)
    assert ledger.person_key_for(id_number=f" {PERSON_X.lower()} ") == blind_index(PERSON_X)
    # A member's key is the register's index of their ID number: entered either way, one person.
    assert ledger.person_key_for(member=member) == member.id_number_index == blind_index(member.id_number)
    assert ledger.person_key_for(id_number=member.id_number) == ledger.person_key_for(member=member)
    member.id_number_index = ""
    assert ledger.person_key_for(member=member) == f"member:{member.pk}"
    assert PERSON_X not in blind_index(PERSON_X)


# --- recording --------------------------------------------------------------------------------


def test_record_activity_with_craftsmen_problems_and_trainees(world: World) -> None:
    team = craftsmen(world, "张建国", "李秀英")
    activity = record(
        world,
        craftsmen=team,
        problems=["主轴轴承磨损", " ", "冷却液泄漏"],
        trainees=[TraineeInput("王小明", PERSON_X), TraineeInput("赵丽", PERSON_Y)],
        person_times=3,
        estimated_benefit=Decimal("50000"),
        long_term_agreement=True,
    )
    assert set(activity.craftsmen.all()) == set(team)
    assert list(activity.problems.values_list("description", "solved")) == [
        ("主轴轴承磨损", False),
        ("冷却液泄漏", False),
    ]
    keys = set(activity.trainees.values_list("person_key", flat=True))
    assert keys == {blind_index(PERSON_X), blind_index(PERSON_Y)}
    assert PERSON_X not in keys and PERSON_Y not in keys  # ID numbers are never stored
    entry = AuditEntry.objects.get(action="assist.ledger.create", target_id=str(activity.pk))
    assert entry.after["trainees"] == 2 and entry.after["person_times"] == 3


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"craftsmen": []}, "craftsmen", "至少选择一位"),
        ({"enterprise": None}, "enterprise", "请选择服务的企业"),
        ({"kind": K.TRAINING, "enterprise": None, "problems": ["漏油"]}, "enterprise", "由企业确认"),
        ({"held_on": timezone.localdate() + dt.timedelta(days=1)}, "held_on", "不能晚于今天"),
        ({"title": " "}, "title", "活动名称不能为空"),
        ({"kind": "party"}, "kind", "未知的服务类别"),
        ({"trainees": [TraineeInput("王小明", PERSON_X)], "person_times": 0}, "person_times", "不能少于"),
        ({"person_times": -1}, "person_times", "0 或正整数"),
        (
            {
                "trainees": [TraineeInput("王小明", PERSON_X), TraineeInput("王晓明", PERSON_X)],
                "person_times": 2,
            },
            "trainees",
            "第 2 位培训人员（王晓明）与第 1 位是同一人",
        ),
        (
            {"trainees": [TraineeInput("赵丽", PERSON_X[:-1] + ("0" if PERSON_X[-1] != "0" else "1"))]},
            "trainees",
            "第 1 位培训人员（赵丽）：身份证号校验位错误",
        ),
        ({"trainees": [TraineeInput("无证", "")], "person_times": 1}, "trainees", "须填写身份证号或选择会员"),
        ({"estimated_benefit": Decimal("-1")}, "estimated_benefit", "不小于 0"),
    ],
)
def test_activity_rules(world: World, changes: dict[str, Any], field: str, message: str) -> None:
    craftsmen(world, "张建国")
    with pytest.raises(DomainError) as err:
        record(world, **{"person_times": 5, **changes})
    assert err.value.code == errors.LEDGER_INVALID and err.value.field == field
    assert message in err.value.message
    assert not ServiceActivity.objects.exists() and not Trainee.objects.exists()


def test_training_may_have_no_enterprise_and_a_member_trainee(world: World) -> None:
    member = world.members_a[1]
    activity = record(
        world,
        kind=K.TRAINING,
        enterprise=None,
        trainees=[TraineeInput("", member=member)],
        person_times=1,
    )
    assert list(activity.trainees.values_list("name", "person_key")) == [
        (member.name, member.id_number_index)
    ]


def test_recording_needs_a_reviewer_of_the_organising_union(world: World) -> None:
    craftsmen(world, "张建国")
    for username in ("street_b_admin", "district_viewer", "worker_a"):
        with pytest.raises(PermissionDenied):
            record(world, actor=username)
    assert record(world, actor="street_a_reviewer").org_unit == world.street_a


# --- confirmation -----------------------------------------------------------------------------


def test_enterprise_contact_confirms_in_their_own_name(world: World) -> None:
    activity = record(world, problems=["主轴异响"])
    problem = activity.problems.get()
    contact_a = contact(world)
    done = ledger.problem_confirm(actor=contact_a, problem=problem)
    assert done.solved and done.confirmed_by == str(contact_a) and done.confirmed_at is not None
    with pytest.raises(DomainError, match="已由 contact_a 确认"):
        ledger.problem_confirm(actor=contact_a, problem=problem)
    assert (
        AuditEntry.objects.filter(action="assist.ledger.problem_confirm", target_id=str(problem.pk)).count()
        == 1
    )


def test_staff_record_the_enterprises_confirmation_naming_the_person(world: World) -> None:
    problem = record(world, problems=["冷却液泄漏"]).problems.get()
    staff = world.users["street_a_reviewer"]
    with pytest.raises(DomainError) as err:
        ledger.problem_confirm(actor=staff, problem=problem)
    assert err.value.field == "confirmed_by"
    done = ledger.problem_confirm(actor=staff, problem=problem, confirmed_by="企业设备科 陈工")
    assert done.confirmed_by == "企业设备科 陈工"


def test_only_the_enterprise_or_its_unions_staff_may_confirm(world: World) -> None:
    mentor = make_user("craftsman_user")
    team = [Craftsman.objects.create(name="张建国", org_unit=world.district, user=mentor)]
    problem = record(world, craftsmen=team, problems=["主轴异响"]).problems.get()
    outsiders = [
        world.users["street_b_admin"],
        world.users["worker_a"],
        mentor,  # the craftsman who served cannot confirm his own work
        contact(world, "contact_b", union=world.unit_b()),
    ]
    for actor in outsiders:
        with pytest.raises(PermissionDenied):
            ledger.problem_confirm(actor=actor, problem=problem, confirmed_by="某人")
    # The craftsman may report it solved; that does not count until confirmed.
    assert ledger.problem_mark_solved(actor=mentor, problem=problem).solved
    problem.refresh_from_db()
    assert problem.confirmed_at is None


def test_solved_problems_count_only_when_confirmed(world: World) -> None:
    activity = record(world, problems=["甲", "乙", "丙"])
    first, second, _third = activity.problems.all()
    ledger.problem_mark_solved(actor=world.users["street_a_admin"], problem=first)
    ledger.problem_mark_solved(actor=world.users["street_a_admin"], problem=second)
    ledger.problem_confirm(actor=contact(world), problem=second)
    figures = sel.kpi_dashboard(user=world.users["district_admin"], year=YEAR)["figures"]
    assert (figures["problems_handled"], figures["problems"]) == (3, 1)


def test_problems_need_an_enterprise(world: World) -> None:
    activity = record(world, kind=K.TRAINING, enterprise=None)
    with pytest.raises(DomainError, match="没有服务企业"):
        ledger.problem_add(actor=world.users["street_a_admin"], activity=activity, description="漏油")
    # The database refuses a confirmation without a confirming person either.
    with_enterprise = record(world, title="另一次", problems=["漏油"])
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        ServiceProblem.objects.filter(activity=with_enterprise).update(
            confirmed_at=dt.datetime(YEAR, 5, 1, tzinfo=dt.UTC)
        )


def test_verified_benefit(world: World) -> None:
    activity = record(world)
    with pytest.raises(DomainError):
        ledger.activity_verify_benefit(
            actor=world.users["street_a_admin"], activity=activity, verified_benefit=Decimal(-1)
        )
    with pytest.raises(PermissionDenied):
        ledger.activity_verify_benefit(
            actor=world.users["street_b_admin"], activity=activity, verified_benefit=Decimal(1)
        )
    done = ledger.activity_verify_benefit(
        actor=world.users["street_a_admin"], activity=activity, verified_benefit=Decimal("12345.6")
    )
    assert done.verified_benefit == Decimal("12345.60")


# --- distinct people vs person-times -----------------------------------------------------------


def test_same_person_twice_is_one_person_and_two_person_times(world: World) -> None:
    craftsmen(world, "张建国")
    for day, unit, title in ((5, world.street_a, "甲街道培训"), (6, world.street_b, "乙街道培训")):
        record(
            world,
            org_unit=unit,
            kind=K.TRAINING,
            enterprise=None,
            title=title,
            held_on=dt.date(YEAR, 4, day),
            trainees=[TraineeInput("王小明", PERSON_X)],
            person_times=1,
        )
    admin = world.users["district_admin"]
    district = sel.kpi_dashboard(user=admin, year=YEAR)
    assert district["unit"] == world.district
    assert (district["figures"]["people_trained"], district["figures"]["person_times"]) == (1, 2)
    rows = {row["name"]: row["figures"] for row in district["rows"]}
    assert (rows[world.street_a.name]["people_trained"], rows[world.street_a.name]["person_times"]) == (1, 1)
    assert (rows[world.street_b.name]["people_trained"], rows[world.street_b.name]["person_times"]) == (1, 1)
    # Two activities in the same street: still one person there, two person-times.
    record(
        world,
        org_unit=world.street_a,
        kind=K.TRAINING,
        enterprise=None,
        title="甲街道复训",
        held_on=dt.date(YEAR, 4, 20),
        trainees=[TraineeInput("王小明", PERSON_X)],
        person_times=1,
    )
    street_a = sel.kpi_dashboard(user=admin, year=YEAR, unit=world.street_a)
    assert (street_a["figures"]["people_trained"], street_a["figures"]["person_times"]) == (1, 2)
    assert street_a["monthly"]["people_trained"][3] == 1 and street_a["monthly"]["person_times"][3] == 2


# --- the hand-built world ----------------------------------------------------------------------


def build_ledger_world(world: World) -> dict[str, Any]:
    """Four activities in YEAR (street A ×2, street B, the district itself), one the year before.

    Person X is trained in street A (twice) and street B; Y in A; Z in A; a member of B in B.
    """
    c1, c2, c3 = craftsmen(world, "张建国", "李秀英", "王师傅")
    member_b = world.members_b[0]
    a1 = record(
        world,
        craftsmen=[c1, c2],
        title="A1 上门诊断",
        held_on=dt.date(YEAR, 3, 10),
        problems=["p1", "p2"],
        trainees=[TraineeInput("X", PERSON_X), TraineeInput("Y", PERSON_Y)],
        person_times=5,
        estimated_benefit=Decimal("10000"),
        verified_benefit=Decimal("8000"),
        long_term_agreement=True,
    )
    record(
        world,
        kind=K.TRAINING,
        enterprise=None,
        craftsmen=[c1],
        title="A2 技能培训",
        held_on=dt.date(YEAR, 3, 20),
        trainees=[TraineeInput("X", PERSON_X), TraineeInput("Z", PERSON_Z)],
        person_times=3,
    )
    b1 = record(
        world,
        org_unit=world.street_b,
        kind=K.TRAINING,
        enterprise=world.enterprise_b,
        craftsmen=[c2, c3],
        title="B1 企业培训",
        held_on=dt.date(YEAR, 5, 5),
        problems=["p3"],
        trainees=[TraineeInput("X", PERSON_X), TraineeInput("", member=member_b)],
        person_times=4,
        estimated_benefit=Decimal("2500.50"),
    )
    d1 = record(
        world,
        org_unit=world.district,
        kind=K.REMOTE,
        enterprise=world.enterprise_b,
        craftsmen=[c3],
        title="D1 远程解答",
        held_on=dt.date(YEAR, 5, 6),
        problems=["p4"],
    )
    record(  # the year before: never in YEAR's figures
        world,
        craftsmen=[c1],
        title="旧年活动",
        held_on=dt.date(YEAR - 1, 12, 31),
        problems=["old"],
        trainees=[TraineeInput("Y", PERSON_Y)],
        person_times=1,
    )
    p1, p2 = a1.problems.all()
    contact_a, contact_b = contact(world), contact(world, "contact_b", union=world.unit_b())
    ledger.problem_confirm(actor=contact_a, problem=p1)
    ledger.problem_mark_solved(actor=world.users["street_a_admin"], problem=p2)  # not confirmed
    ledger.problem_confirm(actor=contact_b, problem=b1.problems.get())
    ledger.problem_confirm(
        actor=world.users["district_admin"], problem=d1.problems.get(), confirmed_by="乙企业 刘经理"
    )
    KpiTarget.objects.create(
        org_unit=world.district, year=YEAR, craftsman_visits=12, people_trained=8, problems=6
    )
    KpiTarget.objects.create(org_unit=world.street_a, year=YEAR, problems=4, person_times=16)
    return {"craftsmen": (c1, c2, c3)}


EXPECTED_DISTRICT = {
    "activities": 4,
    "craftsman_visits": 6,  # 2 + 1 + 2 + 1 craftsmen × activities
    "enterprises": 2,  # A (A1), B (B1, D1); A2 has none
    "problems_handled": 4,
    "problems": 3,  # p1, p3, p4 confirmed; p2 only reported solved
    "people_trained": 4,  # X, Y, Z, member of B — X once although trained three times
    "person_times": 12,  # 5 + 3 + 4 typed
    "long_term": 1,
    "estimated_benefit": Decimal("12500.50"),
    "verified_benefit": Decimal("8000"),
}
EXPECTED_STREET_A = {
    "activities": 2,
    "craftsman_visits": 3,
    "enterprises": 1,
    "problems_handled": 2,
    "problems": 1,
    "people_trained": 3,  # X, Y, Z
    "person_times": 8,
    "long_term": 1,
}
EXPECTED_STREET_B = {
    "activities": 1,
    "craftsman_visits": 2,
    "enterprises": 1,
    "problems_handled": 1,
    "problems": 1,
    "people_trained": 2,  # X again (counted in B too), member of B
    "person_times": 4,
    "long_term": 0,
}


def _subset(figures: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {key: figures[key] for key in expected}


def test_kpi_figures_on_the_hand_built_world(world: World) -> None:
    build_ledger_world(world)
    data = sel.kpi_dashboard(user=world.users["district_admin"], year=YEAR)
    assert data["unit"] == world.district
    assert _subset(data["figures"], EXPECTED_DISTRICT) == EXPECTED_DISTRICT
    rows = {row["name"]: row for row in data["rows"]}
    assert list(rows) == [world.street_a.name, world.street_b.name, f"{world.district.name}（本级）"]
    assert _subset(rows[world.street_a.name]["figures"], EXPECTED_STREET_A) == EXPECTED_STREET_A
    assert _subset(rows[world.street_b.name]["figures"], EXPECTED_STREET_B) == EXPECTED_STREET_B
    own = rows[f"{world.district.name}（本级）"]["figures"]
    assert (own["activities"], own["craftsman_visits"], own["problems"], own["people_trained"]) == (
        1,
        1,
        1,
        0,
    )
    # Distinct figures are never sums of the rows: X is in both streets, once in the district.
    assert (
        sum(r["figures"]["people_trained"] for r in rows.values()) == 5 != data["figures"]["people_trained"]
    )
    assert sum(r["figures"]["enterprises"] for r in rows.values()) == 3 != data["figures"]["enterprises"]
    # Additive figures do add up.
    for key in ("craftsman_visits", "person_times", "problems", "activities"):
        assert sum(r["figures"][key] for r in rows.values()) == data["figures"][key]
    # Against the targets.
    assert data["progress"]["craftsman_visits"] == Decimal("50.0")  # 6 / 12
    assert data["progress"]["people_trained"] == Decimal("50.0")  # 4 / 8
    assert data["progress"]["problems"] == Decimal("50.0")  # 3 / 6
    assert data["progress"]["enterprises"] is None  # no target set
    assert rows[world.street_a.name]["progress"]["problems"] == Decimal("25.0")  # 1 / 4
    assert rows[world.street_a.name]["progress"]["person_times"] == Decimal("50.0")  # 8 / 16
    assert rows[world.street_b.name]["target"] is None
    # Monthly trend: March (A1, A2) and May (B1, D1).
    monthly = data["monthly"]
    assert monthly["craftsman_visits"][2] == 3 and monthly["craftsman_visits"][4] == 3
    assert monthly["people_trained"][2] == 3 and monthly["people_trained"][4] == 2  # distinct per month
    assert monthly["person_times"][2] == 8 and monthly["person_times"][4] == 4
    assert monthly["problems"][2] == 1 and monthly["problems"][4] == 2
    assert sum(monthly["activities"]) == 4
    assert data["years"] == [YEAR, YEAR - 1]


def test_kpi_is_scoped_to_the_users_subtree(world: World) -> None:
    build_ledger_world(world)
    street_b = sel.kpi_dashboard(user=world.users["street_b_admin"], year=YEAR)
    assert street_b["unit"] == world.street_b
    assert _subset(street_b["figures"], EXPECTED_STREET_B) == EXPECTED_STREET_B
    with pytest.raises(NotFound):
        sel.kpi_dashboard(user=world.users["street_b_admin"], year=YEAR, unit=world.street_a)
    with pytest.raises(NotFound):
        sel.unit_for_user(user=world.users["nobody"])
    assert not sel.activity_list(user=world.users["street_b_admin"]).filter(org_unit=world.street_a).exists()
    assert sel.activity_list(user=world.users["street_b_admin"]).count() == 1


def test_kpi_queries_do_not_grow_with_rows_or_nodes(world: World) -> None:
    build_ledger_world(world)
    admin = world.users["district_admin"]
    with CaptureQueriesContext(connection) as small:
        sel.kpi_dashboard(user=admin, year=YEAR, unit=world.district)
    extra_streets = [
        OrgUnit.objects.get(pk=world.district.pk).add_child(name=f"新街道{i}", level="street")
        for i in range(3)
    ]
    world.district.refresh_from_db()
    team = list(Craftsman.objects.all())
    for index in range(12):
        record(
            world,
            org_unit=extra_streets[index % 3],
            craftsmen=team,
            title=f"活动{index}",
            held_on=dt.date(YEAR, index % 12 + 1, 1),
            problems=["漏油", "异响"],
            trainees=[TraineeInput(f"人{index}", id_number(100 + index))],
            person_times=2,
        )
    with CaptureQueriesContext(connection) as large:
        data = sel.kpi_dashboard(user=admin, year=YEAR, unit=world.district)
    assert len(data["rows"]) == 6
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_pair_and_trial_counters_roll_up(world: World) -> None:
    this_year = timezone.localdate().year
    mentor = Craftsman.objects.create(
        name="师傅", org_unit=world.district, region="330201", max_apprentices=5
    )
    common = {
        "mentor": mentor,
        "goals": "g",
        "starts_on": dt.date(this_year, 1, 1),
        "ends_on": dt.date(this_year, 12, 31),
    }
    MentorPair.objects.create(apprentice_name="甲一", org_unit=world.unit_a(), cross_region=True, **common)
    MentorPair.objects.create(apprentice_name="甲二", org_unit=world.unit_a(), status="completed", **common)
    MentorPair.objects.create(apprentice_name="乙一", org_unit=world.unit_b(), status="ended", **common)
    MentorPair.objects.create(  # long over: not in this year's figures
        apprentice_name="旧",
        org_unit=world.unit_b(),
        **{**common, "starts_on": dt.date(2020, 1, 1), "ends_on": dt.date(2021, 1, 1)},
    )
    outcome = LibraryOutcome.objects.create(
        title="成果", org_unit=world.district, trial_offered=True, licence_fee=Decimal(100), trial_months=3
    )
    LibraryOutcome.objects.create(title="未发布", org_unit=world.street_a)
    staff = world.users["district_admin"]
    TrialApplication.objects.create(
        outcome=outcome,
        enterprise=world.enterprise_a,
        org_unit=world.unit_a(),
        created_by=staff,
        status="converted",
        agreement_signed_on=dt.date(this_year, 1, 2),
        conversion_amount=Decimal("100.00"),
    )
    TrialApplication.objects.create(
        outcome=outcome, enterprise=world.enterprise_b, org_unit=world.unit_b(), created_by=staff
    )
    data = sel.kpi_dashboard(user=staff, year=this_year)
    figures = data["figures"]
    assert (
        figures["pairs"],
        figures["pairs_active"],
        figures["pairs_completed"],
        figures["pairs_ended"],
    ) == (3, 1, 1, 1)
    assert figures["pairs_cross_region"] == 1
    assert (figures["outcomes_available"], figures["trials"], figures["trials_signed"]) == (1, 2, 1)
    assert (figures["conversions"], figures["conversion_amount"]) == (1, Decimal("100.00"))
    rows = {row["name"]: row["figures"] for row in data["rows"]}
    assert (rows[world.street_a.name]["pairs"], rows[world.street_b.name]["pairs"]) == (2, 1)
    assert (rows[world.street_a.name]["trials"], rows[world.street_b.name]["trials"]) == (1, 1)
    assert rows[world.street_a.name]["conversion_amount"] == Decimal("100.00")


# --- targets ----------------------------------------------------------------------------------


def test_targets_by_admins_of_the_node(world: World) -> None:
    values = {
        "craftsman_visits": 1000,
        "enterprises": 1001,
        "problems": 1000,
        "people_trained": 10001,
        "person_times": 20000,
    }
    target = ledger.kpi_target_set(
        actor=world.users["district_admin"], org_unit=world.street_a, year=YEAR, values=values
    )
    assert (target.enterprises, target.people_trained) == (1001, 10001)
    for username in ("street_b_admin", "street_a_reviewer", "district_viewer"):
        with pytest.raises(PermissionDenied):
            ledger.kpi_target_set(
                actor=world.users[username], org_unit=world.street_a, year=YEAR, values=values
            )
    with pytest.raises(DomainError) as err:
        ledger.kpi_target_set(
            actor=world.users["street_a_admin"],
            org_unit=world.street_a,
            year=YEAR,
            values={**values, "problems": -1},
        )
    assert err.value.field == "problems"
    again = ledger.kpi_target_set(
        actor=world.users["street_a_admin"],
        org_unit=world.street_a,
        year=YEAR,
        values={**values, "problems": 5},
    )
    assert again.pk == target.pk and again.problems == 5
    assert AuditEntry.objects.filter(action="assist.kpi_target.set").count() == 2
    ledger.kpi_target_set(
        actor=world.users["street_a_admin"],
        org_unit=world.street_a,
        year=YEAR,
        values={**values, "problems": 5},
    )
    assert AuditEntry.objects.filter(action="assist.kpi_target.set").count() == 2  # unchanged: no row


# --- import -----------------------------------------------------------------------------------

HEADER = list(ledger.LEDGER_IMPORT_COLUMNS)


def workbook(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_row(world: World, **overrides: Any) -> list[Any]:
    values = {
        "类别": "上门服务",
        "活动名称": "主轴异响诊断",
        "日期": f"{YEAR}-03-05",
        "组织工会行政区划代码": "",
        "企业统一社会信用代码": world.enterprise_a.uscc,
        "参与工匠": "张建国;李秀英",
        "问题": "主轴轴承磨损；冷却液泄漏",
        "培训人员": f"王小明:{PERSON_X};赵丽：{PERSON_Y}",
        "培训人次": "3",
        "预计效益（元）": "50,000",
        "核实效益（元）": "",
        "长期协议": "是",
        **overrides,
    }
    return [values[title] for title in HEADER]


def test_import_creates_activities_and_is_idempotent(world: World) -> None:
    craftsmen(world, "张建国", "李秀英")
    street_b_code = world.street_b.division_code
    data = workbook(
        [
            import_row(world),
            import_row(
                world,
                **{
                    "类别": "技能培训",
                    "活动名称": "焊接培训",
                    "组织工会行政区划代码": street_b_code,
                    "企业统一社会信用代码": "",
                    "问题": "",
                    "培训人员": f"王小明:{PERSON_X}",
                    "培训人次": "1",
                    "长期协议": "",
                },
            ),
        ]
    )
    admin = world.users["district_admin"]
    report = ledger.activities_import(actor=admin, org_unit=world.street_a, data=data, filename="台账.xlsx")
    assert (report.created, report.unchanged) == (2, 0)
    visit = ServiceActivity.objects.get(title="主轴异响诊断")
    assert (visit.org_unit, visit.enterprise, visit.person_times, visit.long_term_agreement) == (
        world.street_a,
        world.enterprise_a,
        3,
        True,
    )
    assert visit.estimated_benefit == Decimal("50000.00") and visit.craftsmen.count() == 2
    assert list(visit.problems.values_list("description", flat=True)) == ["主轴轴承磨损", "冷却液泄漏"]
    assert ServiceActivity.objects.get(title="焊接培训").org_unit == world.street_b
    again = ledger.activities_import(actor=admin, org_unit=world.street_a, data=data, filename="台账.xlsx")
    assert (again.created, again.unchanged) == (0, 2)
    assert ServiceActivity.objects.count() == 2 and Trainee.objects.count() == 3
    figures = sel.kpi_dashboard(user=admin, year=YEAR)["figures"]
    assert (figures["people_trained"], figures["person_times"]) == (2, 4)


def test_import_reports_every_bad_row_and_writes_nothing(world: World) -> None:
    craftsmen(world, "张建国", "李秀英", "王芳", "王芳")  # two craftsmen of the same name
    bad_id = PERSON_X[:-1] + ("0" if PERSON_X[-1] != "0" else "1")
    data = workbook(
        [
            import_row(world),  # row 2: fine
            import_row(world, **{"类别": "聚餐"}),  # 3
            import_row(world, **{"活动名称": "B", "日期": "2024-13-01"}),  # 4
            import_row(world, **{"活动名称": "C", "参与工匠": "无名氏"}),  # 5
            import_row(world, **{"活动名称": "D", "参与工匠": "王芳"}),  # 6
            import_row(world, **{"活动名称": "E", "企业统一社会信用代码": "91330000XXXXXXXXXX"}),  # 7
            import_row(world, **{"活动名称": "F", "培训人员": f"王小明:{bad_id}"}),  # 8
            import_row(world, **{"活动名称": "G", "培训人次": "1"}),  # 9
            import_row(world, **{"活动名称": "H", "组织工会行政区划代码": "999999"}),  # 10
            import_row(world),  # 11: duplicate of row 2
            import_row(world, **{"活动名称": "I", "预计效益（元）": "很多"}),  # 12
            import_row(world, **{"活动名称": "J", "长期协议": "也许"}),  # 13
        ]
    )
    with pytest.raises(TableError) as err:
        ledger.activities_import(
            actor=world.users["district_admin"], org_unit=world.street_a, data=data, filename="x.xlsx"
        )
    found = {(e.row, e.column) for e in err.value.errors}
    assert found == {
        (3, "类别"),
        (4, "日期"),
        (5, "参与工匠"),
        (6, "参与工匠"),
        (7, "企业统一社会信用代码"),
        (8, "培训人员"),
        (9, "培训人次"),
        (10, "组织工会行政区划代码"),
        (11, "活动名称"),
        (12, "预计效益（元）"),
        (13, "长期协议"),
    }
    messages = {e.row: e.message for e in err.value.errors}
    assert "请填写外部编号" in messages[6] and "与第 2 行重复" in messages[11]
    assert "校验位错误" in messages[8]
    assert not ServiceActivity.objects.exists() and not Trainee.objects.exists()


def test_import_file_level_errors(world: World) -> None:
    admin = world.users["district_admin"]
    with pytest.raises(TableError) as err:
        ledger.activities_import(
            actor=admin,
            org_unit=world.street_a,
            data=workbook([], header=["类别", "活动名称"]),
            filename="x.xlsx",
        )
    assert {e.column for e in err.value.errors} == {"日期", "参与工匠"}
    with pytest.raises(TableError, match="仅支持"):
        ledger.activities_import(actor=admin, org_unit=world.street_a, data=b"x", filename="x.pdf")
    with pytest.raises(TableError, match="没有活动"):
        ledger.activities_import(actor=admin, org_unit=world.street_a, data=workbook([]), filename="x.xlsx")
    with pytest.raises(PermissionDenied):
        ledger.activities_import(
            actor=world.users["street_b_admin"], org_unit=world.street_a, data=workbook([]), filename="x.xlsx"
        )


# --- demo -------------------------------------------------------------------------------------


def test_demo_seeds_a_year_with_every_state_and_is_idempotent(world: World) -> None:
    from gonghui.assist.demo_ledger import ACTIVITIES, seed_ledger

    out = io.StringIO()
    seed_ledger(district=world.district, stdout=out)
    activities = ServiceActivity.objects.filter(org_unit__path__startswith=world.district.path)
    assert activities.count() == ACTIVITIES
    today = timezone.localdate()
    assert all(
        today - dt.timedelta(days=365) < d <= today for d in activities.values_list("held_on", flat=True)
    )
    assert set(activities.values_list("kind", flat=True)) == set(K.values)
    assert ServiceProblem.objects.filter(confirmed_at__isnull=False).exists()
    assert ServiceProblem.objects.filter(confirmed_at__isnull=True).exists()
    assert set(KpiTarget.objects.values_list("org_unit", flat=True)) == {
        world.district.pk,
        world.street_a.pk,
        world.street_b.pk,
    }
    assert set(MentorPair.objects.values_list("status", flat=True)) == set(MentorPair.Status.values)
    assert set(TrialApplication.objects.values_list("status", flat=True)) == set(
        TrialApplication.Status.values
    )
    data = sel.kpi_dashboard(user=world.users["district_admin"], year=today.year)
    figures = data["figures"]
    assert figures["person_times"] >= figures["people_trained"] > 0
    assert figures["conversions"] > 0 and figures["outcomes_available"] == 5
    assert "服务台账" in out.getvalue()
    counts = (MentorPair.objects.count(), TrialApplication.objects.count(), KpiTarget.objects.count())
    seed_ledger(district=world.district, stdout=out)  # a second run adds nothing
    assert activities.count() == ACTIVITIES
    assert (MentorPair.objects.count(), TrialApplication.objects.count(), KpiTarget.objects.count()) == counts
