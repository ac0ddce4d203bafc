"""Checks on identity documents that need no database: the PRC resident ID number and bank card numbers."""

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CODES = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
_MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
_CARD_PATTERN = re.compile(r"^\d{16,19}$")


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def id_number_check_code(first_17_digits: str) -> str:
    """GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first_17_digits, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CODES[total % 11]


def id_number_is_valid(value: str) -> bool:
    number = normalise_id_number(value)
    if not _ID_PATTERN.match(number):
        return False
    if id_number_check_code(number[:17]) != number[17]:
        return False
    return birth_date_from_id_number(number) is not None


def birth_date_from_id_number(value: str) -> date | None:
    digits = normalise_id_number(value)[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def luhn_is_valid(value: str) -> bool:
    number = (value or "").replace(" ", "")
    if not _CARD_PATTERN.match(number):
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        d = int(digit)
        if position % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mobile_is_valid(value: str) -> bool:
    return bool(_MOBILE_PATTERN.match((value or "").strip()))


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """What staff without the PII permission see: 110***********1234."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
