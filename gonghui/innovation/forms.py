"""Forms for filing and moving outcomes. They only parse input; the services decide."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone

from gonghui.innovation.engine import AWARD_LEVEL_LABELS
from gonghui.innovation.models import BenefitLine, Outcome, Patent
from gonghui.innovation.outcomes import AWARDS, BenefitInput, TeamMemberInput


def parse_team(text: str) -> list[TeamMemberInput]:
    """One completer per line, "姓名 占比" (e.g. "张三 70"); the first line is the first completer.

    Raises ValidationError naming the line, so a phone user sees exactly what to fix.
    """
    team: list[TeamMemberInput] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace("，", " ").replace(",", " ").replace("%", " ").replace("％", " ").strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise forms.ValidationError(f"第 {number} 行应为“姓名 占比”，例如“张三 70”")
        name, share_text = parts
        try:
            share = Decimal(share_text)
        except InvalidOperation as exc:
            raise forms.ValidationError(f"第 {number} 行：占比“{share_text}”不是数字") from exc
        team.append(TeamMemberInput(name=name, share=share))
    if not team:
        raise forms.ValidationError("至少填写一名完成人")
    return team


class OutcomeForm(forms.Form):
    """Filing on a phone: a few fields, the team as lines of "姓名 占比"."""

    type = forms.ChoiceField(label="类型", choices=Outcome.Type.choices)
    subtype = forms.ChoiceField(label="五小类别", required=False)
    title = forms.CharField(label="成果名称", max_length=120)
    situation = forms.CharField(label="现状分析", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    measures = forms.CharField(label="改进措施", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    effect = forms.CharField(label="改进效果", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    estimated_benefit = forms.DecimalField(
        label="预计年效益（元）", required=False, min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    tags = forms.CharField(label="标签", required=False, help_text="用空格或顿号分隔")
    team = forms.CharField(
        label="完成人及贡献占比",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一人：姓名 占比，第一行为第一完成人，合计 100",
    )

    def __init__(self, *args: Any, five_small_labels: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subtype"].choices = [("", "—"), *[(label, label) for label in five_small_labels]]  # type: ignore[attr-defined]

    def clean_team(self) -> list[TeamMemberInput]:
        return parse_team(self.cleaned_data["team"])

    def clean_tags(self) -> list[str]:
        text = self.cleaned_data.get("tags") or ""
        return [t for t in text.replace("、", " ").replace(",", " ").split() if t][:10]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="评审结论",
        choices=[
            (s.value, s.label)
            for s in (
                Outcome.Status.ADOPTED,
                Outcome.Status.TRIAL,
                Outcome.Status.SHELVED,
                Outcome.Status.DECLINED,
            )
        ],
    )
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CommentForm(forms.Form):
    comment = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReplyForm(forms.Form):
    reply = forms.CharField(label="回复", widget=forms.Textarea(attrs={"rows": 2}))


class ImplementForm(forms.Form):
    implemented_on = forms.DateField(
        label="实施日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class BenefitForm(forms.Form):
    """Up to four calculator lines: labour time, material, other gains, costs."""

    first_benefit_on = forms.DateField(
        label="首次产生效益日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours_saved = forms.DecimalField(label="每次节约工时", required=False, min_value=Decimal(0))
    hourly_cost = forms.DecimalField(label="人工成本（元/工时）", required=False, min_value=Decimal(0))
    times_per_year = forms.DecimalField(label="每年发生次数", required=False, min_value=Decimal(0))
    quantity = forms.DecimalField(label="年节约材料数量", required=False, min_value=Decimal(0))
    unit = forms.CharField(label="单位", required=False, max_length=10)
    unit_price = forms.DecimalField(label="材料单价（元）", required=False, min_value=Decimal(0))
    other = forms.DecimalField(label="其他年收益（元）", required=False, min_value=Decimal(0))
    cost = forms.DecimalField(label="投入成本（元）", required=False, min_value=Decimal(0))

    def lines(self) -> list[BenefitInput]:
        d = self.cleaned_data
        lines: list[BenefitInput] = []
        if d.get("hours_saved") is not None:
            lines.append(
                BenefitInput(
                    kind=BenefitLine.Kind.LABOUR,
                    description="节约工时",
                    params={
                        "hours_saved": d["hours_saved"],
                        "hourly_cost": d.get("hourly_cost"),
                        "times_per_year": d.get("times_per_year"),
                    },
                )
            )
        if d.get("quantity") is not None:
            lines.append(
                BenefitInput(
                    kind=BenefitLine.Kind.MATERIAL,
                    description="节约材料",
                    params={
                        "quantity": d["quantity"],
                        "unit_price": d.get("unit_price"),
                        "unit": d.get("unit") or "",
                    },
                )
            )
        if d.get("other"):
            lines.append(
                BenefitInput(
                    kind=BenefitLine.Kind.OTHER, description="其他收益", params={"amount": d["other"]}
                )
            )
        if d.get("cost"):
            lines.append(
                BenefitInput(kind=BenefitLine.Kind.COST, description="投入成本", params={"amount": d["cost"]})
            )
        return lines


class VerifyForm(forms.Form):
    verified_by = forms.ChoiceField(label="核验方", choices=Outcome.Verifier.choices)
    verifier_name = forms.CharField(label="核验单位/人", max_length=100)
    amount = forms.DecimalField(label="核验年效益（元）", max_digits=14, decimal_places=2)
    comment = forms.CharField(label="说明", required=False)


class RewardForm(forms.Form):
    paid_on = forms.DateField(
        label="发放日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    note = forms.CharField(label="备注", required=False, max_length=200)


class PatentForm(forms.Form):
    number = forms.CharField(label="专利号", max_length=40)
    kind = forms.ChoiceField(label="类型", choices=Patent.Kind.choices)
    status = forms.ChoiceField(label="状态", choices=Patent.Status.choices)
    granted_on = forms.DateField(
        label="授权日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class NominateForm(forms.Form):
    award = forms.ChoiceField(label="奖项", choices=[(code, rules.label) for code, rules in AWARDS.items()])
    target_level = forms.ChoiceField(label="推荐至", choices=list(AWARD_LEVEL_LABELS.items()))


class AttachForm(forms.Form):
    file = forms.FileField(label="照片/视频/文件")
