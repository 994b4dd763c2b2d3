"""The Celery application (DESIGN D4).

With ``CELERY_BROKER_URL`` set, ``gridgov worker`` and ``gridgov beat`` run the tasks; without
it, tasks run in-process and ``gridgov serve`` runs the periodic schedule itself.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.config.settings")

app = Celery("gridgov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
