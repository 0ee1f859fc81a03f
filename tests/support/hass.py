"""A real Home Assistant process (the newest release, its own venv) and its REST/WebSocket API.

Used by scripts/demo, tests/e2e and benchmarks/bench_latency.py. Home Assistant runs with a
minimal configuration (no default_config), custom_components/nut_ups linked into its config
folder, the shipped blueprints installed in it, the port chosen with SETUP_PORT, and is stopped
by PID. Automations live in automations.yaml, as the automation editor (and its REST API,
``/api/config/automation/config/<id>``) writes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import time
from typing import Any

import aiohttp

from tests.support.upsd import REPO_ROOT, free_port

OWNER = {"name": "Demo Owner", "username": "demo", "password": "demo-nut-ups", "language": "en"}

CONFIGURATION = """\
homeassistant:
  name: nut_ups demo
  unit_system: metric
  time_zone: UTC
  country: DE
  latitude: 52.5
  longitude: 13.4
  elevation: 30
  currency: EUR
frontend:
config:
repairs:
notify:
automation: !include automations.yaml
lovelace:
  dashboards:
    nut-ups:
      mode: yaml
      title: UPS
      icon: mdi:battery-charging-high
      show_in_sidebar: true
      filename: nut_ups_dashboard.yaml
logger:
  default: warning
  logs:
    custom_components.nut_ups: {nut_ups_level}
    custom_components.nut_ups.nut: info
    homeassistant.components.nut: info
