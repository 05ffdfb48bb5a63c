from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from gonghui.core.tabular import MAX_IMPORT_BYTES
from gonghui.members.forms import _Styled
from gonghui.mutual_aid.models import Plan


class ApplyForm(_Styled, forms.Form):
    bank_card = forms.CharField(
        label="银行卡号",
        max_length=23,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
    bank_name = forms.CharField(
        label="开户行",
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "如：中国工商银行杭州萧山支行"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class DocumentForm(_Styled, forms.Form):
    kind = forms.CharField(label="材料名称", max_length=100)
    file = forms.FileField(
        label="照片或PDF",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,application/pdf", "capture": "environment"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class RejectForm(_Styled, forms.Form):
    reason = forms.CharField(
        label="驳回原因（职工可见）", max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class IntakeForm(_Styled, forms.Form):
    file = forms.FileField(label="医保结算数据（csv 或 xlsx，UTF-8 或 GB18030）")
    skip_invalid = forms.BooleanField(
        label="跳过有错误的行，仅导入正确的行（错误行另存为文件）", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
        self.fields["skip_invalid"].widget.attrs["class"] = "form-check-input"


class PolicyForm(_Styled, forms.Form):
    policy_yaml = forms.CharField(
        label="政策文件（YAML）", widget=forms.Textarea(attrs={"rows": 24, "class": "font-monospace"})
    )
    note = forms.CharField(label="修改说明", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class ReturnFileForm(_Styled, forms.Form):
    file = forms.FileField(label="银行回盘文件（xlsx 或 csv：流水号、状态、说明）")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class EnrolmentImportForm(_Styled, forms.Form):
    plan = forms.ModelChoiceField(label="互助计划", queryset=Plan.objects.none(), empty_label=None)
    file = forms.FileField(label="参保名单（xlsx 或 csv）")
    skip_invalid = forms.BooleanField(label="跳过有错误的行，仅导入正确的行", required=False)

    def __init__(self, *args: Any, plans: QuerySet[Plan] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plans is not None:
            self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        self.style()
        self.fields["skip_invalid"].widget.attrs["class"] = "form-check-input"

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not (name.endswith(".xlsx") or name.endswith(".csv")):
            raise forms.ValidationError("仅支持 .xlsx 或 .csv 文件")
        if (upload.size or 0) > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"文件超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB 上限")
        return upload
