"""The catalogue of matters (分类): groups and categories, their department and deadlines.

The default catalogue lives in ``cases/data/catalogue.json``; administrators edit it afterwards
(admin site). Installing the defaults again changes nothing already there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import transaction

from gridgov.accounts.models import Organization
from gridgov.cases.models import Category
from gridgov.cases.services.errors import UnknownCategoryError
from gridgov.core.audit import audit_record
from gridgov.core.lookups import TimedLookup

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"

_LEAF_FIELDS = (
    "accept_within",
    "accept_unit",
    "resolve_within",
    "resolve_unit",
    "required_fields",
    "is_property_matter",
    "attributes",
    "keywords",
    "description",
)


def catalogue_defaults() -> list[dict[str, Any]]:
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    groups: list[dict[str, Any]] = data["categories"]
    return groups


def _department(code: str, department_codes: Mapping[str, str]) -> Organization | None:
    code = department_codes.get(code, code)
    if not code:
        return None
    return Organization.objects.filter(code=code, is_active=True).first()


@transaction.atomic
def catalogue_install_defaults(*, department_codes: Mapping[str, str] | None = None) -> int:
    """Create the default groups and categories that are missing; returns how many were made.

    ``department_codes`` maps a department code of the file to the code of the organisation
    that handles it here; a department not found leaves the category to the operations centre.
    """
    mapping = dict(department_codes or {})
    created = 0
    for group_order, group in enumerate(catalogue_defaults(), start=1):
        parent, made = Category.objects.get_or_create(
            code=group["code"],
            defaults={"name": group["name"], "sort_order": group_order * 100},
        )
        created += int(made)
        for order, item in enumerate(group.get("children", []), start=1):
            if Category.objects.filter(code=item["code"]).exists():
                continue
            fields = {name: item[name] for name in _LEAF_FIELDS if name in item}
            Category.objects.create(
                code=item["code"],
                name=item["name"],
                parent=parent,
                department=_department(item.get("department", ""), mapping),
                sort_order=group_order * 100 + order,
                **fields,
            )
            created += 1
    if created:
        audit_record(
            actor=None,
            action="cases.catalogue_install",
            object_type="cases.category",
            changes={"created": created},
        )
    return created


def _filable_by_code() -> dict[str, Category]:
    categories = list(
        Category.objects.filter(is_active=True).select_related("department", "parent")
    )
    groups = {category.parent_id for category in categories if category.parent_id}
    return {category.code: category for category in categories if category.pk not in groups}


# The catalogue a report is filed against, kept per process (see ``gridgov.core.lookups``);
# the cases app clears it when a category is saved or deleted.
filable_categories = TimedLookup(_filable_by_code)


def category_for_code(code: str) -> Category:
    """The active category filed under ``code`` (a leaf, or a group without children).

    The category returned is shared by the process: read it, never change it."""
    category = filable_categories.get().get((code or "").strip())
    if category is None:
        raise UnknownCategoryError(code="unknown_category")
    return category


def categories_filable() -> list[Category]:
    """Every category a case may be filed under, in catalogue order."""
    groups_with_children = set(
        Category.objects.filter(is_active=True, parent__isnull=False).values_list(
            "parent_id", flat=True
        )
    )
    return [
        category
        for category in Category.objects.filter(is_active=True)
        .select_related("department", "parent")
        .order_by("sort_order", "code")
        if category.pk not in groups_with_children
    ]
