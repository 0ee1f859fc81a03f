"""Every real device dump of the NUT DDL (../shared/nut-ddl) through the config flow.

One upsd serves a batch of dumps (one dummy-ups driver each); each dump is added through the
config flow with every entity enabled, checked, and removed. Nothing may log a warning or error;
numeric sensors hold numbers; enum sensors hold one of their options.
"""

from __future__ import annotations

import logging
import math

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.nut_ups.const import CONF_UPS, DOMAIN
from tests.conftest import UpsdFactory
from tests.support.upsd import nut_ddl_dumps

BATCH = 42
# Home Assistant's loader says this of every custom integration.
CUSTOM_WARNING = "We found a custom integration nut_ups which has not been tested"
DUMPS = nut_ddl_dumps()
BATCHES = range(math.ceil(len(DUMPS) / BATCH)) if DUMPS else []


@pytest.mark.skipif(not DUMPS, reason="../shared/nut-ddl is not beside the repository")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("batch", BATCHES)
async def test_ddl_dumps(
    hass: HomeAssistant, upsd_factory: UpsdFactory, caplog: pytest.LogCaptureFixture, batch: int
) -> None:
    dumps = DUMPS[batch * BATCH : (batch + 1) * BATCH]
    server = await hass.async_add_executor_job(
        lambda: upsd_factory({f"ddl{index}": path for index, path in enumerate(dumps)})
    )
    caplog.set_level(logging.WARNING)
    registry = er.async_get(hass)
    for name, path in server.devices.items():
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: server.host, CONF_PORT: server.port, CONF_UPS: name}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY, (path.name, result)
        entry = result["result"]
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED, path.name
        entities = er.async_entries_for_config_entry(registry, entry.entry_id)
        assert entities, path.name
        for item in entities:
            current = hass.states.get(item.entity_id)
            assert current is not None, (path.name, item.entity_id)
            value = current.state
            if value in (STATE_UNKNOWN, "on", "off"):
                continue
            if options := current.attributes.get("options"):
                assert value in options, (path.name, item.entity_id, value)
            elif current.attributes.get("unit_of_measurement") or current.attributes.get(
                "state_class"
            ):
                assert math.isfinite(float(value)), (path.name, item.entity_id, value)
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    problems = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and r.name != "asyncio"  # the test loop's slow-callback notices: machine load, not us
        and not r.getMessage().startswith(CUSTOM_WARNING)
    ]
    assert problems == []
