"""The UPS as a Home Assistant device: identity from ``device.*``/``ups.*`` variables.

Identified by the config entry ID, never by the serial: identical UPS models, blank or garbled
USB serials and a new host address all keep their device. Model, serial and firmware follow the
UPS after setup too (a firmware update, another UPS behind the same name).
"""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .const import DOMAIN


def _first(values: dict[str, str], *names: str) -> str | None:
    for name in names:
        if value := values.get(name, "").strip():
            return value
    return None


def identity(values: dict[str, str]) -> dict[str, str | None]:
    """Return the device registry fields a ``LIST VAR`` names (docs/nut-names.txt).

    Returns:
        ``manufacturer``, ``model``, ``serial_number``, ``sw_version`` and ``hw_version``;
        each None when the UPS does not report it.
    """
    return {
        "manufacturer": _first(values, "device.mfr", "ups.mfr"),
        "model": _first(values, "device.model", "ups.model"),
        "serial_number": _first(values, "device.serial", "ups.serial"),
        "sw_version": _first(values, "ups.firmware", "device.firmware"),
        "hw_version": _first(values, "ups.firmware.aux"),
    }


def device_info(entry_id: str, ups: str, values: dict[str, str]) -> DeviceInfo:
    """Describe the UPS ``ups`` of config entry ``entry_id`` from its variables."""
    fields = identity(values)
    return DeviceInfo(
        identifiers={(DOMAIN, entry_id)},
        name=ups,
        manufacturer=fields["manufacturer"],
        model=fields["model"],
        serial_number=fields["serial_number"],
        sw_version=fields["sw_version"],
        hw_version=fields["hw_version"],
    )


def update_device(hass: HomeAssistant, entry_id: str, values: dict[str, str]) -> None:
    """Write the identity of ``values`` to the entry's device, if the device exists yet."""
    registry = dr.async_get(hass)
    device = registry.async_get_device_by_identifier((DOMAIN, entry_id), entry_id)
    if device is None:
        return
    fields = identity(values)
    registry.async_update_device(
        device.id,
        manufacturer=fields["manufacturer"],
        model=fields["model"],
        serial_number=fields["serial_number"],
        sw_version=fields["sw_version"],
        hw_version=fields["hw_version"],
    )
