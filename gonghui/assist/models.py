"""劳模工匠助企行 (assist): the three libraries (craftsmen, enterprise demands, outcomes), the
search index behind matching, the technical clinic, open challenges (揭榜挂帅), mentor pairs,
先用后转 trials and the service ledger with its yearly targets.

Matching is the pure engine (gonghui.assist.engine); these models hold its inputs and the
records of what people did with its suggestions (dispatches, accepted answers) that later
train the ranker.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.fields import money
from gonghui.core.scoping import scoped_manager


class DemandKind(models.TextChoices):
    BREAKTHROUGH = "breakthrough", _("技术攻关")
    ONSITE = "onsite", _("现场指导")
    TRAINING = "training", _("技能培训")
    MANAGEMENT = "management", _("管理提升")


class Urgency(models.TextChoices):
    LOW = "low", _("一般")
    NORMAL = "normal", _("较急")
    HIGH = "high", _("紧急")
    CRITICAL = "critical", _("特急（停产）")


class Craftsman(models.Model):
    """A model worker or craftsman of the 劳模工匠资源库. The track-record figures are derived
    (recomputed by the clinic services), never typed in."""

    class SkillLevel(models.TextChoices):
        JUNIOR = "junior", _("初级工")
        MIDDLE = "middle", _("中级工")
        SENIOR = "senior", _("高级工")
        TECHNICIAN = "technician", _("技师")
        SENIOR_TECHNICIAN = "senior_technician", _("高级技师")
        ENGINEER = "engineer", _("工程技术人员")

    external_id = models.CharField(_("外部编号"), max_length=40, blank=True)
    name = models.CharField(_("姓名"), max_length=50)
    honours = models.JSONField(_("荣誉"), default=list, blank=True)  # e.g. ["全国劳动模范", "大国工匠"]
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("管理工会"), on_delete=models.PROTECT, related_name="+"
    )
    employer_name = models.CharField(_("工作单位"), max_length=160, blank=True)
    enterprise = models.ForeignKey(
        "orgs.Enterprise",
        verbose_name=_("工作单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.CharField(_("地区代码"), max_length=12, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, blank=True)
    trades = models.JSONField(_("工种"), default=list, blank=True)
    skill_level = models.CharField(_("技能等级"), max_length=20, choices=SkillLevel.choices, blank=True)
    skills = models.JSONField(_("专长"), default=list, blank=True)
    equipment = models.JSONField(_("熟悉的设备与工艺"), default=list, blank=True)
    bio = models.TextField(_("简介"), blank=True)
    studio = models.ForeignKey(
        "innovation.Studio",
        verbose_name=_("创新工作室"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="craftsman",
    )
    available = models.BooleanField(_("可接单"), default=True)
    monthly_capacity = models.PositiveSmallIntegerField(_("每月可接单数"), default=4)
    open_requests = models.PositiveSmallIntegerField(_("进行中的服务"), default=0)
    max_apprentices = models.PositiveSmallIntegerField(_("可带徒人数"), default=3)
    service_radius_km = models.PositiveIntegerField(_("服务半径（公里）"), default=50)
    languages = models.JSONField(_("语言"), default=list, blank=True)
    # Enterprises the craftsman must not be matched to (employer, declared interests).
    conflict_enterprise_ids = models.JSONField(_("回避企业"), default=list, blank=True)
    accepted_answers = models.PositiveIntegerField(_("被采纳解答"), default=0)
    confirmed_solutions = models.PositiveIntegerField(_("确认解决问题"), default=0)
    rating_avg = models.DecimalField(_("平均评分"), max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(_("评分次数"), default=0)
    median_response_hours = models.DecimalField(
        _("响应时长中位数（小时）"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    active = models.BooleanField(_("在库"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(org_path="org_unit__path", owner="user")

    class Meta:
        verbose_name = _("劳模工匠")
        verbose_name_plural = _("劳模工匠")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="uniq_craftsman_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:craftsman_detail", args=[self.pk])

    @property
    def capacity_left(self) -> int:
        return max(0, self.monthly_capacity - self.open_requests) if self.available else 0


class Demand(models.Model):
    """An enterprise's problem in the 企业需求库; confidential ones show only to staff and the
    craftsmen assigned to them. 待对接 → 已派单 (派单) → 服务中 → 已解决, or 已关闭 from any
    active state (``demands``); a clinic question's demand follows its question instead."""

    class Status(models.TextChoices):
        OPEN = "open", _("待对接")
        MATCHED = "matched", _("已派单")
        IN_SERVICE = "in_service", _("服务中")
        SOLVED = "solved", _("已解决")
        CLOSED = "closed", _("已关闭")

    enterprise = models.ForeignKey(
        "orgs.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("所属工会"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("问题标题"), max_length=120)
    description = models.TextField(_("问题描述"))
    equipment_model = models.CharField(_("设备型号"), max_length=100, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, blank=True)
    region = models.CharField(_("地区代码"), max_length=12, blank=True)
    kind = models.CharField(_("需求类别"), max_length=16, choices=DemandKind.choices, default="breakthrough")
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default="normal")
    confidential = models.BooleanField(_("涉密"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default="open")
    # What the enterprise or the union wrote when the demand was solved (确认已解决) or closed
    # (关闭需求, the reason), and when.
    resolution_note = models.TextField(_("办结说明"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(org_path="org_unit__path", owner="created_by")

    class Meta:
        verbose_name = _("企业需求")
        verbose_name_plural = _("企业需求")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:demand_detail", args=[self.pk])


class DemandPhoto(models.Model):
    """A photo of the problem (fault, part, nameplate), usually from a phone."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="assist/%Y/%m/")
    name = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("问题照片")
        verbose_name_plural = _("问题照片")

    def __str__(self) -> str:
        return self.name


class LibraryOutcome(models.Model):
    """An entry of the 创新成果库: an imported outcome, an innovation-module outcome, a 先用后转
    item or a challenge's result. 先用后转 items carry the owner's terms, fixed up front."""

    class Source(models.TextChoices):
        IMPORT = "import", _("导入")
        INNOVATION = "innovation", _("职工创新")
        CHALLENGE = "challenge", _("揭榜挂帅")
        CLINIC = "clinic", _("技术门诊")

    class LicenceForm(models.TextChoices):
        LICENCE = "licence", _("许可使用")
        TRANSFER = "transfer", _("转让")

    external_id = models.CharField(_("外部编号"), max_length=40, blank=True)
    title = models.CharField(_("名称"), max_length=160)
    type = models.CharField(_("类型"), max_length=30, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, blank=True)
    region = models.CharField(_("地区代码"), max_length=12, blank=True)
    description = models.TextField(_("简介"), blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    verified_benefit = money(_("核验年效益（元）"), null=True, blank=True)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("所属工会"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default="import")
    innovation_outcome = models.OneToOneField(
        "innovation.Outcome", on_delete=models.SET_NULL, null=True, blank=True, related_name="library_entry"
    )
    # 先用后转 terms (only when offered for trial).
    trial_offered = models.BooleanField(_("先用后转"), default=False)
    owner_name = models.CharField(_("权利人"), max_length=100, blank=True)
    licence_form = models.CharField(_("转化方式"), max_length=10, choices=LicenceForm.choices, blank=True)
    licence_fee = money(_("转化费用（元）"), null=True, blank=True)
    trial_months = models.PositiveSmallIntegerField(_("试用期（月）"), null=True, blank=True)
    active = models.BooleanField(_("在库"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("成果库条目")
        verbose_name_plural = _("成果库条目")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="uniq_library_outcome_external_id"
            ),
            models.CheckConstraint(
                condition=Q(trial_offered=False)
                | (Q(licence_fee__isnull=False) & Q(trial_months__isnull=False)),
                name="trial_offer_has_terms",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:outcome_detail", args=[self.pk])


class SearchEntry(models.Model):
    """The search index row of a library document: its text segmented into two views (jieba
    words, character bigrams) as space-separated tokens. PostgreSQL indexes them with
    ``to_tsvector('simple', …)`` GIN indexes, SQLite with an FTS5 table (see migrations); the
    ``search`` module hides the difference."""

    class Kind(models.TextChoices):
        CRAFTSMAN = "craftsman", _("劳模工匠")
        OUTCOME = "outcome", _("成果")
        ANSWER = "answer", _("门诊解答")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    words = models.TextField()
    bigrams = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="uniq_search_entry")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class LibraryChange(models.Model):
    """One statement that wrote a library table (劳模工匠库 ``assist_craftsman`` or 成果库
    ``assist_libraryoutcome``), logged by database triggers (migration 0006), whoever wrote it
    (a service, a bulk update, the admin, raw SQL). A process holding the resident match index
    compares the kind's (row count, last id) with its snapshot's to know it is stale: an
    insert-only log takes no lock a writer could wait on, and it becomes visible exactly when
    the write commits. Pruned daily (``prune_library_changes``)."""

    kind = models.CharField(max_length=10)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("资源库变更")
        verbose_name_plural = _("资源库变更")
        indexes = [models.Index(fields=["kind", "id"], name="assist_libchange_kind_id")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class SearchTerm(models.Model):
    """How many indexed documents of a kind hold a term in a view (document frequency), kept in
    step by the ``search`` module. Retrieval sends the database only the query's selective
    terms: a bigram found in half the library matches everything and ranks nothing."""

    kind = models.CharField(max_length=10)
    view = models.CharField(max_length=8)
    term = models.CharField(max_length=100)
    df = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "view", "term"], name="uniq_search_term")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.view}/{self.term}={self.df}"


class Dispatch(models.Model):
    """A dispatcher's choice of craftsman for a demand, with the rank the engine had shown:
    the labelled pairs the ranker learns from."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="dispatches")
    craftsman = models.ForeignKey(Craftsman, on_delete=models.PROTECT, related_name="dispatches")
    shown_rank = models.PositiveSmallIntegerField(_("推荐名次"), null=True, blank=True)
    shown_score = models.FloatField(null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the place the dispatch booked (Craftsman.open_requests) was given back: the demand
    # was solved or closed. Set once, so a demand re-opened and closed again frees nothing twice.
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        constraints = [models.UniqueConstraint(fields=["demand", "craftsman"], name="uniq_dispatch")]

    def __str__(self) -> str:
        return f"{self.demand_id}→{self.craftsman_id}"


# --- 技术门诊 -----------------------------------------------------------------------------------


class ClinicQuestion(models.Model):
    """A question to the technical clinic: similar solved cases and experts are suggested at
    once; the first answer is due in 3 working days; the enterprise accepts and rates."""

    class Status(models.TextChoices):
        OPEN = "open", _("待认领")
        ASSIGNED = "assigned", _("已分派")
        ANSWERED = "answered", _("已解答")
        ACCEPTED = "accepted", _("已采纳")
        ESCALATED = "escalated", _("已升级")
        CLOSED = "closed", _("已关闭")

    class Escalation(models.TextChoices):
        VISIT = "visit", _("上门服务")
        CHALLENGE = "challenge", _("揭榜挂帅")
        STUDIO = "studio", _("工作室攻关")

    demand = models.OneToOneField(Demand, on_delete=models.CASCADE, related_name="clinic")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="open")
    first_answer_due = models.DateField(_("首次答复期限"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.CharField(_("升级为"), max_length=10, choices=Escalation.choices, blank=True)
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Closed cases become searchable knowledge (SearchEntry kind "answer").
    in_knowledge_base = models.BooleanField(_("已入知识库"), default=False)

    class Meta:
        verbose_name = _("技术门诊问题")
        verbose_name_plural = _("技术门诊问题")
        ordering = ["first_answer_due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="clinic_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return str(self.demand)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:clinic_detail", args=[self.pk])


class ClinicAssignment(models.Model):
    """An expert on a clinic question, assigned by a dispatcher or self-claimed."""

    question = models.ForeignKey(ClinicQuestion, on_delete=models.CASCADE, related_name="assignments")
    craftsman = models.ForeignKey(Craftsman, on_delete=models.PROTECT, related_name="clinic_assignments")
    claimed = models.BooleanField(_("自行认领"), default=False)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("门诊分派")
        verbose_name_plural = _("门诊分派")
        constraints = [
            models.UniqueConstraint(fields=["question", "craftsman"], name="uniq_clinic_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}:{self.craftsman_id}"


class ClinicAnswer(models.Model):
    """An expert's answer; at most one is accepted per question."""

    question = models.ForeignKey(ClinicQuestion, on_delete=models.CASCADE, related_name="answers")
    craftsman = models.ForeignKey(Craftsman, on_delete=models.PROTECT, related_name="clinic_answers")
    text = models.TextField(_("解答"))
    accepted = models.BooleanField(_("已采纳"), default=False)
    response_hours = models.DecimalField(_("响应时长（小时）"), max_digits=7, decimal_places=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("门诊解答")
        verbose_name_plural = _("门诊解答")
        ordering = ["question", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(accepted=True), name="one_accepted_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.craftsman} @ {self.question_id}"


# --- 揭榜挂帅 -----------------------------------------------------------------------------------


class Challenge(models.Model):
    """An open challenge (揭榜挂帅) through its state machine; ends 流榜 / 撤榜 / 终止 possible."""

    class Status(models.TextChoices):
        COLLECTING = "collecting", _("需求征集")
        VETTING = "vetting", _("工会审核")
        PUBLISHED = "published", _("已发榜")
        QUALIFYING = "qualifying", _("资格审查")
        REVIEWING = "reviewing", _("评审答辩")
        PUBLICITY = "publicity", _("公示")
        CONTRACTED = "contracted", _("已签约")
        IMPLEMENTING = "implementing", _("实施中")
        MIDTERM = "midterm", _("中期检查")
        ACCEPTANCE = "acceptance", _("验收")
        PASSED = "passed", _("验收通过")
        FAILED = "failed", _("验收不通过")
        UNCLAIMED = "unclaimed", _("流榜")
        WITHDRAWN = "withdrawn", _("撤榜")
        TERMINATED = "terminated", _("终止")

    demand = models.ForeignKey(
        Demand, on_delete=models.SET_NULL, null=True, blank=True, related_name="challenges"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("发榜工会"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "orgs.Enterprise",
        verbose_name=_("需求企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("榜单名称"), max_length=160)
    description = models.TextField(_("需求描述（脱敏后）"))
    acceptance_criteria = models.TextField(_("验收标准"), blank=True)
    deadline = models.DateField(_("揭榜截止"), null=True, blank=True)
    budget = money(_("经费预算（元）"), null=True, blank=True)
    reward = money(_("奖励（元）"), null=True, blank=True)
    ip_terms = models.TextField(_("知识产权约定"), blank=True)
    confidentiality = models.TextField(_("保密要求"), blank=True)
    conditions = models.TextField(_("揭榜条件"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default="collecting")
    rubric = models.ForeignKey(
        "innovation.Rubric",
        verbose_name=_("评审细则"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    publicity_ends_on = models.DateField(_("公示截止"), null=True, blank=True)
    result_outcome = models.ForeignKey(
        LibraryOutcome, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("揭榜挂帅")
        verbose_name_plural = _("揭榜挂帅")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:challenge_detail", args=[self.pk])


class ChallengeEvent(models.Model):
    """One step of a challenge's history (who, when, from → to, why)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    # None for scheduled moves (流榜 by the nightly job).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["challenge", "at", "id"]

    def __str__(self) -> str:
        return f"{self.challenge_id}: {self.from_status}→{self.to_status}"


class ChallengeTeam(models.Model):
    """A person or team taking the challenge (揭榜), assembled online with open positions."""

    class Status(models.TextChoices):
        FORMING = "forming", _("组队中")
        APPLIED = "applied", _("已揭榜")
        QUALIFIED = "qualified", _("资格审查通过")
        DISQUALIFIED = "disqualified", _("资格审查未通过")
        SELECTED = "selected", _("中榜")
        NOT_SELECTED = "not_selected", _("未中榜")

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("团队名称"), max_length=100)
    leader = models.ForeignKey(
        Craftsman, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.TextField(_("技术方案"), blank=True)
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default="forming")
    qualification_note = models.CharField(_("资格审查意见"), max_length=300, blank=True)
    score = models.DecimalField(_("评审得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("名次"), null=True, blank=True)
    explanation = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("揭榜团队")
        verbose_name_plural = _("揭榜团队")
        ordering = ["challenge", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["challenge", "name"], name="uniq_team_name")]

    def __str__(self) -> str:
        return self.name


class TeamPosition(models.Model):
    """A role in a team; an open position (no craftsman yet) is shown for others to join."""

    team = models.ForeignKey(ChallengeTeam, on_delete=models.CASCADE, related_name="positions")
    role = models.CharField(_("岗位"), max_length=60)
    skills_wanted = models.CharField(_("所需专长"), max_length=200, blank=True)
    craftsman = models.ForeignKey(
        Craftsman, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("团队岗位")
        verbose_name_plural = _("团队岗位")
        ordering = ["team", "id"]

    def __str__(self) -> str:
        return self.role


class ChallengeScore(models.Model):
    """A judge's rubric scores for a team at 评审/答辩 (the innovation rubric, reused)."""

    team = models.ForeignKey(ChallengeTeam, on_delete=models.CASCADE, related_name="scores")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField()
    total = models.DecimalField(max_digits=7, decimal_places=2)
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "judge"], name="uniq_challenge_score")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.judge_id}"


class Milestone(models.Model):
    """A contract milestone with its payment point; teams check in, the union checks."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未到期")
        CHECKED_IN = "checked_in", _("已报告")
        PASSED = "passed", _("已确认")
        FAILED = "failed", _("未通过")

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="milestones")
    team = models.ForeignKey(ChallengeTeam, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("里程碑"), max_length=120)
    due_on = models.DateField(_("计划日期"))
    payment = money(_("付款金额（元）"), default=Decimal(0))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default="pending")
    report = models.TextField(_("进展报告"), blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        ordering = ["challenge", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class BenefitRecord(models.Model):
    """A month of tracked benefit of a challenge result (tracked 12 months after acceptance)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="benefits")
    month = models.DateField(_("月份"))
    amount = money(_("效益（元）"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["challenge", "month"], name="uniq_benefit_month")]

    def __str__(self) -> str:
        return f"{self.challenge_id} {self.month:%Y-%m}"


# --- 师徒结对 / 先用后转 --------------------------------------------------------------------------


class MentorPair(models.Model):
    """A mentor–apprentice pair (师徒结对) with agreement, goals and period."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("结对中")
        COMPLETED = "completed", _("已出师")
        ENDED = "ended", _("已解除")

    mentor = models.ForeignKey(
        Craftsman, verbose_name=_("师傅"), on_delete=models.PROTECT, related_name="pairs"
    )
    apprentice = models.ForeignKey(
        "members.Member",
        verbose_name=_("徒弟"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    apprentice_name = models.CharField(_("徒弟姓名"), max_length=50)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("所属工会"), on_delete=models.PROTECT, related_name="+"
    )
    agreement = models.TextField(_("结对协议"), blank=True)
    goals = models.TextField(_("培养目标"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    level_before = models.CharField(_("结对前技能等级"), max_length=20, blank=True)
    level_after = models.CharField(_("出师技能等级"), max_length=20, blank=True)
    cross_region = models.BooleanField(_("跨区域"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="active")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("师徒结对")
        verbose_name_plural = _("师徒结对")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="pair_period")
        ]

    def __str__(self) -> str:
        return f"{self.mentor} — {self.apprentice_name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:pair_detail", args=[self.pk])


class PairCheckIn(models.Model):
    """A check-in of a pair (what was taught, progress)."""

    pair = models.ForeignKey(MentorPair, on_delete=models.CASCADE, related_name="checkins")
    on = models.DateField(_("日期"))
    note = models.TextField(_("记录"))

    class Meta:
        ordering = ["pair", "-on"]

    def __str__(self) -> str:
        return f"{self.pair_id} {self.on}"


class TrialApplication(models.Model):
    """An enterprise's 先用后转 application: trial agreement → trial with usage reports →
    converted (licence/transfer) | withdrawn (feedback) | extended."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        IN_TRIAL = "in_trial", _("试用中")
        EXTENDED = "extended", _("延长试用")
        CONVERTED = "converted", _("已转化")
        WITHDRAWN = "withdrawn", _("已退出")

    outcome = models.ForeignKey(LibraryOutcome, on_delete=models.PROTECT, related_name="trials")
    enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="applied")
    agreement_signed_on = models.DateField(_("试用协议签订日期"), null=True, blank=True)
    trial_ends_on = models.DateField(_("试用截止"), null=True, blank=True)
    conversion_amount = money(_("转化金额（元）"), null=True, blank=True)
    feedback = models.TextField(_("反馈"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path", owner="created_by")

    class Meta:
        verbose_name = _("先用后转申请")
        verbose_name_plural = _("先用后转申请")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome} @ {self.enterprise}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:trial_detail", args=[self.pk])


class TrialReport(models.Model):
    """A usage report during a trial."""

    application = models.ForeignKey(TrialApplication, on_delete=models.CASCADE, related_name="reports")
    on = models.DateField(_("日期"))
    usage = models.TextField(_("使用情况"))

    class Meta:
        ordering = ["application", "-on"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.on}"


# --- 服务台账 / 目标 -------------------------------------------------------------------------------


class ServiceActivity(models.Model):
    """A service activity of the ledger (visit, training, remote answer, joint 攻关). People
    trained are kept as distinct persons (``Trainee``) apart from person-times: never merged."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("上门服务")
        TRAINING = "training", _("技能培训")
        REMOTE = "remote", _("远程解答")
        JOINT = "joint", _("联合攻关")

    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=160)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("组织工会"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "orgs.Enterprise",
        verbose_name=_("服务企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    held_on = models.DateField(_("日期"))
    craftsmen = models.ManyToManyField(Craftsman, verbose_name=_("参与工匠"), related_name="activities")
    demand = models.ForeignKey(
        Demand, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    person_times = models.PositiveIntegerField(_("培训人次"), default=0)
    estimated_benefit = money(_("预计效益（元）"), null=True, blank=True)
    verified_benefit = money(_("核实效益（元）"), null=True, blank=True)
    long_term_agreement = models.BooleanField(_("签订长期协议"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("服务活动")
        verbose_name_plural = _("服务活动")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["held_on"], name="service_activity_held_on")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assist:ledger_detail", args=[self.pk])


class ServiceProblem(models.Model):
    """A problem handled in an activity; it counts as solved only once the enterprise confirms."""

    activity = models.ForeignKey(ServiceActivity, on_delete=models.CASCADE, related_name="problems")
    description = models.CharField(_("问题"), max_length=300)
    solved = models.BooleanField(_("已解决"), default=False)
    confirmed_by = models.CharField(_("企业确认人"), max_length=50, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["activity", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | (Q(solved=True) & ~Q(confirmed_by="")),
                name="confirmed_problem_is_solved",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Trainee(models.Model):
    """A distinct person trained in an activity, identified by a key (member id or keyed hash of
    the ID number): the same person trained twice is one person, two person-times."""

    activity = models.ForeignKey(ServiceActivity, on_delete=models.CASCADE, related_name="trainees")
    person_key = models.CharField(max_length=64)
    name = models.CharField(_("姓名"), max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "person_key"], name="uniq_trainee")]
        indexes = [models.Index(fields=["person_key"])]

    def __str__(self) -> str:
        return self.name


class KpiTarget(models.Model):
    """A node's yearly targets (e.g. ≥1,000 craftsman visits, >1,000 enterprises, ≥1,000 problems,
    >10,000 people trained); figures roll up the union tree."""

    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    craftsman_visits = models.PositiveIntegerField(_("劳模工匠服务人次"), default=0)
    enterprises = models.PositiveIntegerField(_("服务企业数"), default=0)
    problems = models.PositiveIntegerField(_("解决问题数"), default=0)
    people_trained = models.PositiveIntegerField(_("培训人数"), default=0)
    person_times = models.PositiveIntegerField(_("培训人次"), default=0)

    objects = scoped_manager(org_path="org_unit__path")

    class Meta:
        verbose_name = _("年度目标")
        verbose_name_plural = _("年度目标")
        constraints = [models.UniqueConstraint(fields=["org_unit", "year"], name="uniq_kpi_target")]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.year}"
