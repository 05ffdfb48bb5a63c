"""The outcome lifecycle services: filing, transitions with history and audit, deadlines,
decisions with reasons told to the proposer, benefit, verification and grade, rewards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.workdays import add_working_days
from gonghui.innovation import outcomes as svc
from gonghui.innovation.models import InnovationSettings, Outcome, RewardPayment
from gonghui.innovation.outcomes import BenefitInput, TeamMemberInput

S = Outcome.Status
pytestmark = pytest.mark.django_db


def test_worker_files_and_submits_with_deadline(world: World, file_outcome) -> None:
    outcome = file_outcome(S.SUBMITTED)
    assert outcome.status == S.SUBMITTED
    assert outcome.enterprise == world.enterprise_a
    assert outcome.industry == world.enterprise_a.industry
    assert outcome.due_on == add_working_days(dt.date.today(), 5)
    history = list(outcome.history.values_list("from_status", "to_status"))
    assert history == [("", S.DRAFT), (S.DRAFT, S.SUBMITTED)]
    assert AuditEntry.objects.filter(
        action="innovation.outcome.submitted", target_id=str(outcome.pk)
    ).exists()


def test_shares_must_add_up_to_100(world: World) -> None:
    with pytest.raises(DomainError) as err:
        svc.outcome_create(
            actor=world.users["worker_a"],
            org_unit=world.unit_a(),
            type=Outcome.Type.RATIONALISATION,
            title="建议",
            team=[
                TeamMemberInput(name="甲", share=Decimal(60)),
                TeamMemberInput(name="乙", share=Decimal(30)),
            ],
        )
    assert err.value.field == "team" and "90" in err.value.message
    assert not Outcome.objects.exists()


def test_five_small_label_must_be_the_organisations(world: World) -> None:
    InnovationSettings.objects.create(
        org_unit=world.district, five_small_labels=["小发明", "小创造", "小革新", "小设计", "小窍门"]
    )
    with pytest.raises(DomainError) as err:
        svc.outcome_create(
            actor=world.users["worker_a"],
            org_unit=world.unit_a(),
            type=Outcome.Type.FIVE_SMALL,
            subtype="小建议",
            title="x",
            team=[TeamMemberInput(name="甲", share=Decimal(100))],
        )
    assert "小窍门" in err.value.message


def test_worker_cannot_file_for_another_union(world: World) -> None:
    with pytest.raises(PermissionDenied):
        svc.outcome_create(
            actor=world.users["worker_a"],
            org_unit=world.unit_b(),
            type=Outcome.Type.RATIONALISATION,
            title="x",
            team=[TeamMemberInput(name="甲", share=Decimal(100))],
        )


def test_invalid_transition_is_refused_and_changes_nothing(world: World, file_outcome) -> None:
    outcome = file_outcome(S.SUBMITTED)
    with pytest.raises(DomainError) as err:
        svc.outcome_implement(
            outcome=outcome, actor=world.users["district_admin"], implemented_on=dt.date.today()
        )
    assert err.value.code == "outcome_state"
    outcome.refresh_from_db()
    assert outcome.status == S.SUBMITTED and outcome.history.count() == 2


def test_staff_of_another_street_cannot_accept(world: World, file_outcome) -> None:
    outcome = file_outcome(S.SUBMITTED)
    with pytest.raises(PermissionDenied):
        svc.outcome_accept(outcome=outcome, actor=world.users["street_b_admin"])
    svc.outcome_accept(outcome=outcome, actor=world.users["street_a_reviewer"])


def test_decline_needs_reason_and_texts_the_proposer(
    world: World, file_outcome, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    outcome = file_outcome(S.IN_REVIEW)
    admin = world.users["district_admin"]
    with pytest.raises(DomainError) as err:
        svc.outcome_decide(outcome=outcome, actor=admin, decision=S.DECLINED, reason="  ")
    assert err.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        outcome = svc.outcome_decide(
            outcome=outcome, actor=admin, decision=S.DECLINED, reason="与安全规程冲突"
        )
    assert outcome.decision_reason == "与安全规程冲突"
    assert len(sms_outbox) == 1 and "与安全规程冲突" in sms_outbox[0][1]
    reply = svc.outcome_record_reply(
        outcome=outcome, actor=world.users["worker_a"], reply="已理解，将修改方案后重报"
    )
    assert reply.proposer_reply.startswith("已理解")
    with pytest.raises(PermissionDenied):
        svc.outcome_record_reply(outcome=outcome, actor=admin, reply="x")


def test_benefit_verification_grades_and_rewards_split_by_share(world: World, file_outcome) -> None:
    outcome = file_outcome(S.IMPLEMENTED)
    admin = world.users["district_admin"]
    first = outcome.implemented_on
    outcome = svc.outcome_calculate_benefit(
        outcome=outcome,
        actor=admin,
        first_benefit_on=first,
        lines=[
            BenefitInput(
                kind="labour",
                description="节约换刀工时",
                params={"hours_saved": "0.25", "hourly_cost": "80", "times_per_year": "4000"},
            ),
            BenefitInput(
                kind="material",
                description="减少刀片损耗",
                params={"quantity": "500", "unit_price": "60", "unit": "片"},
            ),
            BenefitInput(
                kind="cost",
                description="快换刀座制作",
                params={"amount": "12000"},
                on=first - dt.timedelta(days=10),
            ),
            BenefitInput(
                kind="cost",
                description="次年维护",
                params={"amount": "5000"},
                on=first + dt.timedelta(days=400),
            ),
        ],
    )
    # 0.25 × 80 × 4000 = 80,000; 500 × 60 = 30,000; cost 12,000 counted, 5,000 after the window not.
    assert outcome.calculated_benefit == Decimal("98000.00")
    assert outcome.benefit_lines.count() == 4
    outcome = svc.outcome_verify_benefit(
        outcome=outcome, actor=admin, verified_by="finance", verifier_name="财务部", amount=Decimal("95000")
    )
    assert outcome.status == S.GRADED
    assert (outcome.grade, outcome.grade_label, outcome.reward_amount) == ("fourth", "四等", Decimal("2000"))
    outcome = svc.outcome_reward(outcome=outcome, actor=admin, paid_on=dt.date.today())
    assert outcome.status == S.REWARDED
    amounts = sorted(RewardPayment.objects.filter(outcome=outcome).values_list("amount", flat=True))
    assert amounts == [Decimal("600.00"), Decimal("1400.00")]
    with pytest.raises(DomainError):
        svc.outcome_reward(outcome=outcome, actor=admin, paid_on=dt.date.today())
    assert RewardPayment.objects.filter(outcome=outcome).count() == 2


def test_benefit_line_errors_name_the_row(world: World, file_outcome) -> None:
    outcome = file_outcome(S.IMPLEMENTED)
    with pytest.raises(DomainError) as err:
        svc.outcome_calculate_benefit(
            outcome=outcome,
            actor=world.users["district_admin"],
            first_benefit_on=outcome.implemented_on,
            lines=[
                BenefitInput(kind="other", description="ok", params={"amount": "100"}),
                BenefitInput(
                    kind="material", description="坏行", params={"quantity": "-1", "unit_price": "5"}
                ),
            ],
        )
    assert "第 2 行" in err.value.message
    outcome.refresh_from_db()
    assert outcome.status == S.IMPLEMENTED and not outcome.benefit_lines.exists()


def test_grade_bands_follow_the_organisations_settings(world: World, file_outcome) -> None:
    InnovationSettings.objects.create(
        org_unit=world.street_a,
        grade_bands=[
            {"code": "A", "label": "甲等", "min": "50000", "max": None},
            {"code": "B", "label": "乙等", "min": None, "max": "50000"},
        ],
        reward_amounts={"A": "8000", "B": "800"},
    )
    outcome = file_outcome(S.GRADED)  # verified 120,000
    assert (outcome.grade_label, outcome.reward_amount) == ("甲等", Decimal("8000"))
    assert "甲街道" in outcome.history.last().comment


def test_reward_split_gives_remainder_to_first_completer() -> None:
    class M:
        def __init__(self, share: str) -> None:
            self.share = Decimal(share)

    team = [M("33.33"), M("33.33"), M("33.34")]
    split = svc.reward_split(Decimal("100"), team)  # type: ignore[arg-type]
    assert [a for _, a in split] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    split = svc.reward_split(Decimal("1000"), [M("33.3"), M("33.3"), M("33.4")])  # type: ignore[arg-type]
    assert sum(a for _, a in split) == Decimal("1000")


def test_overdue(world: World, file_outcome) -> None:
    outcome = file_outcome(S.SUBMITTED)
    assert not svc.is_overdue(outcome)
    assert svc.is_overdue(outcome, today=outcome.due_on + dt.timedelta(days=1))
