"""Background jobs of the people-and-housing domain (DESIGN D4): thin, idempotent wrappers."""

from __future__ import annotations

from celery import shared_task

from gridgov.registry.services.leases import lease_expiry_reminders
from gridgov.registry.services.tags import person_rule_tags_recompute


@shared_task(name="gridgov.registry.tasks.remind_expiring_leases")
def remind_expiring_leases() -> int:
    """Post the daily reminders of expiring leases to grid workers; returns notices posted."""
    return lease_expiry_reminders()


@shared_task(name="gridgov.registry.tasks.recompute_rule_tags")
def recompute_rule_tags() -> int:
    """Keep 高龄 / 独居老人 / 未成年 true as people age; returns the number of tags changed."""
    changes = person_rule_tags_recompute()
    return changes.added + changes.removed


@shared_task(name="gridgov.registry.tasks.run_import_job")
def run_import_job(job_id: int) -> str:
    """Check or import one Excel upload (``ImportJob``); returns the job's status."""
    from gridgov.registry.services.imports import import_job_run

    return import_job_run(job_id=job_id).status
