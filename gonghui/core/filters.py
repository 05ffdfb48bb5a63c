"""Base filter set: Bootstrap widgets and the request available for scoped choices."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms


class StyledFilterSet(django_filters.FilterSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            # "全部" instead of Django's "---------" for an unset filter.
            if hasattr(field, "empty_label"):
                field.empty_label = "全部"
            elif isinstance(field, forms.ChoiceField):
                choices = list(field.choices)  # type: ignore[arg-type]
                if choices and choices[0][0] == "":
                    field.choices = [("", "全部"), *choices[1:]]
            widget = field.widget
            css = (
                "form-select form-select-sm"
                if widget.input_type == "select"
                else "form-control form-control-sm"
            )
            if getattr(widget, "input_type", "") == "select" or widget.__class__.__name__.endswith("Select"):
                css = "form-select form-select-sm"
            widget.attrs.setdefault("class", css)
