"""Factories of the participation app's tests (one section per part)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from gridgov.accounts.models import Organization, User
from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from gridgov.grids.models import Cell
from gridgov.participation.models import (
    Consultation,
    ConsultationAnswer,
    ConsultationScope,
    RatingSurvey,
    ScoringScheme,
    ServiceItem,
    SurveyItem,
    Vote,
)
from gridgov.registry.models import (
    Building,
    Dwelling,
    Estate,
    Household,
    Person,
    PersonAccount,
    Unit,
)
from gridgov.registry.tests.factories import (
    BuildingFactory,
    DwellingFactory,
    EstateFactory,
    HouseholdFactory,
    HouseholdMemberFactory,
    OwnershipFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
)

# --- consultations and projects ---------------------------------------------------------------


class ConsultationFactory(DjangoModelFactory):
    """An open consultation of the households of one estate (pass when ≥ 2/3 are in favour)."""

    class Meta:
        model = Consultation

    title = factory.Sequence(lambda n: f"加装电梯意向征询{n}")
    question = "是否同意本门洞加装电梯?"
    audience = Consultation.Audience.HOUSEHOLDS
    basis = Consultation.Basis.ELIGIBLE
    pass_numerator = 2
    pass_denominator = 3
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))
    status = Consultation.Status.OPEN
    cell = factory.SubFactory("gridgov.grids.tests.factories.CellFactory")


class ConsultationScopeFactory(DjangoModelFactory):
    class Meta:
        model = ConsultationScope

    consultation = factory.SubFactory(ConsultationFactory)
    estate = factory.SubFactory("gridgov.registry.tests.factories.EstateFactory")
    building = None
    unit = None


class ConsultationAnswerFactory(DjangoModelFactory):
    class Meta:
        model = ConsultationAnswer

    consultation = factory.SubFactory(ConsultationFactory)
    household = factory.SubFactory("gridgov.registry.tests.factories.HouseholdFactory")
    owner = None
    choice = ConsultationAnswer.Choice.YES
    channel = ConsultationAnswer.Channel.DOOR_TO_DOOR
    answered_at = factory.LazyFunction(timezone.now)


@dataclass
class Doorways:
    """One estate: a building with two doorways, a household and its owner in each dwelling."""

    estate: Estate
    building: Building
    unit_1: Unit
    unit_2: Unit
    households: list[Household]
    people: list[Person]


def estate_with_households(
    cell: Cell, *, households: int = 3, name: str | None = None, in_unit_2: int = 0
) -> Doorways:
    """``households`` households in doorway 1 (the last ``in_unit_2`` of them in doorway 2),
    each headed by the dwelling's owner."""
    estate = EstateFactory(cell=cell, **({"name": name} if name else {}))
    building = BuildingFactory(estate=estate, cell=cell)
    unit_1 = UnitFactory(building=building, label="1单元")
    unit_2 = UnitFactory(building=building, label="2单元")
    rows: list[Household] = []
    people: list[Person] = []
    for index in range(households):
        unit = unit_2 if index >= households - in_unit_2 else unit_1
        dwelling = DwellingFactory(building=building, unit=unit, room=f"{index + 1:02d}01")
        person = PersonFactory(cell=cell)
        household = HouseholdFactory(dwelling=dwelling, head=person)
        HouseholdMemberFactory(household=household, person=person)
        OwnershipFactory(dwelling=dwelling, owner=person)
        rows.append(household)
        people.append(person)
    return Doorways(estate, building, unit_1, unit_2, rows, people)


def resident_account(person: Person, cell: Cell, username: str | None = None) -> User:
    """A resident's sign-in account linked to ``person`` (实名认证 by staff)."""
    user = UserFactory(**({"username": username} if username else {}))
    MembershipFactory(user=user, cell=cell, role=Role.RESIDENT)
    PersonAccount.objects.create(user=user, person=person, method=PersonAccount.Method.STAFF)
    return user


def consultation_over(places: list[Doorways], *, cell: Cell, **fields: object) -> Consultation:
    """A consultation of the whole estates of ``places``."""
    consultation = ConsultationFactory(cell=cell, **fields)
    for place in places:
        ConsultationScopeFactory(consultation=consultation, estate=place.estate)
    return consultation


# --- property-service supervision (物业服务测评, 四公开一监督) -----------------------------------


def property_company(code: str, name: str) -> Organization:
    return OrganizationFactory(code=code, name=name, kind=Organization.Kind.PROPERTY_COMPANY)


