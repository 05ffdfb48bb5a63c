"""Builders shared by the tests and the demo seeder: they drive the real services, so demo
outcomes in every state have the same history rows and audit trail as real ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.innovation import outcomes as svc
from gonghui.innovation.models import Outcome
from gonghui.orgs.models import OrgUnit

S = Outcome.Status

# The path each target status is reached by (decisions branch off after review).
PATHS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (),
    S.SUBMITTED: (S.SUBMITTED,),
    S.ACCEPTED: (S.SUBMITTED, S.ACCEPTED),
    S.IN_REVIEW: (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW),
    S.TRIAL: (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.TRIAL),
    S.SHELVED: (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.SHELVED),
    S.DECLINED: (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.DECLINED),
    S.ADOPTED: (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.ADOPTED),
    S.IMPLEMENTED: (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.ADOPTED, S.IMPLEMENTED),
    S.BENEFIT_CALCULATED: (
        S.SUBMITTED,
        S.ACCEPTED,
        S.IN_REVIEW,
        S.ADOPTED,
        S.IMPLEMENTED,
        S.BENEFIT_CALCULATED,
    ),
    S.GRADED: (
        S.SUBMITTED,
        S.ACCEPTED,
        S.IN_REVIEW,
        S.ADOPTED,
        S.IMPLEMENTED,
        S.BENEFIT_CALCULATED,
        S.GRADED,
    ),
    S.REWARDED: (
        S.SUBMITTED,
        S.ACCEPTED,
        S.IN_REVIEW,
        S.ADOPTED,
        S.IMPLEMENTED,
        S.BENEFIT_CALCULATED,
        S.GRADED,
        S.REWARDED,
    ),
    S.ARCHIVED: (
        S.SUBMITTED,
        S.ACCEPTED,
        S.IN_REVIEW,
        S.ADOPTED,
        S.IMPLEMENTED,
        S.BENEFIT_CALCULATED,
        S.GRADED,
        S.REWARDED,
        S.ARCHIVED,
    ),
}


def advance(
    outcome: Outcome,
    *,
    proposer: User,
    staff: User,
    to: str,
    saving: Decimal = Decimal("120000"),
    implemented_on: dt.date | None = None,
    paid_on: dt.date | None = None,
) -> Outcome:
    """Drive a draft through the real services to status ``to``.

    ``saving`` is the yearly material saving booked at 效益核算 and verified as is (so the
    grade follows from it); dates default to a year before today so the window is complete.
    """
    implemented_on = implemented_on or dt.date.today() - dt.timedelta(days=400)
    for step in PATHS[to]:
        if step == S.SUBMITTED:
            outcome = svc.outcome_submit(outcome=outcome, actor=proposer)
        elif step == S.ACCEPTED:
            outcome = svc.outcome_accept(outcome=outcome, actor=staff)
        elif step == S.IN_REVIEW:
            outcome = svc.outcome_start_review(outcome=outcome, actor=staff)
        elif step in (S.TRIAL, S.ADOPTED):
            outcome = svc.outcome_decide(outcome=outcome, actor=staff, decision=step)
        elif step == S.SHELVED:
            outcome = svc.outcome_decide(
                outcome=outcome, actor=staff, decision=step, reason="条件暂不具备，存档备用"
            )
        elif step == S.DECLINED:
            outcome = svc.outcome_decide(
                outcome=outcome, actor=staff, decision=step, reason="与现行工艺规程冲突，存在安全风险"
            )
        elif step == S.IMPLEMENTED:
            outcome = svc.outcome_implement(outcome=outcome, actor=staff, implemented_on=implemented_on)
        elif step == S.BENEFIT_CALCULATED:
            outcome = svc.outcome_calculate_benefit(
                outcome=outcome,
                actor=staff,
                first_benefit_on=implemented_on,
                lines=[
                    svc.BenefitInput(
                        kind="material",
                        description="年节约材料",
                        params={"quantity": str(saving / 100), "unit_price": "100", "unit": "件"},
                    )
                ],
            )
        elif step == S.GRADED:
            outcome = svc.outcome_verify_benefit(
                outcome=outcome,
                actor=staff,
                verified_by=Outcome.Verifier.FINANCE,
                verifier_name="企业财务部",
                amount=outcome.calculated_benefit or saving,
            )
        elif step == S.REWARDED:
            outcome = svc.outcome_reward(outcome=outcome, actor=staff, paid_on=paid_on or dt.date.today())
        elif step == S.ARCHIVED:
            outcome = svc.outcome_archive(outcome=outcome, actor=staff)
    return outcome


def make_judge(username: str, *, unit: OrgUnit, display_name: str = "", password: str | None = None) -> User:
    """A user holding the personal judge role (评委 score from their phones)."""
    from gonghui.accounts.services import user_create

    user = user_create(
        actor=None, username=username, display_name=display_name or username, password=password, phone=""
    )
    RoleGrant.objects.create(user=user, role=Role.JUDGE, org_unit=unit)
    return user
