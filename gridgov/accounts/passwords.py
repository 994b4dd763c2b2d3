"""Password policy beyond length: no common, leaked or guessable passwords.

OWASP ASVS V2.1.7 and 等保 2.0 level 3 (身份鉴别) ask that passwords found in breaches or in
common-password lists be refused; NIST SP 800-63B says the same and advises against
composition rules, which is why there are none here. The list in ``data/breached_passwords.txt``
covers the patterns that dominate Chinese leaks (pinyin names and phrases, love numbers such as
520 and 1314, keyboard walks); a word from that list followed or preceded by a common number
(``zhangwei5201314``, ``1314woaini``, ``admin2024``) is refused as well.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATA_FILE = Path(__file__).resolve().parent / "data" / "breached_passwords.txt"

# Short number tails that people add to a word to satisfy a length rule.
_SHORT_NUMBERS = frozenset(
    {"1", "12", "123", "1234", "12345", "520", "521", "1314", "888", "666", "88", "66", "8", "6"}
    | {str(year) for year in range(1950, 2041)}
)
_WORD_THEN_NUMBER = re.compile(r"([a-z@.]+)([0-9!@#.]+)")
_NUMBER_THEN_WORD = re.compile(r"([0-9!@#.]+)([a-z@.]+)")
_MIN_USERNAME_LENGTH = 3


@cache
def breached_passwords() -> frozenset[str]:
    """The committed list, case-folded."""
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


@cache
def _common_words() -> frozenset[str]:
    return frozenset(entry for entry in breached_passwords() if entry.isalpha())


@cache
def _common_numbers() -> frozenset[str]:
    digits_only = {entry for entry in breached_passwords() if entry.isdigit()}
    return frozenset(digits_only | _SHORT_NUMBERS)


def is_breached_password(password: str) -> bool:
    """Whether ``password`` is on the list or is a listed word joined to a common number."""
    folded = password.strip().casefold()
    if folded in breached_passwords():
        return True
    for pattern, word_group, number_group in (
        (_WORD_THEN_NUMBER, 1, 2),
        (_NUMBER_THEN_WORD, 2, 1),
    ):
        match = pattern.fullmatch(folded)
        if match is None:
            continue
        word = match.group(word_group)
        number = match.group(number_group).strip("!@#.")
        if word in _common_words() and number in _common_numbers():
            return True
    return False


class BreachedPasswordValidator:
    """Refuses commonly used or leaked passwords and passwords containing the username."""

    def validate(self, password: str, user: Any = None) -> None:
        errors: list[ValidationError] = []
        if is_breached_password(password):
            errors.append(
                ValidationError(
                    _(
                        "This password is commonly used or has appeared in leaked password "
                        "lists. Choose a different one."
                    ),
                    code="password_breached",
                )
            )
        username = str(getattr(user, "username", "") or "").casefold()
        if len(username) >= _MIN_USERNAME_LENGTH and username in password.casefold():
            errors.append(
                ValidationError(
                    _("The password must not contain your username."),
                    code="password_contains_username",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "Your password must not be a commonly used or leaked password and must not "
            "contain your username."
        )
