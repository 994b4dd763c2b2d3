"""``/api/v1/participation/…``: the API of every part."""

urlpatterns: list = []
