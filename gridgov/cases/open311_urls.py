"""Routes of Open311 GeoReport v2 under ``/open311/v2/``; every resource carries its format
suffix (``services.json``, ``requests/20261122000042.xml`` …)."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from gridgov.cases.open311 import views

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    path("", RedirectView.as_view(url="discovery.json"), name="open311-root"),
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.services, name="open311-services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, views.requests, name="open311-requests"),
    re_path(
        r"^requests/(?P<request_id>[-\w]+)" + FMT, views.request_detail, name="open311-request"
    ),
    re_path(r"^tokens/(?P<token>[-\w]+)" + FMT, views.token_detail, name="open311-token"),
]
