"""Routes of the alarm pages under ``/alarms/``."""

from django.urls import path

from gridgov.sensing.views import alarms

app_name = "alarms"

urlpatterns = [
    path("", alarms.board, name="board"),
    path("board/changes/", alarms.board_changes, name="board_changes"),
    path("<int:pk>/", alarms.detail, name="detail"),
    path("<int:pk>/acknowledge/", alarms.acknowledge, name="acknowledge"),
    path("<int:pk>/clear/", alarms.clear, name="clear"),
    path("<int:pk>/open-case/", alarms.open_case, name="open_case"),
]
