"""Claims after screening: SMS reminder with a one-time link, one-click application,
automatic decision, human review (two levels where the plan says so), rejection with reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.masking import mask_bank_card
from gonghui.core.validators import ValidationProblem, validate_bank_card
from gonghui.members.models import Member
from gonghui.mutual_aid import errors
from gonghui.mutual_aid.models import Claim, ClaimDocument, ClaimEvent

LINK_SALT = "gonghui.mutual_aid.claim-link"
LINK_MAX_AGE = 30 * 24 * 3600
QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(8, 0)
MAX_REMINDERS_PER_MEMBER_PER_DAY = 3
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {".jpg", ".jpeg", ".png", ".pdf", ".heic"}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def next_send_time(now: dt.datetime) -> dt.datetime:
    """Reminders are not sent in quiet hours (21:00–08:00 local): move them to 08:00."""
    local = timezone.localtime(now)
    if QUIET_END <= local.time() < QUIET_START:
        return now
    day = local.date() if local.time() < QUIET_END else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, QUIET_END))


@transaction.atomic
def claim_issue_link(*, claim: Claim) -> str:
    """A signed one-time link for the SMS (the token is stored hashed; a new one replaces it)."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    token = secrets.token_urlsafe(18)
    claim.link_token_hash = _token_hash(token)
    claim.link_used_at = None
    claim.save(update_fields=["link_token_hash", "link_used_at"])
    return signing.dumps({"c": claim.pk, "t": token}, salt=LINK_SALT, compress=True)


def claim_notify(*, claim_id: int, base_url: str) -> str | None:
    """Text the member once about a new candidate claim (dedup by claim, daily cap per member).

    Returns the SMS status, or None when nothing was sent (no phone, cap reached, or the
    claim is no longer a candidate).
    """
    from gonghui.accounts.services import sms_send

    claim = Claim.objects.select_related("member").get(pk=claim_id)
    if claim.status != Claim.Status.CANDIDATE or not claim.member.phone:
        return None
    today = timezone.localdate()
    sent_today = ClaimEvent.objects.filter(
        claim__member=claim.member, kind="notified", created_at__date=today
    ).count()
    if sent_today >= MAX_REMINDERS_PER_MEMBER_PER_DAY:
        return None
    link = claim_issue_link(claim=claim)
    text = (
        f"【{settings.SMS_SIGN_NAME}】{claim.member.name}您好，根据您授权的医保数据，您可申请职工医疗互助补助约"
        f"{claim.amount}元。点击一键申报：{base_url}/mutual-aid/c/{link}/ 如非本人操作请忽略。"
    )
    message = sms_send(
        phone=claim.member.phone, text=text, purpose="mutual_aid_candidate", dedup_key=f"ma-claim:{claim.pk}"
    )
    with transaction.atomic():
        Claim.objects.filter(pk=claim.pk, notified_at__isnull=True).update(notified_at=timezone.now())
        ClaimEvent.objects.create(claim=claim, kind="notified", note=f"短信提醒（{message.status}）")
    return message.status


@transaction.atomic
def _worker_user_for(member: Member) -> User:
    """The member's login, created on first use of a link (phone-code login afterwards)."""
    member = Member.objects.select_for_update().get(pk=member.pk)  # the caller's copy may be stale
    if member.user_id:
        return User.objects.get(pk=member.user_id)
    user = User(
        username=f"m{member.pk}",
        display_name=member.name,
        phone=member.phone,
        phone_index=blind_index(member.phone) if member.phone else "",
        phone_masked=member.phone_masked,
    )
    user.set_unusable_password()
    user.save()
    RoleGrant.objects.create(user=user, role=Role.WORKER, org_unit=member.org_unit)
    member.user = user
    member.save(update_fields=["user"])
    return user


@transaction.atomic
def claim_open_link(*, signed: str) -> tuple[Claim, User]:
    """Validate a one-time link: signature, age, current token, unused. Returns the claim and
    the member's login (to sign them in). A used or replaced link is refused."""
    invalid = DomainError(errors.LINK_INVALID, "链接无效或已使用，请通过短信验证码登录后查看")
    try:
        data = signing.loads(signed, salt=LINK_SALT, max_age=LINK_MAX_AGE)
        claim_id, token = int(data["c"]), str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise invalid from exc
    claim = Claim.objects.select_for_update().select_related("member").filter(pk=claim_id).first()
    if claim is None or claim.link_used_at is not None or not claim.link_token_hash:
        raise invalid
    if not secrets.compare_digest(claim.link_token_hash, _token_hash(token)):
        raise invalid
    claim.link_used_at = timezone.now()
    claim.save(update_fields=["link_used_at"])
    user = _worker_user_for(claim.member)
    ClaimEvent.objects.create(claim=claim, kind="link_opened", actor=user)
    audit_record(actor=user, action="mutual_aid.link_open", target=claim, org_unit=claim.org_unit)
    return claim, user


