"""The one domain error type. Pages show ``message``; the API returns ``{code, message, field}``."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the operation. ``code`` is stable; ``message`` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(DomainError):
    """Missing and not-yours look the same to the caller (no existence oracle)."""

    def __init__(self, message: str = "对象不存在或无权访问") -> None:
        super().__init__("not_found", message)


class PermissionDenied(DomainError):
    def __init__(self, message: str = "无权执行此操作") -> None:
        super().__init__("permission_denied", message)
