"""Routes of the people-and-housing API under ``/api/v1/``."""

from django.urls import path

from gridgov.registry import api

urlpatterns = [
    path("people/", api.PersonListView.as_view(), name="api-people"),
    path("people/<int:pk>/", api.PersonDetailView.as_view(), name="api-person-detail"),
    path("people/<int:pk>/reveal/", api.PersonRevealView.as_view(), name="api-person-reveal"),
    path("people/<int:pk>/tags/", api.PersonTagView.as_view(), name="api-person-tags"),
    path("tags/", api.TagListView.as_view(), name="api-tags"),
    path("estates/", api.EstateListView.as_view(), name="api-estates"),
    path("buildings/", api.BuildingListView.as_view(), name="api-buildings"),
    path("dwellings/", api.DwellingListView.as_view(), name="api-dwellings"),
    path("dwellings/<int:pk>/file/", api.DwellingFileView.as_view(), name="api-dwelling-file"),
    path("leases/", api.LeaseListView.as_view(), name="api-leases"),
    path("quality/", api.QualityView.as_view(), name="api-quality"),
]
