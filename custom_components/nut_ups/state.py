"""What the coordinator knows of a UPS after a poll: one immutable snapshot per poll.

A leaf module (no Home Assistant imports), so every consumer (entities, repair issues,
diagnostics) can read the snapshot without importing the coordinator.
"""

from dataclasses import dataclass, field

from .plausible import plausible
from .status import UpsStatus, parse_number
from .variables import valid_quantity

STATUS_VAR = "ups.status"
"""The variable checked at every status interval (docs/nut-names.txt). The NUT client has its
own (nut/watch.py): it stands alone, and this floor imports nothing above it."""


@dataclass(frozen=True, slots=True)
class NutUpsState:
    """The UPS after a poll.

    Attributes:
        values: the last ``LIST VAR`` (variable → text), with ``ups.status`` from the newest check.
        status: ``ups.status`` parsed.
    """

    values: dict[str, str]
    status: UpsStatus = field(compare=False)

    @classmethod
    def from_values(cls, values: dict[str, str]) -> NutUpsState:
        """Build the state from a full variable list."""
        return cls(values, UpsStatus.parse(values.get(STATUS_VAR)))

    def number(self, name: str) -> int | float | None:
        """Return variable ``name`` as a number; None when absent, not a number, or not real.

        Negative values of quantities that cannot be negative (charge, load, runtime, voltages,
        power…; ``-1`` is a common "not available" in NUT drivers) are None: see
        :func:`.variables.valid_quantity`. So are values no UPS can have (a charge of 120 %, a
        temperature of 302 °C…): see :func:`.plausible.plausible`.
        """
        number = parse_number(self.values.get(name))
        if number is not None and not plausible(name, number, self.values):
            return None
        return valid_quantity(name, number)
