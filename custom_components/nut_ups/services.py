"""Actions on a UPS: run_command, set_variable, shutdown and cancel_shutdown.

Registered once from ``async_setup`` (quality-scale rule *action-setup*); each takes the UPS's
``device_id`` and goes through the entry's :class:`~.control.UpsControl`, so every request is
validated, sent once and its outcome confirmed. Responses say what was sent and its outcome.
"""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util.json import JsonValueType
import probatio

from .const import DOMAIN
from .control import UpsControl
from .coordinator import NutUpsConfigEntry

ATTR_DEVICE_ID = "device_id"
ATTR_COMMAND = "command"
ATTR_VALUE = "value"
ATTR_VARIABLE = "variable"
ATTR_DELAY = "delay"
ATTR_RETURN_ON_POWER = "return_on_power"

SERVICE_RUN_COMMAND = "run_command"
SERVICE_SET_VARIABLE = "set_variable"
SERVICE_SHUTDOWN = "shutdown"
SERVICE_CANCEL_SHUTDOWN = "cancel_shutdown"

_DEVICE = {probatio.Required(ATTR_DEVICE_ID): cv.string}
RUN_COMMAND_SCHEMA = probatio.Schema(
    {
        **_DEVICE,
        probatio.Required(ATTR_COMMAND): cv.string,
        probatio.Optional(ATTR_VALUE): probatio.Coerce(str),
    }
)
SET_VARIABLE_SCHEMA = probatio.Schema(
    {
        **_DEVICE,
        probatio.Required(ATTR_VARIABLE): cv.string,
        probatio.Required(ATTR_VALUE): probatio.Coerce(str),
    }
)
SHUTDOWN_SCHEMA = probatio.Schema(
    {
        **_DEVICE,
        probatio.Optional(ATTR_DELAY): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0, max=86400)
        ),
        probatio.Optional(ATTR_RETURN_ON_POWER, default=True): cv.boolean,
    }
)
CANCEL_SCHEMA = probatio.Schema(_DEVICE)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def entry_for(hass: HomeAssistant, device_id: str) -> NutUpsConfigEntry:
    """Return the loaded config entry of the nut_ups UPS ``device_id``.

    Raises:
        ServiceValidationError: not a nut_ups device, or its entry not loaded.
    """
    device = dr.async_get(hass).async_get(device_id)
    entry: NutUpsConfigEntry | None = None
    if device is not None and device.config_entry_id is not None:
        # A device belongs to one config entry since Home Assistant 2026.10.
        found = hass.config_entries.async_get_entry(device.config_entry_id)
        if found is not None and found.domain == DOMAIN:
            entry = found
    if entry is None:
        raise _invalid("unknown_device", device_id=device_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid("not_loaded", name=entry.title)
    return entry


def control_for(hass: HomeAssistant, device_id: str) -> UpsControl:
    """Return the control of the nut_ups UPS ``device_id``.

    Raises:
        ServiceValidationError: not a nut_ups device, its entry not loaded, or no credentials.
    """
    entry = entry_for(hass, device_id)
    control = entry.runtime_data.control
    if control is None:
        key = "control_unavailable" if entry.data.get(CONF_USERNAME) else "no_credentials"
        raise _invalid(key, name=entry.title)
    return control


async def _run_command(call: ServiceCall) -> ServiceResponse:
    control = control_for(call.hass, call.data[ATTR_DEVICE_ID])
    command: str = call.data[ATTR_COMMAND]
    outcome = await control.run_command(command, call.data.get(ATTR_VALUE))
    return {"command": command, "result": outcome.value}


async def _set_variable(call: ServiceCall) -> ServiceResponse:
    control = control_for(call.hass, call.data[ATTR_DEVICE_ID])
    variable: str = call.data[ATTR_VARIABLE]
    value: str = call.data[ATTR_VALUE]
    outcome = await control.set_variable(variable, value)
    return {"variable": variable, "value": value, "result": outcome.value}


async def _shutdown(call: ServiceCall) -> ServiceResponse:
    """Cut the UPS's output after a delay; by default it comes back with the mains.

    With a delay and a writable ``ups.delay.shutdown``, that is set first and then
    ``shutdown.return`` (or ``shutdown.stayoff``) runs. To stay off, a UPS without those takes
    the delay as ``load.off.delay``'s value. ``load.off.delay`` never stands in for
    ``shutdown.return``: its output would stay off when the mains return. Each command is sent
    at most once.

    Raises:
        ServiceValidationError: ``shutdown_delay_fixed`` (a delay for ``shutdown.return`` that
            the UPS cannot take), ``shutdown_not_supported`` (no command does what is asked).
    """
    control = control_for(call.hass, call.data[ATTR_DEVICE_ID])
    delay: int | None = call.data.get(ATTR_DELAY)
    returns: bool = call.data[ATTR_RETURN_ON_POWER]
    command = "shutdown.return" if returns else "shutdown.stayoff"
    delay_settable = "ups.delay.shutdown" in control.capabilities.settings
    steps: list[JsonValueType] = []
    if control.has_command(command) and (delay is None or delay_settable):
        if delay is not None:
            outcome = await control.set_variable("ups.delay.shutdown", str(delay))
            steps.append(
                {"variable": "ups.delay.shutdown", "value": str(delay), "result": outcome.value}
            )
        outcome = await control.run_command(command)
    elif not returns and delay is not None and control.has_command("load.off.delay"):
        command = "load.off.delay"
        outcome = await control.run_command(command, str(delay))
    elif control.has_command(command):
        values = entry_for(call.hass, call.data[ATTR_DEVICE_ID]).runtime_data.data.values
        current = values.get("ups.delay.shutdown")
        raise _invalid("shutdown_delay_fixed", command=command, current=current or "—")
    else:
        raise _invalid(
            "shutdown_not_supported",
            command=command,
            commands=", ".join(sorted(control.capabilities.commands)) or "—",
        )
    steps.append({"command": command, "result": outcome.value})
    return {"command": command, "result": outcome.value, "steps": steps}


async def _cancel_shutdown(call: ServiceCall) -> ServiceResponse:
    control = control_for(call.hass, call.data[ATTR_DEVICE_ID])
    outcome = await control.run_command("shutdown.stop")
    return {"command": "shutdown.stop", "result": outcome.value}


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the nut_ups actions (their responses are optional)."""
    for name, handler, schema in (
        (SERVICE_RUN_COMMAND, _run_command, RUN_COMMAND_SCHEMA),
        (SERVICE_SET_VARIABLE, _set_variable, SET_VARIABLE_SCHEMA),
        (SERVICE_SHUTDOWN, _shutdown, SHUTDOWN_SCHEMA),
        (SERVICE_CANCEL_SHUTDOWN, _cancel_shutdown, CANCEL_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
