"""One error format for the whole API: ``{code, message, field}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gonghui.core.errors import DomainError, NotFound, PermissionDenied

_DOMAIN_STATUS = {NotFound: 404, PermissionDenied: 403}


def _first_error(detail: Any, prefix: str = "") -> tuple[str | None, str, str]:
    """Flatten DRF's nested validation detail to (field, message, code) of the first error."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            field, message, code = _first_error(value, name)
            if key == "non_field_errors":
                field = prefix or None
            return field, message, code
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], prefix)
    code = getattr(detail, "code", "invalid")
    return (prefix or None), str(detail), str(code)


def error_response(code: str, message: str, field: str | None, http_status: int) -> Response:
    return Response({"code": code, "message": message, "field": field}, status=http_status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        http_status = next(
            (s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)),
            status.HTTP_400_BAD_REQUEST,
        )
        return error_response(exc.code, exc.message, exc.field, http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("对象不存在或无权访问")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message, code = _first_error(exc.detail)
        response.data = {"code": code or "invalid", "message": message, "field": field}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else str(exc.default_detail)
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else exc.default_code,
            "message": message,
            "field": None,
        }
    return response
