"""Write services for 先用后转 (use first, pay later): the owner's terms fixed up front on the
library outcome; an enterprise applies → trial agreement → usage reports → converted
(licence/transfer, amount) | withdrawn (feedback) | extended (new end date).

Every change of an application goes through ``_move``: row lock, allowed transition from
``TRIAL_TRANSITIONS``, permission, save, audit — in one transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can
from gonghui.assist import errors
from gonghui.assist.models import LibraryOutcome, TrialApplication, TrialReport
from gonghui.assist.selectors_ledger import is_enterprise_contact
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.orgs.models import Enterprise

T = TrialApplication.Status

TRIAL_TRANSITIONS: dict[str, frozenset[str]] = {
    T.APPLIED: frozenset({T.IN_TRIAL, T.WITHDRAWN}),
    T.IN_TRIAL: frozenset({T.CONVERTED, T.WITHDRAWN, T.EXTENDED}),
    T.EXTENDED: frozenset({T.CONVERTED, T.WITHDRAWN, T.EXTENDED}),
    T.CONVERTED: frozenset(),
    T.WITHDRAWN: frozenset(),
}
OPEN_STATUSES = frozenset({T.APPLIED, T.IN_TRIAL, T.EXTENDED})
IN_USE = frozenset({T.IN_TRIAL, T.EXTENDED})
MAX_TRIAL_MONTHS = 36
MAX_FEE = Decimal("1000000000")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months; the 31st becomes the month's last day (1-31 + 1 → 2-28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _staff(actor: User, application: TrialApplication) -> bool:
    return can(actor, "review", application.org_unit)


def _staff_or_enterprise(actor: User, application: TrialApplication) -> bool:
    return _staff(actor, application) or is_enterprise_contact(actor, application.enterprise)


@transaction.atomic
def outcome_offer_for_trial(
    *,
    actor: User,
    outcome: LibraryOutcome,
    owner_name: str,
    licence_form: str,
    licence_fee: Decimal,
    trial_months: int,
) -> LibraryOutcome:
    """Offer a library outcome for 先用后转 with the owner's terms: licence form, fee (元, may
    be 0 for a free licence) and trial length (1–36 months). Terms are fixed while any
    application is open, so no enterprise's agreement changes under it."""
    locked = (
        LibraryOutcome.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=outcome.pk)
    )
    if not can(actor, "manage", locked.org_unit):
        raise PermissionDenied()
    if not locked.active:
        raise DomainError(errors.TRIAL_INVALID, "成果已不在库，不能发布先用后转")
    owner_name = owner_name.strip()
    if not owner_name or len(owner_name) > 100:
        raise DomainError(errors.TRIAL_INVALID, "请填写权利人（不超过100字）", field="owner_name")
    if licence_form not in LibraryOutcome.LicenceForm.values:
        raise DomainError(errors.TRIAL_INVALID, "转化方式应为许可使用或转让", field="licence_form")
    if licence_fee is None or licence_fee < 0 or licence_fee >= MAX_FEE:
        raise DomainError(errors.TRIAL_INVALID, "转化费用应为不小于 0 的金额", field="licence_fee")
    if licence_fee != licence_fee.quantize(Decimal("0.01")):
        raise DomainError(errors.TRIAL_INVALID, "转化费用最多保留两位小数", field="licence_fee")
    if not 1 <= trial_months <= MAX_TRIAL_MONTHS:
        raise DomainError(errors.TRIAL_INVALID, f"试用期应为 1–{MAX_TRIAL_MONTHS} 个月", field="trial_months")
    terms = {
        "owner_name": owner_name,
        "licence_form": licence_form,
        "licence_fee": licence_fee,
        "trial_months": trial_months,
    }
    before = {name: getattr(locked, name) for name in terms} | {"trial_offered": locked.trial_offered}
    changed = locked.trial_offered and any(before[name] != value for name, value in terms.items())
    if changed and locked.trials.filter(status__in=OPEN_STATUSES).exists():
        raise DomainError(errors.TRIAL_STATE, "已有企业在申请或试用，先用后转条款不能变更")
    for name, value in terms.items():
        setattr(locked, name, value)
    locked.trial_offered = True
    locked.save(update_fields=[*terms, "trial_offered"])
    audit_record(
        actor=actor,
        action="assist.trial.offer",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={**terms, "trial_offered": True},
    )
    return locked


@transaction.atomic
def trial_apply(*, actor: User, outcome: LibraryOutcome, enterprise: Enterprise) -> TrialApplication:
    """An enterprise applies to use an offered outcome. The enterprise's contact applies for it,
    or union staff on its behalf; the offer covers enterprises under the offering union; one
    open application per enterprise and outcome."""
    locked = (
        LibraryOutcome.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=outcome.pk)
    )
    union = enterprise.union
    if not (is_enterprise_contact(actor, enterprise) or can(actor, "review", union)):
        raise PermissionDenied()
    if not (locked.trial_offered and locked.active):
        raise DomainError(errors.TRIAL_INVALID, "该成果未发布先用后转", field="outcome")
    if not union.path.startswith(locked.org_unit.path):
        raise DomainError(errors.TRIAL_INVALID, "该成果的先用后转不面向本企业所在地区", field="outcome")
    if locked.trials.filter(enterprise=enterprise, status__in=OPEN_STATUSES).exists():
        raise DomainError(errors.TRIAL_INVALID, "本企业已申请该成果，请勿重复申请", field="outcome")
    application = TrialApplication.objects.create(
        outcome=locked, enterprise=enterprise, org_unit=union, created_by=actor
    )
    audit_record(
        actor=actor,
        action="assist.trial.apply",
        target=application,
        org_unit=union,
        after={"outcome": locked.pk, "enterprise": enterprise.pk},
    )
    return application


