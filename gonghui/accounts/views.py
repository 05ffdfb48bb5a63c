from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from gonghui.accounts import services
from gonghui.accounts.forms import PasswordLoginForm, SmsLoginForm
from gonghui.core.errors import DomainError
from gonghui.core.middleware import client_ip


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def login_view(request: HttpRequest) -> HttpResponse:
    """Password login (throttled) and phone + SMS code login on one page."""
    mode = request.POST.get("mode") or request.GET.get("mode") or "password"
    password_form = PasswordLoginForm(
        request.POST if mode == "password" and request.method == "POST" else None
    )
    sms_form = SmsLoginForm(request.POST if mode == "sms" and request.method == "POST" else None)
    ip = client_ip(request)
    if request.method == "POST" and mode == "password" and password_form.is_valid():
        username = password_form.cleaned_data["username"]
        try:
            services.login_throttle_check(username=username, ip=ip)
            user = authenticate(request, username=username, password=password_form.cleaned_data["password"])
            if user is None:
                services.login_failure_record(username=username, ip=ip)
                raise DomainError("login_failed", "用户名或密码错误")
        except DomainError as exc:
            password_form.add_error(None, exc.message)
        else:
            services.login_failure_reset(username=username, ip=ip)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
    if request.method == "POST" and mode == "sms" and sms_form.is_valid():
        user = authenticate(
            request, phone=sms_form.cleaned_data["phone"], sms_code=sms_form.cleaned_data["code"]
        )
        if user is None:
            sms_form.add_error("code", "验证码错误或已过期")
        else:
            login(request, user, backend="gonghui.accounts.backends.PhoneCodeBackend")
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/login.html",
        {
            "title": "登录",
            "password_form": password_form,
            "sms_form": sms_form,
            "mode": mode,
            "next": _next_url(request),
        },
    )


@require_POST
def sms_code_send(request: HttpRequest) -> HttpResponse:
    """htmx: send a login code; the answer is the same whether or not the phone is known."""
    try:
        services.sms_code_request(phone=request.POST.get("phone", ""))
    except DomainError as exc:
        return render(request, "accounts/_sms_status.html", {"error": exc.message})
    return render(request, "accounts/_sms_status.html", {"sent": True})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
