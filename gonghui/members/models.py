"""The member register (会员): who belongs to which union, with join/leave/transfer history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gonghui.core.crypto import EncryptedTextField
from gonghui.core.scoping import scoped_manager


class Member(models.Model):
    """A union member. ID number and phone are encrypted; sex and birth date derive from the ID.

    ``id_number_index`` (keyed hash) makes the ID unique and searchable without decryption.
    """

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("正式职工")
        FLEXIBLE = "flexible", _("灵活就业")
        NEW_FORM = "new_form", _("新就业形态")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在会")
        LEFT = "left", _("已离会")

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号"))
    id_number_index = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="", db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=16, blank=True, default="")
    kind = models.CharField(_("会员类型"), max_length=16, choices=Kind.choices, default="employee")
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default="active")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("所在工会"), on_delete=models.PROTECT, related_name="members"
    )
    employer = models.ForeignKey(
        "orgs.Enterprise",
        verbose_name=_("工作单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    joined_on = models.DateField(_("入会日期"))
    left_on = models.DateField(_("离会日期"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(org_path="org_unit__path", owner="user")

    class Meta:
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        ordering = ["org_unit__path", "name", "id"]
        indexes = [models.Index(fields=["org_unit", "status"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("members:detail", args=[self.pk])


class MembershipEvent(models.Model):
    """One step of a member's history: join, leave or transfer between unions (immutable)."""

    class Kind(models.TextChoices):
        JOIN = "join", _("入会")
        LEAVE = "leave", _("离会")
        TRANSFER = "transfer", _("转会")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    from_unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_date = models.DateField(_("日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会籍变动")
        verbose_name_plural = _("会籍变动")
        ordering = ["on_date", "id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.on_date}"
