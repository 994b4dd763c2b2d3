"""Fixtures of the grid domain's tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gridgov.grids.tests.factories import square


def feature(
    code: str,
    name: str,
    level: str,
    geometry: dict[str, Any] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry if geometry is not None else square(121.0, 31.0, 0.1),
        "properties": {"code": code, "name": name, "level": level, **properties},
    }


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def english():
    """Messages in English, for exact assertions on them (the default language is zh-hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield
