"""Checks for identifiers found in registry data: resident ID numbers, phones and credit codes.

Each validator returns the normalised value (or what it derives from it) and raises Django's
ValidationError with a message that says what exactly is wrong, so an import report can show it
to the person who filled in the spreadsheet.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from django.core.exceptions import ValidationError
from django.utils import timezone

# GB 11643: ISO 7064 MOD 11-2 over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_EARLIEST_BIRTH = datetime.date(1900, 1, 1)


class IdInfo(NamedTuple):
    birth_date: datetime.date
    gender: str  # "M" or "F", the values of registry.models.Gender


def normalize_id_number(value: object) -> str:
    """Trimmed, with a lower-case check char x written as X."""
    text = str(value).strip()
    return text[:-1] + "X" if text.endswith("x") else text


def id_check_char(first17: str) -> str:
    """The check char that completes 17 digits."""
    total = 0
    for digit, weight in zip(first17, _ID_WEIGHTS, strict=True):
        total += (ord(digit) - 48) * weight
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(value: object, *, today: datetime.date | None = None) -> IdInfo:
    """Birth date and gender of an 18-digit resident ID number; raises ValidationError otherwise.

    `today` bounds the birth date; importers pass it once instead of asking the clock per row.
    """
    number = normalize_id_number(value)
    if not number:
        raise ValidationError("身份证号为空")
    if len(number) != 18:
        hint = "，15位旧号码请换成18位" if len(number) == 15 else ""
        raise ValidationError(f"应为18位，实际{len(number)}位{hint}")
    body, check = number[:17], number[17]
    if not (body.isascii() and body.isdigit()):
        raise ValidationError("前17位应全为数字")
    if check not in "0123456789X":
        raise ValidationError(f"第18位应为数字或X，实际为 {check}")
    try:
        birth = datetime.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise ValidationError(f"出生日期 {body[6:14]} 不是有效日期") from None
    if birth < _ID_EARLIEST_BIRTH:
        raise ValidationError(f"出生日期 {body[6:14]} 早于1900年")
    if birth > (today or timezone.localdate()):
        raise ValidationError(f"出生日期 {body[6:14]} 晚于今天")
    expected = id_check_char(body)
    if check != expected:
        raise ValidationError(f"校验位错误，应为 {expected}")
    # The 17th digit is the sequence number's last digit: odd for men, even for women.
    return IdInfo(birth, "M" if (ord(body[16]) - 48) % 2 else "F")


def check_id_numbers(numbers: Sequence[str], *, today: datetime.date) -> list[bool]:
    """For many normalised ID numbers at once: is each one valid? Same rules as
    validate_id_number, vectorised, because an import checks every row and the per-number Python
    is most of the validation time. Ask validate_id_number why one is not valid."""
    result = [False] * len(numbers)
    positions = [i for i, n in enumerate(numbers) if len(n) == 18 and n.isascii()]
    if not positions:
        return result
    raw = np.frombuffer("".join(numbers[i] for i in positions).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw[:, :17].astype(np.int64) - 48
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    digits = np.where(ok[:, None], digits, 0)
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (year >= _ID_EARLIEST_BIRTH.year) & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    expected = np.frombuffer(_ID_CHECK_CHARS.encode(), dtype=np.uint8)[(digits @ np.array(_ID_WEIGHTS)) % 11]
    ok &= raw[:, 17] == expected
    for position, valid in zip(positions, ok.tolist(), strict=True):
        result[position] = valid
    return result


MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# 区号 (3–4 digits starting with 0) - 号码 (7–8 digits), an optional extension after another dash.
_LANDLINE = re.compile(r"0\d{2,3}-[1-9]\d{6,7}(?:-\d{1,6})?")
_PHONE_NOISE = str.maketrans("", "", " \u3000()（）")


def validate_phone(value: object) -> str:
    """A mobile number (11 digits, 1[3-9]…) or a landline written 区号-号码; returns it normalised."""
    text = str(value).strip()
    if not text:
        raise ValidationError("电话为空")
    if MOBILE_RE.fullmatch(text):
        return text
    # People write mobiles as "138 0013 8000", "+86 138…" or "138-0013-8000"; keep only digits then.
    compact = text.translate(_PHONE_NOISE)
    digits = compact.replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if MOBILE_RE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(compact):
        return compact
    if digits.isdigit() and digits.startswith("1"):
        raise ValidationError(f"手机号 {text} 无效：应为11位，以13–19开头")
    raise ValidationError(f"电话 {text} 无效：应为11位手机号或“区号-号码”形式的固定电话（如 023-12345678）")


# GB 32100: the 31 characters of the code (no I, O, S, V, Z) and weights 3^(i-1) mod 31.
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(_CREDIT_CHARS)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: object) -> str:
    """An 18-character unified social credit code (统一社会信用代码), upper-cased."""
    code = str(value).strip().upper()
    if len(code) != 18:
        raise ValidationError(f"统一社会信用代码应为18位，实际{len(code)}位")
    bad = sorted({ch for ch in code if ch not in _CREDIT_VALUE})
    if bad:
        raise ValidationError(f"统一社会信用代码含有不允许的字符 {'、'.join(bad)}（不使用 I、O、S、V、Z）")
    if not code[2:8].isdigit():
        raise ValidationError("统一社会信用代码第3–8位应为行政区划代码（数字）")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(f"统一社会信用代码校验位错误，应为 {expected}")
    return code
