"""Medical mutual aid (医疗互助): plans, enrolment, consent, 医保 settlements, claims, payouts.

The money rules live in the pure engine (gonghui.mutual_aid.engine); these models store its
inputs and results with the policy version that produced them, so every amount can be
explained later (数字档案室).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.crypto import EncryptedTextField
from gonghui.core.fields import money as _money
from gonghui.core.scoping import scoped_manager


def money(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    """Mutual-aid amounts (claims, payouts): 12 digits."""
    return _money(verbose_name, max_digits=12, **kwargs)


class Plan(models.Model):
    """One yearly plan (互助计划) run by a union; its rules are in versioned policy files."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("主办工会"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    enrol_opens = models.DateField(_("参保开始"))
    enrol_closes = models.DateField(_("参保截止"))
    # Claims at or above this amount always get a human look (spec: review threshold).
    review_threshold = money(_("人工审核金额阈值"), default=Decimal("5000"))
    # Benefits needing a second approval by the level above (e.g. critical illness: city).
    second_level_benefits = models.JSONField(_("需上级复核的补助"), default=list, blank=True)
    current_version = models.ForeignKey(
        "PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("互助计划")
        verbose_name_plural = _("互助计划")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "year"], name="uniq_plan_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class PlanVersion(models.Model):
    """An immutable policy file (YAML, the spec's contract); editing makes a new version."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    policy_yaml = models.TextField(_("政策文件"))
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("政策版本")
        verbose_name_plural = _("政策版本")
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="uniq_plan_version")]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class Enrolment(models.Model):
    """A member's enrolment (参保) in one plan item; first-time joiners wait the item's days."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="enrolments")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="mutual_aid_enrolments"
    )
    item = models.CharField(_("互助项目"), max_length=32)
    start_date = models.DateField(_("保障开始日期"))
    renewal = models.BooleanField(_("续保"), default=False)
    fee = money(_("互助金"))
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("参保工会"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_manager(org_path="org_unit__path", owner="member__user")

    class Meta:
        verbose_name = _("参保记录")
        verbose_name_plural = _("参保记录")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "member", "item"],
                condition=Q(cancelled_at__isnull=True),
                name="uniq_live_enrolment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.plan_id}:{self.item}"


class Consent(models.Model):
    """A member's authorisation (授权) to read one data source; revocation stops reads.

    PIPL art. 29: separate consent for sensitive personal information, with the text
    version the member agreed to and the time.
    """

    class Source(models.TextChoices):
        MEDICAL_INSURANCE = "medical_insurance", _("医保结算数据")
        HEALTH_COMMISSION = "health_commission", _("卫健诊断数据")

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="consents")
    source = models.CharField(_("数据来源"), max_length=24, choices=Source.choices)
    text_version = models.CharField(_("授权书版本"), max_length=32)
    channel = models.CharField(_("渠道"), max_length=16, default="h5")
    granted_at = models.DateTimeField(_("授权时间"))
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    objects = scoped_manager(org_path="member__org_unit__path", owner="member__user")

    class Meta:
        verbose_name = _("数据授权")
        verbose_name_plural = _("数据授权")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "source"],
                condition=Q(revoked_at__isnull=True),
                name="uniq_live_consent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.source}"


