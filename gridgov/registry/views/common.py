"""Helpers shared by the registry pages: permission checks, filters and pagination.

Search text can be an identifier (the last digits of an ID or phone, or a whole ID), so it is
only ever sent in a POST body, never in a URL (DESIGN D6: nothing personal in URLs or logs).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict
from django.utils.http import urlencode

from gridgov.accounts.scoping import has_permission

PAGE_SIZE = 50
MAX_QUERY_LENGTH = 40


def require(request: HttpRequest, permission: str, *, cell_code: str | None = None) -> None:
    if not has_permission(request.user, permission, cell_code=cell_code):
        raise PermissionDenied


def can(request: HttpRequest, permission: str, *, cell_code: str | None = None) -> bool:
    return has_permission(request.user, permission, cell_code=cell_code)


def int_or_none(value: str | None, *, low: int = 0, high: int = 150) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def request_data(request: HttpRequest) -> QueryDict:
    """The filters: the POST body for a search (may hold identifiers), else the query string."""
    return request.POST if request.method == "POST" else request.GET


def people_filters(data: QueryDict) -> dict[str, Any]:
    """The people-list filters a request asks for, as ``person_list_for_actor`` takes them."""
    migrant = data.get("migrant", "")
    return {
        "query": data.get("q", "").strip()[:MAX_QUERY_LENGTH] or None,
        "tag": data.get("tag", "").strip()[:40] or None,
        "cell_code": data.get("cell", "").strip()[:32] or None,
        "age_min": int_or_none(data.get("age_min")),
        "age_max": int_or_none(data.get("age_max")),
        "is_migrant": {"1": True, "0": False}.get(migrant),
    }


def filters_without_query(filters: dict[str, Any]) -> str:
    """The filters that may appear in a link (everything but the search text)."""
    names = {"tag": "tag", "cell_code": "cell", "age_min": "age_min", "age_max": "age_max"}
    pairs = [(names[key], filters[key]) for key in names if filters.get(key) not in (None, "")]
    if filters.get("is_migrant") is not None:
        pairs.append(("migrant", "1" if filters["is_migrant"] else "0"))
    return urlencode(pairs)


def paginate(items: Any, data: QueryDict, *, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(data.get("page"))


def tag_class(tag: Any) -> str:
    """The badge colour of a tag: elderly, minors and health tags stand out."""
    if tag.code in ("elderly-alone", "advanced-age", "empty-nest"):
        return "gg-tag-elderly-alone"
    if tag.sensitivity == "minor":
        return "gg-tag-minor"
    if tag.sensitivity == "health":
        return "gg-tag-health"
    return ""


def with_tag_classes(rows: list[dict[str, Any]], tags: Any) -> list[dict[str, Any]]:
    """Add ``tag_items`` — (name, css class) — to presenter rows, for coloured badges."""
    classes = {tag.name: tag_class(tag) for tag in tags}
    for row in rows:
        row["tag_items"] = [(name, classes.get(name, "")) for name in row.get("tags", [])]
    return rows
