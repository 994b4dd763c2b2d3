"""Routes of the grid API under ``/api/v1/``."""

from django.urls import path

from gridgov.grids import api

urlpatterns = [
    path("cells/", api.CellListView.as_view(), name="api-cells"),
    path("cells/locate/", api.CellLocateView.as_view(), name="api-cell-locate"),
    path("cells/<str:code>/", api.CellDetailView.as_view(), name="api-cell-detail"),
    path(
        "cells/<str:code>/children/",
        api.CellChildrenView.as_view(),
        name="api-cell-children",
    ),
    path("staff/", api.StaffListView.as_view(), name="api-staff"),
]
