"""Per-request context (request id, client IP) that services read when writing audit rows."""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")


def current_request_id() -> str:
    return _request_id.get()


def current_client_ip() -> str:
    return _client_ip.get()


def bind(request_id: str | None = None, client_ip: str = "") -> tuple[object, object]:
    """Bind values for the current context; returns tokens for ``reset``."""
    t1 = _request_id.set(request_id or uuid.uuid4().hex)
    t2 = _client_ip.set(client_ip)
    return t1, t2


def reset(tokens: tuple[object, object]) -> None:
    _request_id.reset(tokens[0])  # type: ignore[arg-type]
    _client_ip.reset(tokens[1])  # type: ignore[arg-type]
