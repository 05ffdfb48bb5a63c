"""Forms and list filters of the ledger, pair, trial and KPI pages. Choices come from what the
user may see (selectors); the services decide whether the user may act, and their refusals
become form errors."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from gonghui.assist.ledger import MAX_TRAINEES, TraineeInput
from gonghui.assist.models import (
    Craftsman,
    LibraryOutcome,
    MentorPair,
    ServiceActivity,
    TrialApplication,
)
from gonghui.core.filters import StyledFilterSet
from gonghui.members.forms import _Styled
from gonghui.orgs.models import Enterprise, OrgUnit

MAX_IMPORT_BYTES = 10 * 1024 * 1024
# One trainee a line: name then ID number, separated by spaces, a comma or a colon.
_TRAINEE_LINE = re.compile(r"^(?P<name>[^\s,，:：;；]+)[\s,，:：;；]+(?P<id>[0-9Xx]+)$")


def _date(**kwargs: Any) -> forms.DateField:
    # <input type="date"> only takes ISO dates, whatever the language's date format.
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


def _money(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=0, max_digits=14, decimal_places=2, **kwargs)


def _text(label: str, rows: int = 2, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class _Form(_Styled, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"


def parse_trainee_lines(text: str) -> list[TraineeInput]:
    """``"张三 330109199001011239"`` a line → trainees; raises ValidationError naming the line."""
    people = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _TRAINEE_LINE.match(line)
        if match is None:
            raise forms.ValidationError(f"第 {number} 行应为“姓名 身份证号”")
        people.append(TraineeInput(name=match["name"], id_number=match["id"]))
    if len(people) > MAX_TRAINEES:
        raise forms.ValidationError(f"一次活动最多登记 {MAX_TRAINEES} 名培训人员")
    return people


# --- ledger -----------------------------------------------------------------------------------


class ActivityForm(_Form):
    org_unit = forms.ModelChoiceField(label="组织工会", queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label="服务类别", choices=ServiceActivity.Kind.choices)
    title = forms.CharField(label="活动名称", max_length=160)
    held_on = _date(label="日期", initial=timezone.localdate)
    enterprise = forms.ModelChoiceField(
        label="服务企业",
        queryset=Enterprise.objects.none(),
        required=False,
        empty_label="（培训可不选）",
    )
    craftsmen = forms.ModelMultipleChoiceField(
        label="参与劳模工匠",
        queryset=Craftsman.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    problems = _text("解决的问题", required=False, help_text="一行一个问题；企业确认后才计为已解决")
    trainees = _text(
        "培训人员",
        rows=3,
        required=False,
        help_text="一行一人：姓名 身份证号（只保存身份证号的加密摘要，用于按人去重）",
    )
    person_times = forms.IntegerField(
        label="培训人次", min_value=0, initial=0, help_text="另行填写，不少于登记的培训人数"
    )
    estimated_benefit = _money("预计效益（元）", required=False)
    verified_benefit = _money("核实效益（元）", required=False)
    long_term_agreement = forms.BooleanField(label="签订长期服务协议（临时助企 → 长期惠企）", required=False)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[OrgUnit],
        enterprises: QuerySet[Enterprise],
        craftsmen: QuerySet[Craftsman],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]
        self.fields["craftsmen"].queryset = craftsmen  # type: ignore[attr-defined]

    def clean_trainees(self) -> list[TraineeInput]:
        return parse_trainee_lines(self.cleaned_data.get("trainees") or "")

    def clean_problems(self) -> list[str]:
        return [
            line.strip() for line in (self.cleaned_data.get("problems") or "").splitlines() if line.strip()
        ]


class ProblemForm(_Form):
    description = forms.CharField(label="问题", max_length=300)


class ConfirmForm(_Form):
    problem = forms.IntegerField(widget=forms.HiddenInput)
    confirmed_by = forms.CharField(label="企业确认人", max_length=50, required=False)


class SolvedForm(_Form):
    problem = forms.IntegerField(widget=forms.HiddenInput)


class BenefitForm(_Form):
    verified_benefit = _money("核实效益（元）")


class ImportForm(_Form):
    org_unit = forms.ModelChoiceField(
        label="组织工会",
        queryset=OrgUnit.objects.none(),
        help_text="“组织工会行政区划代码”一列为空的行记入此工会",
    )
    file = forms.FileField(label="文件（.xlsx 或 .csv）")

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".xlsx") or name.endswith(".csv")):
            raise forms.ValidationError("仅支持 .xlsx 或 .csv 文件")
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"文件超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB 上限")
        return upload


class KpiTargetForm(_Form):
    craftsman_visits = forms.IntegerField(label="劳模工匠服务人次", min_value=0, initial=0)
    enterprises = forms.IntegerField(label="服务企业数", min_value=0, initial=0)
    problems = forms.IntegerField(label="解决问题数", min_value=0, initial=0)
    people_trained = forms.IntegerField(label="培训人数", min_value=0, initial=0)
    person_times = forms.IntegerField(label="培训人次", min_value=0, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # shown in a table without <label>s
            field.widget.attrs["aria-label"] = str(field.label)


class ActivityFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="名称/企业", method="by_text")
    kind = django_filters.ChoiceFilter(label="类别", choices=ServiceActivity.Kind.choices)
    year = django_filters.NumberFilter(label="年度", field_name="held_on", lookup_expr="year")
    long_term_agreement = django_filters.BooleanFilter(label="长期协议")

    class Meta:
        model = ServiceActivity
        fields: list[str] = []

    def by_text(
        self, queryset: QuerySet[ServiceActivity], name: str, value: str
    ) -> QuerySet[ServiceActivity]:
        return queryset.filter(Q(title__icontains=value) | Q(enterprise__name__icontains=value))


# --- pairs ------------------------------------------------------------------------------------


class PairForm(_Form):
    mentor = forms.ModelChoiceField(label="师傅（劳模工匠）", queryset=Craftsman.objects.none())
    apprentice_name = forms.CharField(label="徒弟姓名", max_length=50)
    org_unit = forms.ModelChoiceField(label="徒弟所在工会", queryset=OrgUnit.objects.none())
    level_before = forms.ChoiceField(
        label="结对前技能等级", choices=[("", "（未评定）"), *Craftsman.SkillLevel.choices], required=False
    )
    goals = _text("培养目标")
    agreement = _text("结对协议要点", required=False)
    starts_on = _date(label="开始日期", initial=timezone.localdate)
    ends_on = _date(label="结束日期")

    def __init__(
        self, *args: Any, craftsmen: QuerySet[Craftsman], units: QuerySet[OrgUnit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = craftsmen  # type: ignore[attr-defined]
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]


class CheckInForm(_Form):
    on = _date(label="日期", initial=timezone.localdate)
    note = forms.CharField(label="带教内容", max_length=2000)


class CompleteForm(_Form):
    level_after = forms.ChoiceField(label="出师技能等级", choices=Craftsman.SkillLevel.choices)


class EndForm(_Form):
    reason = forms.CharField(label="解除原因", max_length=500)


class PairFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="师傅/徒弟", method="by_name")
    status = django_filters.ChoiceFilter(label="状态", choices=MentorPair.Status.choices)
    cross_region = django_filters.BooleanFilter(label="跨区域")

    class Meta:
        model = MentorPair
        fields: list[str] = []

    def by_name(self, queryset: QuerySet[MentorPair], name: str, value: str) -> QuerySet[MentorPair]:
        return queryset.filter(Q(mentor__name__icontains=value) | Q(apprentice_name__icontains=value))


# --- trials -----------------------------------------------------------------------------------


class TrialOfferForm(_Form):
    outcome = forms.ModelChoiceField(label="成果", queryset=LibraryOutcome.objects.none())
    owner_name = forms.CharField(label="权利人", max_length=100)
    licence_form = forms.ChoiceField(label="转化方式", choices=LibraryOutcome.LicenceForm.choices)
    licence_fee = _money("转化费用（元）", initial=Decimal(0))
    trial_months = forms.IntegerField(label="试用期（月）", min_value=1, max_value=36, initial=6)

    def __init__(self, *args: Any, outcomes: QuerySet[LibraryOutcome], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = outcomes  # type: ignore[attr-defined]


class TrialApplyForm(_Form):
    outcome = forms.ModelChoiceField(label="先用后转成果", queryset=LibraryOutcome.objects.none())
    enterprise = forms.ModelChoiceField(label="申请企业", queryset=Enterprise.objects.none())

    def __init__(
        self, *args: Any, outcomes: QuerySet[LibraryOutcome], enterprises: QuerySet[Enterprise], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = outcomes  # type: ignore[attr-defined]
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]


class SignForm(_Form):
    signed_on = _date(label="试用协议签订日期", initial=timezone.localdate)


class ReportForm(_Form):
    on = _date(label="日期", initial=timezone.localdate)
    usage = forms.CharField(label="使用情况", max_length=2000)


class ConvertForm(_Form):
    amount = _money("转化金额（元）", required=False, help_text="不填按发布的转化费用")


class WithdrawForm(_Form):
    feedback = forms.CharField(label="反馈意见", max_length=2000)


class ExtendForm(_Form):
    new_end = _date(label="新的试用截止日期")


class TrialFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="成果/企业", method="by_text")
    status = django_filters.ChoiceFilter(label="状态", choices=TrialApplication.Status.choices)

    class Meta:
        model = TrialApplication
        fields: list[str] = []

    def by_text(
        self, queryset: QuerySet[TrialApplication], name: str, value: str
    ) -> QuerySet[TrialApplication]:
        return queryset.filter(Q(outcome__title__icontains=value) | Q(enterprise__name__icontains=value))
