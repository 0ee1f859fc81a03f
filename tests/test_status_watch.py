"""Status checks in Home Assistant: one watch per upsd, shared by its entries; what a check sees
counts even when the full poll after it fails."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from custom_components.nut_ups.const import DEAD_TIME
from custom_components.nut_ups.status_watch import WATCHES
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server
from tests.support.ha import entity_id, refresh, setup_entry, wait_for
from tests.support.upsd import fixture_path


async def test_entries_of_one_upsd_share_one_watch(
    hass: HomeAssistant, upsd_factory: UpsdFactory
) -> None:
    """Three entries, one upsd: one connection, one pipelined check per interval; unloading
    the last entry stops the watch and closes its connection."""
    dev = fixture_path("smart-ups.dev")
    server = upsd_factory({"a": dev, "b": dev, "c": dev})
    entries = [await setup_entry(hass, server, ups) for ups in ("a", "b", "c")]
    (running,) = hass.data[WATCHES].values()
    assert running.watch.ups_names == ["a", "b", "c"]
    checks = running.watch.checks
    await wait_for(lambda: running.watch.checks >= checks + 5)
    assert running.watch.session.connects == 1

    await server.set_var("ups.status", "OB DISCHRG", ups="b")
    b_on_battery = entity_id(hass, entries[1], "binary_sensor", "on_battery")
    await wait_for(lambda: hass.states.is_state(b_on_battery, STATE_ON))
    for entry in (entries[0], entries[2]):
        assert hass.states.is_state(
            entity_id(hass, entry, "binary_sensor", "on_battery"), STATE_OFF
        )

    for entry in entries[:2]:
        await hass.config_entries.async_unload(entry.entry_id)
    assert running.watch.ups_names == ["c"]
    assert not running.task.done()
    await hass.config_entries.async_unload(entries[2].entry_id)
    await hass.async_block_till_done()
    assert hass.data[WATCHES] == {}
    assert running.task.done()
    assert not running.watch.session.connected


@dataclass
class FlakyUpsd:
    """Answers GET VAR and LIST VAR for UPS ``test``; cuts every LIST in the middle, denies it,
    or has it say another status (``list_status``: a flip between two checks), when asked."""

    status: str = "OL"
    cut_lists: bool = False
    deny_lists: bool = False
    list_status: str | None = None
    lists: int = 0
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while line := await reader.readline():
            if line.startswith(b"GET VAR"):
                writer.write(f'VAR test ups.status "{self.status}"\n'.encode())
            elif line.startswith(b"LIST VAR"):
                self.lists += 1
                if self.deny_lists:
                    writer.write(b"ERR ACCESS-DENIED\n")
                    await writer.drain()
                    continue
                reply = (
                    "BEGIN LIST VAR test\n"
                    f'VAR test ups.status "{self.list_status or self.status}"\n'
                    'VAR test battery.charge "100"\n'
                    "END LIST VAR test\n"
                ).encode()
                if self.cut_lists:
                    writer.write(reply[:30])
                    await writer.drain()
                    return
                writer.write(reply)
            elif line.startswith(b"LOGOUT"):
                writer.write(b"OK Goodbye\n")
                await writer.drain()
                return
            await writer.drain()


async def test_full_polls_go_over_the_watch_s_connection(hass: HomeAssistant) -> None:
    """Once the status checks run, a full poll opens no connection of its own."""
    flaky = FlakyUpsd()
    async with fake_server(flaky.handle) as port:
        entry = await setup_entry(hass, _Endpoint(port))
        coordinator = entry.runtime_data
        (running,) = hass.data[WATCHES].values()
        assert coordinator.session is running.watch.session
        await wait_for(lambda: running.watch.checks >= 1)  # answered: upsd has its connection
        connections, lists = flaky.connections, flaky.lists
        for _ in range(5):
            await refresh(hass, entry)
        assert (flaky.lists, flaky.connections) == (lists + 5, connections)
        await hass.config_entries.async_unload(entry.entry_id)
    assert coordinator.session is None


async def test_a_status_the_check_saw_counts_when_the_list_fails(hass: HomeAssistant) -> None:
    """The power fails and every LIST is cut short: the check's OB is news enough."""
    flaky = FlakyUpsd()
    async with fake_server(flaky.handle) as port:
        server = _Endpoint(port)
        entry = await setup_entry(hass, server)
        on_battery = entity_id(hass, entry, "binary_sensor", "on_battery")
        charge = entity_id(hass, entry, "sensor", "battery_charge")
        assert hass.states.is_state(on_battery, STATE_OFF)
        flaky.cut_lists = True
        lists = flaky.lists
        flaky.status = "OB DISCHRG"
        await wait_for(lambda: hass.states.is_state(on_battery, STATE_ON))
        assert flaky.lists > lists  # a full poll was tried, and failed
        assert hass.states.is_state(charge, "100")  # the last values stay, available
        assert entry.runtime_data.last_update_success

        flaky.status = "OL"
        await wait_for(lambda: hass.states.is_state(on_battery, STATE_OFF))
        assert hass.states.is_state(entity_id(hass, entry, "sensor", "power_outages"), "1")
        # Checks keep answering, so the failing lists never make the entities unavailable.
        await asyncio.sleep(0.5)
        assert not hass.states.is_state(charge, STATE_UNAVAILABLE)
        await hass.config_entries.async_unload(entry.entry_id)


