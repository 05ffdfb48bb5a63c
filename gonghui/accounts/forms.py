from __future__ import annotations

from django import forms


class PasswordLoginForm(forms.Form):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "class": "form-control"}),
    )
    password = forms.CharField(
        label="密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "form-control"}),
    )


class SmsLoginForm(forms.Form):
    phone = forms.CharField(
        label="手机号",
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "class": "form-control"}),
    )
    code = forms.CharField(
        label="验证码",
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "form-control"}
        ),
    )
