"""Log in to Home Assistant in headless Chromium and photograph the nut_ups dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
import shutil

from playwright.async_api import Page, ViewportSize, async_playwright

from tests.support.hass import OWNER

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Return the system's Chromium (Debian's package); browser downloads are not used."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    raise FileNotFoundError("chromium not found: run scripts/setup --hass")


async def login(page: Page, url: str) -> None:
    """Open ``url`` and sign in through Home Assistant's login form, as a person would."""
    await page.goto(url)
    # The frontend redirects to the login page from JavaScript, after loading.
    await page.wait_for_url("**/auth/authorize**", timeout=60_000)
    username = page.locator("input[name='username']")
    await username.wait_for(timeout=60_000)
    await username.fill(OWNER["username"])
    await page.locator("input[name='password']").fill(OWNER["password"])
    await page.locator("input[name='password']").press("Enter")
    await page.wait_for_url(lambda address: "auth/authorize" not in address, timeout=60_000)


async def fit_page(page: Page) -> None:
    """Make the viewport as tall as the page, so the sidebar runs down its whole length."""
    height = int(await page.evaluate("document.documentElement.scrollHeight"))
    if height > VIEWPORT["height"]:
        await page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        await page.wait_for_timeout(500)  # the layout follows the size


async def check_dashboard(url: str, path: Path | None = None, expect: Sequence[str] = ()) -> None:
    """Open the nut_ups dashboard as a person would and wait until each ``expect`` text shows.

    Saves a PNG to ``path`` if given, also when a text did not show (to see why).

    Raises:
        playwright's TimeoutError: the login, the dashboard or an expected text did not show.
    """
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            # Log in on the dashboard's own URL: the login returns there with its tokens.
            await login(page, f"{url}/nut-ups/ups")
            try:
                await page.locator("hui-gauge-card").first.wait_for(timeout=90_000)
                for text in expect:
                    await page.get_by_text(text).first.wait_for(timeout=15_000)
                await page.wait_for_timeout(1500)  # gauges animate in
                await fit_page(page)
            finally:
                if path is not None:
                    await page.screenshot(path=str(path), full_page=True)
        finally:
            await browser.close()


async def screenshot(url: str, path: Path) -> None:
    """Save a screenshot of the running demo's dashboard to ``path``."""
    await check_dashboard(url, path)
    print(f"saved {path}")
