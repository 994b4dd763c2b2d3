"""Writes of the cases domain (工单闭环).

``from gridgov.cases.services import case_report`` works for every public function listed
below; names are resolved lazily (PEP 562) so that importing one module never imports all.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # errors
    "CaseError": "errors",
    "CaseNotFoundError": "errors",
    "IllegalTransitionError": "errors",
    "ConcurrentChangeError": "errors",
    "NotInAnyCellError": "errors",
    "UnknownCategoryError": "errors",
    "MissingFieldError": "errors",
    "UploadRejectedError": "errors",
    "NotAllowedError": "errors",
    "RatingNotAllowedError": "errors",
    "CallbackNotAllowedError": "errors",
    # catalogue
    "catalogue_install_defaults": "catalogue",
    "category_for_code": "catalogue",
    "categories_filable": "catalogue",
    # intake
    "Upload": "attachments",
    "case_report": "intake",
    "case_report_from_system": "intake",
    "attributes_check": "intake",
    # attachments
    "uploads_check": "attachments",
    "sniff": "attachments",
    # routing
    "place_locate": "routing",
    "route_for": "routing",
    # visits
    "visit_record": "visits",
    # lifecycle
    "TRANSITIONS": "lifecycle",
    "OTHER_ACTIONS": "lifecycle",
    "case_accept": "lifecycle",
    "case_dispatch": "lifecycle",
    "case_grab": "lifecycle",
    "case_start": "lifecycle",
    "case_resolve": "lifecycle",
    "case_return": "lifecycle",
    "case_reopen": "lifecycle",
    "case_suspend": "lifecycle",
    "case_resume": "lifecycle",
    "case_merge": "lifecycle",
    "case_close": "lifecycle",
    "case_comment": "lifecycle",
    "allowed_actions": "lifecycle",
    # escalation
    "case_escalate": "escalation",
    "case_whistle": "escalation",
    "whistle_report_in": "escalation",
    "squad_add_member": "escalation",
    # closure
    "case_rate": "closure",
    "case_rate_by_callback": "closure",
    "callback_refusal": "closure",
    "CALLBACK_CHANNELS": "closure",
    "close_unrated_cases": "closure",
    # deadlines
    "due_at": "deadlines",
    "deadlines_for": "deadlines",
    "deadline_scan": "deadlines",
    "DeadlineScanResult": "deadlines",
    # api_clients (Open311 keys)
    "api_client_issue": "api_clients",
    "api_client_revoke": "api_clients",
    "api_client_for_key": "api_clients",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
