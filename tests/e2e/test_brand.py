"""End to end: the real Home Assistant 2026.11 serves nut_ups' own brand images (marker ``e2e``).

Home Assistant's ``brands`` integration (set up on every start) answers
``/api/brands/integration/<domain>/<image>`` from a custom integration's ``brand/`` folder before
it asks the brands CDN (``homeassistant/components/brands/__init__.py``:
``_serve_from_custom_integration``; missing images fall back along ``IMAGE_FALLBACKS`` in
``const.py``, e.g. ``dark_icon.png`` → ``icon.png``). The view itself has ``requires_auth = False``
but authenticates every request: a Bearer token, or ``?token=`` with the rotating access token the
frontend fetches over the WebSocket (``brands/access_token``) for its ``<img>`` tags. Without
either it answers 403. This machine has no internet: an image that came from the CDN or the
placeholder would not arrive at all, let alone equal the shipped bytes.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.e2e import test_e2e
from tests.e2e.test_e2e import Stack
from tests.support.hass import Hass
from tests.support.upsd import REPO_ROOT

pytestmark = pytest.mark.e2e

BRAND = REPO_ROOT / "custom_components" / "nut_ups" / "brand"
URL = "/api/brands/integration/nut_ups/{image}"

stack = test_e2e.stack
"""The end-to-end module's fixture: a real ``hass`` (and upsd) for this module, stopped by PID."""


@pytest.fixture
async def brands_ready(stack: Stack) -> Hass:
    """The stack's Home Assistant once ``brands`` is set up.

    ``Hass.start`` returns when the HTTP server answers, while Home Assistant still sets up its
    default integrations: until ``brands`` is among them its view and WebSocket command do not
    exist yet (404, ``unknown_command``).
    """
    deadline = time.monotonic() + 120
    while True:
        status, config = await stack.hass.request("GET", "/api/config")
        if status == 200 and "brands" in config["components"]:
            return stack.hass
        assert time.monotonic() < deadline, "brands was not set up within 120 s"
        await asyncio.sleep(0.2)


async def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """GET ``url``: (status, content type, body)."""
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as reply:
        return reply.status, reply.content_type, await reply.read()


async def test_icon_is_the_shipped_file(brands_ready: Hass) -> None:
    hass = brands_ready
    status, content_type, body = await fetch(
        hass.url + URL.format(image="icon.png"), {"Authorization": f"Bearer {hass.token}"}
    )
    assert (status, content_type) == (200, "image/png")
    assert body == (BRAND / "icon.png").read_bytes()


@pytest.mark.parametrize(
    ("image", "shipped"),
    [
        ("icon@2x.png", "icon@2x.png"),
        ("logo.png", "logo.png"),
        ("logo@2x.png", "logo@2x.png"),
        ("dark_logo.png", "dark_logo.png"),
        ("dark_logo@2x.png", "dark_logo@2x.png"),
        ("dark_icon.png", "icon.png"),  # no dark_icon: the icon reads on dark as it is
        ("dark_icon@2x.png", "icon@2x.png"),
    ],
)
async def test_every_image_as_the_frontend_fetches_it(
    brands_ready: Hass, image: str, shipped: str
) -> None:
    """The way the frontend's <img> tags load it: ``?token=`` from ``brands/access_token``."""
    hass = brands_ready
    async with hass.websocket() as ws:
        token = (await ws.call({"type": "brands/access_token"}))["token"]
    status, content_type, body = await fetch(f"{hass.url}{URL.format(image=image)}?token={token}")
    assert (status, content_type) == (200, "image/png")
    assert body == (BRAND / shipped).read_bytes()


async def test_refused_without_a_token(brands_ready: Hass) -> None:
    status, _, body = await fetch(brands_ready.url + URL.format(image="icon.png"))
    assert status == 403
    assert body != (BRAND / "icon.png").read_bytes()
