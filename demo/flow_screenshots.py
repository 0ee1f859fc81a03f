"""Photograph adding nut_ups in a real Home Assistant: the discovered card, STARTTLS, German.

``scripts/run python -m demo.flow_screenshots`` starts a real upsd (an Eaton 5PX behind dummy-ups,
with a certificate from a throwaway CA for STARTTLS) and a real Home Assistant 2026.11 with its
``zeroconf`` integration, announces the upsd over mDNS as NUT's Avahi service file does
(``_nut._tcp.local.``, the host name as instance name), and takes, in headless Chromium:

* ``docs/discovered.png``: Settings → Devices & services with the *Discovered* card of nut_ups
  (its brand icon served from ``custom_components/nut_ups/brand/``);
* ``docs/config-flow-tls.png``: *Add* on that card, the confirmation with the *Encryption
  (STARTTLS)* section open, *Required, with certificate verification* picked and the CA file
  typed; then *Submit* adds the UPS over TLS (the script checks the entry and a sensor);
* ``docs/config-flow-de.png``: the owner's profile language set to German (what the profile
  page saves: the user data ``language``), the first step of *Add integration → NUT UPS*.

Every process is stopped by PID, the mDNS announcement withdrawn, the working folder removed
(kept, with Home Assistant's log, when something fails).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
import contextlib
from pathlib import Path
import shutil
import socket
import tempfile
import time
from typing import Any

from playwright.async_api import Browser, Locator, Page, ViewportSize, async_playwright
from zeroconf import InterfaceChoice, IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from custom_components.nut_ups.const import DOMAIN
from demo.screenshot import CHROMIUM_ARGS, chromium_path, login
from tests.support.hass import Hass
from tests.support.tls import make_nss_server_cert
from tests.support.upsd import REPO_ROOT, Upsd, running_upsd

DEVICE = Path(__file__).with_name("ups.dev")
"""An Eaton 5PX 1500 as usbhid-ups reports it."""
UPS = "ups"
DESCRIPTION = "Eaton 5PX 1500 (rack)"
SERVER = "nut-ups-demo"
"""The announced host name: a name no real machine on a network is likely to have."""
SERVICE_TYPE = "_nut._tcp.local."
CA_FILE = "ssl/upsd-ca.pem"
"""Where the throwaway CA goes, relative to Home Assistant's configuration folder."""
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
DISCOVERY_SECONDS = 60.0
"""How long Home Assistant may take to see the announcement and start the flow."""
CORE_NUT = "nut"
"""Home Assistant's own NUT integration: its manifest matches ``_nut._tcp.local.`` too."""
CORE_NUT_GRACE = 10.0
"""How long after nut_ups' flow core nut's may still appear (it asks upsd first)."""
GERMAN = {
    "language": "de",
    "number_format": "language",
    "time_format": "language",
    "date_format": "language",
    "time_zone": "local",
    "first_weekday": "language",
}
"""What the profile page saves as the user data ``language`` when German is picked."""


class ZeroconfHass(Hass):
    """Home Assistant with its ``zeroconf`` integration (not in the tests' minimal set)."""

    def write_config(self) -> None:
        """Write the tests' configuration with ``zeroconf:`` added."""
        super().write_config()
        configuration = self.config_dir / "configuration.yaml"
        configuration.write_text(configuration.read_text() + "zeroconf:\n")


@contextlib.asynccontextmanager
async def announced(server: Upsd, name: str = SERVER) -> AsyncIterator[ServiceInfo]:
    """Announce ``server`` over mDNS as NUT's Avahi service file does, until the block ends.

    NUT's ``nut.service`` (Avahi): type ``_nut._tcp``, the host name (here ``name``) as instance
    name, upsd's port, no TXT records. The address is upsd's own (127.0.0.1): the announcement is
    sent on the default interface, where multicast loops back to Home Assistant's zeroconf on
    this machine.
    """
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{name}.{SERVICE_TYPE}",
        port=server.port,
        addresses=[socket.inet_aton(server.host)],
        server=f"{name}.local.",
    )
    # The default interface only (no adapter list: the tests' plugin fakes the machine's adapters).
    zeroconf = AsyncZeroconf(interfaces=InterfaceChoice.Default, ip_version=IPVersion.V4Only)
    try:
        # Each returns when its packets are queued; the awaitable it returns, once they are sent.
        await (await zeroconf.async_register_service(info))
        yield info
    finally:
        with contextlib.suppress(Exception):
            await (await zeroconf.async_unregister_service(info))
        await zeroconf.async_close()


