from django.urls import path

from gridgov.registry.views import accounts, imports, leases, people, places, quality, tags

app_name = "registry"

urlpatterns = [
    path("", people.person_list, name="person_list"),
    path("people/new/", people.person_register_view, name="person_register"),
    path("people/export/", people.person_export, name="person_export"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/", people.person_reveal_view, name="person_reveal"),
    path("people/<int:pk>/verify/", people.person_verify_view, name="person_verify"),
    path("people/<int:pk>/tags/", people.person_tag_set, name="person_tag_set"),
    path("people/<int:pk>/tags/remove/", people.person_tag_remove, name="person_tag_remove"),
    path("people/<int:pk>/account/link/", accounts.person_account_link, name="person_account_link"),
    path(
        "people/<int:pk>/account/unlink/",
        accounts.person_account_unlink_view,
        name="person_account_unlink",
    ),
    path("me/", accounts.my_identity, name="my_identity"),
    path("places/", places.place_list, name="place_list"),
    path("places/estates/<int:pk>/", places.estate_detail, name="estate_detail"),
    path("places/buildings/<int:pk>/", places.building_detail, name="building_detail"),
    path("places/dwellings/search/", places.dwelling_search, name="dwelling_search"),
    path("dwellings/<int:pk>/", places.dwelling_detail, name="dwelling_detail"),
    path("leases/", leases.lease_list, name="lease_list"),
    path("leases/new/", leases.lease_register_view, name="lease_register"),
    path("leases/new/tenant-row/", leases.lease_tenant_row, name="lease_tenant_row"),
    path("leases/export/", leases.lease_export_view, name="lease_export"),
    path("tags/", tags.tag_list, name="tag_list"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/templates/<str:kind>.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", imports.import_commit, name="import_commit"),
    path("imports/<int:pk>/errors.xlsx", imports.import_report, name="import_report"),
    path("quality/", quality.quality, name="quality"),
]
