"""Turning spreadsheet cell values into Python values, with reasons for what cannot be read.

python-calamine gives ``str``, ``int``, ``float``, ``bool``, ``datetime.date``/``datetime``
or ``""`` for an empty cell. Each parser raises ``CellValueError`` with a translated reason.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _


class CellValueError(ValueError):
    """A cell value that cannot be read; ``args[0]`` is the translated reason."""


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TRUE = {"是", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "n", "no", "false", "0", "×"}


def text(value: Any) -> str:
    """The cell as trimmed text; whole numbers lose Excel's ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def identifier_text(value: Any) -> str:
    """An identity-document number; refuses numbers Excel has already rounded."""
    if isinstance(value, float) and abs(value) >= 1e15:
        raise CellValueError(
            _(
                "Excel stored this number as a number and lost its last digits; format the "
                "column as text and type the number again."
            )
        )
    return text(value)


def date_value(value: Any) -> datetime.date | None:
    """A date from a date cell or from text like 2024-05-01, 2024/5/1, 2024年5月1日, 20240501."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellValueError(_("Not a date; write it like 2024-05-01."))


def decimal_value(value: Any, *, places: int = 2) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(text(value).replace(",", ""))
    except InvalidOperation as error:
        raise CellValueError(_("Not a number.")) from error
    if not number.is_finite():
        raise CellValueError(_("Not a number."))
    return number.quantize(Decimal(1).scaleb(-places))


def float_value(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(text(value))
    except ValueError as error:
        raise CellValueError(_("Not a number.")) from error


def integer_value(value: Any) -> int | None:
    if value is None or value == "":
        return None
    raw = text(value)
    try:
        return int(raw)
    except ValueError as error:
        raise CellValueError(_("Not a whole number.")) from error


def yes_no(value: Any) -> bool | None:
    raw = text(value).lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CellValueError(_("Write 是 or 否."))


def choice(value: Any, labels: dict[str, str]) -> str | None:
    """The code for a choice label (or the code itself); None for an empty cell."""
    raw = text(value)
    if not raw:
        return None
    if raw in labels:
        return labels[raw]
    if raw in labels.values():
        return raw
    raise CellValueError(
        _("Choose one of: %(choices)s.") % {"choices": "、".join(dict.fromkeys(labels))}
    )