def required_documents(claim: Claim) -> list[str]:
    """Evidence still needed: one entry per distinct evidence text of the live review lines
    that no uploaded document covers yet."""
    needed = []
    for line in claim.lines.filter(superseded_at__isnull=True).exclude(evidence=""):
        if line.evidence not in needed:
            needed.append(line.evidence)
    have = set(claim.documents.values_list("kind", flat=True))
    return [kind for kind in needed if kind not in have]


def _own(user: User, claim: Claim) -> None:
    if claim.member.user_id != user.pk:
        raise PermissionDenied()


@transaction.atomic
def claim_upload_document(*, actor: User, claim: Claim, kind: str, upload: UploadedFile) -> ClaimDocument:
    """The member adds a document from the phone (photo or PDF, ≤ 10 MB)."""
    claim = Claim.objects.select_for_update().select_related("member").get(pk=claim.pk)
    _own(actor, claim)
    if claim.status not in {Claim.Status.CANDIDATE, Claim.Status.NEEDS_DOCUMENTS, Claim.Status.IN_REVIEW}:
        raise DomainError(errors.CLAIM_STATE, "该申报当前不能补充材料")
    name = (upload.name or "").lower()
    if not any(name.endswith(ext) for ext in DOCUMENT_TYPES):
        raise DomainError("invalid_file_type", "仅支持 jpg、png、heic 照片或 pdf 文件", field="file")
    if (upload.size or 0) > MAX_DOCUMENT_BYTES:
        raise DomainError("file_too_large", "文件不能超过 10 MB", field="file")
    document = ClaimDocument.objects.create(claim=claim, kind=kind[:100], file=upload)
    ClaimEvent.objects.create(claim=claim, kind="document", actor=actor, note=kind[:300])
    if claim.status == Claim.Status.NEEDS_DOCUMENTS and not required_documents(claim):
        claim.status = Claim.Status.IN_REVIEW
        claim.save(update_fields=["status"])
    return document


@transaction.atomic
def claim_apply(
    *, actor: User, claim: Claim, bank_card: str, bank_name: str, today: dt.date | None = None
) -> Claim:
    """One-click application: confirm the bank card (Luhn) and submit.

    Claims the engine marked ``auto`` and under the threshold are approved at once (same
    day); the rest wait for documents and/or go to the review queue.
    """
    claim = Claim.objects.select_for_update().select_related("member", "plan").get(pk=claim.pk)
    _own(actor, claim)
    if claim.status != Claim.Status.CANDIDATE:
        raise DomainError(errors.CLAIM_STATE, "该申报已提交，无需重复申报")
    from gonghui.mutual_aid.screening import claim_deadline

    deadline = claim_deadline(claim.plan, claim.plan.year)
    if deadline and (today or timezone.localdate()) > deadline:
        raise DomainError(errors.CLAIM_STATE, f"本年度申报截止日期为 {deadline}，已过期")
    try:
        card = validate_bank_card(bank_card)
    except ValidationProblem as exc:
        raise DomainError(errors.BANK_CARD_INVALID, exc.message, field="bank_card") from exc
    if not bank_name.strip():
        raise DomainError(errors.BANK_CARD_INVALID, "请填写开户行", field="bank_name")
    claim.bank_card = card
    claim.bank_card_masked = mask_bank_card(card)
    claim.bank_name = bank_name.strip()[:60]
    claim.bank_account_name = claim.member.name
    claim.applied_at = timezone.now()
    missing = required_documents(claim)
    if missing:
        claim.status = Claim.Status.NEEDS_DOCUMENTS
    elif claim.needs_review or claim.approvals_needed > 1:
        claim.status = Claim.Status.IN_REVIEW
    else:
        claim.status = Claim.Status.APPROVED
        claim.decided_at = claim.applied_at
    claim.save(
        update_fields=[
            "bank_card",
            "bank_card_masked",
            "bank_name",
            "bank_account_name",
            "applied_at",
            "status",
            "decided_at",
        ]
    )
    ClaimEvent.objects.create(claim=claim, kind="applied", actor=actor, data={"missing_documents": missing})
    if claim.status == Claim.Status.APPROVED:
        ClaimEvent.objects.create(
            claim=claim,
            kind="auto_approved",
            level=1,
            note="规则引擎判定：符合条件，自动核准",
            data={"plan_version": claim.plan_version_id},
        )
    audit_record(
        actor=actor,
        action="mutual_aid.claim_apply",
        target=claim,
        org_unit=claim.org_unit,
        after={"status": claim.status, "bank_card": claim.bank_card_masked},
    )
    return claim


