"""师徒结对 and 先用后转 services: mentor capacity, periods, cross-region, check-ins, completion
and ending; the owner's fixed terms, applications, the trial agreement and every transition
(hand-written allowed/refused tables), feedback and extension rules, audit rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from gonghui.accounts.models import Role, User
from gonghui.assist import errors, pairs, trials
from gonghui.assist.models import Craftsman, LibraryOutcome, MentorPair, PairCheckIn, TrialApplication
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World, make_user
from gonghui.core.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db
P = MentorPair.Status
T = TrialApplication.Status
TODAY = timezone.localdate()


def make_craftsman(
    world: World, name: str = "张建国", *, region: str = "330199", **kwargs: object
) -> Craftsman:
    return Craftsman.objects.create(
        name=name, org_unit=kwargs.pop("org_unit", world.district), region=region, **kwargs
    )


def contact(world: World, username: str = "contact_a", *, enterprise: str = "a") -> User:
    union = world.enterprise_a.union if enterprise == "a" else world.enterprise_b.union
    return make_user(username, role=Role.ENTERPRISE_CONTACT, unit=union)


# --- 师徒结对 ----------------------------------------------------------------------------------


def new_pair(world: World, mentor: Craftsman, name: str = "王小明", **kwargs: object) -> MentorPair:
    return pairs.pair_create(
        actor=kwargs.pop("actor", world.users["street_a_admin"]),  # type: ignore[arg-type]
        mentor=mentor,
        apprentice=kwargs.pop("apprentice", None),  # type: ignore[arg-type]
        apprentice_name=name,
        org_unit=kwargs.pop("org_unit", world.unit_a()),  # type: ignore[arg-type]
        goals="掌握数控车床编程与调试",
        starts_on=kwargs.pop("starts_on", TODAY - dt.timedelta(days=60)),  # type: ignore[arg-type]
        ends_on=kwargs.pop("ends_on", TODAY + dt.timedelta(days=300)),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("mentor_region", "division_code", "expected"),
    [
        ("330199", "330199001001", False),  # same district
        ("330102", "330199001", False),  # same city (3301), other district
        ("330201", "330199001", True),  # Ningbo mentor, Hangzhou apprentice
        ("510100", "500101", True),  # 成渝: Chengdu mentor, Chongqing apprentice
        ("", "330199", False),  # unknown region: not counted as cross-region
        ("330199", "", False),
        ("33", "330199", False),
    ],
)
def test_cross_region_compares_city_prefixes(mentor_region: str, division_code: str, expected: bool) -> None:
    assert pairs.cross_region(mentor_region=mentor_region, division_code=division_code) is expected


def test_pair_created_with_cross_region_from_the_apprentices_union(world: World) -> None:
    local = new_pair(world, make_craftsman(world, "本地师傅"))
    # The enterprise union has no division code: the community's (330199001001) is used.
    assert local.cross_region is False and local.status == P.ACTIVE
    far = new_pair(world, make_craftsman(world, "宁波师傅", region="330201"))
    assert far.cross_region is True
    assert AuditEntry.objects.filter(action="assist.pair.create", target_id=str(far.pk)).exists()


def test_member_apprentice_fixes_union_and_name(world: World) -> None:
    member = world.members_b[0]
    pair = new_pair(
        world, make_craftsman(world), name="", apprentice=member, actor=world.users["district_admin"]
    )
    assert pair.org_unit == world.unit_b() and pair.apprentice_name == member.name
    with pytest.raises(DomainError) as err:
        new_pair(world, pair.mentor, name="", apprentice=member, actor=world.users["district_admin"])
    assert err.value.field == "apprentice"


def test_mentor_capacity_counts_active_pairs_only(world: World) -> None:
    mentor = make_craftsman(world, max_apprentices=2)
    first = new_pair(world, mentor, "徒弟一")
    new_pair(world, mentor, "徒弟二")
    with pytest.raises(DomainError) as err:
        new_pair(world, mentor, "徒弟三")
    assert err.value.code == errors.PAIR_INVALID and err.value.field == "mentor"
    assert "可带徒 2 人，目前已带 2 人" in err.value.message
    pairs.pair_end(actor=world.users["street_a_admin"], pair=first, reason="徒弟调岗")
    assert new_pair(world, mentor, "徒弟三").status == P.ACTIVE
    assert MentorPair.objects.filter(mentor=mentor, status=P.ACTIVE).count() == 2


def test_mentor_without_places_or_out_of_library_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="名额已满"):
        new_pair(world, make_craftsman(world, "无名额", max_apprentices=0))
    with pytest.raises(DomainError, match="不在库"):
        new_pair(world, make_craftsman(world, "已出库", active=False))


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (TODAY, TODAY, "结束日期应晚于开始日期"),
        (TODAY, TODAY - dt.timedelta(days=1), "结束日期应晚于开始日期"),
        (TODAY, TODAY + dt.timedelta(days=4 * 365), "不超过 3 年"),
    ],
)
def test_pair_period_rules(world: World, starts: dt.date, ends: dt.date, message: str) -> None:
    with pytest.raises(DomainError, match=message) as err:
        new_pair(world, make_craftsman(world), starts_on=starts, ends_on=ends)
    assert err.value.field == "ends_on"
    assert not MentorPair.objects.exists()


def test_pair_create_needs_staff_of_the_apprentices_union(world: World) -> None:
    mentor = make_craftsman(world)
    for username in ("street_b_admin", "worker_a", "nobody"):
        with pytest.raises(PermissionDenied):
            new_pair(world, mentor, actor=world.users[username])
    assert not MentorPair.objects.exists()


def _pair_in(world: World, status: str) -> MentorPair:
    pair = new_pair(world, make_craftsman(world, f"师傅{status}"), level_before="middle")
    admin = world.users["street_a_admin"]
    if status == P.COMPLETED:
        pairs.pair_complete(actor=admin, pair=pair, level_after="senior")
    elif status == P.ENDED:
        pairs.pair_end(actor=admin, pair=pair, reason="企业停产")
    return pair


# (from status, action) → allowed; everything else is refused.
PAIR_ALLOWED = {(P.ACTIVE, "complete"), (P.ACTIVE, "end")}


@pytest.mark.parametrize("status", [P.ACTIVE, P.COMPLETED, P.ENDED])
@pytest.mark.parametrize("action", ["complete", "end"])
def test_pair_transitions(world: World, status: str, action: str) -> None:
    pair = _pair_in(world, status)
    admin = world.users["street_a_admin"]

    def act() -> MentorPair:
        if action == "complete":
            return pairs.pair_complete(actor=admin, pair=pair, level_after="technician")
        return pairs.pair_end(actor=admin, pair=pair, reason="双方协商解除")

    if (status, action) in PAIR_ALLOWED:
        done = act()
        assert done.status == {"complete": P.COMPLETED, "end": P.ENDED}[action]
        assert AuditEntry.objects.filter(action=f"assist.pair.{done.status}", target_id=str(pair.pk)).exists()
    else:
        with pytest.raises(DomainError) as err:
            act()
        assert err.value.code == errors.PAIR_INVALID
        pair.refresh_from_db()
        assert pair.status == status


def test_complete_needs_a_level_not_below_the_start(world: World) -> None:
    pair = new_pair(world, make_craftsman(world), level_before="senior")
    admin = world.users["street_a_admin"]
    with pytest.raises(DomainError) as err:
        pairs.pair_complete(actor=admin, pair=pair, level_after="middle")
    assert err.value.field == "level_after" and "不能低于" in err.value.message
    with pytest.raises(DomainError, match="请选择技能等级"):
        pairs.pair_complete(actor=admin, pair=pair, level_after="")
    with pytest.raises(DomainError, match="未知的技能等级"):
        pairs.pair_complete(actor=admin, pair=pair, level_after="grandmaster")
    done = pairs.pair_complete(actor=admin, pair=pair, level_after="technician")
    assert (done.status, done.level_after) == (P.COMPLETED, "technician")


def test_end_needs_a_reason_kept_as_last_checkin(world: World) -> None:
    pair = new_pair(world, make_craftsman(world))
    admin = world.users["street_a_admin"]
    with pytest.raises(DomainError) as err:
        pairs.pair_end(actor=admin, pair=pair, reason="  ")
    assert err.value.field == "reason"
    pairs.pair_end(actor=admin, pair=pair, reason="徒弟离职")
    assert list(pair.checkins.values_list("note", flat=True)) == ["解除结对：徒弟离职"]
    entry = AuditEntry.objects.get(action="assist.pair.ended", target_id=str(pair.pk))
    assert entry.after["reason"] == "徒弟离职"
    with pytest.raises(PermissionDenied):
        pairs.pair_end(actor=world.users["street_b_admin"], pair=new_pair(world, pair.mentor), reason="x")


def test_check_in_rules(world: World) -> None:
    mentor_user = make_user("mentor_user")
    mentor = make_craftsman(world, user=mentor_user)
    pair = new_pair(world, mentor, starts_on=TODAY - dt.timedelta(days=10))
    admin = world.users["street_a_admin"]
    pairs.pair_check_in(actor=admin, pair=pair, on=TODAY - dt.timedelta(days=1), note="讲解G代码")
    pairs.pair_check_in(actor=mentor_user, pair=pair, on=TODAY, note="现场调试")  # the mentor themself
    cases = [
        (TODAY + dt.timedelta(days=1), "内容", "on"),
        (TODAY - dt.timedelta(days=11), "内容", "on"),
        (TODAY, "  ", "note"),
    ]
    for on, note, field in cases:
        with pytest.raises(DomainError) as err:
            pairs.pair_check_in(actor=admin, pair=pair, on=on, note=note)
        assert err.value.field == field
    with pytest.raises(PermissionDenied):
        pairs.pair_check_in(actor=world.users["street_b_admin"], pair=pair, on=TODAY, note="越权")
    pairs.pair_complete(actor=admin, pair=pair, level_after="senior")
    with pytest.raises(DomainError, match="只有结对中"):
        pairs.pair_check_in(actor=admin, pair=pair, on=TODAY, note="出师后")
    assert PairCheckIn.objects.filter(pair=pair).count() == 2


# --- 先用后转 ----------------------------------------------------------------------------------


def make_outcome(world: World, title: str = "数控刀具快换装置", **kwargs: object) -> LibraryOutcome:
    return LibraryOutcome.objects.create(
        title=title, org_unit=kwargs.pop("org_unit", world.district), **kwargs
    )


def offer(world: World, outcome: LibraryOutcome | None = None, **terms: object) -> LibraryOutcome:
    values: dict[str, object] = {
        "owner_name": "张建国",
        "licence_form": LibraryOutcome.LicenceForm.LICENCE,
        "licence_fee": Decimal("20000"),
        "trial_months": 6,
        **terms,
    }
    return trials.outcome_offer_for_trial(
        actor=world.users["district_admin"],
        outcome=outcome or make_outcome(world),
        **values,  # type: ignore[arg-type]
    )


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert trials.add_months(dt.date(2025, 3, 15), 6) == dt.date(2025, 9, 15)
    assert trials.add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert trials.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert trials.add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert trials.add_months(dt.date(2025, 8, 31), 12) == dt.date(2026, 8, 31)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"owner_name": " "}, "owner_name"),
        ({"licence_form": "lease"}, "licence_form"),
        ({"licence_fee": Decimal("-1")}, "licence_fee"),
        ({"licence_fee": Decimal("1.005")}, "licence_fee"),
        ({"trial_months": 0}, "trial_months"),
        ({"trial_months": 37}, "trial_months"),
    ],
)
def test_offer_validates_the_terms(world: World, terms: dict[str, object], field: str) -> None:
    outcome = make_outcome(world)
    with pytest.raises(DomainError) as err:
        offer(world, outcome, **terms)
    assert err.value.field == field
    outcome.refresh_from_db()
    assert outcome.trial_offered is False


def test_offer_by_the_owning_unions_admin_only(world: World) -> None:
    outcome = make_outcome(world)
    for username in ("street_a_admin", "district_viewer"):
        with pytest.raises(PermissionDenied):
            trials.outcome_offer_for_trial(
                actor=world.users[username],
                outcome=outcome,
                owner_name="张建国",
                licence_form="licence",
                licence_fee=Decimal(0),
                trial_months=3,
            )
    offered = offer(world, outcome, licence_fee=Decimal(0))  # a free licence is allowed
    assert offered.trial_offered and offered.licence_fee == 0
    assert AuditEntry.objects.filter(action="assist.trial.offer", target_id=str(outcome.pk)).exists()


def test_terms_are_fixed_while_an_application_is_open(world: World) -> None:
    outcome = offer(world)
    application = trials.trial_apply(actor=contact(world), outcome=outcome, enterprise=world.enterprise_a)
    offer(world, outcome)  # the same terms again: fine
    with pytest.raises(DomainError) as err:
        offer(world, outcome, licence_fee=Decimal("30000"))
    assert err.value.code == errors.TRIAL_STATE
    trials.trial_withdraw(actor=world.users["street_a_admin"], application=application, feedback="暂不需要")
    assert offer(world, outcome, licence_fee=Decimal("30000")).licence_fee == Decimal("30000")


def test_apply_rules(world: World) -> None:
    outcome = offer(world)
    contact_a, contact_b = contact(world), contact(world, "contact_b", enterprise="b")
    with pytest.raises(PermissionDenied):  # B's contact cannot apply for A
        trials.trial_apply(actor=contact_b, outcome=outcome, enterprise=world.enterprise_a)
    with pytest.raises(PermissionDenied):  # street B's staff neither
        trials.trial_apply(
            actor=world.users["street_b_admin"], outcome=outcome, enterprise=world.enterprise_a
        )
    application = trials.trial_apply(actor=contact_a, outcome=outcome, enterprise=world.enterprise_a)
    assert (application.status, application.org_unit, application.created_by) == (
        T.APPLIED,
        world.unit_a(),
        contact_a,
    )
    with pytest.raises(DomainError, match="请勿重复申请"):
        trials.trial_apply(
            actor=world.users["street_a_admin"], outcome=outcome, enterprise=world.enterprise_a
        )
    # Staff may apply on an enterprise's behalf.
    assert (
        trials.trial_apply(
            actor=world.users["street_b_admin"], outcome=outcome, enterprise=world.enterprise_b
        ).created_by
        == world.users["street_b_admin"]
    )
    with pytest.raises(DomainError, match="未发布先用后转"):
        trials.trial_apply(
            actor=contact_a, outcome=make_outcome(world, "未发布"), enterprise=world.enterprise_a
        )
    street_offer = offer(world, make_outcome(world, "甲街道成果", org_unit=world.street_a))
    with pytest.raises(DomainError, match="不面向本企业所在地区"):
        trials.trial_apply(actor=contact_b, outcome=street_offer, enterprise=world.enterprise_b)


def test_signing_sets_the_end_from_the_trial_months(world: World) -> None:
    outcome = offer(world, trial_months=6)
    application = trials.trial_apply(actor=contact(world), outcome=outcome, enterprise=world.enterprise_a)
    staff = world.users["street_a_admin"]
    with pytest.raises(DomainError, match="不能晚于今天"):
        trials.trial_sign(actor=staff, application=application, signed_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):  # the enterprise cannot sign on the union's side
        trials.trial_sign(actor=contact(world, "contact_a2"), application=application, signed_on=TODAY)
    signed = trials.trial_sign(actor=staff, application=application, signed_on=dt.date(2025, 8, 31))
    assert signed.status == T.IN_TRIAL
    assert (signed.agreement_signed_on, signed.trial_ends_on) == (dt.date(2025, 8, 31), dt.date(2026, 2, 28))


def _trial_in(world: World, status: str) -> TrialApplication:
    """An application of enterprise A driven to ``status`` through the services."""
    staff = world.users["street_a_admin"]
    application = trials.trial_apply(
        actor=staff,
        outcome=offer(world, make_outcome(world, f"成果 {status}")),
        enterprise=world.enterprise_a,
    )
    if status == T.APPLIED:
        return application
    if status == T.WITHDRAWN:
        return trials.trial_withdraw(actor=staff, application=application, feedback="不适用")
    application = trials.trial_sign(
        actor=staff, application=application, signed_on=TODAY - dt.timedelta(days=30)
    )
    if status == T.EXTENDED:
        assert application.trial_ends_on is not None
        application = trials.trial_extend(
            actor=staff, application=application, new_end=application.trial_ends_on + dt.timedelta(days=30)
        )
    elif status == T.CONVERTED:
        application = trials.trial_convert(actor=staff, application=application)
    return application


ACTIONS: dict[str, Callable[[User, TrialApplication], TrialApplication]] = {
    "sign": lambda actor, a: trials.trial_sign(actor=actor, application=a, signed_on=TODAY),
    "convert": lambda actor, a: trials.trial_convert(actor=actor, application=a, amount=Decimal("18000")),
    "withdraw": lambda actor, a: trials.trial_withdraw(actor=actor, application=a, feedback="效果不达预期"),
    "extend": lambda actor, a: trials.trial_extend(
        actor=actor, application=a, new_end=(a.trial_ends_on or TODAY) + dt.timedelta(days=60)
    ),
}
RESULT = {"sign": T.IN_TRIAL, "convert": T.CONVERTED, "withdraw": T.WITHDRAWN, "extend": T.EXTENDED}
# Hand-written: (from status, action) pairs that are allowed; every other pair is refused.
TRIAL_ALLOWED = {
    (T.APPLIED, "sign"),
    (T.APPLIED, "withdraw"),
    (T.IN_TRIAL, "convert"),
    (T.IN_TRIAL, "withdraw"),
    (T.IN_TRIAL, "extend"),
    (T.EXTENDED, "convert"),
    (T.EXTENDED, "withdraw"),
    (T.EXTENDED, "extend"),
}


@pytest.mark.parametrize("status", [T.APPLIED, T.IN_TRIAL, T.EXTENDED, T.CONVERTED, T.WITHDRAWN])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_trial_transitions(world: World, status: str, action: str) -> None:
    application = _trial_in(world, status)
    staff = world.users["street_a_admin"]
    if (status, action) in TRIAL_ALLOWED:
        done = ACTIONS[action](staff, application)
        assert done.status == RESULT[action]
        assert AuditEntry.objects.filter(
            action=f"assist.trial.{RESULT[action]}", target_id=str(application.pk)
        ).exists()
    else:
        with pytest.raises(DomainError) as err:
            ACTIONS[action](staff, application)
        assert err.value.code == errors.TRIAL_STATE
        application.refresh_from_db()
        assert application.status == status


def test_transition_table_matches_the_written_one() -> None:
    written = {(s, RESULT[a]) for s, a in TRIAL_ALLOWED}
    coded = {(s, to) for s, targets in trials.TRIAL_TRANSITIONS.items() for to in targets}
    assert coded == written


def test_withdraw_needs_feedback_and_the_enterprise_may_withdraw(world: World) -> None:
    application = _trial_in(world, T.IN_TRIAL)
    contact_a = contact(world)
    with pytest.raises(DomainError) as err:
        trials.trial_withdraw(actor=contact_a, application=application, feedback=" ")
    assert err.value.field == "feedback"
    with pytest.raises(PermissionDenied):  # converting is the union's step
        trials.trial_convert(actor=contact_a, application=application)
    with pytest.raises(PermissionDenied):
        trials.trial_withdraw(
            actor=contact(world, "contact_b", enterprise="b"), application=application, feedback="x"
        )
    done = trials.trial_withdraw(actor=contact_a, application=application, feedback="设备不匹配")
    assert (done.status, done.feedback) == (T.WITHDRAWN, "设备不匹配")


def test_convert_amount_defaults_to_the_fee_and_is_never_negative(world: World) -> None:
    application = _trial_in(world, T.IN_TRIAL)
    staff = world.users["street_a_admin"]
    with pytest.raises(DomainError) as err:
        trials.trial_convert(actor=staff, application=application, amount=Decimal("-5"))
    assert err.value.field == "amount"
    done = trials.trial_convert(actor=staff, application=application)
    assert (done.status, done.conversion_amount) == (T.CONVERTED, Decimal("20000.00"))


def test_extend_rules(world: World) -> None:
    application = _trial_in(world, T.IN_TRIAL)
    staff = world.users["street_a_admin"]
    end = application.trial_ends_on
    assert end is not None
    with pytest.raises(DomainError, match="应晚于当前"):
        trials.trial_extend(actor=staff, application=application, new_end=end)
    with pytest.raises(DomainError, match="不超过原试用期"):
        trials.trial_extend(
            actor=staff, application=application, new_end=trials.add_months(end, 6) + dt.timedelta(1)
        )
    done = trials.trial_extend(actor=staff, application=application, new_end=trials.add_months(end, 6))
    assert (done.status, done.trial_ends_on) == (T.EXTENDED, trials.add_months(end, 6))


def test_usage_reports_while_in_use(world: World) -> None:
    applied = _trial_in(world, T.APPLIED)
    contact_a = contact(world)
    with pytest.raises(DomainError) as err:
        trials.trial_report(actor=contact_a, application=applied, on=TODAY, usage="试装")
    assert err.value.code == errors.TRIAL_STATE
    application = _trial_in(world, T.IN_TRIAL)
    assert application.agreement_signed_on is not None
    with pytest.raises(DomainError, match="早于试用协议"):
        trials.trial_report(
            actor=contact_a,
            application=application,
            on=application.agreement_signed_on - dt.timedelta(1),
            usage="x",
        )
    with pytest.raises(DomainError, match="不能晚于今天"):
        trials.trial_report(actor=contact_a, application=application, on=TODAY + dt.timedelta(1), usage="x")
    with pytest.raises(PermissionDenied):
        trials.trial_report(actor=world.users["street_b_admin"], application=application, on=TODAY, usage="x")
    trials.trial_report(actor=contact_a, application=application, on=TODAY, usage="换刀时间由20分钟降到3分钟")
    assert list(application.reports.values_list("usage", flat=True)) == ["换刀时间由20分钟降到3分钟"]
    assert timezone.localdate() >= application.agreement_signed_on
