"""The demo's simulated UPS and its power failure, on a real upsd (no Home Assistant).

``scripts/demo outage`` must look like a real Eaton on battery: no mains on the input, the charger
discharging, the inverter still feeding the output, LB only below ``battery.charge.low``, and
everything back when the mains return.
"""

from __future__ import annotations

from demo.__main__ import DEVICE, OUTAGE, UPS, apply, shown_value
from tests.conftest import UpsdFactory


def test_every_outage_step_shows_on_upsd(upsd_factory: UpsdFactory) -> None:
    server = upsd_factory(DEVICE, name=UPS)
    assert shown_value(server, "ups.status") == "OL"
    assert shown_value(server, "device.model") == "Eaton 5PX 1500"
    low = float(shown_value(server, "battery.charge.low") or "nan")
    for label, values in OUTAGE:
        apply(server, values)
        state = {name: shown_value(server, name) for name in values} | {
            name: shown_value(server, name)
            for name in ("ups.status", "input.voltage", "input.frequency", "battery.charge")
        }
        status = set((state["ups.status"] or "").split())
        on_battery = "OB" in status
        assert on_battery is (state["input.voltage"] == "0.0"), (label, state)
        assert on_battery is (state["input.frequency"] == "0.0"), (label, state)
        assert on_battery is (shown_value(server, "battery.charger.status") == "discharging")
        assert float(shown_value(server, "output.voltage") or 0) > 220, "the inverter feeds it"
        assert ("LB" in status) is (float(state["battery.charge"] or "nan") < low), label
    assert shown_value(server, "ups.status") == "OL"
    assert shown_value(server, "battery.charger.status") == "floating"
