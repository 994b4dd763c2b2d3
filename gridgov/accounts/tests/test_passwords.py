from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from gridgov.accounts.models import User
from gridgov.accounts.passwords import BreachedPasswordValidator, is_breached_password


def _codes(password: str, user: User | None = None) -> set[str]:
    with pytest.raises(ValidationError) as raised:
        validate_password(password, user=user)
    return {error.code for error in raised.value.error_list}


def test_a_long_uncommon_password_passes_the_policy():
    assert validate_password("lantern-orchard-quietly-47", user=User(username="lihua")) is None


def test_a_short_password_is_refused_for_its_length():
    assert "password_too_short" in _codes("k7#pQz!m")


@pytest.mark.parametrize(
    "password",
    ["woaini1314520", "Qwe123456789", "A1B2C3D4E5F6", "zhang123456789", "1qaz2wsx3edc4rfv"],
)
def test_common_chinese_patterns_of_twelve_or_more_characters_are_refused_as_breached(password):
    assert "password_breached" in _codes(password)


@pytest.mark.parametrize("password", ["WOAINI1314", "5201314", "qwe123456", "a123456789"])
def test_the_breached_list_is_checked_case_insensitively(password):
    assert is_breached_password(password) is True


def test_a_listed_word_joined_to_a_common_number_counts_as_breached():
    assert is_breached_password("zhangwei5201314") is True
    assert is_breached_password("1314woaini") is True
    assert is_breached_password("wanggeyuan2024") is True
    assert is_breached_password("wanggeyuan7391") is False


def test_a_password_containing_the_username_is_refused():
    user = User(username="zhaomin")

    assert "password_contains_username" in _codes("my-ZhaoMin-garden-path", user=user)


def test_breached_password_message_is_in_chinese_by_default():
    validator = BreachedPasswordValidator()

    with translation.override("zh-hans"), pytest.raises(ValidationError) as raised:
        validator.validate("woaini1314520")

    assert raised.value.messages == ["该密码过于常见或已出现在泄露的密码库中，请另选一个。"]