@dataclass
class RatedEstate:
    """An estate managed by ``company`` with ``len(people)`` dwellings, one resident each."""

    estate: Estate
    people: list[Person]
    dwellings: list[Dwelling]


def rated_estate(
    cell: Cell, company: Organization | None, *, residents: int = 3, name: str | None = None
) -> RatedEstate:
    estate = EstateFactory(cell=cell, property_company=company, **({"name": name} if name else {}))
    building = BuildingFactory(estate=estate, cell=cell)
    people, dwellings = [], []
    for index in range(residents):
        dwelling = DwellingFactory(building=building, room=f"{index + 1:02d}02")
        person = PersonFactory(cell=cell)
        ResidencyFactory(person=person, dwelling=dwelling)
        people.append(person)
        dwellings.append(dwelling)
    return RatedEstate(estate, people, dwellings)


def service_items() -> list[ServiceItem]:
    """保洁 (weight 2), 绿化 (1), 设施维修 (2)."""
    return [
        ServiceItem.objects.create(code="cleaning", name="保洁", weight=2, sort_order=0),
        ServiceItem.objects.create(code="greening", name="绿化", weight=1, sort_order=1),
        ServiceItem.objects.create(code="repairs", name="设施维修", weight=2, sort_order=2),
    ]


def open_survey(cell: Cell, *, min_responses: int = 1, **fields: object) -> RatingSurvey:
    """An open survey of the current quarter over ``cell`` asking every active item."""
    if not ServiceItem.objects.exists():
        service_items()
    scheme = ScoringScheme.objects.create(
        name=f"方案{ScoringScheme.objects.count() + 1}", min_responses=min_responses
    )
    today = timezone.localdate()
    start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    values: dict = {
        "title": "物业服务测评",
        "cell": cell,
        "period_start": start,
        "period_end": start + datetime.timedelta(days=89),
        "opens_at": timezone.now() - datetime.timedelta(days=1),
        "closes_at": timezone.now() + datetime.timedelta(days=14),
        "scheme": scheme,
        **fields,
    }
    survey = RatingSurvey.objects.create(**values)
    for index, item in enumerate(ServiceItem.objects.filter(is_active=True)):
        SurveyItem.objects.create(
            survey=survey, item=item, name=item.name, weight=item.weight, sort_order=index
        )
    return survey


def all_stars(survey: RatingSurvey, stars: int) -> dict[int, int]:
    return {item.pk: stars for item in survey.survey_items.all()}


@dataclass
class SupervisionWorld:
    """Two companies in the test town: 绿城物业 manages 飞碟苑 (grid A, three households),
    万科物业 manages 彭渡新村 (grid B, two); an open survey over the town; a community worker
    over the town; and 飞碟苑's first resident's account."""

    company_a: Organization
    company_b: Organization
    a: RatedEstate
    b: RatedEstate
    survey: RatingSurvey
    staff: User
    resident: User


def supervision_world(town: object, *, min_responses: int = 1) -> SupervisionWorld:
    company_a = property_company("lvcheng", "绿城物业")
    company_b = property_company("wanke", "万科物业")
    a = rated_estate(town.grid_a, company_a, residents=3, name="飞碟苑")  # type: ignore[attr-defined]
    b = rated_estate(town.grid_b, company_b, residents=2, name="彭渡新村")  # type: ignore[attr-defined]
    survey = open_survey(town.town, min_responses=min_responses)  # type: ignore[attr-defined]
    staff = UserFactory(username="community_staff")
    MembershipFactory(user=staff, cell=town.town, role=Role.COMMUNITY_STAFF)  # type: ignore[attr-defined]
    resident = resident_account(a.people[0], town.grid_a, "resident_a")  # type: ignore[attr-defined]
    return SupervisionWorld(company_a, company_b, a, b, survey, staff, resident)


# --- owners' votes (业主表决) ------------------------------------------------------------------

VOTE_OPENS = datetime.datetime(2026, 12, 1, 1, 0, tzinfo=datetime.UTC)
VOTE_DURING = VOTE_OPENS + datetime.timedelta(days=1)
VOTE_CLOSES = VOTE_OPENS + datetime.timedelta(days=14)


@dataclass
class VoteWorld:
    """An estate in grid A with one building and one doorway, no dwellings yet; community A's
    staff manage its votes, a grid worker only sees them, community B's staff are outside."""

    cell: Cell
    estate: Estate
    building: Building
    unit: Unit
    staff: User
    viewer: User
    outsider: User


