"""API shapes of the housing writes, imports and exports (DESIGN D10).

Input serializers only parse the request into the services' keyword arguments; every rule
(scope, permission, dates, shares, duplicates) is the services'. Output serializers name
people by id only: their details come through ``/people/``, masked.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.registry.models import (
    Dwelling,
    Estate,
    Household,
    HouseholdMember,
    IdType,
    ImportJob,
    Ownership,
    Residency,
    Sex,
    Unit,
)
from gridgov.registry.serializers import PersonFilterSerializer


def _optional_date() -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, default=None)


def _optional_text(max_length: int) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True)


class ApiErrorSerializer(serializers.Serializer[Any]):
    """Every error: a machine code, a message, and per-field reasons for ``invalid``."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(), required=False)


# --- Places ----------------------------------------------------------------------------------


class EstateCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    cell_code = _optional_text(32)
    code = _optional_text(32)
    kind = serializers.ChoiceField(choices=Estate.Kind.choices, default=Estate.Kind.ESTATE)
    address = _optional_text(200)
    lng = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    property_company_id = serializers.IntegerField(required=False, allow_null=True)


class BuildingCreateSerializer(serializers.Serializer[Any]):
    estate_id = serializers.IntegerField()
    label = serializers.CharField(max_length=50)
    cell_code = _optional_text(32)
    address = _optional_text(200)
    lng = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    floors = serializers.IntegerField(required=False, allow_null=True)
    sort_order = serializers.IntegerField(required=False, default=0)


class UnitSerializer(serializers.ModelSerializer[Unit]):
    class Meta:
        model = Unit
        fields = ["id", "building", "label", "sort_order"]
        read_only_fields = fields


class UnitFilterSerializer(serializers.Serializer[Any]):
    building = serializers.IntegerField(help_text=_("The building whose units are listed"))


class UnitCreateSerializer(serializers.Serializer[Any]):
    building_id = serializers.IntegerField()
    label = serializers.CharField(max_length=50)
    sort_order = serializers.IntegerField(required=False, default=0)


class DwellingCreateSerializer(serializers.Serializer[Any]):
    building_id = serializers.IntegerField()
    room = serializers.CharField(max_length=30)
    unit_id = serializers.IntegerField(required=False, allow_null=True)
    floor = serializers.IntegerField(required=False, allow_null=True)
    area_m2 = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    use = serializers.ChoiceField(choices=Dwelling.Use.choices, default=Dwelling.Use.RESIDENTIAL)
    cell_code = _optional_text(32)


class DwellingUpdateSerializer(serializers.Serializer[Any]):
    """Only the fields sent change; the room (and so the address) never does."""

    floor = serializers.IntegerField(required=False, allow_null=True)
    area_m2 = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    use = serializers.ChoiceField(choices=Dwelling.Use.choices, required=False)
    cell_code = serializers.CharField(max_length=32, required=False)


# --- Leases, residencies, ownerships, households ---------------------------------------------


class PartySerializer(serializers.Serializer[Any]):
    """The landlord or a tenant: ``{"person_id": n}``, or the person's details (found by
    identity if already registered, else registered in the dwelling's area)."""

    person_id = serializers.IntegerField(required=False)
    id_type = serializers.ChoiceField(choices=IdType.choices, required=False)
    id_number = serializers.CharField(max_length=40, required=False, write_only=True)
    name = serializers.CharField(max_length=64, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, write_only=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    ethnicity = _optional_text(20)
    hukou_address = _optional_text(200)
    is_migrant = serializers.BooleanField(required=False)
    contact_name = _optional_text(64)
    contact_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, write_only=True
    )
    cell_code = _optional_text(32)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "person_id" in attrs:
            if len(attrs) > 1:
                raise serializers.ValidationError(
                    _("Give either the id of a registered person or the person's details.")
                )
            return attrs
        if not attrs.get("id_number"):
            raise serializers.ValidationError(
                {"id_number": [_("Give the id of a registered person or the document number.")]}
            )
        attrs.setdefault("id_type", IdType.RESIDENT_ID)
        return attrs


def party_reference(attrs: dict[str, Any]) -> int | dict[str, Any]:
    """The parsed party as ``lease_register`` takes it: an id, or ``person_register`` fields."""
    if "person_id" in attrs:
        return int(attrs["person_id"])
    return {key: value for key, value in attrs.items() if value is not None}


class LeaseRegisterSerializer(serializers.Serializer[Any]):
    dwelling_id = serializers.IntegerField()
    landlord = PartySerializer()
    tenants = PartySerializer(many=True, max_length=30)
    started_on = serializers.DateField()
    ends_on = serializers.DateField()


