"""Keep personal data out of log lines (DESIGN D8, PIPL)."""

from __future__ import annotations

import logging
import re

# 18-digit resident ID numbers (GB 11643: region, birth date YYYYMMDD, sequence, check character
# that may be X) and mainland mobile numbers. Digits after a decimal point (timings, coordinates)
# are not identifiers.
_ID_NUMBER = re.compile(
    r"(?<![\d.])(\d{6})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(\d{3}[\dXx])(?!\d)"
)
_MOBILE = re.compile(r"(?<![\d.])(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    text = _ID_NUMBER.sub(r"\1********\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class RedactPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
