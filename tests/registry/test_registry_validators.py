"""ID numbers, phones, credit codes, and the bulk forms the importer uses."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.registry.validators import (
    IdInfo,
    check_id_numbers,
    credit_code_check_char,
    id_check_char,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)

TODAY = timezone.localdate()
CHECK_CHARS = "0123456789X"


def id_strategy():
    """17 digits with a real birth date in them, plus the right check char."""
    return st.builds(
        lambda area, birth, seq: (body := f"{area:06d}{birth:%Y%m%d}{seq:03d}") + id_check_char(body),
        st.integers(0, 999999),
        st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
        st.integers(0, 999),
    )


def test_known_number():
    assert validate_id_number("11010519491231002X") == IdInfo(datetime.date(1949, 12, 31), "F")
    # Lower-case x is accepted, surrounding spaces too.
    assert validate_id_number(" 11010519491231002x ") == IdInfo(datetime.date(1949, 12, 31), "F")


@settings(max_examples=300, deadline=None)
@given(id_strategy())
def test_computed_check_char_is_valid(number):
    info = validate_id_number(number)
    assert info.birth_date == datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert info.gender == ("M" if int(number[16]) % 2 else "F")
    assert check_id_numbers([number], today=TODAY) == [True]


@settings(max_examples=300, deadline=None)
@given(id_strategy(), st.sampled_from(CHECK_CHARS))
def test_any_other_check_char_is_invalid(number, wrong):
    if wrong == number[17]:
        return
    bad = number[:17] + wrong
    with pytest.raises(ValidationError) as caught:
        validate_id_number(bad)
    assert caught.value.messages == [f"校验位错误，应为 {number[17]}"]
    assert check_id_numbers([bad], today=TODAY) == [False]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(id_strategy(), st.text(alphabet="0123456789Xx*", min_size=15, max_size=19)), max_size=20))
def test_bulk_check_agrees_with_single(numbers):
    numbers = [n.strip().replace("x", "X") for n in numbers]
    expected = []
    for number in numbers:
        try:
            validate_id_number(number, today=TODAY)
            expected.append(True)
        except ValidationError:
            expected.append(False)
    assert check_id_numbers(numbers, today=TODAY) == expected


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "身份证号为空"),
        ("11010519491231002", "应为18位，实际17位"),
        ("110105491231002", "15位旧号码"),
        ("1101051949123100AX", "前17位应全为数字"),
        ("11010519491231002Y", "第18位应为数字或X"),
        ("110105199902300012", "出生日期 19990230 不是有效日期"),
        ("110105189912310012", "早于1900年"),
        ("110105" + f"{TODAY.year + 1}0101" + "0012", "晚于今天"),
    ],
)
def test_invalid_numbers_say_why(number, reason):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number)
    assert reason in caught.value.messages[0]


@pytest.mark.parametrize(
    ("value", "normalised"),
    [("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"), ("138-0013-8000", "13800138000"),
     ("023-12345678", "023-12345678"), ("0755-1234567", "0755-1234567"), ("023-12345678-801", "023-12345678-801")],
)  # fmt: skip
def test_phones_accepted(value, normalised):
    assert validate_phone(value) == normalised


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "138001380001", "12345678", "02312345678", "abc"])
def test_phones_rejected(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_credit_code():
    assert validate_credit_code("91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(ValidationError, match="校验位错误，应为 3"):
        validate_credit_code("91350100M000100Y44")
    with pytest.raises(ValidationError, match="不允许的字符"):
        validate_credit_code("91350100M000100I43")
    with pytest.raises(ValidationError, match="18位"):
        validate_credit_code("91350100M000100Y4")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17), st.from_regex(r"\A[0-9]{6}\Z"))
def test_credit_code_round_trip(body, area):
    body = body[:2] + area + body[8:]
    assert validate_credit_code(body + credit_code_check_char(body)) == body + credit_code_check_char(body)
