"""Deterministic generators of valid Chinese identifiers, shared by tests and demo data."""

from __future__ import annotations

import datetime as dt
import random

from gonghui.core.validators import _USCC_CHARS, id_number_check_char, uscc_check_char

# Real county-level codes of Hangzhou (GB/T 2260) for plausible birth places.
HANGZHOU_REGIONS = [
    "330102",
    "330105",
    "330106",
    "330108",
    "330109",
    "330110",
    "330111",
    "330112",
    "330113",
    "330114",
    "330122",
    "330127",
    "330182",
]
_PHONE_PREFIXES = [
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "158",
    "159",
    "177",
    "180",
    "181",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]


def make_id_number(
    rng: random.Random,
    *,
    sex: str | None = None,
    birth: dt.date | None = None,
    region: str | None = None,
) -> str:
    """A valid 18-character ID number (GB 11643) for the given or a random person."""
    region = region or rng.choice(HANGZHOU_REGIONS)
    if birth is None:
        birth = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(0, 38 * 365))
    sex = sex or rng.choice("MF")
    seq = rng.randrange(0, 100)
    sex_digit = rng.choice([1, 3, 5, 7, 9] if sex == "M" else [0, 2, 4, 6, 8])
    first17 = f"{region}{birth:%Y%m%d}{seq:02d}{sex_digit}"
    return first17 + id_number_check_char(first17)


def make_uscc(rng: random.Random, *, region: str = "330199") -> str:
    """A valid unified social credit code (GB 32100): 91 = enterprise, registered in region."""
    body = "".join(rng.choice(_USCC_CHARS) for _ in range(9))
    first17 = f"91{region}{body}"
    return first17 + uscc_check_char(first17)


def make_phone(rng: random.Random) -> str:
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"


def make_bank_card(rng: random.Random, *, bin_prefix: str = "622202") -> str:
    """A 19-digit card number that passes the Luhn check."""
    body = bin_prefix + "".join(str(rng.randrange(10)) for _ in range(12))
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return body + str((10 - total % 10) % 10)
