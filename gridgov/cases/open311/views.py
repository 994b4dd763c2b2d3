"""The GeoReport v2 endpoints. Each answers in the format named by its suffix (``.json`` or
``.xml``) and refuses in the specification's terms: a list of ``{code, description}`` with the
HTTP status as the code — 400 for a missing or malformed argument, 403 for a missing, unknown or
revoked ``api_key``, 404 for an unknown service, request, token or jurisdiction.

Reading needs no key (GeoReport v2 makes requests public); filing one does. Only requests filed
through Open311 are published unless ``GRIDGOV_OPEN311_PUBLISH_ALL`` is set, and no field about
the reporter is ever published.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.cases.models import Case, Category, Channel
from gridgov.cases.open311 import documents
from gridgov.cases.open311.formats import FORMATS, JSON, Open311Error, render, render_error
from gridgov.cases.selectors.open311 import open311_request, open311_requests, open311_services
from gridgov.cases.services import errors as case_errors
from gridgov.cases.services.api_clients import api_client_for_key

MAX_SPAN = timedelta(days=90)
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_MEDIA_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
MAX_MEDIA_URL = 500


def max_requests() -> int:
    return int(getattr(settings, "GRIDGOV_OPEN311_MAX_REQUESTS", 1000))


def configured_jurisdiction() -> str:
    return str(getattr(settings, "GRIDGOV_OPEN311_JURISDICTION", "") or "")


def endpoint(
    *methods: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A GeoReport endpoint: format suffix, allowed methods, jurisdiction, error document."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return render_error(JSON, 404, [_("Unknown format; use .json or .xml.")])
            if request.method not in methods:
                response = render_error(fmt, 405, [_("Method not allowed.")])
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return render_error(fmt, error.status, [error.description])

        return wrapped

    return decorate


def _argument(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name)
    return (value or "").strip()


def _check_jurisdiction(request: HttpRequest) -> None:
    given = _argument(request, "jurisdiction_id")
    expected = configured_jurisdiction()
    if given and expected and given != expected:
        raise Open311Error(404, _("jurisdiction_id was not found."))


def _client_or_refusal(request: HttpRequest, *, required: bool) -> Any:
    key = _argument(request, "api_key")
    if not key:
        if required:
            raise Open311Error(403, _("api_key was not provided."))
        return None
    client = api_client_for_key(key)
    if client is None:
        raise Open311Error(403, _("api_key is invalid or has been revoked."))
    return client


def _service(code: str) -> Category:
    from gridgov.cases.services.catalogue import category_for_code

    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    try:
        return category_for_code(code)
    except case_errors.UnknownCategoryError:
        raise Open311Error(
            404, _("service_code %(code)s was not found.") % {"code": code}
        ) from None


# --- discovery and services ----------------------------------------------------------------


# The last change to this endpoint's description (services change without a new changeset).
CHANGESET = "2026-11-22T00:00:00+08:00"


@endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    document = {
        "changeset": CHANGESET,
        "contact": str(getattr(settings, "GRIDGOV_OPEN311_CONTACT", "") or ""),
        "key_service": _("API keys are issued by the platform administrator."),
        "endpoints": [
            {
                "specification": documents.SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311-root")).rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", document)


@endpoint("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", [documents.service(category) for category in open311_services()])


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    category = _service(code)
    return render(fmt, "service_definition", documents.service_definition(category))


# --- service requests ------------------------------------------------------------------------


@endpoint("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    client = _client_or_refusal(request, required=False)
    cases = _filtered(request.GET, client)
    return render(fmt, "service_requests", documents.service_requests(cases))


@endpoint("GET")
def request_detail(request: HttpRequest, request_id: str, *, fmt: str) -> HttpResponse:
    client = _client_or_refusal(request, required=False)
    case = open311_request(client=client, number=request_id)
    if case is None:
        raise Open311Error(404, _("service_request_id %(id)s was not found.") % {"id": request_id})
    return render(fmt, "service_requests", documents.service_requests([case]))


@endpoint("GET")
def token_detail(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    client = _client_or_refusal(request, required=False)
    case = open311_request(client=client, token=token)
    if case is None:
        raise Open311Error(404, _("token %(token)s was not found.") % {"token": token})
    return render(
        fmt,
        "service_requests",
        [{"service_request_id": case.number, "token": str(case.token)}],
    )


def _moment(name: str, raw: str, *, end_of_day: bool = False) -> datetime:
    moment = parse_datetime(raw.replace(" ", "+")) if "T" in raw else None
    if moment is None:
        day = parse_date(raw) if "T" not in raw else None
        if day is None:
            raise Open311Error(
                400,
                _("%(name)s must be a W3C datetime such as 2010-01-01T00:00:00Z.") % {"name": name},
            )
        moment = datetime.combine(day, time.max if end_of_day else time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _period(start_raw: str, end_raw: str) -> tuple[datetime, datetime]:
    """The requested period: both ends given, one (the other 90 days away), or the last 90 days."""
    given_start = _moment("start_date", start_raw) if start_raw else None
    given_end = _moment("end_date", end_raw, end_of_day=True) if end_raw else None
    if given_start is not None and given_end is not None:
        start, end = given_start, given_end
    elif given_start is not None:
        start, end = given_start, given_start + MAX_SPAN
    elif given_end is not None:
        start, end = given_end - MAX_SPAN, given_end
    else:
        end = timezone.now()
        start = end - MAX_SPAN
    if end < start:
        raise Open311Error(400, _("end_date lies before start_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    return start, end


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _filtered(query: QueryDict, client: Any) -> list[Case]:
    numbers = _list(query.get("service_request_id", ""))
    statuses = {item.lower() for item in _list(query.get("status", ""))}
    unknown = statuses - {documents.OPEN, documents.CLOSED}
    if unknown and not numbers:
        raise Open311Error(400, _("status must be open or closed."))
    start, end = (
        _period(query.get("start_date", "").strip(), query.get("end_date", "").strip())
        if not numbers
        else (timezone.now(), timezone.now())
    )
    return open311_requests(
        client=client,
        numbers=numbers,
        codes=_list(query.get("service_code", "")),
        is_open={documents.OPEN: True, documents.CLOSED: False}.get(next(iter(statuses)))
        if len(statuses) == 1
        else None,
        start=start,
        end=end,
        limit=max_requests(),
    )


def _float(request: HttpRequest, name: str) -> float | None:
    raw = _argument(request, name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.") % {"name": name}) from None


def _attributes(data: QueryDict, category: Category) -> dict[str, Any]:
    kinds = documents.attribute_kinds(category)
    answers: dict[str, Any] = {}
    for key in data:
        match = _ATTRIBUTE.match(key)
        if not match:
            continue
        code, many = match.group(1), bool(match.group(2))
        if code not in kinds:
            raise Open311Error(
                400, _("attribute %(code)s is not part of this service.") % {"code": code}
            )
        values = [value.strip() for value in data.getlist(key)]
        if many or kinds[code] == "multivaluelist":
            answers[code] = [value for value in values if value]
        else:
            answers[code] = values[-1] if values else ""
    return answers


def _reporter_name(first: str, last: str) -> str:
    if any(ord(char) > 127 for char in first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _client_or_refusal(request, required=True)
    category = _service(_argument(request, "service_code"))
    lat, lng = _float(request, "lat"), _float(request, "long")
    address = _argument(request, "address_string")
    address_id_raw = _argument(request, "address_id")
    building_id: int | None = None
    if address_id_raw:
        if not address_id_raw.isdigit():
            raise Open311Error(400, _("address_id is not a known address."))
        building_id = int(address_id_raw)
    has_point = lat is not None and lng is not None
    if (lat is None) != (lng is None):
        raise Open311Error(400, _("lat and long must be given together."))
    if not (has_point or address or building_id):
        raise Open311Error(
            400, _("A location is required: lat and long, address_string or address_id.")
        )
    if has_point and not (-90 <= lat <= 90 and -180 <= lng <= 180):  # type: ignore[operator]
        raise Open311Error(400, _("lat and long are out of range."))
    attributes = _attributes(request.POST, category)
    media_url = _argument(request, "media_url")
    if media_url:
        if len(media_url) > MAX_MEDIA_URL or not _MEDIA_URL.match(media_url):
            raise Open311Error(400, _("media_url must be an http or https URL."))
        attributes["media_url"] = media_url
    description = _argument(request, "description")
    account_id = _argument(request, "account_id")
    from gridgov.cases.services.intake import case_report

    try:
        case = case_report(
            actor=None,
            channel=Channel.OPEN311,
            category_code=category.code,
            description=description or category.name,
            lat=lat if has_point else None,
            lng=lng if has_point else None,
            address=address,
            building_id=building_id,
            reporter_name=_reporter_name(
                _argument(request, "first_name"), _argument(request, "last_name")
            )[:64],
            reporter_phone=_argument(request, "phone"),
            attributes=attributes,
            api_client=client,
            source_ref=(account_id or _argument(request, "device_id"))[:100],
        )
    except case_errors.UnknownCategoryError:
        raise Open311Error(404, _("service_code was not found.")) from None
    except ValidationError as error:
        raise Open311Error(400, " ".join(str(message) for message in error.messages)) from None
    return render(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": case.number,
                "service_notice": documents.service_notice(category),
                "account_id": account_id or None,
            }
        ],
    )
