"""Forms of the library pages. They only parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from gonghui.assist.libraries import MAX_PHOTOS
from gonghui.assist.models import Craftsman, DemandKind, Urgency
from gonghui.orgs.industries import Industry


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (phone photos); cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DemandForm(forms.Form):
    """Posting a problem from a phone: a title, what happens, the equipment, a few photos."""

    enterprise: forms.ModelChoiceField = forms.ModelChoiceField(label="企业", queryset=None, empty_label=None)  # type: ignore[type-arg,arg-type]
    title = forms.CharField(
        label="问题标题", max_length=120, help_text="一句话说明问题，例如“数控车床主轴异响”"
    )
    description = forms.CharField(
        label="问题描述",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="现象、什么时候出现、已经试过什么",
    )
    equipment_model = forms.CharField(label="设备型号", max_length=100, required=False)
    kind = forms.ChoiceField(label="需求类别", choices=DemandKind.choices)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    confidential = forms.BooleanField(label="涉密（仅工会和派出的工匠可见）", required=False)
    photos = MultipleFileField(
        label="照片", required=False, help_text=f"最多 {MAX_PHOTOS} 张，每张不超过 10 MB"
    )

    def __init__(self, *args: Any, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]
        first = enterprises.first()
        if first is not None:
            self.fields["enterprise"].initial = first.pk
        _style(self)

    @property
    def single_enterprise(self) -> bool:
        return self.fields["enterprise"].queryset.count() == 1  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    """Upload a craftsmen or outcomes list into a union's library."""

    kind = forms.ChoiceField(label="导入内容", choices=[("craftsmen", "劳模工匠"), ("outcomes", "创新成果")])
    org_unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label="所属工会", queryset=None, empty_label=None
    )  # type: ignore[type-arg,arg-type]
    file = forms.FileField(label="文件（xlsx 或 csv）")
    skip_invalid = forms.BooleanField(label="跳过有错误的行，仅导入正确的行", required=False)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        _style(self)


class CraftsmanForm(forms.Form):
    """A craftsman's library record (lists separated by "、")."""

    name = forms.CharField(label="姓名", max_length=50)
    external_id = forms.CharField(label="外部编号", max_length=40, required=False)
    honours = forms.CharField(
        label="荣誉", required=False, help_text="用“、”分隔，例如 全国劳动模范、浙江工匠"
    )
    employer_name = forms.CharField(label="工作单位", max_length=160, required=False)
    region = forms.CharField(label="地区代码", max_length=6, required=False, help_text="6 位行政区划代码")
    industry = forms.ChoiceField(label="行业门类", choices=[("", "—"), *Industry.choices], required=False)
    trades = forms.CharField(label="工种", required=False)
    skill_level = forms.ChoiceField(
        label="技能等级", choices=[("", "—"), *Craftsman.SkillLevel.choices], required=False
    )
    skills = forms.CharField(label="专长", required=False)
    equipment = forms.CharField(label="熟悉的设备与工艺", required=False)
    bio = forms.CharField(
        label="简介", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    available = forms.BooleanField(label="可接单", required=False, initial=True)
    monthly_capacity = forms.IntegerField(label="每月可接单数", min_value=0, max_value=99, initial=4)

    LIST_FIELDS = ("honours", "trades", "skills", "equipment")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    @classmethod
    def initial_for(cls, craftsman: Craftsman) -> dict[str, Any]:
        initial = {name: getattr(craftsman, name) for name in cls.base_fields}
        for name in cls.LIST_FIELDS:
            initial[name] = "、".join(getattr(craftsman, name))
        return initial


class DispatchForm(forms.Form):
    """A dispatcher's choice from the ranked list (the rank and score shown are kept)."""

    craftsman = forms.IntegerField(min_value=1)
    shown_rank = forms.IntegerField(min_value=1, max_value=1000, required=False)
    shown_score = forms.FloatField(required=False)
