from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from gonghui.members.models import Member
from gonghui.orgs.models import OrgUnit


class _Styled:
    def style(self: Any) -> None:
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class MemberCreateForm(_Styled, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18, min_length=18)
    phone = forms.CharField(label="手机号", max_length=11, required=False)
    kind = forms.ChoiceField(label="会员类型", choices=Member.Kind.choices)
    org_unit = forms.ModelChoiceField(label="所在工会", queryset=OrgUnit.objects.none())
    joined_on = forms.DateField(
        label="入会日期", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.style()


class MemberImportForm(_Styled, forms.Form):
    file = forms.FileField(label="会员名单（xlsx 或 csv）")
    skip_invalid = forms.BooleanField(label="跳过有错误的行，仅导入正确的行", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
        self.fields["skip_invalid"].widget.attrs["class"] = "form-check-input"


class MemberTransferForm(_Styled, forms.Form):
    to_unit = forms.ModelChoiceField(label="转入工会", queryset=OrgUnit.objects.none())
    on_date = forms.DateField(
        label="转会日期", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["to_unit"].queryset = units  # type: ignore[attr-defined]
        self.style()


class MemberLeaveForm(_Styled, forms.Form):
    on_date = forms.DateField(
        label="离会日期", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label="原因", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
