"""``/api/v1/``: every app's API routes (DESIGN D10)."""

from django.urls import include, path

urlpatterns = [
    path("", include("gridgov.accounts.api_urls")),
    path("", include("gridgov.grids.api_urls")),
    path("", include("gridgov.registry.api_urls")),
    path("", include("gridgov.cases.api_urls")),
    path("", include("gridgov.sensing.api_urls")),
    path("", include("gridgov.participation.api_urls")),
]
