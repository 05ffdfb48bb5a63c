import datetime as dt
import random

import pytest

from gonghui.core.factories import make_bank_card, make_id_number, make_uscc
from gonghui.core.validators import (
    ValidationProblem,
    id_number_check_char,
    luhn_ok,
    parse_id_number,
    validate_bank_card,
    validate_phone,
    validate_uscc,
)


def with_check(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def test_standard_example_id_number() -> None:
    # GB 11643's own example: 11010519491231002X is a woman born 1949-12-31.
    info = parse_id_number("11010519491231002X")
    assert (info.sex, info.birth_date, info.region_code) == ("F", dt.date(1949, 12, 31), "110105")


def test_sex_from_seventeenth_digit() -> None:
    assert parse_id_number(with_check("33010919900307001")).sex == "M"
    assert parse_id_number(with_check("33010919900307002")).sex == "F"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002", "18位"),
        ("1101051949123100XX", "18位"),
        (with_check("11010519491331002"), "出生日期"),  # month 13
        (with_check("11010529991231002"), "出生日期"),  # born in the future
    ],
)
def test_id_number_rejections_name_the_reason(number: str, reason: str) -> None:
    with pytest.raises(ValidationProblem, match=reason):
        parse_id_number(number)


def test_lower_case_x_is_accepted() -> None:
    assert parse_id_number("11010519491231002x").number.endswith("X")


def test_generated_identifiers_are_valid() -> None:
    rng = random.Random(1)
    for _ in range(200):
        parse_id_number(make_id_number(rng))
        validate_uscc(make_uscc(rng))
        assert luhn_ok(make_bank_card(rng))


def test_uscc_check_character() -> None:
    # A published example code; changing its last character breaks the check.
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ValidationProblem, match="校验位"):
        validate_uscc("91350100M000100Y44")
    with pytest.raises(ValidationProblem):
        validate_uscc("91350100M000100I43")  # I is not in the GB 32100 alphabet


def test_phone_normalised_and_checked() -> None:
    assert validate_phone("+86 138-0013-8000") == "13800138000"
    with pytest.raises(ValidationProblem):
        validate_phone("12800138000")


def test_bank_card_luhn() -> None:
    assert validate_bank_card("4111 1111 1111 1111") == "4111111111111111"
    with pytest.raises(ValidationProblem, match="校验"):
        validate_bank_card("4111111111111112")
    with pytest.raises(ValidationProblem, match="12至19位"):
        validate_bank_card("4111-1111")
