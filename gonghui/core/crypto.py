"""Field encryption for sensitive personal information (PIPL): ID numbers, phones, bank cards.

Values are stored as Fernet tokens; a keyed HMAC ("blind index") allows exact look-ups and
uniqueness without decrypting; a masked form is kept for lists. Full values are decrypted
only where a permission allows and the read is audited by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _key_material(configured: str, secret: str) -> bytes:
    if configured:
        return configured.encode()
    # Development / test only: derive a stable key from SECRET_KEY (settings refuse to run
    # without SECRET_KEY in production, and deploy.md requires FIELD_ENCRYPTION_KEY).
    return base64.urlsafe_b64encode(hashlib.sha256(b"gonghui-field:" + secret.encode()).digest())


def _fernet() -> Fernet:
    return Fernet(_key_material(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key: fail loudly, never show ciphertext
        raise ValueError("cannot decrypt field: wrong FIELD_ENCRYPTION_KEY?") from exc


def blind_index(value: str) -> str:
    """Keyed hash for equality look-ups of an encrypted value (HMAC-SHA256, hex)."""
    key = hashlib.sha256(
        b"gonghui-index:" + _key_material(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)
    ).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores the Fernet token; the Python value is the clear text. Not filterable by value."""

    description = "Encrypted text"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
