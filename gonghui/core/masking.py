"""Masked forms of sensitive personal information for lists, messages and exports (PIPL).

Pure string functions (no Django), so the mutual-aid engine's error messages use the same
masking as the pages.
"""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """330109********1234: region kept for staff orientation, birth date hidden. Anything too
    short to hide a middle part is hidden whole."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "*" * len(value)


def mask_bank_card(value: str) -> str:
    return "**** **** " + value[-4:] if len(value) >= 4 else "*" * len(value)
