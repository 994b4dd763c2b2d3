"""Routes of the access pages under ``/access/``."""

from django.urls import path

from gridgov.sensing.views import access

app_name = "access"

urlpatterns = [
    path("", access.flows, name="flows"),
    path("absence/", access.absence, name="absence"),
    path("absence/export/", access.absence_export_view, name="absence_export"),
]