async def test_failing_polls_are_retried_at_each_check_while_the_status_holds(
    hass: HomeAssistant,
) -> None:
    """Checks hand over a status only when it changes, yet while the full polls fail each
    answering check retries one at once: the entry recovers within a check or two of upsd
    allowing the list again, not at the next scan interval (an hour here)."""
    flaky = FlakyUpsd()
    async with fake_server(flaky.handle) as port:
        entry = await setup_entry(hass, _Endpoint(port), scan_interval=3600)
        coordinator = entry.runtime_data
        (running,) = hass.data[WATCHES].values()
        await wait_for(lambda: running.watch.checks >= 2)  # its OL handed over: settled
        flaky.deny_lists = True
        await coordinator.async_refresh()
        assert not coordinator.last_update_success
        lists = flaky.lists
        await wait_for(lambda: flaky.lists >= lists + 3)
        flaky.deny_lists = False
        checks = running.watch.checks
        await wait_for(lambda: coordinator.last_update_success)
        assert running.watch.checks <= checks + 3
        lists = flaky.lists
        await wait_for(lambda: running.watch.checks >= checks + 8)
        assert flaky.lists == lists  # recovered and settled: no list at every check any more
        await hass.config_entries.async_unload(entry.entry_id)


async def test_checks_compare_with_the_status_a_full_poll_read(hass: HomeAssistant) -> None:
    """A full poll read a status the checks never handed over (it changed and back between
    two checks): the next check, which reads the status before it again, is news. On mains,
    with an hour between full polls, nothing else would bring it."""
    flaky = FlakyUpsd()
    async with fake_server(flaky.handle) as port:
        entry = await setup_entry(hass, _Endpoint(port), scan_interval=3600)
        (running,) = hass.data[WATCHES].values()
        await wait_for(lambda: running.watch.checks >= 2)  # its OL handed over: settled
        charging = entity_id(hass, entry, "binary_sensor", "charging")
        assert hass.states.is_state(charging, STATE_OFF)
        flaky.list_status = "OL CHRG"
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done()
        assert hass.states.is_state(charging, STATE_ON)
        flaky.list_status = None  # upsd says OL to everyone again: the checks' OL is news
        await wait_for(lambda: hass.states.is_state(charging, STATE_OFF))
        await hass.config_entries.async_unload(entry.entry_id)


async def test_no_answer_for_the_dead_time_makes_entities_unavailable(
    hass: HomeAssistant, upsd_factory: UpsdFactory
) -> None:
    """upsd stops: entities stay for the dead time, then go unavailable without waiting for the
    next full poll; upsd back: available again at the next check."""
    server = upsd_factory(fixture_path("smart-ups.dev"))
    entry = await setup_entry(hass, server, scan_interval=3600)
    charge = entity_id(hass, entry, "sensor", "battery_charge")
    await hass.async_add_executor_job(server.stop_server)
    loop = asyncio.get_running_loop()
    stopped = loop.time()
    await wait_for(lambda: hass.states.is_state(charge, STATE_UNAVAILABLE), timeout=DEAD_TIME + 10)
    assert loop.time() - stopped >= DEAD_TIME - 1
    await hass.async_add_executor_job(server.start_server)
    await wait_for(lambda: hass.states.is_state(charge, "100"), timeout=15)


@dataclass
class _Endpoint:
    port: int
    host: str = "127.0.0.1"
    ups: str = "test"
