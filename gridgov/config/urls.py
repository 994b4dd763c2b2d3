from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from gridgov.web.admin_site import admin_site_urls

urlpatterns = [
    path("", include("gridgov.web.urls")),
    path("accounts/", include("gridgov.accounts.urls")),
    path("grids/", include("gridgov.grids.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("alarms/", include("gridgov.sensing.urls_alarms")),
    path("access/", include("gridgov.sensing.urls_access")),
    path("participation/", include("gridgov.participation.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin_site_urls()),
    path("api/v1/", include("gridgov.config.api_urls")),
    path("open311/v2/", include("gridgov.cases.open311_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler400 = "gridgov.web.views.bad_request"
handler403 = "gridgov.web.views.permission_denied"
handler404 = "gridgov.web.views.page_not_found"
handler500 = "gridgov.web.views.server_error"

if settings.DEBUG:  # pragma: no cover
    admin.autodiscover()
