"""Users, roles granted on nodes of the union tree, SMS one-time codes and the SMS outbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from gonghui.core.crypto import EncryptedTextField
from gonghui.core.scoping import scoped_manager


class User(AbstractUser):
    """A login. Phone is sensitive: stored encrypted with a blind index for look-up."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="", db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=16, blank=True, default="")

    objects: UserManager[User] = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    """Scoped staff roles reach the node's subtree; personal roles describe the person."""

    ADMIN = "admin", _("管理员")
    REVIEWER = "reviewer", _("审核员")
    VIEWER = "viewer", _("查看")
    WORKER = "worker", _("职工")
    CRAFTSMAN = "craftsman", _("劳模工匠")
    ENTERPRISE_CONTACT = "enterprise_contact", _("企业联系人")
    JUDGE = "judge", _("专家评委")


STAFF_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.VIEWER})


class RoleGrant(models.Model):
    """A role held by a user at a node of the tree; staff roles cover the whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_manager(org_path="org_unit__path", owner="user")

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"],
                condition=models.Q(revoked_at__isnull=True),
                name="uniq_live_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org_unit}"


class SmsCode(models.Model):
    """A login code sent by SMS: stored hashed, expires, single use, limited attempts."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=128)
    purpose = models.CharField(max_length=16, default="login")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self) -> str:
        return f"SmsCode#{self.pk}"


class SmsMessage(models.Model):
    """The SMS outbox: every text sent, with the backend's answer (for de-duplication too)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=16)
    text = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=32, db_index=True)
    dedup_key = models.CharField(max_length=128, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    provider_id = models.CharField(max_length=64, blank=True, default="")
    error = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"], condition=~models.Q(dedup_key=""), name="uniq_sms_dedup"
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone_masked}: {self.text[:20]}"
