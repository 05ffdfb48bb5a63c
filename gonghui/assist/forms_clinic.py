"""Forms of the technical clinic. They only parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from gonghui.assist.models import ClinicAnswer, ClinicQuestion, Craftsman, DemandKind, Urgency
from gonghui.orgs.models import Enterprise


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input (a phone's camera or gallery); cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class AskForm(forms.Form):
    """Asking on a phone: what happened, on which equipment, how urgent, photos."""

    enterprise = forms.ModelChoiceField(
        label="提问企业", queryset=Enterprise.objects.none(), empty_label=None
    )
    title = forms.CharField(label="问题标题", max_length=120)
    description = forms.CharField(
        label="问题描述",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="现象、出现频率、已经试过的办法",
    )
    equipment_model = forms.CharField(label="设备型号", max_length=100, required=False)
    kind = forms.ChoiceField(label="需求类别", choices=DemandKind.choices, initial=DemandKind.BREAKTHROUGH)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    confidential = forms.BooleanField(
        label="涉密（仅工会和分派的专家可见）", required=False, help_text="涉密问题不公开给其他专家认领"
    )
    photos = MultiplePhotoField(label="照片", required=False, help_text="故障部位、铭牌等，最多 9 张")

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enterprise"]
        field.queryset = enterprises  # type: ignore[attr-defined]
        first = enterprises.first()
        if first is not None:
            field.initial = first.pk
        if enterprises.count() <= 1:
            field.widget = forms.HiddenInput()


class AssignForm(forms.Form):
    craftsman = forms.ModelChoiceField(label="专家", queryset=Craftsman.objects.none())

    def __init__(self, *args: Any, craftsmen: QuerySet[Craftsman], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["craftsman"].queryset = craftsmen  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    text = forms.CharField(
        label="解答",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="原因分析、处理步骤、需要注意的安全事项",
    )


RATING_CHOICES = [(i, "★" * i) for i in range(5, 0, -1)]


class AcceptForm(forms.Form):
    answer = forms.ModelChoiceField(
        label="采纳的解答", queryset=ClinicAnswer.objects.none(), empty_label=None
    )
    rating = forms.TypedChoiceField(
        label="评分", choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, initial=5
    )
    rating_comment = forms.CharField(label="评价", max_length=300, required=False)

    def __init__(self, *args: Any, question: ClinicQuestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["answer"]
        field.queryset = question.answers.select_related("craftsman")  # type: ignore[attr-defined]
        field.label_from_instance = lambda a: f"{a.craftsman.name}的解答"  # type: ignore[attr-defined]


class EscalateForm(forms.Form):
    to = forms.ChoiceField(label="升级为", choices=ClinicQuestion.Escalation.choices)
    comment = forms.CharField(label="说明", max_length=300, required=False)


class CloseForm(forms.Form):
    comment = forms.CharField(label="说明", max_length=300, required=False)


class KnowledgeSearchForm(forms.Form):
    q = forms.CharField(label="关键词", max_length=200, required=False)
