from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gonghui.core import request_context

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_ip(request: HttpRequest) -> str:
    """The caller's address; behind our own load balancer, the last hop it appended."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane X-Request-ID from the load balancer)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        tokens = request_context.bind(incoming if _SAFE_ID.match(incoming) else None, client_ip(request))
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_context.current_request_id()
            return response
        finally:
            request_context.reset(tokens)


class NotFoundMiddleware:
    """A selector's ``NotFound`` (missing or not yours) escaping a page view is a 404 page, the
    same as Django's own Http404, so views need no try/except for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from gonghui.core.errors import NotFound
        from gonghui.core.views import error_404

        if isinstance(exception, NotFound):
            return error_404(request, exception)
        return None
