"""GeoReport v2 documents in its two formats, JSON and XML, and its error document.

The JSON form is the plain structure; the XML form wraps every list in the element names the
specification uses (``<services><service>…``, ``<service_requests><request>…``,
``<errors><error>…``), with booleans as ``true``/``false`` and absent values as empty
elements.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}

# A list under one of these keys holds elements of the named kind.
_ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "services": "service",
    "service_requests": "request",
    "errors": "error",
}


class Open311Error(Exception):
    """A refusal in the specification's terms: an HTTP status and a description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = str(description)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ElementTree.Element, tag: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ElementTree.Element, tag: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        child_tag = _ITEM_TAGS.get(tag, "item")
        for item in value:
            _append(element, child_tag, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """``value`` as an XML document whose root element is ``root``."""
    element = ElementTree.Element(root)
    _fill(element, root, value)
    body: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return body


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """One response in ``fmt``: the JSON value itself, or XML under ``root``."""
    if fmt == XML:
        body = to_xml(root, value)
    else:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = "no-store"
    return response


def render_error(fmt: str, status: int, descriptions: Sequence[str]) -> HttpResponse:
    """The specification's error list: ``[{"code": 400, "description": "…"}]``."""
    errors = [{"code": status, "description": str(text)} for text in descriptions]
    return render(fmt, "errors", errors, status=status)
