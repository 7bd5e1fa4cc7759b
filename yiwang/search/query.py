"""What a search box query is: words (a name, an address, a case number), a resident ID number, a
phone, or nothing usable yet. Read once here, so that the results and the access log agree on
what was asked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.registry.validators import id_check_char, validate_phone

# Longer than any name, address or key anyone types; a pasted page is cut, not searched whole.
MAX_LENGTH = 100

_ID_18 = re.compile(r"\d{17}[\dX]")
_ID_15 = re.compile(r"\d{15}")
# People paste ID numbers and phones with spaces or dashes between the groups of digits.
_SEPARATORS = re.compile(r"[\s\-\u3000]+")


@dataclass(frozen=True)
class Query:
    text: str
    truncated: bool = False
    # Why nothing is searched (empty, too short); shown instead of results.
    hint: str = ""
    # The 18-character ID number the query is (a 15-digit one brought to 18), else "".
    id_number: str = ""
    id_check_ok: bool = True
    # The forms a phone may be stored in (as typed, normalised), else ().
    phones: tuple[str, ...] = ()

    @property
    def key_kind(self) -> str:
        """"id_number" or "phone" when the query is a personal key (searched by digest and logged)."""
        return "id_number" if self.id_number else "phone" if self.phones else ""

    @property
    def words(self) -> str:
        """The text to look for in names and addresses; "" when the query is a key or unusable: a
        key never goes into a LIKE over names and addresses."""
        return "" if self.hint or self.key_kind else self.text


def id_number_from_15(old: str) -> str:
    """The 18-digit form of a first-generation 15-digit ID number (century 19, check char added)."""
    first17 = old[:6] + "19" + old[6:]
    return first17 + id_check_char(first17)


def parse(raw: object) -> Query:
    # Control characters (a NUL would stop PostgreSQL) are never part of what anyone means to find.
    text = " ".join("".join(ch for ch in str(raw or "") if ch.isprintable() or ch.isspace()).split())
    truncated = len(text) > MAX_LENGTH
    text = text[:MAX_LENGTH].strip()
    if not text:
        return Query(text="", hint=_("请输入要查找的内容：事件编号、地址、姓名、身份证号、电话，或场所、楼栋名称。"))
    compact = _SEPARATORS.sub("", text).upper()
    if _ID_18.fullmatch(compact):
        return Query(text=text, truncated=truncated, id_number=compact, id_check_ok=id_check_char(compact[:17]) == compact[17])
    if _ID_15.fullmatch(compact):
        return Query(text=text, truncated=truncated, id_number=id_number_from_15(compact))
    try:
        phone = validate_phone(text)
    except ValidationError:
        phone = ""
    if phone:
        # Stored phones went through the same normalisation, except a few written by older clients as typed.
        forms = dict.fromkeys([phone, phone.replace("-", ""), text])
        return Query(text=text, truncated=truncated, phones=tuple(forms))
    if len(text) < 2 and text.isascii():
        # One Latin letter or digit matches half the district; one Chinese character (a surname) is a real query.
        return Query(text=text, truncated=truncated, hint=_("查询内容太短：请至少输入两个字母或数字，或一个汉字。"))
    return Query(text=text, truncated=truncated)
