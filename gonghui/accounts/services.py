"""Writes for accounts: users, role grants, SMS codes and the SMS outbox."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, SmsCode, SmsMessage, User
from gonghui.accounts.sms import SmsError, get_backend
from gonghui.audit.services import audit_record
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.masking import mask_phone
from gonghui.core.scoping import granted_paths
from gonghui.core.validators import ValidationProblem, validate_phone
from gonghui.orgs.models import OrgUnit


def _phone_or_error(phone: str) -> str:
    try:
        return validate_phone(phone)
    except ValidationProblem as exc:
        raise DomainError("invalid_phone", exc.message, field="phone") from exc


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    display_name: str,
    password: str | None = None,
    phone: str = "",
) -> User:
    """Create a login; the phone (if any) is unique across users and stored encrypted."""
    phone = _phone_or_error(phone) if phone else ""
    if User.objects.filter(username=username).exists():
        raise DomainError("username_taken", "用户名已存在", field="username")
    if phone and User.objects.filter(phone_index=blind_index(phone)).exists():
        raise DomainError("phone_taken", "该手机号已绑定其他账号", field="phone")
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        phone_index=blind_index(phone) if phone else "",
        phone_masked=mask_phone(phone) if phone else "",
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="user.create", target=user, after={"username": username})
    return user


def _can_manage(actor: User, org_unit: OrgUnit) -> bool:
    if actor.is_superuser:
        return True
    return any(org_unit.path.startswith(p) for p in granted_paths(actor, "manage"))


@transaction.atomic
def role_grant(*, actor: User, user: User, role: str, org_unit: OrgUnit) -> RoleGrant:
    """Grant ``role`` at ``org_unit``; only an administrator of that subtree may do so."""
    if role not in Role.values:
        raise DomainError("invalid_role", "未知角色", field="role")
    if not _can_manage(actor, org_unit):
        raise PermissionDenied()
    grant, created = RoleGrant.objects.get_or_create(
        user=user, role=role, org_unit=org_unit, revoked_at=None, defaults={"granted_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action="role.grant",
            target=grant,
            org_unit=org_unit,
            after={"user": user.pk, "role": role, "org_unit": org_unit.pk},
        )
    user.__dict__.pop("_gonghui_grant_paths", None)
    return grant


@transaction.atomic
def role_revoke(*, actor: User, grant: RoleGrant) -> RoleGrant:
    """Revoke a grant (kept for history, never deleted)."""
    grant = RoleGrant.objects.select_for_update().get(pk=grant.pk)
    if not _can_manage(actor, grant.org_unit):
        raise PermissionDenied()
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="role.revoke",
            target=grant,
            org_unit=grant.org_unit,
            before={"revoked_at": None},
            after={"revoked_at": grant.revoked_at},
        )
    return grant


def sms_send(*, phone: str, text: str, purpose: str, dedup_key: str = "") -> SmsMessage:
    """Record and send one SMS. A repeated ``dedup_key`` sends nothing and returns the first.

    Call it after the business transaction has committed (``transaction.on_commit``): a
    rolled-back change must not have texted anybody.
    """
    phone = _phone_or_error(phone)
    if dedup_key:
        existing = SmsMessage.objects.filter(dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                phone=phone,
                phone_index=blind_index(phone),
                phone_masked=mask_phone(phone),
                text=text,
                purpose=purpose,
                dedup_key=dedup_key,
            )
    except IntegrityError:  # a concurrent sender won the race on dedup_key
        return SmsMessage.objects.get(dedup_key=dedup_key)
    try:
        result = get_backend().send(phone=phone, text=text)
    except SmsError as exc:
        message.status = SmsMessage.Status.FAILED
        message.error = str(exc)[:200]
        message.save(update_fields=["status", "error"])
        return message
    message.status = SmsMessage.Status.SENT
    message.provider_id = result.provider_id
    message.sent_at = timezone.now()
    message.save(update_fields=["status", "provider_id", "sent_at"])
    return message


def _code_hash(phone_index: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{phone_index}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def sms_code_request(*, phone: str, purpose: str = "login") -> SmsCode:
    """Send a 6-digit login code: expires, single use, at most one a minute and 5 an hour."""
    phone = _phone_or_error(phone)
    index = blind_index(phone)
    now = timezone.now()
    recent = SmsCode.objects.filter(phone_index=index, created_at__gte=now - timedelta(hours=1))
    if recent.filter(created_at__gte=now - timedelta(seconds=settings.SMS_CODE_RESEND_SECONDS)).exists():
        raise DomainError("sms_too_soon", "验证码发送过于频繁，请稍后再试", field="phone")
    if recent.count() >= settings.SMS_CODE_MAX_PER_HOUR:
        raise DomainError("sms_hourly_limit", "该手机号本小时获取验证码次数已达上限", field="phone")
    code = f"{secrets.randbelow(1_000_000):06d}"
    sms_code = SmsCode.objects.create(
        phone_index=index,
        code_hash=_code_hash(index, code),
        purpose=purpose,
        expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
    )
    minutes = settings.SMS_CODE_TTL_SECONDS // 60
    # Only send to numbers bound to an account, but answer the same either way so the form
    # cannot be used to discover who is registered.
    if User.objects.filter(phone_index=index, is_active=True).exists():
        sms_send(
            phone=phone,
            text=f"【{settings.SMS_SIGN_NAME}】您的登录验证码为 {code}，{minutes} 分钟内有效，请勿告诉他人。",
            purpose="login_code",
        )
    return sms_code


def sms_code_verify(*, phone: str, code: str, purpose: str = "login") -> User:
    """Check a code: the newest unexpired unused one, 5 attempts, then it is burnt."""
    phone = _phone_or_error(phone)
    index = blind_index(phone)
    invalid = DomainError("sms_code_invalid", "验证码错误或已过期", field="code")
    user: User | None = None
    # The wrong-attempt counter must survive the refusal, so the transaction commits
    # before the error is raised (raising inside it would roll the counter back).
    with transaction.atomic():
        sms_code = (
            SmsCode.objects.select_for_update()
            .filter(phone_index=index, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if sms_code is None or sms_code.expires_at <= timezone.now():
            raise invalid
        if sms_code.attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
            raise invalid
        if hmac.compare_digest(sms_code.code_hash, _code_hash(index, code.strip())):
            user = User.objects.filter(phone_index=index, is_active=True).first()
        if user is None:
            sms_code.attempts += 1
            sms_code.save(update_fields=["attempts"])
        else:
            sms_code.used_at = timezone.now()
            sms_code.save(update_fields=["used_at"])
            audit_record(actor=user, action="user.login_sms", target=user)
    if user is None:
        raise invalid
    return user


def _throttle_key(username: str, ip: str) -> str:
    return "login-fail:" + hashlib.sha256(f"{username.lower()}|{ip}".encode()).hexdigest()


def login_throttle_check(*, username: str, ip: str) -> None:
    """Refuse further password attempts after repeated failures (per user name and IP)."""
    if cache.get(_throttle_key(username, ip), 0) >= settings.LOGIN_MAX_FAILURES:
        raise DomainError("login_locked", "登录失败次数过多，请15分钟后再试", field="username")


def login_failure_record(*, username: str, ip: str) -> None:
    key = _throttle_key(username, ip)
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_failure_reset(*, username: str, ip: str) -> None:
    cache.delete(_throttle_key(username, ip))
