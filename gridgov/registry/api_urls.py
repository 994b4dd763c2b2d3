"""Routes of the people-and-housing API under ``/api/v1/``."""

from django.urls import path

from gridgov.registry import api
from gridgov.registry.api.accounts import MyPersonView

urlpatterns = [
    path("me/person/", MyPersonView.as_view(), name="api-me-person"),
    path("people/", api.PersonListView.as_view(), name="api-people"),
    path("people/export.xlsx", api.PersonExportView.as_view(), name="api-people-export"),
    path("people/search/", api.PersonSearchView.as_view(), name="api-people-search"),
    path("people/<int:pk>/", api.PersonDetailView.as_view(), name="api-person-detail"),
    path("people/<int:pk>/reveal/", api.PersonRevealView.as_view(), name="api-person-reveal"),
    path("people/<int:pk>/tags/", api.PersonTagView.as_view(), name="api-person-tags"),
    path("people/<int:pk>/verify/", api.PersonVerifyView.as_view(), name="api-person-verify"),
    path("tags/", api.TagListView.as_view(), name="api-tags"),
    path("estates/", api.EstateListView.as_view(), name="api-estates"),
    path("estates/<int:pk>/", api.EstateDetailView.as_view(), name="api-estate-detail"),
    path("buildings/", api.BuildingListView.as_view(), name="api-buildings"),
    path("buildings/<int:pk>/", api.BuildingDetailView.as_view(), name="api-building-detail"),
    path("units/", api.UnitListView.as_view(), name="api-units"),
    path("dwellings/", api.DwellingListView.as_view(), name="api-dwellings"),
    path("dwellings/<int:pk>/", api.DwellingDetailView.as_view(), name="api-dwelling-detail"),
    path("dwellings/<int:pk>/file/", api.DwellingFileView.as_view(), name="api-dwelling-file"),
    path("leases/", api.LeaseListView.as_view(), name="api-leases"),
    path("leases/export.xlsx", api.LeaseExportView.as_view(), name="api-leases-export"),
    path("leases/<int:pk>/", api.LeaseDetailView.as_view(), name="api-lease-detail"),
    path("leases/<int:pk>/end/", api.LeaseEndView.as_view(), name="api-lease-end"),
    path("residencies/", api.ResidencyListView.as_view(), name="api-residencies"),
    path("residencies/<int:pk>/end/", api.ResidencyEndView.as_view(), name="api-residency-end"),
    path("ownerships/", api.OwnershipListView.as_view(), name="api-ownerships"),
    path("ownerships/<int:pk>/end/", api.OwnershipEndView.as_view(), name="api-ownership-end"),
    path("households/", api.HouseholdListView.as_view(), name="api-households"),
    path(
        "households/<int:pk>/members/",
        api.HouseholdMemberListView.as_view(),
        name="api-household-members",
    ),
    path(
        "households/<int:pk>/members/<int:person_id>/remove/",
        api.HouseholdMemberRemoveView.as_view(),
        name="api-household-member-remove",
    ),
    path("imports/", api.ImportListView.as_view(), name="api-imports"),
    path("imports/<int:pk>/", api.ImportDetailView.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/commit/", api.ImportCommitView.as_view(), name="api-import-commit"),
    path(
        "imports/<int:pk>/errors.xlsx",
        api.ImportErrorReportView.as_view(),
        name="api-import-errors",
    ),
    path("quality/", api.QualityView.as_view(), name="api-quality"),
]
