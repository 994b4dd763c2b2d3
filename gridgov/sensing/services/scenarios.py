"""Scenarios (场景) as data: creating, changing, switching on and off, each save versioned.

Every save checks the parameters of the scenario's kind (``docs/scenarios.md``), bumps
``version``, keeps the whole content as a :class:`ScenarioVersion` and writes an audit row.
Changing scenarios needs ``sensing.manage_scenario`` (globally: a scenario applies town-wide).
The rule engine's per-process copy of the enabled scenarios is dropped after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm, Role
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.sensing.models import (
    DeviceCategory,
    Scenario,
    ScenarioKind,
    ScenarioVersion,
    Severity,
)
from gridgov.sensing.services.rules import rules_forget

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
HOURS_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
THRESHOLD_OPERATORS = (">", ">=", "<", "<=")
COUNT_GROUPS = ("device", "card")
MISSING_SUBJECTS = ("device", "person")
CONTENT_FIELDS = (
    "code",
    "name",
    "description",
    "kind",
    "device_categories",
    "event_kinds",
    "params",
    "severity",
    "suppress_seconds",
    "notify_roles",
    "sms_min_severity",
    "opens_case",
    "case_category_code",
    "enabled",
    "source",
)
EDITABLE_FIELDS = CONTENT_FIELDS[1:]


def _error(field: str, message: Any) -> ValidationError:
    return ValidationError({field: [message]})


def _param_error(name: str, message: Any) -> ValidationError:
    return _error(f"params.{name}", message)


# --- parameters per kind ------------------------------------------------------------------


def _number(params: Mapping[str, Any], name: str, *, required: bool = True) -> None:
    value = params.get(name)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _param_error(name, _("Parameter “%(name)s” must be a number.") % {"name": name})


def _positive_int(params: Mapping[str, Any], name: str, *, required: bool = True) -> None:
    value = params.get(name)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _param_error(
            name, _("Parameter “%(name)s” must be a whole number above 0.") % {"name": name}
        )


def _text(params: Mapping[str, Any], name: str) -> None:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise _param_error(name, _("Parameter “%(name)s” is required (text).") % {"name": name})


def _choice(params: Mapping[str, Any], name: str, choices: tuple[str, ...], default: str) -> None:
    if params.get(name, default) not in choices:
        raise _param_error(
            name,
            _("Parameter “%(name)s” must be one of: %(choices)s.")
            % {"name": name, "choices": ", ".join(choices)},
        )


def _text_list(params: Mapping[str, Any], name: str, *, required: bool = False) -> None:
    value = params.get(name)
    if value is None and not required:
        return
    if (
        not isinstance(value, list)
        or (required and not value)
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise _param_error(
            name, _("Parameter “%(name)s” must be a list of texts.") % {"name": name}
        )


def _hours(params: Mapping[str, Any], name: str, *, required: bool) -> None:
    value = params.get(name)
    if value is None and not required:
        return
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and HOURS_PATTERN.match(item) for item in value)
    ):
        raise _param_error(
            name,
            _("Parameter “%(name)s” must list time windows such as “06:30-09:00”.")
            % {"name": name},
        )


def _match(params: Mapping[str, Any]) -> None:
    value = params.get("match")
    if value is None:
        return
    if not isinstance(value, dict) or not all(
        isinstance(item, str | int | float | bool) for item in value.values()
    ):
        raise _param_error("match", _("Parameter “match” must map value names to plain values."))


def _check_threshold(params: Mapping[str, Any]) -> None:
    _text(params, "value")
    _choice(params, "op", THRESHOLD_OPERATORS, "")
    _number(params, "limit")
    _number(params, "hysteresis", required=False)
    if params.get("hysteresis", 0) < 0:
        raise _param_error("hysteresis", _("Parameter “hysteresis” cannot be negative."))


def _check_held(params: Mapping[str, Any]) -> None:
    _text(params, "state")
    _positive_int(params, "seconds")


def _check_event(params: Mapping[str, Any]) -> None:
    _match(params)
    _positive_int(params, "quiet_seconds", required=False)
    _text_list(params, "end_kinds")
    _text_list(params, "end_states")


def _check_outside_hours(params: Mapping[str, Any]) -> None:
    _match(params)
    _hours(params, "allowed", required=True)
    _positive_int(params, "quiet_seconds", required=False)


def _check_count(params: Mapping[str, Any]) -> None:
    _match(params)
    _positive_int(params, "count")
    _positive_int(params, "window_seconds")
    _positive_int(params, "quiet_seconds", required=False)
    _choice(params, "group_by", COUNT_GROUPS, "device")
    _hours(params, "hours", required=False)
    _text_list(params, "subtract_kinds")
    if not isinstance(params.get("unknown_cards_only", False), bool):
        raise _param_error(
            "unknown_cards_only", _("Parameter “unknown_cards_only” must be true or false.")
        )
    if params.get("unknown_cards_only") and params.get("group_by") != "card":
        raise _param_error(
            "unknown_cards_only", _("Counting unknown cards needs “group_by” to be “card”.")
        )


def _check_missing(params: Mapping[str, Any]) -> None:
    _choice(params, "subject", MISSING_SUBJECTS, "")
    if params.get("subject") == "person":
        _text(params, "tag")
        _positive_int(params, "days")


def _check_arrival(params: Mapping[str, Any]) -> None:
    _text_list(params, "tags", required=True)
    _choice(params, "direction", ("in", "out", "any"), "in")


PARAM_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    ScenarioKind.THRESHOLD: _check_threshold,
    ScenarioKind.HELD: _check_held,
    ScenarioKind.EVENT: _check_event,
    ScenarioKind.OUTSIDE_HOURS: _check_outside_hours,
    ScenarioKind.COUNT: _check_count,
    ScenarioKind.MISSING: _check_missing,
    ScenarioKind.ARRIVAL: _check_arrival,
}


def scenario_validate(content: Mapping[str, Any]) -> None:
    """Raise a ``ValidationError`` naming the first wrong field of a scenario's content."""
    if not (content.get("name") or "").strip():
        raise _error("name", _("A name is required."))
    kind = content.get("kind")
    if kind not in PARAM_CHECKS:
        raise _error("kind", _("Unknown scenario kind."))
    if content.get("severity", Severity.WARNING) not in Severity.values:
        raise _error("severity", _("Unknown severity."))
    categories = content.get("device_categories", [])
    if not isinstance(categories, list) or any(
        category not in DeviceCategory.values for category in categories
    ):
        raise _error("device_categories", _("Unknown device category."))
    kinds = content.get("event_kinds", [])
    if not isinstance(kinds, list) or not all(
        isinstance(item, str) and 0 < len(item) <= 32 for item in kinds
    ):
        raise _error("event_kinds", _("Event kinds must be a list of texts."))
    if kind in (ScenarioKind.EVENT, ScenarioKind.OUTSIDE_HOURS, ScenarioKind.COUNT) and not kinds:
        raise _error("event_kinds", _("This kind of scenario needs its event kinds."))
    if content.get("sms_min_severity", Severity.CRITICAL) not in ("", *Severity.values):
        raise _error("sms_min_severity", _("Unknown severity."))
    roles = content.get("notify_roles", [])
    if not isinstance(roles, list) or any(role not in Role.values for role in roles):
        raise _error("notify_roles", _("Unknown role."))
    suppress = content.get("suppress_seconds", 0)
    if isinstance(suppress, bool) or not isinstance(suppress, int) or suppress < 0:
        raise _error("suppress_seconds", _("The suppression window is a number of seconds."))
    if content.get("opens_case") and not content.get("case_category_code"):
        raise _error("case_category_code", _("A scenario that opens a case needs its category."))
    params = content.get("params", {})
    if not isinstance(params, dict):
        raise _error("params", _("Parameters must be an object."))
    PARAM_CHECKS[kind](params)


