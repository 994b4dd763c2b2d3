"""Validation, encryption, hashing and masking of personal identifiers (DESIGN D6).

The one place that turns a raw identity-document or phone number into what the database keeps:
AES-256-GCM ciphertext (``gridgov.core.crypto``), a keyed HMAC for exact lookup, and the few
characters the masked form shows. Resident ID numbers are checked per GB 11643-1999 (region,
birth date, sequence, ISO 7064 MOD 11-2 check character) with python-stdnum.

Error messages never repeat the number they reject: they reach pages, API answers and logs.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from gridgov.core.crypto import decrypt_text, encrypt_text, lookup_hash, reencrypt_text
from gridgov.registry.models import IdType

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import StrOrPromise

# Associated data binds each ciphertext to its kind, so one cannot be swapped for another.
ID_NUMBER_CONTEXT = "registry.id_number"
PHONE_CONTEXT = "registry.phone"


class InvalidIdentifierError(ValidationError):
    """An identity-document number that is not valid for its document type."""


class InvalidPhoneError(ValidationError):
    """A phone number that is neither a mainland mobile nor a landline with area code."""


@dataclass(frozen=True)
class IdFacts:
    birth_date: datetime.date | None
    sex: str | None
    division_code: str | None


@dataclass(frozen=True)
class Protected:
    encrypted: str
    hash: str
    prefix: str
    last4: str


# --- Identity documents ----------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-()（）]")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")
# 港澳居民来往内地通行证 (回乡证): H/M + 8 digits (+ 2-digit issue count on older cards).
_HK_MACAO_PERMIT = re.compile(r"^[HM]\d{8}(\d{2})?$")
# 台湾居民来往大陆通行证 (台胞证): 8 digits since 2015, 10 digits on older cards.
_TAIWAN_PERMIT = re.compile(r"^(\d{8}|\d{10})$")
# 外国人永久居留身份证: 2017 and 2023 cards are 18 characters starting with 9 and follow the
# GB 11643 layout and check character; the 2004 card is 3 letters, 12 digits (YYMMDD at 7–12).
_FOREIGN_PR_OLD = re.compile(r"^[A-Z]{3}\d{12}$")
# 港澳台居民居住证: 18 characters, region 810000 (HK), 820000 (Macao), 830000 (Taiwan).
_HMT_REGIONS = ("810000", "820000", "830000")


def _clean(raw: str) -> str:
    return _SEPARATORS.sub("", (raw or "").strip()).upper()


def _invalid(message: StrOrPromise, code: str) -> InvalidIdentifierError:
    return InvalidIdentifierError(message, code=code)


def _eighteen_char_date(number: str) -> datetime.date:
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as error:
        raise _invalid(
            _("The birth date in the ID number is not a real date."), "impossible_birth_date"
        ) from error
    if born.year < 1880 or born > timezone.localdate():
        raise _invalid(
            _("The birth date in the ID number is not a real date."), "impossible_birth_date"
        )
    return born


def _check_eighteen_chars(number: str, *, kind_label: str) -> None:
    """Length, digits, check character and birth date of a GB 11643-style 18-character number."""
    if len(number) != 18:
        raise _invalid(
            _("%(kind)s must have 18 characters.") % {"kind": kind_label}, "wrong_length"
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _invalid(
            _("%(kind)s must be 17 digits followed by a digit or X.") % {"kind": kind_label},
            "wrong_format",
        )
    if number[17] != ric.calc_check_digit(number):
        raise _invalid(
            _("The check digit of the ID number is wrong; please check every digit."),
            "wrong_check_digit",
        )
    _eighteen_char_date(number)


def _normalize_resident_id(number: str) -> str:
    _check_eighteen_chars(number, kind_label=str(_("A resident ID number")))
    if not _is_known_division(number[:6]):
        raise _invalid(_("The region code of the ID number does not exist."), "unknown_region")
    return number


@functools.lru_cache(maxsize=4096)
def _is_known_division(code: str) -> bool:
    """Whether ``code`` is or was a GB/T 2260 county code (python-stdnum's table).

    ``stdnum.cn.ric.validate`` also demands that the county existed in the birth year, but a
    number carries the code of where it was *issued*: people born in 1950 in today's Minhang
    (310112, created 1992) hold 310112 numbers. So only the code's existence is checked here.
    """
    try:
        results = numdb.get("cn/loc").info(code)
    except stdnum_errors.ValidationError:
        return False
    return any(props.get("county") for _part, props in results)


def _normalize_hmt_residence_permit(number: str) -> str:
    _check_eighteen_chars(number, kind_label=str(_("A residence permit number")))
    if number[:6] not in _HMT_REGIONS:
        raise _invalid(
            _(
                "A residence permit number for Hong Kong, Macao or Taiwan residents starts with "
                "810000, 820000 or 830000."
            ),
            "wrong_format",
        )
    return number


def _normalize_foreign_permanent_residence(number: str) -> str:
    if len(number) == 18 and number.startswith("9"):
        _check_eighteen_chars(number, kind_label=str(_("A permanent residence ID number")))
        return number
    if _FOREIGN_PR_OLD.match(number):
        try:
            datetime.datetime.strptime(number[9:15], "%y%m%d")
        except ValueError as error:
            raise _invalid(
                _("The birth date in the ID number is not a real date."), "impossible_birth_date"
            ) from error
        return number
    raise _invalid(
        _(
            "A permanent residence ID number has 18 characters starting with 9, or 3 letters "
            "and 12 digits."
        ),
        "wrong_format",
    )


def _normalize_by_pattern(number: str, pattern: re.Pattern[str], message: str) -> str:
    if not pattern.match(number):
        raise _invalid(message, "wrong_format")
    return number


def normalize_id_number(id_type: str, raw: str) -> str:
    """The canonical form of an identity-document number, or ``InvalidIdentifierError``."""
    number = _clean(raw)
    if not number:
        raise _invalid(_("The document number is required."), "required")
    if id_type == IdType.RESIDENT_ID:
        return _normalize_resident_id(number)
    if id_type == IdType.HMT_RESIDENCE_PERMIT:
        return _normalize_hmt_residence_permit(number)
    if id_type == IdType.FOREIGN_PERMANENT_RESIDENCE:
        return _normalize_foreign_permanent_residence(number)
    if id_type == IdType.PASSPORT:
        return _normalize_by_pattern(
            number, _PASSPORT, str(_("A passport number has 5 to 17 letters and digits."))
        )
    if id_type == IdType.HK_MACAO_PERMIT:
        return _normalize_by_pattern(
            number,
            _HK_MACAO_PERMIT,
            str(
                _(
                    "A Hong Kong and Macao travel permit number is H or M followed by 8 or 10 "
                    "digits."
                )
            ),
        )
    if id_type == IdType.TAIWAN_PERMIT:
        return _normalize_by_pattern(
            number, _TAIWAN_PERMIT, str(_("A Taiwan travel permit number has 8 or 10 digits."))
        )
    raise _invalid(_("Unknown identity document type."), "unknown_type")


def id_facts(id_type: str, number: str) -> IdFacts:
    """Birth date, sex and division code that a (normalised) number states, where it does."""
    if len(number) == 18 and id_type in (
        IdType.RESIDENT_ID,
        IdType.HMT_RESIDENCE_PERMIT,
        IdType.FOREIGN_PERMANENT_RESIDENCE,
    ):
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        sex = "M" if int(number[16]) % 2 == 1 else "F"
        division = number[:6] if id_type != IdType.FOREIGN_PERMANENT_RESIDENCE else None
        return IdFacts(birth_date=born, sex=sex, division_code=division)
    if id_type == IdType.FOREIGN_PERMANENT_RESIDENCE and _FOREIGN_PR_OLD.match(number):
        born = datetime.datetime.strptime(number[9:15], "%y%m%d").date()
        if born > timezone.localdate():
            born = born.replace(year=born.year - 100)
        return IdFacts(birth_date=born, sex=None, division_code=None)
    return IdFacts(birth_date=None, sex=None, division_code=None)


# --- Phones ----------------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0 + 2–3 digits (021 Shanghai, 0571 Hangzhou), then a 7–8 digit local number.
_LANDLINE = re.compile(r"^0\d{2,3}[2-9]\d{6,7}$")


def normalize_phone(raw: str) -> str:
    """A mainland mobile (11 digits) or a landline with its area code, digits only."""
    digits = _SEPARATORS.sub("", (raw or "").strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.match(digits) or (_LANDLINE.match(digits) and len(digits) in (10, 11, 12)):
        return digits
    raise InvalidPhoneError(
        _("Enter a mobile number of 11 digits or a landline number with its area code."),
        code="invalid_phone",
    )


# --- Protection and masks --------------------------------------------------------------------


def protect_id_number(number: str) -> Protected:
    """Ciphertext, keyed hash and display digits of a normalised document number."""
    prefix = number[:6] if len(number) == 18 else number[:2]
    return Protected(
        encrypted=encrypt_text(number, associated_data=ID_NUMBER_CONTEXT),
        hash=lookup_hash(number),
        prefix=prefix,
        last4=number[-4:],
    )


def protect_phone(number: str) -> Protected:
    """Ciphertext, keyed hash and display digits of a normalised phone number."""
    return Protected(
        encrypted=encrypt_text(number, associated_data=PHONE_CONTEXT),
        hash=lookup_hash(number),
        prefix=number[:3],
        last4=number[-4:],
    )


def unprotect_id_number(encrypted: str) -> str:
    """Decrypt a stored document number. Only ``person_reveal`` (audited) may call this."""
    return decrypt_text(encrypted, associated_data=ID_NUMBER_CONTEXT)


def unprotect_phone(encrypted: str) -> str:
    """Decrypt a stored phone number. Only ``person_reveal`` (audited) may call this."""
    return decrypt_text(encrypted, associated_data=PHONE_CONTEXT)


def reencrypt_id_number(encrypted: str) -> str:
    """The same number under the current key (key rotation, ``docs/operations.md``)."""
    return reencrypt_text(encrypted, associated_data=ID_NUMBER_CONTEXT)


def reencrypt_phone(encrypted: str) -> str:
    return reencrypt_text(encrypted, associated_data=PHONE_CONTEXT)


def mask_id_number(prefix: str, last4: str, length: int = 18) -> str:
    """``310112********1234``: the region and the last four only."""
    if not last4:
        return ""
    hidden = max(length - len(prefix) - len(last4), 4)
    return f"{prefix}{'*' * hidden}{last4}"


def mask_phone(prefix: str, last4: str) -> str:
    """``138****5678``."""
    if not last4:
        return ""
    return f"{prefix}****{last4}"


def mask_name(name: str) -> str:
    """``张*`` / ``欧阳**``: the family name only, for people in a sensitive category."""
    if not name:
        return ""
    keep = 2 if len(name) >= 4 and _is_han(name) else 1
    return name[:keep] + "*" * max(len(name) - keep, 1)


# --- Names -----------------------------------------------------------------------------------

# Family names read differently from the same character in ordinary words (单 shan, not dan).
_SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "乐": "yue",
    "覃": "qin",
    "缪": "miao",
    "盖": "ge",
    "翟": "zhai",
    "种": "chong",
    "秘": "bi",
    "召": "shao",
    "长": "chang",
    "重": "chong",
    "柏": "bai",
    "华": "hua",
    "任": "ren",
    "沈": "shen",
    "燕": "yan",
    "尉": "yu",
    "尉迟": "yuchi",
    "万俟": "moqi",
}


def _is_han(text: str) -> bool:
    return all("\u4e00" <= char <= "\u9fff" for char in text)


def _syllables(name: str) -> list[str]:
    for surname in sorted(_SURNAME_READINGS, key=len, reverse=True):
        if name.startswith(surname) and len(name) > len(surname) and _is_han(surname):
            rest = lazy_pinyin(name[len(surname) :], style=Style.NORMAL, v_to_u=False)
            return [_SURNAME_READINGS[surname], *rest]
    return lazy_pinyin(name, style=Style.NORMAL, v_to_u=False)


def name_pinyin(name: str) -> tuple[str, str]:
    """Full lower-case pinyin without spaces and the initials: 张三 → ("zhangsan", "zs").

    Latin names keep their letters; each word gives one initial (John Smith → "johnsmith", "js").
    """
    full: list[str] = []
    initials: list[str] = []
    for chunk in _syllables((name or "").strip()):
        if _is_han(chunk):  # pypinyin could not read it; keep the character
            full.append(chunk)
            initials.append(chunk)
            continue
        words = [re.sub(r"[^0-9a-z]", "", word) for word in chunk.lower().split()]
        for word in words:
            if word:
                full.append(word)
                initials.append(word[0])
    return "".join(full)[:200], "".join(initials)[:64]
