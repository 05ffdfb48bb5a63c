"""Check digits of Chinese identifiers: ID number (GB 11643), USCC (GB 32100), bank card (Luhn).

Pure functions: used by forms, importers, the API and the mutual-aid engine alike.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


class ValidationProblem(ValueError):
    """An identifier failed its format or check-digit rule; ``message`` is Chinese user text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class IdNumberInfo:
    """What an 18-character ID number tells: birth date, sex (17th digit odd = M) and region."""

    number: str
    birth_date: dt.date
    sex: str
    region_code: str


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_number(raw: str) -> str:
    return raw.strip().upper().replace(" ", "")


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumberInfo:
    """Validate an 18-character resident ID (GB 11643) and derive birth date and sex."""
    number = normalise_id_number(raw)
    if not _ID_RE.match(number):
        raise ValidationProblem("身份证号应为18位，前17位为数字，末位为数字或X")
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationProblem("身份证号校验位错误")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationProblem("身份证号中的出生日期无效") from exc
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise ValidationProblem("身份证号中的出生日期无效")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number=number, birth_date=birth, sex=sex, region_code=number[:6])


def is_valid_id_number(raw: str) -> bool:
    try:
        parse_id_number(raw)
    except ValidationProblem:
        return False
    return True


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """Validate a unified social credit code (统一社会信用代码, GB 32100) and return it."""
    code = raw.strip().upper()
    if not _USCC_RE.match(code):
        raise ValidationProblem("统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationProblem("统一社会信用代码校验位错误")
    return code


def validate_phone(raw: str) -> str:
    """A mainland mobile number, 11 digits starting with 1[3-9]."""
    phone = raw.strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _PHONE_RE.match(phone):
        raise ValidationProblem("手机号应为11位中国大陆手机号")
    return phone


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_bank_card(raw: str) -> str:
    """A bank card number: 12–19 digits passing the Luhn check."""
    card = raw.strip().replace(" ", "")
    if not card.isdigit() or not 12 <= len(card) <= 19:
        raise ValidationProblem("银行卡号应为12至19位数字")
    if not luhn_ok(card):
        raise ValidationProblem("银行卡号校验失败，请核对")
    return card
