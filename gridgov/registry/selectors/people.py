"""Reads of people, always for an acting user (DESIGN D6, D7).

A person is in scope when their cell is under one of the actor's cells for
``registry.view_person``; anyone else is answered exactly like an unknown id. Search uses only
indexed columns — pinyin and initials ranges, the last four digits, keyed hashes — and never
decrypts anything (the bench wants p95 < 50 ms on 120,000 people).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Exists, F, Func, Prefetch, Q, QuerySet
from django.db.models.lookups import Exact, In
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.core.crypto import lookup_hash
from gridgov.registry.models import Dwelling, Estate, Person, PersonTag, Residency, Tag

MINOR_AGE = 14


class PersonNotFoundError(Http404):
    """An unknown person, or one outside the actor's scope (the two look the same on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This person does not exist or is outside your area of responsibility."))


# --- Ages ------------------------------------------------------------------------------------


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth_date: datetime.date | None, today: datetime.date) -> int | None:
    """Full years of age on ``today`` (one's birthday counts)."""
    if birth_date is None:
        return None
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


def is_minor(person: Person, today: datetime.date) -> bool:
    age = age_on(person.birth_date, today)
    return age is not None and age < MINOR_AGE


# --- Querysets -------------------------------------------------------------------------------


def _with_display_relations(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """Cell, tags and current dwelling in a fixed number of queries, whatever the page size."""
    return queryset.select_related("cell").prefetch_related(
        Prefetch(
            "person_tags",
            queryset=PersonTag.objects.select_related("tag").order_by("tag__sort_order"),
        ),
        Prefetch(
            "residencies",
            queryset=Residency.objects.filter(ended_on__isnull=True).select_related("dwelling"),
            to_attr="current_residencies",
        ),
    )


# A list row (``PersonPresenter.row``) shows of the cell its code and name, and of the current
# residency the role and the dwelling's address: the cell's outline (JSON to parse), bounding box,
# statistics and timestamps, and the residency's and dwelling's other columns, stay in the
# database for a page of people. A single person (``person_get_for_actor``) comes whole.
_CELL_UNSHOWN = tuple(
    f"cell__{name}"
    for name in (
        "boundary",
        "min_lng",
        "min_lat",
        "max_lng",
        "max_lat",
        "centroid_lng",
        "centroid_lat",
        "area_km2",
        "descendant_count",
        "staff_count",
        "statistics_updated_at",
        "created_at",
        "updated_at",
    )
)


def _with_list_relations(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """What a list row shows of the cell, tags and current dwelling, in three queries."""
    current = (
        Residency.objects.filter(ended_on__isnull=True)
        .select_related("dwelling")
        .only("person", "dwelling", "role", "dwelling__address")
    )
    return (
        queryset.select_related("cell")
        .defer(*_CELL_UNSHOWN)
        .prefetch_related(
            Prefetch(
                "person_tags",
                queryset=PersonTag.objects.select_related("tag").order_by("tag__sort_order"),
            ),
            Prefetch("residencies", queryset=current, to_attr="current_residencies"),
        )
    )


def _scoped(actor: Any, permission: str = Perm.PERSON_VIEW) -> QuerySet[Person]:
    return scope_for(actor, permission).filter(Person.objects.all(), code_field="cell__code")


def _prefix(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix`` as a range, so that the B-tree index answers it."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


# The first characters of these columns lead an index ``(first characters, name_pinyin, id)``
# (migration 0003): one 王 or one "lj" is a single stretch of it, already in list order.
_HEAD_LENGTHS = {"name": 1, "name_initials": 2}


class _Leading(Func):
    """``Substr(field, 1, length)`` with the numbers written into the SQL: SQLite uses an
    expression index only for the very same expression, and a bound parameter is not."""

    output_field = CharField()

    def __init__(self, field: str, length: int) -> None:
        super().__init__(
            F(field), function="SUBSTR", template=f"%(function)s(%(expressions)s, 1, {length:d})"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Migration 0003 wrote SUBSTRING there, which PostgreSQL keeps apart from SUBSTR.
        return self.as_sql(compiler, connection, function="SUBSTRING", **extra)


def _prefix_in_list_order(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, said a second time as "its first characters are these".

    The second form adds nothing to the answer, but with it the database walks the matches in
    list order and stops after a page instead of sorting all 90,000 王 of a million people.
    """
    head = _HEAD_LENGTHS[field]
    if len(prefix) < head:
        return _prefix(field, prefix)
    leading = Q(Exact(_Leading(field, head), prefix[:head]))
    # Said twice, the planner would count the selectivity twice and sort instead of walking.
    return leading if len(prefix) == head else leading & _prefix(field, prefix)


def _matching(candidates: list[Q]) -> list[Q]:
    """The candidate conditions somebody matches (an index probe each, in one query).

    An OR of two indexed conditions cannot be walked in list order — PostgreSQL then filters
    the whole pinyin index row by row — and usually all candidates but one match nobody. The
    last candidate, when none before it matched, is kept without a probe: alone, it is the
    answer either way (and it may be the costly one, the people living at an estate).
    """
    *earlier, last = candidates
    matching = [candidate for candidate, hit in zip(earlier, _probe(earlier), strict=True) if hit]
    if not matching or _probe([last])[0]:
        matching.append(last)
    return matching


def _probe(conditions: list[Q]) -> list[bool]:
    """Whether anybody meets each condition, asked in one query (one round trip)."""
    if not conditions:
        return []
    probes = {
        f"match_{position}": Exists(Person.objects.filter(condition))
        for position, condition in enumerate(conditions)
    }
    # Any one row carries the probes; with no row at all, nobody meets anything.
    rows = Person.objects.order_by().annotate(**probes).values_list(*probes)[:1]
    return list(next(iter(rows), [False] * len(conditions)))


def _any(conditions: list[Q]) -> Q:
    if not conditions:
        return Q(pk__in=[])
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


_MAX_ADDRESS_MATCHES = 5000
# Characters that only an address fragment carries (号, 楼, 单元, 室, 弄, 路 …): a query with one of
# them is worth a scan of the dwelling addresses even when it names no estate.
_ADDRESS_MARKERS = re.compile(r"[0-9号楼栋幢座单元室弄路街巷里村组苑园庄]")
_DIGITS = re.compile(r"^\d+[Xx]?$")
_LATIN = re.compile(r"^[A-Za-z]+$")
_DOCUMENT = re.compile(r"^[A-Za-z0-9]{5,18}$")


def _letters_q(text: str) -> Q:
    """A full-pinyin or initials prefix, or a document number made of letters only.

    A name's pinyin and its initials start with the same letter (``name_pinyin`` in the
    protection service), so a one-letter initials prefix finds nobody the pinyin prefix does
    not, and all the name matches lie in that letter's stretch of the pinyin index.
    """
    lowered = text.lower()
    candidates = [_prefix("name_pinyin", lowered)]
    if len(lowered) > 1:
        candidates.append(_prefix_in_list_order("name_initials", lowered))
    document = Q(id_number_hash=lookup_hash(text)) if _DOCUMENT.match(text) else None
    if document is not None:
        candidates.append(document)
    matching = _matching(candidates)
    if len(matching) > 1 and all(condition is not document for condition in matching):
        return _any(matching) & _prefix("name_pinyin", lowered[0])
    return _any(matching)


class _AmongIds(In):
    """``column IN (ids)`` for a list of integers; on PostgreSQL one array parameter instead of
    one parameter per id (an estate's thousand dwellings are otherwise a thousand placeholders
    to build, send and parse)."""

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.cast_db_type(connection)
        # Written as an array literal: quoting one string is cheaper than adapting a list.
        literal = "{" + ",".join(str(int(value)) for value in self.rhs) + "}"
        return f"{lhs} = ANY(%s::{array_type}[])", (*lhs_params, literal)


def _characters_q(fragment: str) -> Q:
    """The beginning of the name, or a fragment of the current dwelling's address."""
    candidates = [_prefix_in_list_order("name", fragment)]
    dwelling_ids = _dwellings_at_address(fragment)
    if dwelling_ids:
        living_at = Residency.objects.filter(
            _AmongIds(F("dwelling_id"), dwelling_ids), ended_on__isnull=True
        ).values("person_id")
        candidates.append(Q(pk__in=living_at))
    return _any(_matching(candidates))


def _dwellings_at_address(fragment: str) -> list[int]:
    """Dwellings whose address contains ``fragment``, found without scanning every address.

    An address starts with its estate's name, so a fragment naming an estate narrows the scan to
    that estate's buildings; a fragment with no estate in it is scanned only when it carries an
    address marker (a surname such as 王 never pays for an address scan).
    """
    if len(fragment) < 2:
        return []
    estate_ids = [
        pk
        for pk, name in Estate.objects.values_list("pk", "name")
        if name and (name in fragment or fragment in name)
    ]
    dwellings = Dwelling.objects.filter(address__contains=fragment)
    if estate_ids:
        dwellings = dwellings.filter(building__estate_id__in=estate_ids)
    elif not _ADDRESS_MARKERS.search(fragment):
        return []
    return list(dwellings.values_list("pk", flat=True)[:_MAX_ADDRESS_MATCHES])


def _search_q(query: str) -> Q:
    """What a search box query matches, as few indexed conditions as possible (one, mostly)."""
    text = re.sub(r"[\s\-]", "", query)
    if _DIGITS.match(text):
        if len(text) < 4:
            return Q(pk__in=[])
        if len(text) <= 7:
            tail = text[-4:].upper()
            return Q(id_number_last4=tail) | Q(phone_last4=tail)
        return Q(id_number_hash=lookup_hash(text)) | Q(phone_hash=lookup_hash(text))
    if _LATIN.match(text):
        return _letters_q(text)
    if _DOCUMENT.match(text):  # letters and digits: a passport or permit number
        return Q(id_number_hash=lookup_hash(text))
    return _characters_q(query.strip())


def person_list_for_actor(
    *,
    actor: Any,
    cell_code: str | None = None,
    tag: str | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    is_migrant: bool | None = None,
    query: str | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Person]:
    """The people the actor may see, filtered; ordered by pinyin.

    ``query`` matches the beginning of the name (characters), a full-pinyin or initials prefix, the last 4–7
    digits of the ID or phone number (compared on the last four), an exact full ID or phone
    number (through the keyed hash) or a fragment of the current dwelling's address. A filter on
    a sensitive tag (health, minor) keeps only people the actor may see sensitive data of.
    """
    today = today or timezone.localdate()
    people = _scoped(actor)
    if cell_code:
        people = people.filter(cell__code__startswith=cell_code)
    if tag:
        people = people.filter(person_tags__tag__code=tag)
        sensitivity = Tag.objects.filter(code=tag).values_list("sensitivity", flat=True).first()
        if sensitivity and sensitivity != Tag.Sensitivity.NONE:
            people = scope_for(actor, Perm.SENSITIVE_VIEW).filter(people, code_field="cell__code")
    if age_min is not None:
        people = people.filter(birth_date__lte=years_before(today, age_min))
    if age_max is not None:
        people = people.filter(birth_date__gt=years_before(today, age_max + 1))
    if is_migrant is not None:
        people = people.filter(is_migrant=is_migrant)
    if query and query.strip():
        people = people.filter(_search_q(query.strip()))
    return _with_list_relations(people).order_by("name_pinyin", "id")


def person_get_for_actor(
    *, actor: Any, person_id: int, permission: str = Perm.PERSON_VIEW
) -> Person:
    """One person in the actor's scope; ``PersonNotFoundError`` if unknown or out of scope.

    With a ``permission`` other than viewing, a person the actor may see but not act on raises
    ``PermissionDenied`` (callers are services checking the right to write or reveal).
    """
    person = _with_display_relations(_scoped(actor)).filter(pk=person_id).first()
    if person is None:
        raise PersonNotFoundError()
    if permission != Perm.PERSON_VIEW and not scope_for(actor, permission).covers(person.cell.code):
        raise PermissionDenied(_("You are not allowed to do this for this person."))
    return person


def person_has_health_tag(person: Person) -> bool:
    return any(link.tag.sensitivity == Tag.Sensitivity.HEALTH for link in person.person_tags.all())


def person_is_sensitive(person: Person, today: datetime.date | None = None) -> bool:
    """A PIPL sensitive category: a minor under 14, or health-related tags."""
    today = today or timezone.localdate()
    if is_minor(person, today):
        return True
    return any(link.tag.sensitivity != Tag.Sensitivity.NONE for link in person.person_tags.all())


def tag_catalogue() -> QuerySet[Tag]:
    """Every active tag, rule tags first (the catalogue is not personal data)."""
    return Tag.objects.filter(is_active=True).order_by("sort_order", "code")
