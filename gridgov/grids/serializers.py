"""API representations of cells and staff posts (DESIGN D10). No personal data."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gridgov.grids.models import Cell, LevelKind, Post, StaffAssignment


class CellSerializer(serializers.ModelSerializer[Cell]):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    parent_code = serializers.SerializerMethodField()
    centroid = serializers.SerializerMethodField()

    class Meta:
        model = Cell
        fields = [
            "code",
            "name",
            "level",
            "level_label",
            "parent_code",
            "depth",
            "sort_order",
            "area_km2",
            "centroid",
            "descendant_count",
            "staff_count",
        ]
        read_only_fields = fields

    def get_parent_code(self, cell: Cell) -> str | None:
        # ``parent`` is select_related by the selectors; reading it costs no query.
        return cell.parent.code if cell.parent_id and cell.parent else None

    def get_centroid(self, cell: Cell) -> list[float] | None:
        if cell.centroid_lng is None or cell.centroid_lat is None:
            return None
        return [cell.centroid_lng, cell.centroid_lat]


class CellChildSerializer(CellSerializer):
    child_count = serializers.IntegerField(read_only=True)

    class Meta(CellSerializer.Meta):
        fields = [*CellSerializer.Meta.fields, "child_count"]
        read_only_fields = fields

    def get_parent_code(self, cell: Cell) -> str | None:
        return str(self.context["parent_code"]) if "parent_code" in self.context else None


class CellDetailSerializer(CellSerializer):
    boundary = serializers.JSONField(read_only=True, help_text="GeoJSON Polygon or MultiPolygon")
    bbox = serializers.SerializerMethodField()

    class Meta(CellSerializer.Meta):
        fields = [*CellSerializer.Meta.fields, "bbox", "boundary", "statistics_updated_at"]
        read_only_fields = fields

    def get_bbox(self, cell: Cell) -> list[float] | None:
        values = [cell.min_lng, cell.min_lat, cell.max_lng, cell.max_lat]
        return None if any(value is None for value in values) else values  # type: ignore[return-value]


class CellFilterSerializer(serializers.Serializer[Any]):
    parent = serializers.CharField(required=False, max_length=32)
    level = serializers.ChoiceField(choices=LevelKind.choices, required=False)
    search = serializers.CharField(required=False, max_length=100)


class LocateQuerySerializer(serializers.Serializer[Any]):
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text=_("Longitude (WGS-84)"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("Latitude (WGS-84)"))


class StaffFilterSerializer(serializers.Serializer[Any]):
    cell = serializers.CharField(required=False, max_length=32)
    post = serializers.ChoiceField(choices=Post.choices, required=False)
    search = serializers.CharField(required=False, max_length=100)


class _StaffCellSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class _StaffUserSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class StaffAssignmentSerializer(serializers.ModelSerializer[StaffAssignment]):
    post_label = serializers.CharField(source="get_post_display", read_only=True)
    cell = _StaffCellSerializer(read_only=True)
    user = _StaffUserSerializer(read_only=True)

    class Meta:
        model = StaffAssignment
        fields = ["id", "post", "post_label", "started_on", "cell", "user"]
        read_only_fields = fields
