"""Command-line presentation shared by ``demo_data`` and ``demo``: step lines, a progress
bar and the printed demo accounts (DESIGN D9, D13)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.demo.services import GENERATION_STEPS, DemoAccount, GenerationStep

BAR_WIDTH = 30


class ProgressPrinter:
    """Draws ``[#####.....]  50%  300/600`` on one line (rewritten in place on a terminal,
    one line per tenth otherwise, so logs stay short)."""

    def __init__(self, write: Callable[[str], None], *, is_terminal: bool) -> None:
        self.write = write
        self.is_terminal = is_terminal
        self._pending = False
        self._last_tenth: dict[str, int] = {}

    def step(self, step: GenerationStep) -> None:
        self.finish()
        self.write(f"» {step.label}\n")

    def __call__(self, name: str, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        filled = round(BAR_WIDTH * fraction)
        line = f"  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%}  {done}/{total}"
        if self.is_terminal:
            self.write("\r" + line)
            self._pending = True
            return
        tenth = int(fraction * 10)
        if self._last_tenth.get(name) != tenth:
            self._last_tenth[name] = tenth
            self.write(line + "\n")

    def finish(self) -> None:
        if self._pending:
            self.write("\n")
            self._pending = False


# The figures a step reports besides its own count (``context.counts[...]``).
DETAIL_LABELS = {
    "dwellings": gettext_lazy("Dwellings"),
    "households": gettext_lazy("Households"),
    "leases": gettext_lazy("Rental registrations"),
    "ballots": gettext_lazy("Ballots"),
    "consultation_answers": gettext_lazy("Consultation answers"),
    "access_cards": gettext_lazy("Access cards"),
    "scenarios": gettext_lazy("Scenarios"),
}


def summary_lines(counts: dict[str, int]) -> list[str]:
    """``Areas and boundaries: 624`` for each step that ran, and the figures steps reported."""
    labels = {step.name: step.label for step in GENERATION_STEPS} | DETAIL_LABELS
    return [f"  {labels.get(name, name)}: {count:,}" for name, count in counts.items()]


def account_lines(accounts: list[DemoAccount]) -> list[str]:
    """One ``<role>: <username> / <password>`` line per demo account."""
    return [account.line for account in accounts]


def not_empty_message(count: int) -> str:
    return _(
        "The database already holds %(count)d areas. The demo town is generated only into an "
        "empty database: use a fresh one (for the demo, delete var/demo.sqlite3) and run again."
    ) % {"count": count}
