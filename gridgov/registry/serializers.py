"""API shapes of the people-and-housing registry (DESIGN D10).

People are serialised from ``PersonPresenter`` rows only — masked identifiers, restricted
sensitive categories — never from the model, so no ``*_encrypted`` or ``*_hash`` column can
reach a response. Input serializers only parse; the services validate and decide.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gridgov.registry.models import Building, Dwelling, Estate, IdType, Lease, Sex, Tag


class PersonFilterSerializer(serializers.Serializer[Any]):
    cell = serializers.CharField(required=False, max_length=32)
    tag = serializers.CharField(required=False, max_length=40)
    age_min = serializers.IntegerField(required=False, min_value=0, max_value=150)
    age_max = serializers.IntegerField(required=False, min_value=0, max_value=150)
    is_migrant = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, max_length=64, help_text=_("Name, pinyin, digits"))


class PersonSerializer(serializers.Serializer[Any]):
    """A presenter row: identifiers always masked."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    age = serializers.IntegerField(allow_null=True)
    birth_date = serializers.DateField(allow_null=True)
    id_type = serializers.CharField()
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    is_migrant = serializers.BooleanField()
    cell_code = serializers.CharField()
    cell_name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    address = serializers.CharField()
    dwelling_id = serializers.IntegerField(allow_null=True, required=False)
    is_restricted = serializers.BooleanField()
    version = serializers.IntegerField(required=False)


class PersonCreateSerializer(serializers.Serializer[Any]):
    cell_code = serializers.CharField(max_length=32)
    id_type = serializers.ChoiceField(choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = serializers.CharField(max_length=40, write_only=True)
    name = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    ethnicity = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    hukou_address = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    is_migrant = serializers.BooleanField(required=False, default=False)
    contact_name = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    contact_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )


class PersonUpdateSerializer(serializers.Serializer[Any]):
    """The version read is required; every other field is optional (only changes are sent)."""

    version = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=64, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    ethnicity = serializers.CharField(max_length=20, required=False, allow_blank=True)
    hukou_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_migrant = serializers.BooleanField(required=False)
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class RevealSerializer(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=["id_number", "phone", "contact_phone"])
    purpose = serializers.CharField(max_length=500)


class RevealResultSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    value = serializers.CharField()


class TagSerializer(serializers.ModelSerializer[Tag]):
    class Meta:
        model = Tag
        fields = ["code", "name", "kind", "sensitivity", "description"]
        read_only_fields = fields


class PersonTagSerializer(serializers.Serializer[Any]):
    tag = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=200)


class EstateSerializer(serializers.ModelSerializer[Estate]):
    cell_code = serializers.CharField(source="cell.code", read_only=True)
    building_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Estate
        fields = ["id", "code", "name", "kind", "cell_code", "address", "lng", "lat",
                  "building_count"]  # fmt: skip
        read_only_fields = fields


class BuildingSerializer(serializers.ModelSerializer[Building]):
    cell_code = serializers.CharField(source="cell.code", read_only=True)

    class Meta:
        model = Building
        fields = ["id", "estate", "label", "cell_code", "address", "lng", "lat", "floors"]
        read_only_fields = fields


class DwellingSerializer(serializers.ModelSerializer[Dwelling]):
    cell_code = serializers.CharField(source="cell.code", read_only=True)
    unit_label = serializers.SerializerMethodField()
    resident_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Dwelling
        fields = ["id", "building", "unit", "unit_label", "room", "floor", "area_m2", "use",
                  "cell_code", "address", "resident_count"]  # fmt: skip
        read_only_fields = fields

    def get_unit_label(self, dwelling: Dwelling) -> str:
        return dwelling.unit.label if dwelling.unit_id and dwelling.unit else ""


class LeaseSerializer(serializers.ModelSerializer[Lease]):
    """A lease with its parties as ids only; their details come through ``/people/``."""

    tenant_ids = serializers.SerializerMethodField()

    class Meta:
        model = Lease
        fields = ["id", "dwelling", "landlord", "tenant_ids", "started_on", "ends_on", "status",
                  "is_group_rental_warning", "registered_at"]  # fmt: skip
        read_only_fields = fields

    def get_tenant_ids(self, lease: Lease) -> list[int]:
        return [link.person_id for link in lease.lease_tenants.all()]


class LeaseFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Lease.Status.choices, required=False)
    expiring_within_days = serializers.IntegerField(required=False, min_value=0, max_value=3650)
    cell = serializers.CharField(required=False, max_length=32)


class QualityFilterSerializer(serializers.Serializer[Any]):
    parent = serializers.CharField(required=False, max_length=32)
    level = serializers.CharField(required=False, max_length=16)
    max_age_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)


def quality_row(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "residents": row.residents,
        "complete": row.complete,
        "verified": row.verified,
        "accurate": row.accurate,
        "accuracy": round(row.accuracy, 4) if row.accuracy is not None else None,
        "missing_phone": row.missing_phone,
        "no_dwelling": row.no_dwelling,
        "unverified": row.unverified,
        "duplicates": row.duplicates,
        "expired_leases": row.expired_leases,
        "records": row.records,
    }