def _move(
    *,
    application: TrialApplication,
    actor: User,
    to: str,
    changes: dict[str, Any],
    enterprise_may: bool = False,
) -> TrialApplication:
    """Lock, check permission and transition, apply ``changes``, audit. Caller is atomic."""
    locked = (
        TrialApplication.objects.select_for_update(of=("self",))
        .select_related("org_unit", "enterprise", "outcome")
        .get(pk=application.pk)
    )
    allowed = _staff_or_enterprise(actor, locked) if enterprise_may else _staff(actor, locked)
    if not allowed:
        raise PermissionDenied()
    if to not in TRIAL_TRANSITIONS[locked.status]:
        raise DomainError(
            errors.TRIAL_STATE,
            f"申请当前状态为“{locked.get_status_display()}”，不能转为“{T(to).label}”",  # type: ignore[attr-defined]
        )
    before = {"status": locked.status, **{name: getattr(locked, name) for name in changes}}
    locked.status = to
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *changes])
    audit_record(
        actor=actor,
        action=f"assist.trial.{to}",
        target=locked,
        org_unit=locked.org_unit,
        before=before,
        after={"status": to, **changes},
    )
    return locked


@transaction.atomic
def trial_sign(*, actor: User, application: TrialApplication, signed_on: dt.date) -> TrialApplication:
    """Trial agreement signed: the trial ends ``trial_months`` after signing (the outcome's terms)."""
    if signed_on > timezone.localdate():
        raise DomainError(errors.TRIAL_INVALID, "签订日期不能晚于今天", field="signed_on")
    months = LibraryOutcome.objects.values_list("trial_months", flat=True).get(pk=application.outcome_id)
    if not months:
        raise DomainError(errors.TRIAL_INVALID, "成果未设定试用期")
    return _move(
        application=application,
        actor=actor,
        to=T.IN_TRIAL,
        changes={"agreement_signed_on": signed_on, "trial_ends_on": add_months(signed_on, months)},
    )


@transaction.atomic
def trial_report(*, actor: User, application: TrialApplication, on: dt.date, usage: str) -> TrialReport:
    """A usage report while the outcome is in use (the enterprise or staff), dated within the trial."""
    locked = (
        TrialApplication.objects.select_for_update(of=("self",))
        .select_related("org_unit", "enterprise")
        .get(pk=application.pk)
    )
    if not _staff_or_enterprise(actor, locked):
        raise PermissionDenied()
    if locked.status not in IN_USE:
        raise DomainError(errors.TRIAL_STATE, "只有试用中的申请可以报告使用情况")
    usage = usage.strip()
    if not usage:
        raise DomainError(errors.TRIAL_INVALID, "请填写使用情况", field="usage")
    if on > timezone.localdate():
        raise DomainError(errors.TRIAL_INVALID, "日期不能晚于今天", field="on")
    if locked.agreement_signed_on and on < locked.agreement_signed_on:
        raise DomainError(errors.TRIAL_INVALID, "日期早于试用协议签订日期", field="on")
    report = TrialReport.objects.create(application=locked, on=on, usage=usage)
    audit_record(
        actor=actor,
        action="assist.trial.report",
        target=locked,
        org_unit=locked.org_unit,
        after={"on": on, "usage": usage[:200]},
    )
    return report


@transaction.atomic
def trial_convert(
    *, actor: User, application: TrialApplication, amount: Decimal | None = None
) -> TrialApplication:
    """Converted: the enterprise takes the licence/transfer on the outcome's fixed terms. The
    amount defaults to the offered fee; a negotiated amount may differ (never negative)."""
    outcome = LibraryOutcome.objects.get(pk=application.outcome_id)
    if amount is None:
        amount = outcome.licence_fee
    if amount is None or amount < 0 or amount >= MAX_FEE:
        raise DomainError(errors.TRIAL_INVALID, "转化金额应为不小于 0 的金额", field="amount")
    return _move(
        application=application,
        actor=actor,
        to=T.CONVERTED,
        changes={"conversion_amount": amount.quantize(Decimal("0.01"))},
    )


@transaction.atomic
def trial_withdraw(*, actor: User, application: TrialApplication, feedback: str) -> TrialApplication:
    """Withdrawn: the enterprise stops using the outcome and says why (feedback is required:
    it is what the owner learns from a trial that did not convert)."""
    feedback = feedback.strip()
    if not feedback:
        raise DomainError(errors.TRIAL_INVALID, "退出试用须填写反馈意见", field="feedback")
    return _move(
        application=application,
        actor=actor,
        to=T.WITHDRAWN,
        changes={"feedback": feedback},
        enterprise_may=True,
    )


@transaction.atomic
def trial_extend(*, actor: User, application: TrialApplication, new_end: dt.date) -> TrialApplication:
    """Extended: a later end date than the current one, at most the outcome's trial length again."""
    current = TrialApplication.objects.select_related("outcome").get(pk=application.pk)
    if current.trial_ends_on is None:
        raise DomainError(errors.TRIAL_STATE, "尚未签订试用协议，不能延长试用")
    if new_end <= current.trial_ends_on:
        raise DomainError(errors.TRIAL_INVALID, "新的截止日期应晚于当前试用截止日期", field="new_end")
    months = current.outcome.trial_months or 0
    if new_end > add_months(current.trial_ends_on, months):
        raise DomainError(errors.TRIAL_INVALID, f"每次延长不超过原试用期（{months} 个月）", field="new_end")
    return _move(application=application, actor=actor, to=T.EXTENDED, changes={"trial_ends_on": new_end})
