"""The scenario rule engine (场景规则引擎): newly stored events in, alarms raised and cleared.

Two entry points (``docs/scenarios.md``):

* ``evaluate_events(events)`` — called by ``ingest_messages`` inside the batch's transaction
  with only the events that batch newly stored (the insert's ``RETURNING`` says which), so a
  replayed message is never evaluated twice, and a batch whose rules fail is not committed
  (the broker delivers it again). Its queries do not grow with the batch: the enabled
  scenarios come from a per-process copy, the batch's devices and cards are read once, a
  sliding-window count reads its window once per scenario, alarms are raised and cleared per
  condition in a few statements (``services/alarms.py``).
* ``scan_conditions(now)`` — the periodic scan: states held too long (HELD), alarms of
  events no longer recurring (EVENT, OUTSIDE_HOURS, COUNT after ``quiet_seconds``), and tagged
  people not seen at a gate for days (MISSING person).

Rule state lives in the database (``DeviceState``, ``Event``, ``Alarm``), never in one
process's memory, so any number of ingesters may run (DESIGN D5).
"""

from gridgov.sensing.services.rules.base import (
    Evaluation,
    Place,
    Rule,
    StoredEvent,
    condition_key,
    enabled_rules,
    rules_forget,
)
from gridgov.sensing.services.rules.engine import evaluate_events
from gridgov.sensing.services.rules.scans import devices_went_offline, scan_conditions

__all__ = [
    "Evaluation",
    "Place",
    "Rule",
    "StoredEvent",
    "condition_key",
    "devices_went_offline",
    "enabled_rules",
    "evaluate_events",
    "rules_forget",
    "scan_conditions",
]