"""


def hass_python() -> str:
    """The Python of the Home Assistant venv (scripts/run exports NUT_UPS_HASS_VENV)."""
    venv = os.environ.get("NUT_UPS_HASS_VENV", str(REPO_ROOT / ".venv-hass"))
    python = Path(venv) / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{python} missing: run scripts/setup --hass")
    return str(python)


@dataclass
class Hass:
    """A running ``hass`` process on 127.0.0.1 with an onboarded owner account."""

    config_dir: Path
    port: int = 0
    extra_config: str = ""
    """Lines appended to configuration.yaml (e.g. ``nut_ups_probe:`` for a benchmark probe)."""
    extra_components: Mapping[str, Path] = field(default_factory=dict)
    """Further custom integrations to link into custom_components: domain → its folder."""
    nut_ups_log_level: str = "info"
    """Log level of nut_ups (its NUT client stays at info: at debug it logs every line)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    token: str = field(default="", init=False)

    @property
    def url(self) -> str:
        """Base URL of the frontend and API."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """Home Assistant's log file."""
        return self.config_dir / "home-assistant.log"

    def write_config(self) -> None:
        """Write configuration.yaml and the demo dashboard, link custom_components/nut_ups (and
        :attr:`extra_components`), and install the shipped blueprints
        (blueprints/automation/nut_ups) as a user would."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(nut_ups_level=self.nut_ups_log_level) + self.extra_config
        )
        automations = self.config_dir / "automations.yaml"
        if not automations.exists():
            automations.write_text("[]\n")
        shutil.copytree(
            REPO_ROOT / "blueprints",
            self.config_dir / "blueprints",
            dirs_exist_ok=True,
        )
        dashboard = (REPO_ROOT / "demo" / "dashboard.yaml").read_text()
        (self.config_dir / "nut_ups_dashboard.yaml").write_text(dashboard)
        # Onboarding's other steps would set up met.no, Google Translate, Radio Browser and a
        # shopping list, which only log errors on a machine without internet: mark them done, so
        # only the owner account is created (over the REST API, in onboard()).
        storage = self.config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        onboarding = storage / "onboarding"
        if not onboarding.exists():
            onboarding.write_text(
                json.dumps(
                    {
                        "version": 4,
                        "minor_version": 1,
                        "key": "onboarding",
                        "data": {"done": ["core_config", "analytics", "integration"]},
                    }
                )
            )
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        components = {
            "nut_ups": REPO_ROOT / "custom_components" / "nut_ups",
            **self.extra_components,
        }
        for domain, folder in components.items():
            link = custom / domain
            if not link.exists():
                link.symlink_to(folder, target_is_directory=True)
        if self.extra_components:
            # hass runs from the repository, whose custom_components/ (a namespace portion,
            # first on sys.path) would hide this folder's other integrations: a regular package
            # here wins, as Home Assistant mounts the config folder first.
            (custom / "__init__.py").touch()

    def start(self, timeout: float = 240.0) -> None:
        """Start ``hass`` and wait until its HTTP API answers."""
        self.port = self.port or free_port()
        self.write_config()
        env = {**os.environ, "SETUP_PORT": str(self.port)}
        env.pop("PIP_FIND_LINKS", None)
        self.process = subprocess.Popen(
            [hass_python(), "-m", "homeassistant", "--config", str(self.config_dir)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"hass exited with {self.process.returncode}; see {self.log_file}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"hass did not answer within {timeout} s; see {self.log_file}")
            time.sleep(0.5)

    def _answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/manifest.json", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop ``hass`` by PID (SIGTERM, then SIGKILL after 60 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    # -- REST / WebSocket ---------------------------------------------------------------------

    async def onboard(self) -> None:
        """Create the owner account over the onboarding API and keep an access token.

        The other onboarding steps were marked done by :meth:`write_config`.
        """
        client_id = f"{self.url}/"
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{self.url}/api/onboarding/users", json={"client_id": client_id, **OWNER}
            ) as reply:
                reply.raise_for_status()
                code = (await reply.json())["auth_code"]
            async with session.post(
                f"{self.url}/auth/token",
                data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
            ) as reply:
                reply.raise_for_status()
                self.token = (await reply.json())["access_token"]

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call the REST API; return (HTTP status, decoded JSON or None)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, f"{self.url}{path}", json=body, headers=self._headers) as reply,
        ):
            data = await reply.json() if reply.content_type == "application/json" else None
            return reply.status, data

    async def config_flow(self, handler: str, *steps: dict[str, Any]) -> dict[str, Any]:
        """Start a config flow and submit ``steps`` in turn; return the last result."""
        status, result = await self.request(
            "POST", "/api/config/config_entries/flow", {"handler": handler}
        )
        assert status == 200, result
        for step in steps:
            status, result = await self.request(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", step
            )
            assert status == 200, result
        return dict(result)

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """The state object of ``entity_id``, or None when it does not exist."""
        status, data = await self.request("GET", f"/api/states/{entity_id}")
        return dict(data) if status == 200 else None

    async def wait_state(self, entity_id: str, expected: str, timeout: float = 30.0) -> float:
        """Wait until ``entity_id`` has state ``expected``; return how long it took (s)."""
        start = time.monotonic()
        while True:
            current = await self.state(entity_id)
            if current is not None and current["state"] == expected:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(
                    f"{entity_id} is {current and current['state']!r}, not {expected!r}"
                )
            await asyncio.sleep(0.1)

    @contextlib.asynccontextmanager
    async def websocket(self) -> AsyncIterator[WebSocket]:
        """An authenticated WebSocket API connection."""
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{self.url}/api/websocket") as ws,
        ):
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            reply = await ws.receive_json()
            assert reply["type"] == "auth_ok", reply
            yield WebSocket(ws)


class WebSocket:
    """Commands over Home Assistant's WebSocket API."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated connection."""
        self._ws = ws
        self._next_id = 0

    async def send(self, command: dict[str, Any]) -> int:
        """Send a command; return its id."""
        self._next_id += 1
        await self._ws.send_json({"id": self._next_id, **command})
        return self._next_id

    async def call(self, command: dict[str, Any]) -> Any:
        """Send a command and return its result (raises on failure)."""
        command_id = await self.send(command)
        while True:
            message = await self._ws.receive_json()
            if message.get("id") == command_id and message["type"] == "result":
                assert message["success"], message
                return message["result"]

    async def receive(self) -> dict[str, Any]:
        """The next message (events of subscriptions)."""
        return dict(await self._ws.receive_json())
