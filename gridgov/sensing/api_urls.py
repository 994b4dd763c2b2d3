"""Routes of the sensing API under ``/api/v1/sensing/``."""

from django.urls import path

from gridgov.sensing.api import views

urlpatterns = [
    path("sensing/ingest/", views.IngestView.as_view(), name="api-sensing-ingest"),
    path(
        "sensing/ingest/thingsboard/",
        views.ThingsBoardIngestView.as_view(),
        name="api-sensing-ingest-thingsboard",
    ),
    path("sensing/devices/", views.DeviceListView.as_view(), name="api-sensing-devices"),
    path(
        "sensing/devices/<str:code>/",
        views.DeviceDetailView.as_view(),
        name="api-sensing-device",
    ),
    path(
        "sensing/devices/<str:code>/credentials/",
        views.DeviceCredentialsView.as_view(),
        name="api-sensing-device-credentials",
    ),
    path(
        "sensing/devices/<str:code>/deactivate/",
        views.DeviceDeactivateView.as_view(),
        name="api-sensing-device-deactivate",
    ),
    path("sensing/events/", views.EventListView.as_view(), name="api-sensing-events"),
    path(
        "sensing/dead-letters/", views.DeadLetterListView.as_view(), name="api-sensing-dead-letters"
    ),
    path(
        "sensing/dead-letters/counts/",
        views.DeadLetterCountsView.as_view(),
        name="api-sensing-dead-letter-counts",
    ),
]
