import datetime

import pytest
from stdnum.cn import ric

from gridgov.core.crypto import lookup_hash
from gridgov.registry.models import IdType
from gridgov.registry.services.protection import (
    IdFacts,
    InvalidIdentifierError,
    InvalidPhoneError,
    id_facts,
    mask_id_number,
    mask_name,
    mask_phone,
    name_pinyin,
    normalize_id_number,
    normalize_phone,
    protect_id_number,
    protect_phone,
    unprotect_id_number,
    unprotect_phone,
)
from gridgov.registry.tests.factories import resident_id

VALID_ID = resident_id(datetime.date(1990, 3, 7), sequence=61, sex="M")


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def wrong_check_digit(number: str) -> str:
    replacement = "0" if number[-1] != "0" else "1"
    return number[:-1] + replacement


def reason_code(id_type: str, raw: str) -> str:
    with pytest.raises(InvalidIdentifierError) as caught:
        normalize_id_number(id_type, raw)
    return caught.value.code


def test_valid_resident_id_is_normalised_with_upper_case_x():
    body = "31011219850215102"
    number = with_check_digit(body)
    lowered = number.lower()

    assert normalize_id_number(IdType.RESIDENT_ID, f" {lowered} ") == number


def test_resident_id_with_wrong_check_digit_is_refused():
    assert reason_code(IdType.RESIDENT_ID, wrong_check_digit(VALID_ID)) == "wrong_check_digit"


def test_resident_id_with_impossible_birth_date_is_refused():
    number = with_check_digit("31011219990230123")

    assert reason_code(IdType.RESIDENT_ID, number) == "impossible_birth_date"


def test_resident_id_born_in_the_future_is_refused():
    number = with_check_digit("31011221990101123")

    assert reason_code(IdType.RESIDENT_ID, number) == "impossible_birth_date"


def test_resident_id_of_wrong_length_is_refused():
    assert reason_code(IdType.RESIDENT_ID, VALID_ID[:15]) == "wrong_length"


def test_resident_id_with_letters_inside_is_refused():
    assert reason_code(IdType.RESIDENT_ID, "3101121990A3071230") == "wrong_format"


def test_resident_id_with_unknown_region_is_refused():
    number = with_check_digit("99999919900307123")

    assert reason_code(IdType.RESIDENT_ID, number) == "unknown_region"


def test_error_message_never_repeats_the_number():
    bad = wrong_check_digit(VALID_ID)

    with pytest.raises(InvalidIdentifierError) as caught:
        normalize_id_number(IdType.RESIDENT_ID, bad)

    assert bad not in " ".join(caught.value.messages)
    assert bad[-4:] not in " ".join(caught.value.messages)


def test_hmt_residence_permit_is_checked_per_gb11643():
    number = with_check_digit("81000019900307123")

    assert normalize_id_number(IdType.HMT_RESIDENCE_PERMIT, number) == number
    assert reason_code(IdType.HMT_RESIDENCE_PERMIT, wrong_check_digit(number)) == (
        "wrong_check_digit"
    )
    assert reason_code(IdType.HMT_RESIDENCE_PERMIT, VALID_ID) == "wrong_format"


@pytest.mark.parametrize(
    ("id_type", "valid", "invalid"),
    [
        (IdType.PASSPORT, "E12345678", "E1"),
        (IdType.HK_MACAO_PERMIT, "H12345678", "X12345678"),
        (IdType.HK_MACAO_PERMIT, "M1234567801", "M1234567"),
        (IdType.TAIWAN_PERMIT, "12345678", "1234567"),
        (IdType.FOREIGN_PERMANENT_RESIDENCE, "USA310112800101", "US3101128001010"),
    ],
)
def test_each_permit_type_accepts_its_format_and_refuses_others(id_type, valid, invalid):
    assert normalize_id_number(id_type, valid.lower()) == valid
    assert reason_code(id_type, invalid) == "wrong_format"


def test_new_foreign_permanent_residence_card_is_checked_like_a_resident_id():
    number = with_check_digit("93112419850607201")

    assert normalize_id_number(IdType.FOREIGN_PERMANENT_RESIDENCE, number) == number
    assert reason_code(IdType.FOREIGN_PERMANENT_RESIDENCE, wrong_check_digit(number)) == (
        "wrong_check_digit"
    )


def test_empty_number_is_refused_as_required():
    assert reason_code(IdType.PASSPORT, "  ") == "required"


def test_sex_birth_date_and_division_are_derived_from_the_resident_id():
    male = resident_id(datetime.date(1946, 11, 22), sequence=3, sex="M")
    female = resident_id(datetime.date(2015, 6, 1), sequence=3, sex="F", division="310104")

    assert id_facts(IdType.RESIDENT_ID, male) == IdFacts(
        birth_date=datetime.date(1946, 11, 22), sex="M", division_code="310112"
    )
    assert id_facts(IdType.RESIDENT_ID, female) == IdFacts(
        birth_date=datetime.date(2015, 6, 1), sex="F", division_code="310104"
    )


def test_a_passport_states_no_facts():
    assert id_facts(IdType.PASSPORT, "E12345678") == IdFacts(None, None, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("021-64001234", "02164001234"),
        ("0571 8765432", "05718765432"),
    ],
)
def test_phone_numbers_are_normalised_to_digits(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "64001234", "abc", "138123456789"])
def test_a_phone_that_is_not_a_phone_is_refused(raw):
    with pytest.raises(InvalidPhoneError) as caught:
        normalize_phone(raw)

    assert caught.value.code == "invalid_phone"
    assert raw not in " ".join(caught.value.messages)


def test_protected_id_number_keeps_no_clear_value_but_decrypts_back():
    protected = protect_id_number(VALID_ID)

    assert VALID_ID not in protected.encrypted
    assert protected.hash == lookup_hash(VALID_ID)
    assert protected.prefix == "310112"
    assert protected.last4 == VALID_ID[-4:]
    assert unprotect_id_number(protected.encrypted) == VALID_ID


def test_short_document_keeps_only_two_leading_characters():
    protected = protect_id_number("E12345678")

    assert (protected.prefix, protected.last4) == ("E1", "5678")


def test_protected_phone_keeps_three_leading_and_four_last_digits():
    protected = protect_phone("13812345678")

    assert (protected.prefix, protected.last4) == ("138", "5678")
    assert "13812345678" not in protected.encrypted
    assert unprotect_phone(protected.encrypted) == "13812345678"


def test_an_id_ciphertext_cannot_be_read_as_a_phone():
    protected = protect_id_number(VALID_ID)

    with pytest.raises(ValueError, match="does not decrypt"):
        unprotect_phone(protected.encrypted)


def test_masks_show_only_the_agreed_digits():
    assert mask_id_number("310112", "1234") == "310112********1234"
    assert mask_id_number("E1", "5678", length=9) == "E1****5678"
    assert mask_phone("138", "5678") == "138****5678"
    assert mask_id_number("", "") == ""
    assert mask_phone("", "") == ""


def test_names_are_masked_to_the_family_name():
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王**"
    assert mask_name("欧阳娜娜") == "欧阳**"


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("吕布", "lvbu", "lb"),
        ("单田芳", "shantianfang", "stf"),
        ("曾国藩", "zengguofan", "zgf"),
        ("John Smith", "johnsmith", "js"),
    ],
)
def test_name_pinyin_gives_full_pinyin_and_initials(name, full, initials):
    assert name_pinyin(name) == (full, initials)
