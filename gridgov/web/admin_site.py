from typing import Any

from django.contrib import admin


def admin_site_urls() -> Any:
    return admin.site.urls