class EndSerializer(serializers.Serializer[Any]):
    """The day a lease, residency or ownership ends (today when left out)."""

    ended_on = _optional_date()


class ResidencyStartSerializer(serializers.Serializer[Any]):
    person_id = serializers.IntegerField()
    dwelling_id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Residency.Role.choices)
    started_on = serializers.DateField()
    lease_id = serializers.IntegerField(required=False, allow_null=True)


class ResidencySerializer(serializers.ModelSerializer[Residency]):
    class Meta:
        model = Residency
        fields = ["id", "person", "dwelling", "role", "started_on", "ended_on", "lease"]
        read_only_fields = fields


class OwnershipAddSerializer(serializers.Serializer[Any]):
    dwelling_id = serializers.IntegerField()
    started_on = serializers.DateField()
    owner_person_id = serializers.IntegerField(required=False, allow_null=True)
    owner_organization_id = serializers.IntegerField(required=False, allow_null=True)
    share_numerator = serializers.IntegerField(required=False, default=1)
    share_denominator = serializers.IntegerField(required=False, default=1)


class OwnershipSerializer(serializers.ModelSerializer[Ownership]):
    class Meta:
        model = Ownership
        fields = ["id", "dwelling", "owner", "owner_organization", "share_numerator",
                  "share_denominator", "started_on", "ended_on"]  # fmt: skip
        read_only_fields = fields


class HouseholdCreateSerializer(serializers.Serializer[Any]):
    head_person_id = serializers.IntegerField()
    dwelling_id = serializers.IntegerField(required=False, allow_null=True)
    number = _optional_text(32)
    joined_on = _optional_date()


class HouseholdMemberAddSerializer(serializers.Serializer[Any]):
    person_id = serializers.IntegerField()
    relation = serializers.ChoiceField(choices=HouseholdMember.Relation.choices)
    joined_on = _optional_date()


class HouseholdMemberRemoveSerializer(serializers.Serializer[Any]):
    left_on = _optional_date()


class HouseholdMemberSerializer(serializers.ModelSerializer[HouseholdMember]):
    class Meta:
        model = HouseholdMember
        fields = ["id", "household", "person", "relation", "joined_on", "left_on"]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer[Household]):
    """A household with its current members (by person id)."""

    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "number", "dwelling", "head", "members"]
        read_only_fields = fields

    @extend_schema_field(HouseholdMemberSerializer(many=True))
    def get_members(self, household: Household) -> Any:
        current = household.members.filter(left_on__isnull=True).order_by("id")
        return HouseholdMemberSerializer(current, many=True).data


# --- Exports and imports ---------------------------------------------------------------------


class PeopleExportSerializer(PersonFilterSerializer):
    reveal = serializers.BooleanField(
        required=False, default=False, help_text=_("Identifiers in clear (needs a purpose)")
    )
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ImportCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    cell = _optional_text(32)
    file = serializers.FileField()


class ImportCommitSerializer(serializers.Serializer[Any]):
    mode = serializers.ChoiceField(
        choices=[("all", _("All or nothing")), ("partial", _("Only the rows without errors"))],
        default="all",
    )


class ImportProblemSerializer(serializers.Serializer[Any]):
    row = serializers.CharField()
    column = serializers.CharField()
    reason = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    """An upload: its state, counts and progress; ``problems`` only in the detail."""

    cell_code = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    has_error_report = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "status", "original_name", "cell_code", "is_dry_run",
                  "is_all_or_nothing", "total_rows", "processed_rows", "progress", "error_count",
                  "created_count", "updated_count", "message", "has_error_report", "created_at",
                  "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields

    def get_cell_code(self, job: ImportJob) -> str:
        return job.cell.code if job.cell_id and job.cell else ""

    def get_progress(self, job: ImportJob) -> int:
        """Percent of rows processed in the current step."""
        if not job.total_rows:
            return 0
        return min(100, round(job.processed_rows * 100 / job.total_rows))

    def get_has_error_report(self, job: ImportJob) -> bool:
        return bool(job.error_report)


class ImportJobDetailSerializer(ImportJobSerializer):
    """The job with the first lines of its error report (``context["problems"]``)."""

    problems = serializers.SerializerMethodField()
    more_problems = serializers.SerializerMethodField()

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "problems", "more_problems"]
        read_only_fields = fields

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_problems(self, job: ImportJob) -> Any:
        problems = self.context.get("problems", [])
        return ImportProblemSerializer(problems, many=True).data

    def get_more_problems(self, job: ImportJob) -> bool:
        return bool(self.context.get("more_problems", False))