def vote_world(town: object) -> VoteWorld:
    grid = town.grid_a  # type: ignore[attr-defined]
    estate = EstateFactory(cell=grid, name="浦锦苑")
    building = BuildingFactory(estate=estate, cell=grid, label="3号楼")
    unit = UnitFactory(building=building, label="1单元")
    staff = UserFactory(username="vote-staff")
    MembershipFactory(user=staff, cell=town.community_a, role=Role.COMMUNITY_STAFF)  # type: ignore[attr-defined]
    viewer = UserFactory(username="vote-viewer")
    MembershipFactory(user=viewer, cell=grid, role=Role.GRID_WORKER)
    outsider = UserFactory(username="vote-outsider")
    MembershipFactory(user=outsider, cell=town.community_b, role=Role.COMMUNITY_STAFF)  # type: ignore[attr-defined]
    return VoteWorld(grid, estate, building, unit, staff, viewer, outsider)


def owned_dwelling(
    world: VoteWorld,
    *owners: Person | Organization,
    area: str = "100.00",
    shares: tuple[tuple[int, int], ...] | None = None,
    room: str | None = None,
    unit: Unit | None = None,
    use: str = Dwelling.Use.RESIDENTIAL,
) -> Dwelling:
    """A dwelling in the world's doorway owned by ``owners`` (equal shares unless given)."""
    fields = {"room": room} if room else {}
    dwelling = DwellingFactory(
        building=world.building,
        unit=unit or world.unit,
        area_m2=Decimal(area) if area else None,
        use=use,
        **fields,
    )
    for index, owner in enumerate(owners):
        numerator, denominator = shares[index] if shares else (1, len(owners))
        owner_fields = (
            {"owner": None, "owner_organization": owner}
            if isinstance(owner, Organization)
            else {"owner": owner}
        )
        OwnershipFactory(
            dwelling=dwelling,
            share_numerator=numerator,
            share_denominator=denominator,
            **owner_fields,
        )
    return dwelling


def developer(code: str = "dev-pujin") -> Organization:
    return OrganizationFactory(code=code, name="浦锦置业有限公司", kind=Organization.Kind.OTHER)


def owner_person(world: VoteWorld) -> Person:
    return PersonFactory(cell=world.cell)


def vote_created(world: VoteWorld, **fields: object) -> Vote:
    from gridgov.participation.services.votes import vote_create

    values: dict = {
        "title": "更换小区变压器（动用专项维修资金）",
        "matter": "item5_fund_use",
        "opens_at": VOTE_OPENS,
        "closes_at": VOTE_CLOSES,
        "estate_id": world.estate.pk,
    }
    values.update(fields)
    return vote_create(actor=world.staff, **values)


def vote_opened(world: VoteWorld, **fields: object) -> Vote:
    from gridgov.participation.services.votes import vote_open

    vote = vote_created(world, **fields)
    return vote_open(actor=world.staff, vote_id=vote.pk, now=VOTE_OPENS)


# --- vote pages, API and exports ---------------------------------------------------------------


@dataclass
class VotePagesScene:
    """The vote world with three owners of 100 m² (rooms 101–103, each with a linked account),
    two co-owners of room 104, a resident linked to a person who owns nothing here, and a vote
    that opened an hour ago and closes in a week."""

    world: VoteWorld
    vote: Vote
    owners: list[Person]
    accounts: list[User]
    co_owners: list[Person]
    stranger: User


def vote_pages_scene(town: object, **fields: object) -> VotePagesScene:
    from gridgov.participation.services.votes import vote_open

    world = vote_world(town)
    owners = [owner_person(world) for _index in range(3)]
    for index, owner in enumerate(owners, start=1):
        owned_dwelling(world, owner, room=f"10{index}")
    co_owners = [owner_person(world), owner_person(world)]
    owned_dwelling(world, *co_owners, room="104")
    now = timezone.now()
    values: dict = {
        "opens_at": now - datetime.timedelta(hours=1),
        "closes_at": now + datetime.timedelta(days=7),
    }
    values.update(fields)
    vote = vote_created(world, **values)
    vote = vote_open(actor=world.staff, vote_id=vote.pk, now=now)
    accounts = [
        resident_account(owner, world.cell, username=f"owner-{index}")
        for index, owner in enumerate(owners, start=1)
    ]
    stranger = resident_account(PersonFactory(cell=world.cell), world.cell, username="stranger")
    return VotePagesScene(world, vote, owners, accounts, co_owners, stranger)
