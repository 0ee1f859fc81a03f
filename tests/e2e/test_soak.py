"""The soak, CI-sized: a few hundred flips through the fault-injecting proxy in a real hass.

``scripts/bench soak`` runs 10,000 flips held 0.25 to 0.45 s each at a 0.1 s status interval;
here flips are held 0.6 to 0.9 s (six checks or more), so that a loaded CI machine's scheduling
delays cannot decide the count, and the correctness counts are asserted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.bench_soak import UPS, SoakResult, run_soak
from tests.support.fault_proxy import Faults
from tests.support.hass import Hass
from tests.support.upsd import Upsd, fixture_path

pytestmark = pytest.mark.e2e


def test_soak_with_faults(tmp_path: Path) -> None:
    """150 flips with resets, stalls past the timeout, cut replies, an upsd and a driver
    restart: no eligible flip missed, no phantom or duplicate event, never unavailable, no
    traceback, descriptors flat."""
    server = Upsd({UPS: fixture_path("smart-ups.dev")})
    hass = Hass(tmp_path / "config")
    try:
        server.start()
        hass.start()

        async def soak() -> SoakResult:
            await hass.onboard()
            return await run_soak(
                hass,
                server,
                flips=150,
                interval=0.1,
                hold=(0.6, 0.9),
                faults=Faults(reset=0.03, stall=0.002, cut=0.005, stall_seconds=6.0),
                restart_every=50,
                seed=7,
            )

        result = asyncio.run(soak())
    finally:
        hass.stop()
        left = server.stop()
    assert not left, f"NUT processes left running: {left}"
    table = "\n".join(f"{what}: {value}" for what, value, _ in result.rows())
    assert len(result.flips) == 150 and len(result.eligible()) >= 40, table
    counts = result.counts
    assert counts["resets"] + counts["stalls past the timeout"] + counts["replies cut"] > 0, table
    assert counts["upsd and driver restarts"] == 2, table
    assert result.missed() == [], table
    assert result.phantoms() == 0, table
    assert result.duplicates() == 0, table
    assert result.unavailable_periods() == 0, table
    assert result.tracebacks == 0, table
    assert result.fds[1] <= result.fds[0] + 2, table
    # Not asserted yet, open in issue #13's note: one nut_ups WARNING line appeared in a CI-sized
    # run with restarts, and hass's RSS grew about 9 MiB over 150 flips (no Python object growth
    # in-process under tracemalloc). Both are printed in the table above when a rule breaks.
