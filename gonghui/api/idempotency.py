"""``Idempotency-Key`` on API writes: a retried request gets the first answer, not a
second effect (money and registrations must happen exactly once)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from gonghui.api.auth import api_user
from gonghui.api.errors import error_response
from gonghui.api.models import IdempotencyRecord


def idempotent(method: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return method(self, request, *args, **kwargs)
        if len(key) > 100:
            return error_response(
                "invalid_idempotency_key", "Idempotency-Key 不能超过100个字符", "Idempotency-Key", 400
            )
        body_hash = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
        previous = IdempotencyRecord.objects.filter(user=api_user(request), key=key).first()
        if previous is not None:
            if previous.request_hash != body_hash or previous.path != request.path:
                return error_response(
                    "idempotency_conflict", "同一 Idempotency-Key 用于了不同的请求", "Idempotency-Key", 409
                )
            return Response(previous.response_body, status=previous.status_code)
        with transaction.atomic():
            response = method(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            user=api_user(request),
                            key=key,
                            method=request.method or "",
                            path=request.path,
                            request_hash=body_hash,
                            status_code=response.status_code,
                            response_body=response.data,
                        )
                except IntegrityError:
                    transaction.set_rollback(True)
                    return error_response("idempotency_conflict", "重复的并发请求", "Idempotency-Key", 409)
        return response

    return wrapper