def _content(scenario: Scenario) -> dict[str, Any]:
    return {name: getattr(scenario, name) for name in CONTENT_FIELDS}


def _require_manage(actor: Any) -> None:
    if actor is not None and not has_permission(actor, Perm.SCENARIO_MANAGE):
        raise PermissionDenied(_("You may not manage scenarios."))


def _save_version(scenario: Scenario, actor: Any, note: str, action: str) -> None:
    content = _content(scenario)
    ScenarioVersion.objects.create(
        scenario=scenario,
        version=scenario.version,
        content=content,
        changed_by=actor,
        changed_at=timezone.now(),
        note=note[:200],
    )
    audit_record(
        actor=actor,
        action=action,
        target=scenario,
        object_label=f"{scenario.code} {scenario.name}"[:200],
        changes={"version": scenario.version, "enabled": scenario.enabled},
    )
    transaction.on_commit(rules_forget)


@transaction.atomic
def scenario_create(*, actor: Any, code: str, note: str = "", **fields: Any) -> Scenario:
    """Create a scenario (version 1). ``actor=None`` is the system installing the catalogue."""
    _require_manage(actor)
    if not CODE_PATTERN.match(code or ""):
        raise _error("code", _("1–64 lower-case letters, digits or '-'."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise _error(sorted(unknown)[0], _("Unknown field."))
    content = {"code": code, **fields}
    scenario_validate(content)
    scenario = Scenario(code=code, version=1, **fields)
    try:
        with transaction.atomic():
            scenario.save(force_insert=True)
    except IntegrityError:
        raise _error("code", _("A scenario with this code exists.")) from None
    _save_version(scenario, actor, note, "sensing.scenario_create")
    return scenario


@transaction.atomic
def scenario_update(*, actor: Any, code: str, note: str = "", **fields: Any) -> Scenario:
    """Change a scenario; a save that changes anything is a new version."""
    _require_manage(actor)
    scenario = Scenario.objects.select_for_update().filter(code=code).first()
    if scenario is None:
        raise _error("code", _("No such scenario."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise _error(sorted(unknown)[0], _("Unknown field."))
    changed = [name for name, value in fields.items() if getattr(scenario, name) != value]
    if not changed:
        return scenario
    scenario_validate({**_content(scenario), **fields})
    for name in changed:
        setattr(scenario, name, fields[name])
    scenario.version += 1
    scenario.save(update_fields=[*changed, "version", "updated_at"])
    _save_version(scenario, actor, note, "sensing.scenario_update")
    return scenario


def scenario_set_enabled(*, actor: Any, code: str, enabled: bool, note: str = "") -> Scenario:
    """Switch a scenario on or off (a new version like any other change)."""
    return scenario_update(actor=actor, code=code, enabled=enabled, note=note)


def install_scenarios(*, actor: Any = None) -> list[Scenario]:
    """Create the catalogue's scenarios, or bring them in line with it (idempotent: an
    unchanged scenario keeps its version; a new one starts at version 1)."""
    from gridgov.sensing.scenario_catalogue import SCENARIO_CATALOGUE

    installed: list[Scenario] = []
    existing = set(Scenario.objects.values_list("code", flat=True))
    for entry in SCENARIO_CATALOGUE:
        fields = {name: value for name, value in entry.items() if name != "code"}
        if entry["code"] in existing:
            installed.append(scenario_update(actor=actor, code=entry["code"], **fields))
        else:
            installed.append(scenario_create(actor=actor, code=entry["code"], **fields))
    return installed
