"""``/participation/``: the pages of every part."""

app_name = "participation"

urlpatterns: list = []
