"""Record helpers: in-scope personal share, stay days, ID check digit and sex. No database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gonghui.core.validators import id_number_check_char as gb11643_check_char
from gonghui.mutual_aid.engine.records import (
    Settlement,
    in_scope_personal,
    is_valid_certno,
    sex_from_certno,
    stay_days,
)


def settlement(begin: str = "2026-03-01", end: str = "2026-03-05", **amounts: str) -> Settlement:
    values = {
        "medfee_sumamt": "10000.00",
        "fund_pay_sumamt": "6000.00",
        "hosp_part_amt": "100.00",
        "fulamt_ownpay_amt": "800.00",
        "overlmt_selfpay": "50.50",
    } | amounts
    return Settlement(
        setl_id="s",
        certno="11010519491231002X",
        med_type="21",
        hosp_lv=3,
        begndate=date.fromisoformat(begin),
        enddate=date.fromisoformat(end),
        **{k: Decimal(v) for k, v in values.items()},  # type: ignore[arg-type]
    )


def test_in_scope_personal_subtracts_what_the_scheme_does_not_recognise() -> None:
    # 10000 − 6000 − 100 − 800 − 50.50
    assert in_scope_personal(settlement()) == Decimal("3049.50")


def test_in_scope_personal_is_never_negative() -> None:
    assert in_scope_personal(settlement(fund_pay_sumamt="9999.00")) == Decimal(0)


@pytest.mark.parametrize(
    ("begin", "end", "days"),
    [
        ("2026-03-01", "2026-03-05", 4),
        ("2026-03-01", "2026-03-01", 1),
        ("2026-02-28", "2026-03-01", 1),
        ("2025-12-20", "2026-01-10", 21),
    ],
)
def test_stay_days_is_at_least_one(begin: str, end: str, days: int) -> None:
    assert stay_days(settlement(begin, end)) == days


@pytest.mark.parametrize(
    ("certno", "valid"),
    [
        ("11010519491231002X", True),  # the standard's own example
        ("11010519491231002x", True),  # lower-case check letter
        ("110105194912310021", False),
        ("11010519491231002", False),
        ("1101051949123100２X", False),  # a full-width digit is not a digit here
        ("A1010519491231002X", False),
    ],
)
def test_gb11643_check_digit(certno: str, valid: bool) -> None:
    assert is_valid_certno(certno) is valid


def test_check_char_covers_x() -> None:
    assert gb11643_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("certno", "sex"), [("11010519491231002X", "F"), ("110105194912310010", "M"), ("1", None)]
)
def test_sex_from_17th_digit(certno: str, sex: str | None) -> None:
    assert sex_from_certno(certno) == sex
