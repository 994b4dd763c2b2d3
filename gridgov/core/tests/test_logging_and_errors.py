"""Logs keep no personal data; API errors are JSON with a code and a message."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions

from gridgov.core.api_errors import exception_handler
from gridgov.core.logging import RedactPersonalDataFilter, redact


def test_id_numbers_and_mobile_numbers_are_masked_in_text():
    text = "person 31011219800101123X called from 13812345678 about 110101199003074477"

    assert redact(text) == (
        "person 310112********123X called from 138****5678 about 110101********4477"
    )


def test_ordinary_numbers_are_left_alone():
    text = (
        "cell 310112106001001 has 120000 residents; order 2026-03-02; tel 021-64001234; "
        "task took 0.0446702345671074s at lng 121.1381234567812"
    )

    assert redact(text) == text


def test_the_log_filter_redacts_formatted_arguments(caplog):
    # given
    logger = logging.getLogger("gridgov.tests.redaction")
    logger.addFilter(RedactPersonalDataFilter())

    # when
    with caplog.at_level(logging.INFO, logger="gridgov.tests.redaction"):
        logger.info("lookup %s by phone %s", "310112198001011234", "13912345678")

    # then
    assert [record.getMessage() for record in caplog.records] == [
        "lookup 310112********1234 by phone 139****5678"
    ]
    logger.filters.clear()


def test_the_log_filter_keeps_records_without_personal_data_untouched():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "cell %s", ("310112106",), None)

    assert RedactPersonalDataFilter().filter(record) is True
    assert (record.msg, record.args) == ("cell %s", ("310112106",))


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("make_error", "status", "body"),
    [
        (Http404, 404, {"code": "not_found", "message": "Not found."}),
        (
            PermissionDenied,
            403,
            {"code": "permission_denied", "message": "You do not have permission to do this."},
        ),
        (
            exceptions.NotAuthenticated,
            401,
            {
                "code": "not_authenticated",
                "message": "Authentication credentials were not provided.",
            },
        ),
        (
            lambda: exceptions.Throttled(wait=30),
            429,
            {
                "code": "throttled",
                "message": "Request was throttled. Expected available in 30 seconds.",
            },
        ),
    ],
)
def test_api_errors_are_json_with_a_code_and_a_message(english, make_error, status, body):
    # DRF renders an exception's message when it is raised, in the active language.
    response = exception_handler(make_error(), {})

    assert response is not None
    assert response.status_code == status
    assert response.data == body


def test_api_validation_errors_list_the_fields(english):
    response = exception_handler(exceptions.ValidationError({"lng": ["Required."]}), {})

    assert response is not None
    assert response.status_code == 400
    assert response.data == {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "fields": {"lng": ["Required."]},
    }


def test_django_validation_errors_become_api_validation_errors(english):
    response = exception_handler(DjangoValidationError({"code": ["Unknown cell code."]}), {})

    assert response is not None
    assert response.status_code == 400
    assert response.data["fields"] == {"code": ["Unknown cell code."]}


def test_unexpected_errors_are_left_to_the_server_error_handler():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_api_error_messages_follow_the_language():
    with translation.override("zh-hans"):
        response = exception_handler(Http404(), {})

    assert response is not None
    assert response.data == {"code": "not_found", "message": "未找到。"}
