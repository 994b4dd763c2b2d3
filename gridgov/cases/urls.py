from django.urls import path

from gridgov.cases.views import detail, intake, notifications, queues, statistics

app_name = "cases"

urlpatterns = [
    path("", queues.queue, name="queue"),
    path("report/", intake.report, name="report"),
    path("hotline/", intake.hotline, name="hotline"),
    path("buildings/search/", intake.building_search, name="building_search"),
    path("visits/", intake.visit_home, name="visit_home"),
    path("visits/buildings/<int:pk>/", intake.visit, name="visit"),
    path("visits/buildings/<int:pk>/qr/", intake.qr_sheet, name="qr_sheet"),
    path("map/", queues.case_map, name="map"),
    path("map/data.geojson", queues.case_map_data, name="map_data"),
    path("statistics/", statistics.statistics_page, name="statistics"),
    path("statistics/export.xlsx", statistics.statistics_export, name="statistics_export"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.notification_bell, name="notification_bell"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("attachments/<int:pk>/", detail.attachment, name="attachment"),
    path("<int:pk>/", detail.case_detail, name="case_detail"),
    path(
        "<int:pk>/summons/<int:summons_id>/report-in/",
        detail.summons_report_in,
        name="summons_report_in",
    ),
    path("<int:pk>/<slug:action>/", detail.case_action, name="case_action"),
]
