from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import QueryDict

from gonghui.accounts.models import User
from gonghui.accounts.permissions import can
from gonghui.core.tabular import MAX_IMPORT_BYTES
from gonghui.members.forms import _Styled
from gonghui.mutual_aid.models import Plan
from gonghui.mutual_aid.plans import policy_of
from gonghui.mutual_aid.selectors import enrolment_candidates


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


MAX_FORM_MEMBERS = 500  # one page of the member list; larger groups use the upload


class _MemberIdsField(forms.Field):
    """Ticked member ids as a sorted list of distinct ints (rendered by the template)."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return sorted({int(v) for v in values})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("所选会员无效，请刷新名单后重新选择", code="invalid") from exc


class EnrolmentPickForm(_Styled, forms.Form):
    """The plan and items whose candidate members the enrolment form lists, and a search."""

    plan = forms.ModelChoiceField(label="互助计划", queryset=Plan.objects.none(), empty_label=None)
    items = forms.MultipleChoiceField(
        label="互助项目",
        choices=[],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": "请至少勾选一个互助项目"},
    )
    q = forms.CharField(label="姓名/身份证号", max_length=50, required=False)

    def __init__(self, *args: Any, plans: QuerySet[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        codes: dict[str, str] = {}
        for plan in plans:
            if plan.current_version is not None:
                for item in policy_of(plan.current_version).items:
                    codes.setdefault(item.code, item.name)
        self.fields["items"].choices = list(codes.items())  # type: ignore[attr-defined]
        self.style()

    @classmethod
    def from_query(cls, query: QueryDict, *, plans: QuerySet[Plan]) -> EnrolmentPickForm:
        """Bound to the query string; without ticked items, the chosen (else the first) plan's
        items open to everyone are ticked."""
        if query.get("items"):
            return cls(query, plans=plans)
        plan = next((p for p in plans if str(p.pk) == query.get("plan")), None) or next(iter(plans), None)
        items = []
        if plan is not None and plan.current_version is not None:
            items = [i.code for i in policy_of(plan.current_version).items if i.sex is None]
        return cls({"plan": plan.pk if plan else "", "items": items, "q": query.get("q", "")}, plans=plans)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        plan: Plan | None = cleaned.get("plan")
        items: list[str] | None = cleaned.get("items")
        if plan is not None and plan.current_version is not None and items:
            order = [i.code for i in policy_of(plan.current_version).items]
            unknown = [c for c in items if c not in order]
            if unknown:
                self.add_error("items", f"{plan}中没有互助项目「{'、'.join(unknown)}」")
            else:  # policy order, no repeats
                cleaned["items"] = [c for c in order if c in items]
        return cleaned


class EnrolmentGroupForm(EnrolmentPickForm):
    """Group enrolment by form: the ticked members must be among ``enrolment_candidates``
    (managed by the user, not yet enrolled in any chosen item); anything else is refused
    on the ``members`` field, whether it does not exist or is not the user's."""

    start_date = forms.DateField(
        label="保障开始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="可不填，默认为计划年度 1 月 1 日",
    )
    outside_window = forms.BooleanField(label="窗口外补录（将记录审计）", required=False)
    members = _MemberIdsField(label="会员", error_messages={"required": "请至少勾选一名会员"})

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["outside_window"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        plan: Plan | None = cleaned.get("plan")
        if cleaned.get("outside_window") and plan is not None and not can(self.user, "manage", plan.org_unit):
            self.add_error("outside_window", f"窗口外补录仅限{plan.org_unit.name}的管理员办理")
        ids: list[int] = cleaned.get("members") or []
        if len(ids) > MAX_FORM_MEMBERS:
            self.add_error("members", f"一次最多勾选 {MAX_FORM_MEMBERS} 名会员，人数更多请使用集体参保导入")
        elif ids and plan is not None and "items" in cleaned and not self.has_error("items"):
            found = list(
                enrolment_candidates(user=self.user, plan=plan, items=cleaned["items"]).filter(pk__in=ids)
            )
            if len(found) != len(ids):
                self.add_error(
                    "members",
                    "所选会员中有不在您管理范围内、已离会、不符合项目条件或已参加所选项目的，请刷新名单后重新选择",
                )
            else:
                cleaned["members"] = found
        return cleaned
