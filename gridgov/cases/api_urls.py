"""Routes of the cases API under ``/api/v1/``."""

from django.urls import path

from gridgov.cases.api import views

urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/map/", views.CaseMapView.as_view(), name="api-case-map"),
    path("cases/statistics/", views.StatisticsView.as_view(), name="api-case-statistics"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="api-case-detail"),
    path(
        "cases/<int:pk>/actions/<slug:action>/",
        views.CaseActionView.as_view(),
        name="api-case-action",
    ),
    path("cases/<int:pk>/rating/", views.CaseRatingView.as_view(), name="api-case-rating"),
    path("cases/<int:pk>/callback/", views.CaseCallbackView.as_view(), name="api-case-callback"),
    path(
        "cases/<int:pk>/duplicates/",
        views.CaseDuplicatesView.as_view(),
        name="api-case-duplicates",
    ),
    path("case-categories/", views.CategoryListView.as_view(), name="api-case-categories"),
    path("case-attachments/<int:pk>/", views.AttachmentView.as_view(), name="api-case-attachment"),
    path(
        "whistle-summonses/<int:pk>/report-in/",
        views.SummonsReportInView.as_view(),
        name="api-summons-report-in",
    ),
    path("visits/", views.VisitListView.as_view(), name="api-visits"),
    path("notifications/", views.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]