async def discovered_flows(
    hass: Hass, server: Upsd, name: str = SERVER
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Wait for nut_ups' zeroconf flow of the announced ``server``; return it and the others.

    The others are every other flow the *Discovered* cards show. Home Assistant's own ``nut``
    integration starts one for the same announcement: waited for a little longer, so that its
    card does not turn up after the page is open.
    """
    unique_id = f"{name}.local:{server.port}"
    start = time.monotonic()
    found_at: float | None = None
    async with hass.websocket() as ws:
        while True:
            flows: list[dict[str, Any]] = await ws.call({"type": "config_entries/flow/progress"})
            ours = [
                flow
                for flow in flows
                if flow["handler"] == DOMAIN and flow["context"].get("unique_id") == unique_id
            ]
            now = time.monotonic()
            if ours and found_at is None:
                found_at = now
            core_nut = any(flow["handler"] == CORE_NUT for flow in flows)
            if found_at is not None and (core_nut or now > found_at + CORE_NUT_GRACE):
                return ours[0], [flow for flow in flows if flow is not ours[0]]
            if now > start + DISCOVERY_SECONDS:
                raise RuntimeError(f"no flow of {DOMAIN} for {unique_id} in time: {flows}")
            await asyncio.sleep(0.5)


async def dismiss_flows(hass: Hass, flows: list[dict[str, Any]]) -> None:
    """Abort ``flows`` over the REST API: their cards are not nut_ups' card of this upsd.

    Core ``nut``'s, for one: Home Assistant's own NUT integration gets its brand image from the
    brands CDN, unreachable here, so its card would show an empty square next to nut_ups' card.
    Any other upsd announced on the network would have cards of its own.
    """
    for flow in flows:
        status, reply = await hass.request(
            "DELETE", f"/api/config/config_entries/flow/{flow['flow_id']}"
        )
        if status != 200:
            raise RuntimeError(f"cannot dismiss the {flow['handler']} flow: {status} {reply}")
        print(f"dismissed a discovered flow of {flow['handler']}")


async def new_page(browser: Browser, hass: Hass, path: str) -> Page:
    """Open a fresh browser context (nothing stored) and sign in on ``path``."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    await login(page, f"{hass.url}{path}")
    return page


async def fit_dialog(page: Page, dialog: Locator) -> None:
    """Make the viewport tall enough for the whole dialog: nothing left to scroll in it."""
    scroller = dialog.locator("wa-dialog div.body.ha-scrollbar")
    hidden = int(await scroller.evaluate("body => body.scrollHeight - body.clientHeight"))
    if hidden > 0:
        height = VIEWPORT["height"] + hidden + 8
        await page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    await page.wait_for_timeout(800)  # the dialog settles; the page's layout follows the size


async def shoot_discovered(page: Page, path: Path) -> Locator:
    """Photograph Settings → Devices & services with the Discovered card; return the card."""
    card = page.locator("ha-config-flow-card").filter(has_text=SERVER)
    await card.wait_for(timeout=60_000)
    icon = card.locator(f"img[src*='/api/brands/integration/{DOMAIN}/icon.png']")
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await icon.element_handle()
    )
    await page.wait_for_timeout(1000)  # the cards' fade-in
    await page.screenshot(path=str(path))
    print(f"saved {path}")
    return card


async def shoot_tls(page: Page, card: Locator, path: Path) -> None:
    """*Add* on the card; photograph the confirmation with STARTTLS required and a CA file."""
    await card.get_by_role("button", name="Add").click()
    dialog = page.locator("dialog-data-entry-flow")
    await dialog.get_by_text("Add a discovered UPS").wait_for()
    await dialog.get_by_text("Encryption (STARTTLS)").click()
    await dialog.get_by_text("Required, with certificate verification").click()
    await dialog.locator("input[name='ca_file']").fill(CA_FILE)
    await fit_dialog(page, dialog)
    await dialog.locator("wa-dialog [part='dialog']").screenshot(path=str(path))
    print(f"saved {path}")
    await dialog.get_by_role("button", name="Submit").click()
    # The entry's last step: "Name and assign" its device, or "Created configuration".
    await dialog.locator("step-flow-create-entry").wait_for(timeout=30_000)


