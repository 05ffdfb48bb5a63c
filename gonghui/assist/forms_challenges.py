"""Forms of the challenge pages. They only parse input; the services decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from gonghui.accounts.models import User
from gonghui.assist.challenges import MilestoneInput, PositionInput
from gonghui.assist.models import ChallengeTeam
from gonghui.innovation.models import Rubric
from gonghui.orgs.models import Enterprise, OrgUnit

DATE = {"type": "date"}


def _date_field(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )


def _money(label: str, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal(0), max_digits=14, decimal_places=2
    )


def _text(label: str, rows: int = 3, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}))


def parse_positions(text: str) -> list[PositionInput]:
    """One open position per line: "岗位 所需专长" (the skills may be left out)."""
    positions = []
    for raw in text.splitlines():
        line = raw.replace("，", " ").replace("：", " ").replace(":", " ").strip()
        if not line:
            continue
        role, _, skills = line.partition(" ")
        positions.append(PositionInput(role=role.strip(), skills_wanted=skills.strip()))
    return positions


class Styled(forms.Form):
    """Bootstrap classes on every widget (the pages render fields one by one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class ChallengeForm(Styled):
    """需求征集 and 审核脱敏: the need and the terms 发榜 will require."""

    org_unit = forms.ModelChoiceField(label="发榜工会", queryset=OrgUnit.objects.none())
    enterprise = forms.ModelChoiceField(label="需求企业", queryset=Enterprise.objects.none(), required=False)
    title = forms.CharField(label="榜单名称", max_length=160)
    description = _text("需求描述", rows=5, required=True)
    acceptance_criteria = _text("验收标准")
    deadline = _date_field("揭榜截止日期", required=False)
    budget = _money("经费预算（元）")
    reward = _money("奖励（元）")
    ip_terms = _text("知识产权约定", rows=2)
    confidentiality = _text("保密要求", rows=2)
    conditions = _text("揭榜条件", rows=2)
    rubric = forms.ModelChoiceField(
        label="评审细则",
        queryset=Rubric.objects.none(),
        required=False,
        empty_label="默认（揭榜挂帅评审细则）",
    )

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Challenges are usually published by district and street unions; an enterprise
        # union's own staff still get their unit.
        visible = OrgUnit.objects.visible_to(user, "review")
        units = visible.exclude(level=OrgUnit.Level.ENTERPRISE)
        if not editing and not units.exists():
            units = visible
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["rubric"].queryset = Rubric.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        if editing:
            del self.fields["org_unit"]
            self.fields[
                "description"
            ].help_text = "发榜前请删除企业名称以外的涉密细节（工艺参数、客户、图纸编号等）。"

    def terms(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d.pop("org_unit", None)
        return d


class CommentForm(Styled):
    comment = _text("意见", rows=2)


class ReasonForm(Styled):
    reason = _text("理由", rows=2, required=True)


class TeamForm(Styled):
    """揭榜组队 on a phone: the leader's own role and the open positions, one per line."""

    name = forms.CharField(label="团队名称", max_length=100)
    leader_role = forms.CharField(label="我的岗位", max_length=60, initial="负责人")
    positions = _text("招募岗位", rows=3)
    plan = _text("技术方案（揭榜时必填）", rows=4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "positions"
        ].help_text = "每行一个空缺岗位：岗位 所需专长，例如“数控编程 五轴编程”；可不填"

    def clean_positions(self) -> list[PositionInput]:
        return parse_positions(self.cleaned_data.get("positions") or "")


class PositionForm(Styled):
    role = forms.CharField(label="岗位", max_length=60)
    skills_wanted = forms.CharField(label="所需专长", max_length=200, required=False)


class ApplyForm(Styled):
    plan = _text("技术方案", rows=4, required=True)


class QualifyForm(Styled):
    decision = forms.ChoiceField(
        label="审查结论", choices=[("qualified", "通过"), ("disqualified", "不通过")]
    )
    note = forms.CharField(label="审查意见", max_length=300)


class StartReviewForm(Styled):
    rubric = forms.ModelChoiceField(
        label="评审细则", queryset=Rubric.objects.none(), required=False, empty_label="榜单已选或默认细则"
    )
    comment = _text("意见", rows=2)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = Rubric.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]


class PublicizeForm(Styled):
    teams = forms.ModelMultipleChoiceField(
        label="中榜团队", queryset=ChallengeTeam.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    comment = _text("意见", rows=2)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = candidates  # type: ignore[attr-defined]


class MilestoneRowForm(Styled):
    team = forms.TypedChoiceField(label="团队", coerce=int, required=False)
    title = forms.CharField(label="里程碑", max_length=120, required=False)
    due_on = _date_field("计划日期", required=False)
    payment = _money("付款金额（元）")

    def __init__(self, *args: Any, teams: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "—"), *(teams or [])]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        filled = d.get("title") or d.get("due_on") or d.get("payment") is not None
        if filled and not (d.get("team") and d.get("title") and d.get("due_on")):
            raise forms.ValidationError("里程碑须填写团队、名称和计划日期")
        return d


class BaseMilestoneFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def milestones(self) -> list[MilestoneInput]:
        rows = []
        for form in self.forms:
            d = form.cleaned_data
            if d.get("title"):
                rows.append(
                    MilestoneInput(
                        team_id=d["team"],
                        title=d["title"],
                        due_on=d["due_on"],
                        payment=d.get("payment") or Decimal(0),
                    )
                )
        return rows


def milestone_formset(data: Any, teams: list[tuple[int, str]], rows: int) -> BaseMilestoneFormSet:
    formset_class = forms.formset_factory(MilestoneRowForm, formset=BaseMilestoneFormSet, extra=rows)
    return formset_class(data, prefix="ms", form_kwargs={"teams": teams})  # type: ignore[return-value]


class CheckInForm(Styled):
    report = _text("进展报告", rows=3, required=True)


class ConfirmForm(Styled):
    decision = forms.ChoiceField(label="确认结论", choices=[("passed", "确认"), ("failed", "不通过")])
    note = forms.CharField(label="意见", max_length=300, required=False)


class MidtermForm(Styled):
    decision = forms.ChoiceField(
        label="检查结论", choices=[("passed", "通过，继续实施"), ("failed", "不通过，终止")]
    )
    comment = _text("检查意见", rows=2, required=True)


class PassForm(Styled):
    comment = _text("验收意见", rows=2, required=True)
    outcome_title = forms.CharField(label="成果名称（默认榜单名称）", max_length=160, required=False)
    tags = forms.CharField(label="成果标签", required=False, help_text="用空格或顿号分隔")

    def clean_tags(self) -> list[str]:
        text = self.cleaned_data.get("tags") or ""
        return [t for t in text.replace("、", " ").replace(",", " ").split() if t][:10]


class ExtendForm(Styled):
    team = forms.TypedChoiceField(label="团队", coerce=int)
    title = forms.CharField(label="整改里程碑", max_length=120, initial="延期整改")
    due_on = _date_field("新的计划日期")
    reason = _text("延期理由", rows=2, required=True)

    def __init__(self, *args: Any, teams: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = teams or []  # type: ignore[attr-defined]


class BenefitForm(Styled):
    month = forms.CharField(label="月份", widget=forms.DateInput(attrs={"type": "month"}))
    amount = forms.DecimalField(label="当月效益（元）", max_digits=14, decimal_places=2)

    def clean_month(self) -> dt.date:
        text = (self.cleaned_data.get("month") or "").strip()
        try:
            return dt.datetime.strptime(text[:7], "%Y-%m").date()
        except ValueError as exc:
            raise forms.ValidationError("月份格式应为 YYYY-MM") from exc