class IntakeBatch(models.Model):
    """One file or API push of 医保 settlements, with what happened to every row."""

    class Status(models.TextChoices):
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    source = models.CharField(_("来源"), max_length=16, default="file")
    filename = models.CharField(_("文件"), max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_no_consent = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    candidates_created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # The rejected rows of a --skip-invalid upload with their reasons (a CSV under MEDIA_ROOT),
    # offered to the batch's staff for correction and re-upload.
    rejected_file = models.FileField(upload_to="mutual_aid/rejected/", blank=True)
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_manager(org_path="org_unit__path", owner="created_by")

    class Meta:
        verbose_name = _("数据导入批次")
        verbose_name_plural = _("数据导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename or self.source} #{self.pk}"


class Settlement(models.Model):
    """A 医保 settlement (结算单) of a consenting member; field names as on the national platform.

    The ID number is not stored: ``member`` was resolved through its blind index at intake.
    """

    setl_id = models.CharField(max_length=40)
    # Indexed by (member, enddate) below; a separate member_id index would only slow intake.
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_index=False)
    batch = models.ForeignKey(IntakeBatch, on_delete=models.PROTECT, related_name="settlements")
    med_type = models.CharField(max_length=4)
    hosp_lv = models.PositiveSmallIntegerField()
    fixmedins_name = models.CharField(max_length=100, blank=True)
    begndate = models.DateField()
    enddate = models.DateField()
    medfee_sumamt = money()
    fund_pay_sumamt = money()
    hosp_part_amt = money()
    fulamt_ownpay_amt = money()
    overlmt_selfpay = money()
    preselfpay_amt = money()
    diag_codes = models.CharField(max_length=200, blank=True)
    diag_names = models.CharField(max_length=400, blank=True)
    oprn_codes = models.CharField(max_length=200, blank=True)
    refd_setl_flag = models.BooleanField(default=False)
    orig_setl_id = models.CharField(max_length=40, blank=True)
    vali_flag = models.BooleanField(default=True)

    objects = scoped_manager(org_path="member__org_unit__path", owner="member__user")

    class Meta:
        verbose_name = _("医保结算单")
        verbose_name_plural = _("医保结算单")
        # Every index is paid per row at intake, so only those reads need: setl_id unique (as a
        # constraint: unique=True also builds a varchar_pattern_ops copy for LIKE look-ups
        # nothing makes), (member, enddate) for screening, batch_id for the batch's members.
        # orig_setl_id is only ever joined against setl_id, never looked up.
        constraints = [models.UniqueConstraint(fields=["setl_id"], name="uniq_settlement_setl_id")]
        indexes = [models.Index(fields=["member", "enddate"])]

    def __str__(self) -> str:
        return self.setl_id


class Claim(models.Model):
    """A member's claim (申报): the pay lines found by screening, applied for in one click.

    Lifecycle: candidate → applied → approved (auto or by reviewers) | rejected (always by a
    person) → in payout → paid; a failed bank line returns the claim to approved.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("待申报")
        APPLIED = "applied", _("已申报")
        NEEDS_DOCUMENTS = "needs_documents", _("待补材料")
        IN_REVIEW = "in_review", _("审核中")
        APPROVED = "approved", _("已核准")
        REJECTED = "rejected", _("未通过")
        IN_PAYOUT = "in_payout", _("打款中")
        PAID = "paid", _("已到账")
        CANCELLED = "cancelled", _("已撤销")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="claims")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="claims")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("会员所在工会"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default="candidate")
    amount = money(_("补助金额"))
    needs_review = models.BooleanField(_("需人工审核"), default=False)
    review_reasons = models.JSONField(_("人工审核原因"), default=list, blank=True)
    approvals_needed = models.PositiveSmallIntegerField(default=1)
    approvals_done = models.PositiveSmallIntegerField(default=0)
    bank_account_name = models.CharField(_("户名"), max_length=50, blank=True)
    bank_card = EncryptedTextField(_("银行卡号"), blank=True, default="")
    bank_card_masked = models.CharField(_("银行卡号"), max_length=24, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=60, blank=True)
    link_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    link_used_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(_("未通过原因"), max_length=300, blank=True)
    first_discharge = models.DateField(_("最早出院/结算日期"), null=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    notified_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    applied_at = models.DateTimeField(_("申报时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审结时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("到账时间"), null=True, blank=True)

    objects = scoped_manager(org_path="org_unit__path", owner="member__user")

    class Meta:
        verbose_name = _("互助申报")
        verbose_name_plural = _("互助申报")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "org_unit"])]

    def __str__(self) -> str:
        return f"申报 #{self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("mutual_aid:claim_detail", args=[self.pk])


class ClaimLine(models.Model):
    """One (settlement, benefit) amount from the engine, with its full trace; kept forever.

    A line superseded by a later screening (e.g. the settlement was reversed) keeps its row
    with ``superseded_at`` set, so the archive shows what changed.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("项目"), max_length=32)
    benefit = models.CharField(_("补助"), max_length=32)
    kind = models.CharField(max_length=16)
    base = money(_("政策范围内个人负担"))
    days = models.PositiveIntegerField(_("住院天数"))
    amount = money(_("金额"))
    status = models.CharField(_("判定"), max_length=8)  # auto | review (engine)
    category = models.CharField(_("重疾类别"), max_length=40, blank=True)
    evidence = models.CharField(_("需补材料"), max_length=200, blank=True)
    trace = models.JSONField(_("计算过程"))
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("申报明细")
        verbose_name_plural = _("申报明细")
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "benefit"],
                condition=Q(superseded_at__isnull=True),
                name="uniq_live_claim_line",
            )
        ]

    def __str__(self) -> str:
        return f"{self.settlement_id}:{self.benefit}"


class ClaimDocument(models.Model):
    """A document the member uploaded (e.g. 病理报告), kept with the claim."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("材料"), max_length=100)
    file = models.FileField(_("文件"), upload_to="mutual_aid/documents/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")

    def __str__(self) -> str:
        return self.kind


class ClaimEvent(models.Model):
    """Immutable history of a claim: every decision, with who (None = the engine) and why."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("申报事件")
        verbose_name_plural = _("申报事件")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id}:{self.kind}"


class PayoutBatch(models.Model):
    """A daily bank batch-payment file (批量代发) and, later, the bank's return file."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("已生成")
        RETURNED = "returned", _("已回盘")

    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("批次号"), max_length=32, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GENERATED)
    total_amount = money(default=Decimal("0"))
    line_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("打款批次")
        verbose_name_plural = _("打款批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference


class PayoutItem(models.Model):
    """One transfer to one member for one claim. A claim has at most one live (not failed)
    item — the database refuses a second, so money moves exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待回盘")
        PAID = "paid", _("已到账")
        FAILED = "failed", _("失败")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="items")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payouts")
    serial = models.CharField(_("流水号"), max_length=40, unique=True)
    amount = money()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    bank_message = models.CharField(_("银行反馈"), max_length=200, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("打款明细")
        verbose_name_plural = _("打款明细")
        constraints = [
            models.UniqueConstraint(
                fields=["claim"], condition=~Q(status="failed"), name="one_live_payout_per_claim"
            )
        ]

    def __str__(self) -> str:
        return self.serial