def review_level_unit(claim: Claim, level: int) -> Any:
    """Level 1 is the plan's union; level 2 the union above it (e.g. district → city)."""
    unit = claim.plan.org_unit
    return unit if level == 1 else (unit.get_parent() or unit)


@transaction.atomic
def claim_approve(*, actor: User, claim: Claim, note: str = "", amount: Decimal | None = None) -> Claim:
    """A reviewer approves at the next level; the last level makes the claim payable."""
    claim = Claim.objects.select_for_update().select_related("plan__org_unit").get(pk=claim.pk)
    if claim.status != Claim.Status.IN_REVIEW:
        raise DomainError(errors.CLAIM_STATE, "该申报不在审核中")
    level = claim.approvals_done + 1
    if not can(actor, "review", review_level_unit(claim, level)):
        raise PermissionDenied("您无权进行该级审核")
    if ClaimEvent.objects.filter(claim=claim, kind="approved", actor=actor).exists():
        raise DomainError(errors.CLAIM_STATE, "同一审核人不能进行两级审核")
    if amount is not None and amount != claim.amount:
        raise DomainError(
            "amount_change", "核准金额须与规则计算一致；如需调整请驳回并说明原因", field="amount"
        )
    claim.approvals_done = level
    if level >= claim.approvals_needed:
        claim.status = Claim.Status.APPROVED
        claim.decided_at = timezone.now()
    claim.save(update_fields=["approvals_done", "status", "decided_at"])
    ClaimEvent.objects.create(claim=claim, kind="approved", actor=actor, level=level, note=note[:300])
    audit_record(
        actor=actor,
        action="mutual_aid.claim_approve",
        target=claim,
        org_unit=claim.org_unit,
        before={"approvals_done": level - 1},
        after={"approvals_done": level, "status": claim.status},
    )
    return claim


@transaction.atomic
def claim_reject(*, actor: User, claim: Claim, reason: str) -> Claim:
    """A person rejects with a reason the member will read (never automatic: PIPL art. 24)."""
    claim = Claim.objects.select_for_update().select_related("plan__org_unit", "member").get(pk=claim.pk)
    if claim.status not in {Claim.Status.IN_REVIEW, Claim.Status.NEEDS_DOCUMENTS}:
        raise DomainError(errors.CLAIM_STATE, "该申报当前不能驳回")
    if not can(actor, "review", review_level_unit(claim, claim.approvals_done + 1)):
        raise PermissionDenied("您无权审核该申报")
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError(
            errors.REJECT_NEEDS_REASON, "请填写职工能看懂的驳回原因（至少4个字）", field="reason"
        )
    claim.status = Claim.Status.REJECTED
    claim.reject_reason = reason[:300]
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "reject_reason", "decided_at"])
    ClaimEvent.objects.create(
        claim=claim, kind="rejected", actor=actor, level=claim.approvals_done + 1, note=reason[:300]
    )
    audit_record(
        actor=actor,
        action="mutual_aid.claim_reject",
        target=claim,
        org_unit=claim.org_unit,
        after={"status": "rejected", "reason": reason[:300]},
    )
    member = claim.member
    if member.phone:
        from gonghui.accounts.services import sms_send

        text = f"【{settings.SMS_SIGN_NAME}】您的医疗互助申报未通过，原因：{reason[:60]}。如有疑问请联系所在工会。"
        transaction.on_commit(
            lambda: sms_send(
                phone=member.phone,
                text=text,
                purpose="mutual_aid_rejected",
                dedup_key=f"ma-reject:{claim.pk}",
            )
        )
    return claim
