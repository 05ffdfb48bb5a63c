"""Forms of the studio, alliance and statistics pages. Choices come from what the user may see;
the services decide whether the user may act (their refusals become form errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone

from gonghui.innovation.engine import SIX_HAVES
from gonghui.innovation.models import AllianceResource, Studio, StudioActivity, StudioMember
from gonghui.members.forms import _Styled
from gonghui.orgs.models import Enterprise, OrgUnit

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVIDENCE_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx"})
FIRST_YEAR = 2000


def _date(**kwargs: Any) -> forms.DateField:
    # <input type="date"> only takes ISO dates, whatever the language's date format.
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


def _current_year() -> int:
    return timezone.localdate().year


def _year(label: str = "年度") -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=FIRST_YEAR, initial=_current_year)


class _Form(_Styled, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"


class StudioForm(_Form):
    name = forms.CharField(label="工作室名称", max_length=120)
    leader_name = forms.CharField(label="领军人物", max_length=50)
    leader_title = forms.CharField(
        label="荣誉称号",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "如：省级工匠、全国劳动模范"}),
    )
    level = forms.ChoiceField(label="级别", choices=Studio.Level.choices)
    field = forms.CharField(label="专业领域", max_length=60)
    enterprise = forms.ModelChoiceField(
        label="依托企业", queryset=Enterprise.objects.none(), required=False, empty_label="（不依托企业）"
    )
    org_unit = forms.ModelChoiceField(
        label="所属工会",
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label="（依托企业的企业工会）",
        help_text="不选时归属依托企业的企业工会",
    )
    founded_on = _date(label="成立日期")
    space_sqm = forms.IntegerField(label="场地面积（㎡）", min_value=0, initial=0)
    equipment = forms.CharField(label="设施设备", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rules = forms.CharField(label="管理制度", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    plans = forms.CharField(label="课题计划", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    funding = forms.DecimalField(
        label="年度经费（元）", min_value=0, max_digits=14, decimal_places=2, initial=0
    )

    def __init__(
        self, *args: Any, enterprises: QuerySet[Enterprise], units: QuerySet[OrgUnit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        enterprise = data.get("enterprise")
        if not data.get("org_unit"):
            if enterprise is None:
                self.add_error("org_unit", "请选择依托企业或所属工会")
            else:
                data["org_unit"] = enterprise.union
        return data


class PersonForm(_Form):
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="身份", choices=StudioMember.Role.choices)
    year = _year()


class EvidenceForm(_Form):
    have = forms.ChoiceField(label="六有项", choices=list(SIX_HAVES.items()))
    description = forms.CharField(label="佐证说明", max_length=300)
    year = _year()
    file = forms.FileField(label="佐证材料（可选：PDF、图片、Word、Excel）", required=False)

    def clean_file(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if upload is None:
            return None
        if Path(upload.name or "").suffix.lower() not in EVIDENCE_SUFFIXES:
            raise forms.ValidationError("仅支持 PDF、图片（jpg/png）、Word 或 Excel 文件")
        if (upload.size or 0) > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError("文件不能超过 20 MB")
        return upload


class ActivityForm(_Form):
    kind = forms.ChoiceField(label="类别", choices=StudioActivity.Kind.choices)
    title = forms.CharField(label="名称", max_length=120)
    held_on = _date(label="日期", initial=timezone.localdate)
    participants = forms.IntegerField(label="参与人数", min_value=0, initial=0)
    confirmed = forms.BooleanField(label="现场已确认解决（仅现场问题）", required=False)


class RateForm(_Form):
    year = _year("评定年度")


class AllianceForm(_Form):
    name = forms.CharField(label="联盟名称", max_length=120)
    field = forms.CharField(label="领域", max_length=60)
    org_unit = forms.ModelChoiceField(label="牵头工会", queryset=OrgUnit.objects.none())
    founded_on = _date(label="成立日期", initial=timezone.localdate)
    description = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    studios = forms.ModelMultipleChoiceField(
        label="成员工作室",
        queryset=Studio.objects.none(),
        required=False,
        widget=forms.SelectMultiple,
        help_text="按住 Ctrl（Mac 为 ⌘）可多选；牵头工作室会自动加入",
    )
    lead = forms.ModelChoiceField(
        label="牵头工作室", queryset=Studio.objects.none(), required=False, empty_label="（暂不指定）"
    )

    def __init__(
        self, *args: Any, studios: QuerySet[Studio], units: QuerySet[OrgUnit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["studios"].queryset = studios  # type: ignore[attr-defined]
        self.fields["lead"].queryset = studios  # type: ignore[attr-defined]
        self.fields["studios"].widget.attrs["size"] = 8


class AllianceMemberForm(_Form):
    studio = forms.ModelChoiceField(label="工作室", queryset=Studio.objects.none())
    joined_on = _date(label="加入日期", initial=timezone.localdate)

    def __init__(self, *args: Any, studios: QuerySet[Studio], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["studio"].queryset = studios  # type: ignore[attr-defined]


class AllianceProjectForm(_Form):
    title = forms.CharField(label="项目名称", max_length=120)
    studios = forms.ModelMultipleChoiceField(
        label="参与工作室（至少两个）", queryset=Studio.objects.none(), help_text="按住 Ctrl 可多选"
    )
    started_on = _date(label="开始日期", initial=timezone.localdate)
    summary = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, studios: QuerySet[Studio], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["studios"].queryset = studios  # type: ignore[attr-defined]


class AllianceResourceForm(_Form):
    studio = forms.ModelChoiceField(label="提供方", queryset=Studio.objects.none())
    kind = forms.ChoiceField(label="类别", choices=AllianceResource.Kind.choices)
    name = forms.CharField(label="名称", max_length=120)
    description = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args: Any, studios: QuerySet[Studio], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["studio"].queryset = studios  # type: ignore[attr-defined]


class AllianceActivityForm(_Form):
    title = forms.CharField(label="名称", max_length=120)
    held_on = _date(label="日期", initial=timezone.localdate)
    participants = forms.IntegerField(label="参与人数", min_value=0, initial=0)
