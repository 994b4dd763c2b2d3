from django.urls import path

from gridgov.grids import views

app_name = "grids"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("map/", views.map_page, name="map"),
    path("boundaries.geojson", views.boundaries, name="boundaries"),
    path("cells/<str:code>/", views.cell_detail, name="cell_detail"),
    path("cells/<str:code>/children/", views.children, name="children"),
]
