"""Base filter set: Bootstrap widgets and the request available for scoped choices."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms


class StyledFilterSet(django_filters.FilterSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            # Model choices: "全部" for an unset filter (plain choice filters get it from
            # settings.FILTERS_EMPTY_CHOICE_LABEL).
            if hasattr(field, "empty_label"):
                field.empty_label = "全部"
            widget = field.widget
            css = (
                "form-select form-select-sm"
                if isinstance(widget, forms.Select)
                else "form-control form-control-sm"
            )
            widget.attrs.setdefault("class", css)