async def check_added(hass: Hass) -> None:
    """Check that the UPS was added and reports.

    The form required STARTTLS with verification against the CA file, so an entry means
    upsd's certificate passed that check.
    """
    async with hass.websocket() as ws:
        entries = await ws.call({"type": "config_entries/get", "domain": DOMAIN})
    titles = [entry["title"] for entry in entries if entry["state"] == "loaded"]
    if titles != [f"{UPS}@127.0.0.1"]:
        raise RuntimeError(f"entries of {DOMAIN}: {entries}")
    await hass.wait_state(f"sensor.{UPS}_battery_charge", "100", timeout=60)
    print(f"added {titles[0]}: sensor.{UPS}_battery_charge = 100")


async def shoot_german(browser: Browser, hass: Hass, path: Path) -> None:
    """Set the owner's language to German as the profile page does; photograph the first step."""
    async with hass.websocket() as ws:
        await ws.call({"type": "frontend/set_user_data", "key": "language", "value": GERMAN})
    # What the my.home-assistant.io link "config_flow_start" opens: the flow of one domain.
    page = await new_page(browser, hass, f"/config/integrations/dashboard/add?domain={DOMAIN}")
    dialog = page.locator("dialog-data-entry-flow")
    # The link asks first: "Möchtest du NUT UPS einrichten?"
    await page.get_by_role("button", name="OK").click(timeout=60_000)
    await dialog.get_by_text("Mit einem NUT-Server verbinden").wait_for(timeout=60_000)
    await page.get_by_text("Einstellungen").first.wait_for()  # the sidebar: German too
    # Click the description: no field focused (its text selected) nor hovered.
    await dialog.get_by_text("liest deine USV").click()
    await fit_dialog(page, dialog)
    await page.screenshot(path=str(path))
    print(f"saved {path}")


async def take_screenshots(server: Upsd, hass: Hass, docs: Path, work: Path) -> None:
    """Onboard, announce upsd, and take the three screenshots into ``docs``.

    When a step fails, what each open page showed is saved in ``work`` (to see why).
    """
    await hass.onboard()
    async with announced(server), async_playwright() as playwright:
        _, others = await discovered_flows(hass, server)
        await dismiss_flows(hass, others)
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await new_page(browser, hass, "/config/integrations/dashboard")
            card = await shoot_discovered(page, docs / "discovered.png")
            await shoot_tls(page, card, docs / "config-flow-tls.png")
            await check_added(hass)
            await page.context.close()
            await shoot_german(browser, hass, docs / "config-flow-de.png")
        except Exception:
            for number, context in enumerate(browser.contexts):
                for page in context.pages:
                    await page.screenshot(path=str(work / f"failed-{number}.png"))
            raise
        finally:
            await browser.close()


def main() -> None:
    """Parse the command line and take the screenshots."""
    parser = argparse.ArgumentParser(prog="python -m demo.flow_screenshots", description=__doc__)
    parser.add_argument("--docs", type=Path, default=REPO_ROOT / "docs", help="where PNGs go")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nut_ups-flows-"))
    ok = False
    try:
        ca = make_nss_server_cert(work / "tls")
        with running_upsd(
            {UPS: DEVICE}, extra_conf=ca.upsd_conf, descriptions={UPS: DESCRIPTION}
        ) as server:
            hass = ZeroconfHass(work / "config")
            try:
                hass.write_config()
                (hass.config_dir / CA_FILE).parent.mkdir(exist_ok=True)
                shutil.copyfile(ca.ca_pem, hass.config_dir / CA_FILE)
                print("starting Home Assistant...")
                hass.start()
                asyncio.run(take_screenshots(server, hass, args.docs, work))
                ok = True
            finally:
                hass.stop()
    finally:
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}: Home Assistant's log in config/, the pages as failed-*.png")


if __name__ == "__main__":
    main()
