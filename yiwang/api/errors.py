"""Ninja's input validation errors in the API's own 422 shape: {"detail": {"field": ["中文说明"]}}.

Services already answer with that shape (a Django ValidationError keyed by field); this makes a value the
schema refuses (a page size over the maximum, a year out of range, a word where a number belongs) read the
same way, so a client shows one kind of error and the field it belongs to.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# The parameter's own name in ninja's location ("payload" in body.payload.title) is not a field the client sent.
_SOURCES = {"query", "path", "header", "cookie", "form", "file", "body"}
_BRANCHES = {"str", "int", "float", "bool", "bytes", "list", "dict", "none", "date", "datetime", "decimal", "is-instance", "literal"}


def field_name(loc: tuple | list) -> str:
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in _SOURCES else None
    if source in ("body", "form", "file") and len(parts) > 1 and isinstance(parts[0], str) and parts[0] in ("payload", "data"):
        parts.pop(0)
    # A union names the branch it tried ("str", "OptionIn", "function-after[...]"); fields are snake_case.
    parts = [p for p in parts if not (isinstance(p, str) and (p[:1].isupper() or "[" in p or p in _BRANCHES))]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "__all__"


def message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("必填")
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("应为整数")
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return _("数字位数过多")
    if kind.startswith(("float", "decimal")):
        return _("应为数字")
    if kind == "less_than_equal":
        return _("不能大于 %(bound)s") % {"bound": ctx.get("le")}
    if kind == "less_than":
        return _("应小于 %(bound)s") % {"bound": ctx.get("lt")}
    if kind == "greater_than_equal":
        return _("不能小于 %(bound)s") % {"bound": ctx.get("ge")}
    if kind == "greater_than":
        return _("应大于 %(bound)s") % {"bound": ctx.get("gt")}
    if kind == "string_too_long":
        return _("最多 %(count)s 个字符") % {"count": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("至少 %(count)s 个字符") % {"count": ctx.get("min_length")}
    if kind == "too_long":
        return _("最多 %(count)s 项") % {"count": ctx.get("max_length")}
    if kind == "too_short":
        return _("至少 %(count)s 项") % {"count": ctx.get("min_length")}
    if kind in ("string_type", "string_unicode", "string_sub_type"):
        return _("应为文字")
    if kind in ("bool_parsing", "bool_type"):
        return _("应为 true 或 false")
    if kind.startswith("date_") or kind == "date_type":
        return _("应为日期，如 2026-01-31")
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return _("应为时间，如 2026-01-31T08:00:00+08:00")
    if kind.startswith("time_"):
        return _("应为钟点，如 08:30")
    if kind in ("literal_error", "enum"):
        return _("应为以下之一：%(choices)s") % {"choices": ctx.get("expected", "")}
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return _("应为列表")
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return _("应为对象")
    if kind == "json_invalid":
        return _("不是有效的 JSON")
    if kind == "extra_forbidden":
        return _("不认识的字段")
    if kind in ("value_error", "assertion_error"):
        # Our own validators write their reason in Chinese; pydantic prefixes it.
        text = str(error.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            text = text.removeprefix(prefix)
        return text or _("取值不正确")
    return _("格式不正确")


def as_detail(errors: list[dict]) -> dict[str, list[str]]:
    detail: dict[str, list[str]] = {}
    for error in errors:
        text = message(error)
        messages = detail.setdefault(field_name(error.get("loc", ())), [])
        if text not in messages:
            messages.append(text)
    return detail
