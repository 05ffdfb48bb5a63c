"""Worker innovation (职工创新): outcomes and their lifecycle, benefit and rewards, evaluations
and live roadshows, innovation studios and their star ratings, studio alliances.

The scoring rules live in the pure engines (gonghui.innovation.engine); these models store
their inputs and results (with the explanation) so a grade, a rank or a star can be shown
later exactly as it was computed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.fields import money
from gonghui.core.scoping import scoped_manager


class InnovationSettings(models.Model):
    """A union's own configuration; nodes without one inherit the nearest ancestor's.

    The 五小 labels vary by place; grade bands and reward amounts are set per organisation
    (defaults from the spec: ≥100万 一等 … <1万 五等).
    """

    org_unit = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("工会"), on_delete=models.CASCADE, related_name="+"
    )
    five_small_labels = models.JSONField(_("五小名称"), default=list)
    # [{"code": "1", "label": "一等", "min": "1000000", "max": null}, ...] in yuan.
    grade_bands = models.JSONField(_("评级档次"), default=list)
    reward_amounts = models.JSONField(_("奖励金额"), default=dict)  # {"1": "20000", ...}
    acceptance_days = models.PositiveSmallIntegerField(_("受理时限（工作日）"), default=5)
    review_days = models.PositiveSmallIntegerField(_("评审时限（工作日）"), default=20)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("创新配置")
        verbose_name_plural = _("创新配置")

    def __str__(self) -> str:
        return f"{self.org_unit} 创新配置"


class Outcome(models.Model):
    """An innovation outcome (创新成果) from filing to archive; every move is an OutcomeTransition.

    Visible to staff of its union node's subtree and to its proposer.
    """

    class Type(models.TextChoices):
        FIVE_SMALL = "five_small", _("五小")
        RATIONALISATION = "rationalisation", _("合理化建议")
        TECH_INNOVATION = "tech_innovation", _("职工技术创新成果")
        INVENTION = "invention", _("发明创造")
        OPERATION_METHOD = "operation_method", _("先进操作法")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已受理")
        IN_REVIEW = "in_review", _("评审中")
        ADOPTED = "adopted", _("采纳实施")
        TRIAL = "trial", _("试行验证")
        SHELVED = "shelved", _("存档备用")
        DECLINED = "declined", _("不采纳")
        IMPLEMENTED = "implemented", _("已实施")
        BENEFIT_CALCULATED = "benefit_calculated", _("效益已核算")
        VERIFIED = "verified", _("效益已核验")
        GRADED = "graded", _("已评级")
        REWARDED = "rewarded", _("已奖励")
        ARCHIVED = "archived", _("已归档")

    class Verifier(models.TextChoices):
        FINANCE = "finance", _("财务部门")
        THIRD_PARTY = "third_party", _("第三方机构")

    type = models.CharField(_("类型"), max_length=20, choices=Type.choices)
    # For 五小: which of the organisation's five labels (e.g. 小革新).
    subtype = models.CharField(_("五小类别"), max_length=20, blank=True)
    title = models.CharField(_("名称"), max_length=120)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("所属工会"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "orgs.Enterprise",
        verbose_name=_("所在企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    industry = models.CharField(_("行业门类"), max_length=1, blank=True)
    studio = models.ForeignKey(
        "Studio",
        verbose_name=_("所属工作室"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outcomes",
    )
    situation = models.TextField(_("现状分析"), blank=True)
    measures = models.TextField(_("改进措施"), blank=True)
    effect = models.TextField(_("改进效果"), blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default="draft")
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="innovation_outcomes",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # The date by which the current step is due (受理 / 评审), in working days from entry.
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    proposer_reply = models.TextField(_("提交人回复"), blank=True)
    proposer_replied_at = models.DateTimeField(null=True, blank=True)
    implemented_on = models.DateField(_("实施日期"), null=True, blank=True)
    first_benefit_on = models.DateField(_("首次产生效益日期"), null=True, blank=True)
    estimated_benefit = money(_("预计年效益（元）"), null=True, blank=True)
    calculated_benefit = money(_("核算年效益（元）"), null=True, blank=True)
    verified_benefit = money(_("核验年效益（元）"), null=True, blank=True)
    verified_by = models.CharField(_("核验方"), max_length=16, choices=Verifier.choices, blank=True)
    verifier_name = models.CharField(_("核验单位/人"), max_length=100, blank=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=8, blank=True)
    grade_label = models.CharField(_("等级"), max_length=20, blank=True)
    reward_amount = money(_("奖励金额（元）"), null=True, blank=True)
    licensed = models.BooleanField(_("已转化（许可/转让）"), default=False)
    # Normalised title + text, kept for the similar-outcome search.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(org_path="org_unit__path", owner="proposer")

    class Meta:
        verbose_name = _("创新成果")
        verbose_name_plural = _("创新成果")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="outcome_status_due"),
            models.Index(fields=["type", "status"], name="outcome_type_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_benefit__isnull=True) | Q(verified_at__isnull=False),
                name="outcome_verified_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("innovation:outcome_detail", args=[self.pk])

    @property
    def type_label(self) -> str:
        if self.type == self.Type.FIVE_SMALL and self.subtype:
            return f"五小·{self.subtype}"
        return str(self.get_type_display())  # type: ignore[attr-defined]


class OutcomeMember(models.Model):
    """A completer of an outcome; ``order`` 1 is the first completer. Shares add up to 100."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="team")
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"))
    share = models.DecimalField(_("贡献占比（%）"), max_digits=5, decimal_places=2)
    position = models.CharField(_("岗位/职务"), max_length=60, blank=True)
    is_enterprise_head = models.BooleanField(_("企业负责人"), default=False)
    has_senior_title = models.BooleanField(_("高级职称"), default=False)

    class Meta:
        verbose_name = _("完成人")
        verbose_name_plural = _("完成人")
        ordering = ["outcome", "order"]
        constraints = [
            models.UniqueConstraint(fields=["outcome", "order"], name="uniq_outcome_member_order"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=100), name="outcome_member_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.share}%)"


class OutcomeAttachment(models.Model):
    """A photo, video or document of an outcome (often taken on a phone at the workplace)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        VIDEO = "video", _("视频")
        FILE = "file", _("文件")

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="innovation/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["outcome", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Patent(models.Model):
    """A patent attached to an outcome (counts for studio rating: 孵化创新技术)."""

    class Kind(models.TextChoices):
        INVENTION = "invention", _("发明专利")
        UTILITY = "utility", _("实用新型")
        DESIGN = "design", _("外观设计")

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        GRANTED = "granted", _("已授权")
        LAPSED = "lapsed", _("已失效")

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="patents")
    number = models.CharField(_("专利号"), max_length=40)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices)
    granted_on = models.DateField(_("授权日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("专利")
        verbose_name_plural = _("专利")
        constraints = [models.UniqueConstraint(fields=["number"], name="uniq_patent_number")]

    def __str__(self) -> str:
        return self.number


class OutcomeTransition(models.Model):
    """One step of an outcome's history: who moved it, when, from which status to which, why."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["outcome", "at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome_id}: {self.from_status}→{self.to_status}"

    @property
    def to_label(self) -> str:
        return str(Outcome.Status(self.to_status).label)


class BenefitLine(models.Model):
    """One line of a benefit calculation (labour time saved, material saved, other, cost).

    The net yearly benefit is savings minus costs over 12 months from the first benefit.
    """

    class Kind(models.TextChoices):
        LABOUR = "labour", _("节约工时")
        MATERIAL = "material", _("节约材料")
        OTHER = "other", _("其他收益")
        COST = "cost", _("投入成本")

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="benefit_lines")
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("说明"), max_length=200)
    params = models.JSONField(_("计算参数"), default=dict, blank=True)
    amount = money(_("金额（元）"))

    class Meta:
        verbose_name = _("效益明细")
        verbose_name_plural = _("效益明细")
        ordering = ["outcome", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"  # type: ignore[attr-defined]


class RewardPayment(models.Model):
    """A reward paid for a graded outcome, split among the team by share."""

    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="rewards")
    recipient = models.CharField(_("领取人"), max_length=50)
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = money(_("金额（元）"))
    paid_on = models.DateField(_("发放日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("奖励发放")
        verbose_name_plural = _("奖励发放")
        ordering = ["outcome", "id"]
        constraints = [
            # One payment per recipient per outcome: a reward is paid exactly once.
            models.UniqueConstraint(fields=["outcome", "recipient"], name="uniq_reward_recipient"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.amount}"


class Nomination(models.Model):
    """An outcome put forward to the next level's award; the eligibility check is stored as run."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("已推荐")
        INELIGIBLE = "ineligible", _("不符合条件")
        AWARDED = "awarded", _("已获奖")
        NOT_AWARDED = "not_awarded", _("未获奖")

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="nominations")
    award = models.CharField(_("奖项"), max_length=40)
    from_level = models.CharField(_("推荐单位层级"), max_length=12)
    to_level = models.CharField(_("推荐至"), max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    eligible = models.BooleanField(_("符合条件"))
    check_results = models.JSONField(_("资格审查"), default=list)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("推荐申报")
        verbose_name_plural = _("推荐申报")
        ordering = ["outcome", "-created_at"]

    def __str__(self) -> str:
        return f"{self.outcome_id} → {self.to_level} {self.award}"


class Rubric(models.Model):
    """An evaluation rubric as data: criteria with weights and 1/3/5 anchor texts."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("工会"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=100)
    # [{"code", "label", "weight", "anchors": {"1": "...", "3": "...", "5": "..."}}] in order.
    criteria = models.JSONField(_("评分细则"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("评分细则")
        verbose_name_plural = _("评分细则")
        ordering = ["org_unit", "name"]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """An evaluation round or a live roadshow (评审 / 路演) with a panel and a running order."""

    class Kind(models.TextChoices):
        REVIEW = "review", _("评审")
        ROADSHOW = "roadshow", _("路演")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("筹备中")
        LIVE = "live", _("进行中")
        CLOSED = "closed", _("已结束")

    class Phase(models.TextChoices):
        IDLE = "idle", _("待开始")
        PRESENTING = "presenting", _("项目陈述")
        QA = "qa", _("答辩提问")
        SCORING = "scoring", _("评委打分")

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("主办工会"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("方式"), max_length=10, choices=Kind.choices, default="roadshow")
    rubric = models.ForeignKey(Rubric, verbose_name=_("评分细则"), on_delete=models.PROTECT)
    blind = models.BooleanField(_("匿名评审"), default=False)
    held_on = models.DateField(_("日期"))
    venue = models.CharField(_("地点"), max_length=120, blank=True)
    presentation_seconds = models.PositiveSmallIntegerField(_("陈述时长（秒）"), default=300)
    qa_seconds = models.PositiveSmallIntegerField(_("答辩时长（秒）"), default=180)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="preparing")
    current_entry = models.ForeignKey(
        "Entry", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phase = models.CharField(_("环节"), max_length=12, choices=Phase.choices, default="idle")
    phase_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The aggregation method actually used at close (engine's method code).
    method = models.CharField(_("计分方法"), max_length=20, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("评审路演")
        verbose_name_plural = _("评审路演")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("innovation:evaluation_detail", args=[self.pk])


class Entry(models.Model):
    """An outcome taking part in an evaluation, at a place in the running order."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="entries")
    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="entries")
    order = models.PositiveSmallIntegerField(_("出场顺序"))
    # Shown instead of names in blind mode, e.g. "项目 07".
    code = models.CharField(_("编号"), max_length=12)
    final_score = models.DecimalField(_("最终得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("名次"), null=True, blank=True)
    explanation = models.JSONField(_("计分说明"), default=list, blank=True)

    class Meta:
        verbose_name = _("参评项目")
        verbose_name_plural = _("参评项目")
        ordering = ["evaluation", "order"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "order"], name="uniq_entry_order"),
            models.UniqueConstraint(fields=["evaluation", "outcome"], name="uniq_entry_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.outcome.title}"


class PanelJudge(models.Model):
    """A judge on an evaluation's panel (holds the personal judge role)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panels")
    title = models.CharField(_("称号"), max_length=60, blank=True)  # e.g. 大国工匠
    seat = models.PositiveSmallIntegerField(_("席位"))

    class Meta:
        verbose_name = _("评委")
        verbose_name_plural = _("评委")
        ordering = ["evaluation", "seat"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "user"], name="uniq_panel_judge"),
            models.UniqueConstraint(fields=["evaluation", "seat"], name="uniq_panel_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.seat}号评委"


class Assignment(models.Model):
    """Judge × entry. A declared conflict of interest excuses (回避) the judge from the entry."""

    judge = models.ForeignKey(PanelJudge, on_delete=models.CASCADE, related_name="assignments")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    excused = models.BooleanField(_("回避"), default=False)
    conflict_reason = models.CharField(_("回避理由"), max_length=200, blank=True)
    scores = models.JSONField(_("评分"), null=True, blank=True)  # {criterion code: 1..5}
    total = models.DecimalField(_("得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # Changes after the session closed need a reason; each is also an audit row.
    amended_reason = models.CharField(_("修改理由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        ordering = ["entry__order", "judge__seat"]
        constraints = [
            models.UniqueConstraint(fields=["judge", "entry"], name="uniq_assignment"),
            models.CheckConstraint(
                condition=Q(excused=False) | Q(scores__isnull=True), name="excused_has_no_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.judge} × {self.entry.code}"


class Studio(models.Model):
    """An innovation studio (创新工作室), often named after its leader; rated yearly by stars."""

    class Level(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业级")
        DISTRICT = "district", _("区级")
        CITY = "city", _("市级")
        PROVINCE = "province", _("省级")
        NATIONAL = "national", _("全国")
        MODEL = "model", _("示范")

    class Status(models.TextChoices):
        ACTIVE = "active", _("运行中")
        DELISTED = "delisted", _("已摘牌")

    name = models.CharField(_("名称"), max_length=120)
    leader = models.ForeignKey(
        "members.Member",
        verbose_name=_("领军人物"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    leader_name = models.CharField(_("领军人物"), max_length=50)
    leader_title = models.CharField(_("荣誉称号"), max_length=60, blank=True)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("所属工会"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "orgs.Enterprise",
        verbose_name=_("依托企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    level = models.CharField(_("级别"), max_length=12, choices=Level.choices)
    field = models.CharField(_("专业领域"), max_length=60)
    space_sqm = models.PositiveIntegerField(_("场地面积（㎡）"), default=0)
    equipment = models.TextField(_("设施设备"), blank=True)
    rules = models.TextField(_("管理制度"), blank=True)
    plans = models.TextField(_("课题计划"), blank=True)
    funding = money(_("年度经费（元）"), default=Decimal("0"))
    founded_on = models.DateField(_("成立日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="active")
    stars = models.PositiveSmallIntegerField(_("星级"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("创新工作室")
        verbose_name_plural = _("创新工作室")
        ordering = ["-stars", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("innovation:studio_detail", args=[self.pk])


class StudioMember(models.Model):
    """Core member, apprentice (导师带徒) or high-skill worker trained by a studio, per year."""

    class Role(models.TextChoices):
        CORE = "core", _("核心骨干")
        APPRENTICE = "apprentice", _("徒弟")
        HIGH_SKILL = "high_skill", _("培养高技能人才")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="people")
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("身份"), max_length=12, choices=Role.choices)
    year = models.PositiveSmallIntegerField(_("年度"))

    class Meta:
        verbose_name = _("工作室成员")
        verbose_name_plural = _("工作室成员")
        ordering = ["studio", "role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "name", "role", "year"], name="uniq_studio_person"),
        ]

    def __str__(self) -> str:
        return self.name


class StudioEvidence(models.Model):
    """Evidence for one of the 六有 (the gate before any star)."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="evidence")
    have = models.CharField(_("六有项"), max_length=20)  # engine SIX_HAVES code
    description = models.CharField(_("说明"), max_length=300)
    file = models.FileField(_("佐证材料"), upload_to="innovation/studio/%Y/", blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("六有佐证")
        verbose_name_plural = _("六有佐证")
        ordering = ["studio", "have", "id"]

    def __str__(self) -> str:
        return f"{self.have}: {self.description[:20]}"


class StudioActivity(models.Model):
    """A studio activity: solving an on-site problem, training, a culture event."""

    class Kind(models.TextChoices):
        PROBLEM = "problem", _("解决现场问题")
        TRAINING = "training", _("培训带徒")
        CULTURE = "culture", _("创新文化活动")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=120)
    held_on = models.DateField(_("日期"))
    participants = models.PositiveIntegerField(_("参与人数"), default=0)
    # For problems: the problem counts only when the site (enterprise/workshop) confirms it closed.
    confirmed = models.BooleanField(_("现场确认解决"), default=False)

    class Meta:
        verbose_name = _("工作室活动")
        verbose_name_plural = _("工作室活动")
        ordering = ["studio", "-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class StudioRating(models.Model):
    """One yearly rating: the 六有 gate, the 六大成效 score sheet and the stars it gave.

    Stored as computed (figures, lines and scheme), so a past rating never changes when the
    scheme or the data do.
    """

    class Change(models.TextChoices):
        NEW = "new", _("首次评定")
        UP = "up", _("升星")
        SAME = "same", _("保持")
        DOWN = "down", _("降星")
        DELISTED = "delisted", _("摘牌")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="ratings")
    year = models.PositiveSmallIntegerField(_("年度"))
    gate_passed = models.BooleanField(_("六有达标"))
    gate = models.JSONField(_("六有核查"), default=list)
    score = models.DecimalField(_("六大成效得分"), max_digits=5, decimal_places=2)
    stars = models.PositiveSmallIntegerField(_("星级"))
    previous_stars = models.PositiveSmallIntegerField(_("上年星级"), null=True, blank=True)
    change = models.CharField(_("变化"), max_length=10, choices=Change.choices)
    figures = models.JSONField(_("平台数据"), default=dict)
    lines = models.JSONField(_("评分明细"), default=list)
    # The scheme's dimension maxima and star thresholds as used, so the sheet never changes.
    scheme = models.JSONField(_("评分标准"), default=dict)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("星级评定")
        verbose_name_plural = _("星级评定")
        ordering = ["studio", "-year"]
        constraints = [models.UniqueConstraint(fields=["studio", "year"], name="uniq_studio_rating_year")]

    def __str__(self) -> str:
        return f"{self.studio} {self.year} {self.stars}★"


class Alliance(models.Model):
    """A studio alliance (创新工作室联盟) across enterprises, regions and industries."""

    name = models.CharField(_("名称"), max_length=120)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("牵头工会"), on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(_("领域"), max_length=60)
    founded_on = models.DateField(_("成立日期"))
    description = models.TextField(_("简介"), blank=True)
    studios: models.ManyToManyField[Studio, Any] = models.ManyToManyField(
        Studio, through="AllianceMembership", related_name="alliances"
    )

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("工作室联盟")
        verbose_name_plural = _("工作室联盟")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("innovation:alliance_detail", args=[self.pk])


class AllianceMembership(models.Model):
    """A studio's membership of an alliance; the lead studio convenes it."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="memberships")
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    is_lead = models.BooleanField(_("牵头单位"), default=False)
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        verbose_name = _("联盟成员")
        verbose_name_plural = _("联盟成员")
        constraints = [
            models.UniqueConstraint(fields=["alliance", "studio"], name="uniq_alliance_studio"),
        ]

    def __str__(self) -> str:
        return f"{self.alliance_id}:{self.studio_id}"


class AllianceProject(models.Model):
    """A joint project (联合攻关) of several member studios."""

    class Status(models.TextChoices):
        ONGOING = "ongoing", _("进行中")
        DONE = "done", _("已完成")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("项目名称"), max_length=120)
    studios: models.ManyToManyField[Studio, Any] = models.ManyToManyField(
        Studio, verbose_name=_("参与工作室"), related_name="+"
    )
    started_on = models.DateField(_("开始日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="ongoing")
    summary = models.TextField(_("简介"), blank=True)

    class Meta:
        verbose_name = _("联合项目")
        verbose_name_plural = _("联合项目")
        ordering = ["alliance", "-started_on"]

    def __str__(self) -> str:
        return self.title


class AllianceResource(models.Model):
    """Equipment or an expert a member studio shares with the alliance."""

    class Kind(models.TextChoices):
        EQUIPMENT = "equipment", _("共享设备")
        EXPERT = "expert", _("共享专家")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="resources")
    studio = models.ForeignKey(Studio, verbose_name=_("提供方"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=120)
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("共享资源")
        verbose_name_plural = _("共享资源")
        ordering = ["alliance", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class AllianceActivity(models.Model):
    """An alliance activity (交流、培训、联合攻关推进会)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("名称"), max_length=120)
    held_on = models.DateField(_("日期"))
    participants = models.PositiveIntegerField(_("参与人数"), default=0)

    class Meta:
        verbose_name = _("联盟活动")
        verbose_name_plural = _("联盟活动")
        ordering = ["alliance", "-held_on"]

    def __str__(self) -> str:
        return self.title
