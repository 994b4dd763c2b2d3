"""Routes of the sensing API under ``/api/v1/sensing/``."""

from django.urls import path

from gridgov.sensing.api import alarms, views

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

urlpatterns += [
    path("sensing/alarms/", alarms.AlarmListView.as_view(), name="api-sensing-alarms"),
    path(
        "sensing/alarms/counts/",
        alarms.AlarmCountsView.as_view(),
        name="api-sensing-alarm-counts",
    ),
    path(
        "sensing/alarms/<int:alarm_id>/",
        alarms.AlarmDetailView.as_view(),
        name="api-sensing-alarm",
    ),
    path(
        "sensing/alarms/<int:alarm_id>/acknowledge/",
        alarms.AlarmAcknowledgeView.as_view(),
        name="api-sensing-alarm-acknowledge",
    ),
    path(
        "sensing/alarms/<int:alarm_id>/clear/",
        alarms.AlarmClearView.as_view(),
        name="api-sensing-alarm-clear",
    ),
    path(
        "sensing/alarms/<int:alarm_id>/open-case/",
        alarms.AlarmOpenCaseView.as_view(),
        name="api-sensing-alarm-open-case",
    ),
    path("sensing/scenarios/", alarms.ScenarioListView.as_view(), name="api-sensing-scenarios"),
    path(
        "sensing/scenarios/<slug:code>/",
        alarms.ScenarioDetailView.as_view(),
        name="api-sensing-scenario",
    ),
]
