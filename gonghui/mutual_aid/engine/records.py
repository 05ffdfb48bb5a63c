"""Input records of the rules engine: 医保 settlements and enrolments.

Plain frozen, slotted dataclasses (no ORM) so the same engine runs in a request, a batch job
and the policy simulator. Slots matter: the simulator holds up to a million settlements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

# The one GB 11643 implementation (pure, no ORM: fine inside the engine).
from gonghui.core.validators import id_number_check_char

Sex = Literal["M", "F"]

ZERO = Decimal(0)

# 医疗类别 (med_type) codes of the national 医疗保障信息平台 that the scheme knows.
MED_TYPES: dict[str, str] = {
    "11": "普通门诊",
    "14": "门诊慢特病/规定病种门诊",
    "21": "普通住院",
    "22": "外伤住院",
    "23": "转外诊治住院",
    "24": "急诊转住院",
    "25": "异地住院",
    "26": "单病种住院",
    "28": "日间手术",
    "51": "生育门诊",
    "52": "生育住院",
}


@dataclass(frozen=True, slots=True)
class Settlement:
    """One 医保 settlement (结算单), field names as on the national platform.

    Amounts are yuan as `Decimal`; a reversal row (`refd_setl_flag`) repeats the original's
    amounts and cancels the settlement named by `orig_setl_id`.
    """

    setl_id: str
    certno: str
    med_type: str
    hosp_lv: int
    begndate: date
    enddate: date
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    hosp_part_amt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal = ZERO
    psn_name: str = ""
    fixmedins_name: str = ""
    diag_codes: str = ""
    diag_names: str = ""
    oprn_codes: str = ""
    refd_setl_flag: bool = False
    orig_setl_id: str = ""
    vali_flag: bool = True


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A member's enrolment in one plan item for one year.

    `renewal` is False for a first-time joiner, who waits the item's `waiting_days` from
    `start_date` before being covered.
    """

    certno: str
    year: int
    item: str
    start_date: date
    renewal: bool


def in_scope_personal(settlement: Settlement) -> Decimal:
    """The member's in-scope personal share (政策范围内个人负担), never below zero.

    medfee − fund pay − hospital share − full self-pay − over-limit self-pay: what the member
    paid out of pocket for treatment the scheme recognises.
    """
    s = settlement
    value = s.medfee_sumamt - s.fund_pay_sumamt - s.hosp_part_amt - s.fulamt_ownpay_amt - s.overlmt_selfpay
    return value if value > ZERO else ZERO


def stay_days(settlement: Settlement) -> int:
    """Days of the stay, at least 1 (a same-day discharge counts as one day)."""
    return max(1, (settlement.enddate - settlement.begndate).days)


def is_valid_certno(certno: str) -> bool:
    """True for an 18-character resident ID number whose GB 11643 check digit is right."""
    if len(certno) != 18 or not certno[:17].isdigit() or not certno[:17].isascii():
        return False
    return id_number_check_char(certno[:17]) == certno[17].upper()


def sex_from_certno(certno: str) -> Sex | None:
    """Sex from the 17th digit of the ID number: odd = M, even = F (None if malformed)."""
    if len(certno) < 17 or not certno[16].isdigit():
        return None
    return "M" if int(certno[16]) % 2 else "F"
