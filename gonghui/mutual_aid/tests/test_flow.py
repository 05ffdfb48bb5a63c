"""The claim flow on the database: screening → reminder link → apply → auto/human review →
payout file → bank return. Amounts are hand-computed from the 2026 policy."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from gonghui.conftest import World
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.tabular import TableError
from gonghui.members.models import Member
from gonghui.mutual_aid import claims, payouts
from gonghui.mutual_aid.models import Claim, ClaimLine, PayoutItem, Plan
from gonghui.mutual_aid.screening import screen_members
from gonghui.mutual_aid.tests.conftest import add_settlement, table_assessor

pytestmark = pytest.mark.django_db
CARD = "6222021234567890128"


def _card() -> str:
    from gonghui.core.validators import luhn_ok

    return CARD if luhn_ok(CARD) else "4111111111111111"


def screen(plan: Plan, members: list[Member]) -> list[Claim]:
    result = screen_members(plan=plan, member_ids=[m.pk for m in members], assessor=table_assessor)
    return list(Claim.objects.filter(pk__in=result.new_claims).order_by("pk"))


def test_ordinary_stay_is_auto_approved_same_day(
    world: World, plan: Plan, enrolled: list[Member], sms_outbox
) -> None:  # type: ignore[no-untyped-def]
    member = enrolled[1]
    add_settlement(member, personal="6000")  # 21 普通住院, 7 days, level 3
    [claim] = screen(plan, [member])
    # inpatient: (5000-1000)*0.5 + (6000-5000)*0.6 = 2600; living allowance: 7 days * 100 = 700
    assert claim.amount == Decimal("3300.00")
    assert {(ln.benefit, ln.amount) for ln in claim.lines.all()} == {
        ("inpatient", Decimal("2600.00")),
        ("living_allowance", Decimal("700.00")),
    }
    assert claim.status == "candidate" and not claim.needs_review
    # The reminder SMS carries a one-time link that signs the member in.
    member.refresh_from_db()
    status = claims.claim_notify(claim_id=claim.pk, base_url="http://testserver")
    assert status == "sent"
    link = re.search(r"/mutual-aid/c/([^/]+)/", sms_outbox[-1][1]).group(1)
    opened, user = claims.claim_open_link(signed=link)
    assert opened.pk == claim.pk and user.member.pk == member.pk
    with pytest.raises(DomainError):
        claims.claim_open_link(signed=link)  # one-time
    applied = claims.claim_apply(actor=user, claim=claim, bank_card=_card(), bank_name="工商银行")
    assert applied.status == "approved" and applied.decided_at is not None
    assert applied.events.filter(kind="auto_approved", actor__isnull=True).exists()


def test_rescreening_is_idempotent_and_reversal_supersedes(
    world: World, plan: Plan, enrolled: list[Member]
) -> None:
    member = enrolled[2]
    first = add_settlement(member, personal="3000", begin="2026-02-01", end="2026-02-03")
    [claim] = screen(plan, [member])
    assert claim.amount == Decimal("1200.00")  # (3000-1000)*0.5 + 2 days*100
    assert screen(plan, [member]) == []  # nothing new the second time
    add_settlement(member, reversal_of=first.setl_id, personal="3000", begin="2026-02-01", end="2026-02-03")
    assert screen(plan, [member]) == []
    claim.refresh_from_db()
    assert claim.amount == Decimal("0") and claim.status == "cancelled"
    assert ClaimLine.objects.filter(claim=claim, superseded_at__isnull=False).count() == 2
    assert claim.events.filter(kind="recalculated").exists()


def test_critical_illness_needs_documents_and_two_levels(
    world: World, plan: Plan, enrolled: list[Member]
) -> None:
    from gonghui.accounts.models import Role, RoleGrant
    from gonghui.conftest import make_user

    member = enrolled[1]
    add_settlement(member, diag="C34.1", names="右肺上叶腺癌", personal="500")
    [claim] = screen(plan, [member])
    assert claim.needs_review and claim.approvals_needed == 2
    lump = claim.lines.get(benefit="critical_illness")
    assert (
        lump.amount == Decimal("15000.00")
        and lump.status == "review"
        and lump.evidence.startswith("病理报告")
    )
    from gonghui.mutual_aid.claims import _worker_user_for

    user = _worker_user_for(member)
    applied = claims.claim_apply(actor=user, claim=claim, bank_card=_card(), bank_name="农业银行")
    assert applied.status == "needs_documents"
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(DomainError):
        claims.claim_upload_document(
            actor=user, claim=claim, kind="病理报告", upload=SimpleUploadedFile("x.exe", b"MZ")
        )
    claims.claim_upload_document(
        actor=user,
        claim=claim,
        kind=lump.evidence,
        upload=SimpleUploadedFile("report.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
    )
    claim.refresh_from_db()
    assert claim.status == "in_review"
    district_reviewer = make_user("d_rev", role=Role.REVIEWER, unit=world.district)
    city = world.district.get_parent()
    city_reviewer = make_user("c_rev", role=Role.REVIEWER, unit=city)
    with pytest.raises(PermissionDenied):
        claims.claim_approve(actor=world.users["street_a_reviewer"], claim=claim)  # wrong level
    claims.claim_approve(actor=district_reviewer, claim=claim, note="病理报告相符")
    claim.refresh_from_db()
    assert claim.status == "in_review" and claim.approvals_done == 1
    with pytest.raises(DomainError):
        claims.claim_approve(actor=district_reviewer, claim=claim)  # not both levels
    claims.claim_approve(actor=city_reviewer, claim=claim)
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert RoleGrant.objects.filter(user=city_reviewer).exists()


def test_rejection_needs_a_person_and_a_reason(
    world: World, plan: Plan, enrolled: list[Member], sms_outbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from gonghui.conftest import make_user
    from gonghui.mutual_aid.claims import _worker_user_for

    member = enrolled[0]
    add_settlement(member, personal="60000", begin="2026-05-01", end="2026-05-30")
    [claim] = screen(plan, [member])
    assert claim.needs_review  # above the 5,000 yuan threshold
    claims.claim_apply(actor=_worker_user_for(member), claim=claim, bank_card=_card(), bank_name="建设银行")
    reviewer = make_user("rev", role="reviewer", unit=world.district)
    with pytest.raises(DomainError) as exc:
        claims.claim_reject(actor=reviewer, claim=claim, reason="不")
    assert exc.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_reject(actor=reviewer, claim=claim, reason="住院期间未参保，不符合条件")
    claim.refresh_from_db()
    assert claim.status == "rejected" and claim.events.get(kind="rejected").actor == reviewer
    assert "住院期间未参保" in sms_outbox[-1][1]


def test_bank_card_checked(world: World, plan: Plan, enrolled: list[Member]) -> None:
    from gonghui.mutual_aid.claims import _worker_user_for

    member = enrolled[1]
    add_settlement(member, personal="2000")
    [claim] = screen(plan, [member])
    with pytest.raises(DomainError) as exc:
        claims.claim_apply(
            actor=_worker_user_for(member), claim=claim, bank_card="6222021234567890121", bank_name="工商银行"
        )
    assert exc.value.field == "bank_card"
    other = _worker_user_for(enrolled[2])
    with pytest.raises(PermissionDenied):
        claims.claim_apply(actor=other, claim=claim, bank_card=_card(), bank_name="工商银行")


def _approved_claim(plan: Plan, member: Member) -> Claim:
    from gonghui.mutual_aid.claims import _worker_user_for

    add_settlement(member, personal="2000")
    [claim] = screen(plan, [member])
    return claims.claim_apply(
        actor=_worker_user_for(member), claim=claim, bank_card=_card(), bank_name="工商银行"
    )


def _return_file(rows: list[list[str]]) -> bytes:
    text = "流水号,状态,说明\n" + "\n".join(",".join(r) for r in rows) + "\n"
    return text.encode("gb18030")


def test_payout_exactly_once_and_failed_lines_requeue(
    world: World, plan: Plan, enrolled: list[Member]
) -> None:
    admin = world.users["district_admin"]
    c1 = _approved_claim(plan, enrolled[1])
    c2 = _approved_claim(plan, enrolled[2])
    batch = payouts.payout_batch_create(actor=admin, org_unit=world.district)
    assert batch is not None and batch.line_count == 2
    assert payouts.payout_batch_create(actor=admin, org_unit=world.district) is None  # nothing twice
    rows = list(
        load_workbook(io.BytesIO(payouts.payout_file(batch, "xlsx"))).active.iter_rows(values_only=True)
    )
    assert list(rows[0]) == payouts.BANK_FILE_HEADERS
    assert {r[1] for r in rows[1:]} == {_card()} and {r[3] for r in rows[1:]} == {f"{c1.amount:.2f}"}
    item1, item2 = batch.items.order_by("serial")
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutItem.objects.create(batch=batch, claim=item1.claim, serial="DUP1", amount=item1.amount)
    with pytest.raises(TableError):
        payouts.payout_return_import(
            actor=admin,
            batch=batch,
            filename="r.csv",
            data=_return_file([[item1.serial, "成功", ""], ["NOPE", "成功", ""]]),
        )
    assert batch.items.filter(status="pending").count() == 2  # nothing applied from a bad file
    data = _return_file([[item1.serial, "成功", ""], [item2.serial, "失败", "账户已销户"]])
    report = payouts.payout_return_import(actor=admin, batch=batch, data=data, filename="r.csv")
    assert (report.paid, report.failed) == (1, 1)
    again = payouts.payout_return_import(actor=admin, batch=batch, data=data, filename="r.csv")
    assert (again.paid, again.failed, again.unchanged) == (0, 0, 2)
    assert Claim.objects.get(pk=item1.claim_id).status == "paid"
    assert Claim.objects.get(pk=item2.claim_id).status == "approved"  # back in the queue
    retry = payouts.payout_batch_create(actor=admin, org_unit=world.district)
    assert retry is not None and list(retry.items.values_list("claim_id", flat=True)) == [item2.claim_id]
    assert c2.pk in {item1.claim_id, item2.claim_id}


def test_payout_outside_subtree_refused(world: World, plan: Plan, enrolled: list[Member]) -> None:
    with pytest.raises(PermissionDenied):
        payouts.payout_batch_create(actor=world.users["street_b_admin"], org_unit=world.street_a)


def test_waiting_period_for_first_time_joiner(world: World, plan: Plan, enrolled: list[Member]) -> None:
    from gonghui.mutual_aid.models import Enrolment

    member = enrolled[1]
    Enrolment.objects.filter(member=member, item="critical").update(
        renewal=False, start_date=dt.date(2026, 1, 1)
    )
    add_settlement(member, diag="C34.1", names="肺癌", personal="3000", begin="2026-03-01", end="2026-03-20")
    [claim] = screen(plan, [member])
    # 2026-03-20 is day 78 after 01-01: within the 90-day wait, so nothing from the critical
    # item (lump sum nor living allowance); the selfpay item has no wait: (3000-1000)*0.5.
    assert claim.amount == Decimal("1000.00")
    assert not claim.lines.filter(item="critical").exists()
