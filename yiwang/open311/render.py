"""Open311 answers in the two formats GeoReport v2 knows: JSON, and XML with the spec's element names.

Views build plain lists of dicts once; `respond` turns them into either format, so both always
carry the same fields in the same order.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from lxml import etree

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The spec's XML: each list is a parent element holding one child per item.
ITEM_TAGS = {
    "services": "service", "service_requests": "request", "errors": "error", "service_requests_updates": "request_update",
    "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
}
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry; free text from reporters may contain them.
NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the zone offset, as the spec requires (e.g. 2026-05-01T09:30:00+08:00)."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(etree.SubElement(element, key), child)
    elif isinstance(value, list):
        for child in value:
            _fill(etree.SubElement(element, ITEM_TAGS[element.tag]), child)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = etree.Element(root)
    _fill(element, data)
    return DECLARATION + etree.tostring(element, encoding="UTF-8", pretty_print=True)


def respond(data, fmt: str, root: str, *, status: int = 200) -> HttpResponse:
    """`root` names the XML document element; JSON has no root and is the data itself."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        body = to_xml(root, data)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def errors(status: int, description: str, fmt: str = "xml") -> HttpResponse:
    """The spec's error list: one {code, description}, the code being the HTTP status."""
    return respond([{"code": status, "description": description}], fmt, "errors", status=status)
