"""A protocol-faithful simulated upsd for what dummy-ups cannot do: a real command catalogue.

Real upsd with dummy-ups lists only driver.* , load.off and shutdown.default and refuses other
commands, and types every variable loosely. This server speaks NUT's network protocol
(docs/net-protocol.txt) over a real socket on 127.0.0.1: LIST UPS/VAR/CMD/RW/ENUM/RANGE,
GET VAR/TYPE/CMDDESC/TRACKING, USERNAME/PASSWORD, SET VAR, INSTCMD, SET TRACKING, LOGOUT. It
checks rights like upsd (after the command exists), applies what a UPS would
(a shutdown timer that counts down in whole seconds, outlet state, beeper), and records every
request for the tests to assert on.

``async with sim.serve()`` runs it on the caller's event loop (in-process tests);
:class:`SimUpsdThread` runs it on a loop of its own in a thread, for another process to reach
(a real ``hass`` in tests/e2e).

The command list is the one a real APC Back-UPS ES 850G2 (usbhid-ups 2.8.0, nut-ddl) reports,
plus ``shutdown.return``/``shutdown.stayoff`` as a PowerWalker VI 1200 SH reports them, and
two switchable outlets with ``outlet.N.load.off/on/cycle`` as named in docs/nut-names.txt.
"""

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
import itertools
import math
import time

from custom_components.nut_ups.nut.protocol import quote, split_words
from tests.support.server_thread import ServerThread

COMMANDS: dict[str, str] = {
    "beeper.disable": "Disable the UPS beeper",
    "beeper.enable": "Enable the UPS beeper",
    "beeper.mute": "Temporarily mute the UPS beeper",
    "load.off": "Turn off the load immediately",
    "load.off.delay": "Turn off the load with a delay (seconds)",
    "shutdown.reboot": "Shut down the load briefly while rebooting the UPS",
    "shutdown.return": "Turn off the load and return when power is back",
    "shutdown.stayoff": "Turn off the load and remain off",
    "shutdown.stop": "Stop a shutdown in progress",
    "test.battery.start.deep": "Start a deep battery test",
    "test.battery.start.quick": "Start a quick battery test",
    "test.battery.stop": "Stop the battery test",
    "test.panel.start": "Start testing the UPS panel",
    "test.panel.stop": "Stop a UPS panel test",
    "outlet.1.load.off": "Turn off the load on outlet 1 immediately",
    "outlet.1.load.on": "Turn on the load on outlet 1 immediately",
    "outlet.1.load.cycle": "Power cycle the load on outlet 1 immediately",
    "outlet.2.load.off": "Turn off the load on outlet 2 immediately",
    "outlet.2.load.on": "Turn on the load on outlet 2 immediately",
    "outlet.2.load.cycle": "Power cycle the load on outlet 2 immediately",
    "vendor.special.thing": "",
}

VALUES: dict[str, str] = {
    "battery.charge": "100",
    "battery.charge.low": "10",
    "battery.runtime": "2400",
    "battery.runtime.low": "120",
    "device.mfr": "American Power Conversion",
    "device.model": "Back-UPS ES 850G2",
    "input.sensitivity": "medium",
    "input.transfer.high": "266",
    "input.transfer.low": "155",
    "input.voltage": "232.0",
    "outlet.1.desc": "NAS",
    "outlet.1.status": "on",
    "outlet.1.realpower": "41",
    "outlet.2.desc": "Router",
    "outlet.2.status": "on",
    "ups.beeper.status": "enabled",
    "ups.delay.shutdown": "20",
    "ups.delay.start": "30",
    "ups.id": "Rack A",
    "ups.load": "12",
    "ups.status": "OL",
    "ups.test.result": "No test initiated",
    "ups.timer.shutdown": "-1",
}

# Writable variables: (GET TYPE words, ENUM values, RANGE pairs).
RW: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "battery.charge.low": ("RW RANGE", (), (("5", "50"),)),
    "battery.runtime.low": ("RW NUMBER", (), ()),
    "input.sensitivity": ("RW ENUM", ("low", "medium", "high"), ()),
    "input.transfer.high": ("RW ENUM", ("256", "261", "266", "271"), ()),
    "input.transfer.low": ("RW RANGE", (), (("140", "170"),)),
    "ups.beeper.status": ("RW ENUM", ("enabled", "disabled", "muted"), ()),
    "ups.delay.shutdown": ("RW RANGE", (), (("0", "600"),)),
    "ups.delay.start": ("RW NUMBER", (), ()),
    "ups.id": ("RW STRING:8", (), ()),
    "ups.load": ("RW NUMBER", (), ()),  # as a loose driver lists it: not a setting
}


@dataclass
class User:
    """A section of upsd.users: ``actions = SET`` and ``instcmds`` (a set, or ALL)."""

    password: str
    set_right: bool = False
    instcmds: frozenset[str] | None = None  # None: ALL


@dataclass
class SimUpsd:
    """The simulated server; ``async with sim.serve() as port`` runs it.

    Attributes:
        ups: the UPS name.
        values, commands, rw: what it reports (copies of the module's tables by default).
        users: upsd.users.
        tracking: whether it knows ``SET TRACKING`` (upsd >= 2.8.0).
        outcomes: ``GET TRACKING`` answer per command or variable (default SUCCESS).
        received: every request line, with the user name it came from.
    """

    ups: str = "ups"
    values: dict[str, str] = field(default_factory=lambda: dict(VALUES))
    commands: dict[str, str] = field(default_factory=lambda: dict(COMMANDS))
    rw: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = field(
        default_factory=lambda: dict(RW)
    )
    users: dict[str, User] = field(
        default_factory=lambda: {
            "admin": User("s3cret", set_right=True),
            "monuser": User("secret"),
            "tester": User("t3st", instcmds=frozenset({"test.battery.start.quick"})),
            "setter": User("s3t", set_right=True, instcmds=frozenset()),
        }
    )
    tracking: bool = True
    outcomes: dict[str, str] = field(default_factory=dict)
    received: list[tuple[str | None, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tracked: dict[str, str] = field(default_factory=dict)
    _shutdown_at: float | None = None
    """``time.monotonic()`` when the output goes off; None while no shutdown counts down."""

    def value(self, name: str) -> str | None:
        """What ``GET VAR`` would answer for ``name`` now (the shutdown timer counted down)."""
        self._tick()
        return self.values.get(name)

    def commands_received(self) -> list[str]:
        """The INSTCMD and SET VAR lines received, in order."""
        return [line for _, line in self.received if line.startswith(("INSTCMD", "SET VAR"))]

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[int]:
        """Serve on a free loopback port; yield the port; close everything at exit."""
        tasks: set[asyncio.Task[None]] = set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await self._session(reader, writer)
            except ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError:
                pass
            finally:
                tasks.discard(task)
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            # Stop accepting first: a client that reconnects meanwhile (a status watch does,
            # every check) would otherwise hold wait_closed() for as long as it stays.
            server.close()
            server.abort_clients()
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state: dict[str, str | bool | None] = {"user": None, "password": None, "tracking": False}
        while raw := await reader.readline():
            line = raw.decode("ascii").rstrip("\n")
            self.received.append((state["user"], line))  # type: ignore[arg-type]
            reply = self._answer(split_words(line), state)
            if reply is None:
                break
            writer.write(reply.encode())
            await writer.drain()

    def _answer(self, words: list[str], state: dict[str, str | bool | None]) -> str | None:
        if not words:
            return "ERR UNKNOWN-COMMAND\n"
        head = [word.upper() for word in words[:2]]
        at = 1 if head[0] == "INSTCMD" else 2  # where the UPS name is
        ups = words[at] if len(words) > at else ""
        if head[0] == "LOGOUT":
            return None
        if head[0] in {"USERNAME", "PASSWORD"} and len(words) == 2:
            state["user" if head[0] == "USERNAME" else "password"] = words[1]
            return "OK\n"
        if head[0] == "STARTTLS":
            return "ERR FEATURE-NOT-CONFIGURED\n"
        if head == ["SET", "TRACKING"]:
            if not self.tracking:
                return "ERR UNKNOWN-COMMAND\n"
            state["tracking"] = words[2].upper() == "ON"
            return "OK\n"
        if head == ["GET", "TRACKING"] and len(words) == 3:
            return f"{self._tracked[words[2]]}\n" if words[2] in self._tracked else "ERR UNKNOWN\n"
        if head == ["LIST", "UPS"]:
            return f"BEGIN LIST UPS\nUPS {self.ups} {quote('Simulated')}\nEND LIST UPS\n"
        if len(words) > at and ups != self.ups:
            return "ERR UNKNOWN-UPS\n"
        return self._ups_answer(head, words, state)

    def _ups_answer(
        self, head: list[str], words: list[str], state: dict[str, str | bool | None]
    ) -> str:
        ups = self.ups
        name = words[3] if len(words) > 3 else ""
        self._tick()
        match head:
            case ["LIST", "VAR"]:
                items = "".join(f"VAR {ups} {k} {quote(v)}\n" for k, v in self.values.items())
                return f"BEGIN LIST VAR {ups}\n{items}END LIST VAR {ups}\n"
            case ["LIST", "CMD"]:
                items = "".join(f"CMD {ups} {k}\n" for k in self.commands)
                return f"BEGIN LIST CMD {ups}\n{items}END LIST CMD {ups}\n"
            case ["LIST", "RW"]:
                items = "".join(f"RW {ups} {k} {quote(self.values.get(k, ''))}\n" for k in self.rw)
                return f"BEGIN LIST RW {ups}\n{items}END LIST RW {ups}\n"
            case ["LIST", "ENUM"]:
                if name not in self.rw:
                    return "ERR VAR-NOT-SUPPORTED\n"
                items = "".join(f"ENUM {ups} {name} {quote(v)}\n" for v in self.rw[name][1])
                return f"BEGIN LIST ENUM {ups} {name}\n{items}END LIST ENUM {ups} {name}\n"
            case ["LIST", "RANGE"]:
                if name not in self.rw:
                    return "ERR VAR-NOT-SUPPORTED\n"
                items = "".join(
                    f"RANGE {ups} {name} {quote(low)} {quote(high)}\n"
                    for low, high in self.rw[name][2]
                )
                return f"BEGIN LIST RANGE {ups} {name}\n{items}END LIST RANGE {ups} {name}\n"
            case ["GET", "VAR"]:
                if name not in self.values:
                    return "ERR VAR-NOT-SUPPORTED\n"
                return f"VAR {ups} {name} {quote(self.values[name])}\n"
            case ["GET", "TYPE"]:
                if name not in self.values:
                    return "ERR VAR-NOT-SUPPORTED\n"
                kind = self.rw[name][0] if name in self.rw else "STRING:64"
                return f"TYPE {ups} {name} {kind}\n"
            case ["GET", "CMDDESC"]:
                if name not in self.commands:
                    return "ERR CMD-NOT-SUPPORTED\n"
                return f"CMDDESC {ups} {name} {quote(self.commands[name] or 'Unavailable')}\n"
            case ["INSTCMD", _]:
                return self._instcmd(words[1:], state)
            case ["SET", "VAR"] if len(words) == 5:
                return self._set_var(words[3], words[4], state)
        return "ERR UNKNOWN-COMMAND\n"

    def _user(self, state: dict[str, str | bool | None]) -> User | None:
        user = self.users.get(str(state["user"]))
        if user is None or user.password != state["password"]:
            return None
        return user

    def _track(self, state: dict[str, str | bool | None], key: str) -> str:
        if not state["tracking"]:
            return "OK\n"
        tracking_id = f"SIM-{next(self._ids)}"
        self._tracked[tracking_id] = self.outcomes.get(key, "SUCCESS")
        return f"OK TRACKING {tracking_id}\n"

    def _instcmd(self, args: list[str], state: dict[str, str | bool | None]) -> str:
        if len(args) < 2:
            return "ERR INVALID-ARGUMENT\n"
        cmd, value = args[1], (args[2] if len(args) > 2 else None)
        if cmd not in self.commands:  # checked before rights, as upsd 2.8 does
            return "ERR CMD-NOT-SUPPORTED\n"
        user = self._user(state)
        if user is None or (user.instcmds is not None and cmd not in user.instcmds):
            return "ERR ACCESS-DENIED\n"
        if self.outcomes.get(cmd, "SUCCESS") == "SUCCESS":
            self._apply(cmd, value)
        return self._track(state, cmd)

    def hold_timer(self, seconds: int) -> None:
        """Report ``ups.timer.shutdown`` as ``seconds`` until told otherwise, as a driver that
        reads the UPS every few seconds does between its reads (the countdown stops ticking)."""
        self._shutdown_at = None
        self.values["ups.timer.shutdown"] = str(seconds)

    def _tick(self) -> None:
        """Count ``ups.timer.shutdown`` down, in whole seconds as a UPS reports it; at zero the
        output goes off (``OFF`` joins ``ups.status``) and the timer is idle (``-1``) again."""
        if self._shutdown_at is None:
            return
        left = self._shutdown_at - time.monotonic()
        if left > 0:
            self.values["ups.timer.shutdown"] = str(math.ceil(left))
            return
        self._shutdown_at = None
        self.values["ups.timer.shutdown"] = "-1"
        status = self.values.get("ups.status", "").split()
        if "OFF" not in status:
            self.values["ups.status"] = " ".join([*status, "OFF"])

    def _apply(self, cmd: str, value: str | None) -> None:
        """What a UPS does on a command (enough for the integration to see it)."""
        if cmd in {"shutdown.return", "shutdown.stayoff", "load.off.delay"}:
            delay = int(value or self.values["ups.delay.shutdown"])
            self._shutdown_at = time.monotonic() + delay
            self.values["ups.timer.shutdown"] = str(delay)
        elif cmd == "shutdown.stop":
            self._shutdown_at = None
            self.values["ups.timer.shutdown"] = "-1"
        elif cmd == "beeper.mute":
            self.values["ups.beeper.status"] = "muted"
        elif cmd.startswith("outlet.") and cmd.endswith((".load.off", ".load.on")):
            outlet = cmd.rsplit(".load.", 1)[0]
            self.values[f"{outlet}.status"] = "off" if cmd.endswith("off") else "on"
        elif cmd.startswith("test.battery.start"):
            self.values["ups.test.result"] = "In progress"

    def _set_var(self, name: str, value: str, state: dict[str, str | bool | None]) -> str:
        user = self._user(state)
        if user is None or not user.set_right:
            return "ERR ACCESS-DENIED\n"
        if name not in self.values:
            return "ERR VAR-NOT-SUPPORTED\n"
        if name not in self.rw:
            return "ERR READONLY\n"
        kind = self.rw[name][0]
        if "STRING:" in kind and len(value) > int(kind.rsplit(":", 1)[1]):
            return "ERR TOO-LONG\n"
        if self.outcomes.get(name, "SUCCESS") == "SUCCESS":
            self.values[name] = value
        return self._track(state, name)


class SimUpsdThread(ServerThread[SimUpsd]):
    """Serve a :class:`SimUpsd` from a thread with its own event loop, on 127.0.0.1.

    For a client in another process (a real ``hass``): ``with SimUpsdThread(sim) as server``,
    then ``server.port``. Read or change the server's state only through :meth:`call`, which
    runs in the server's thread, between two requests. Leaving the block closes the server and
    joins the thread.
    """

    def __init__(self, sim: SimUpsd) -> None:
        """Bind the runner to ``sim`` (not started yet)."""
        super().__init__(sim, sim.serve, "the simulated upsd")
        self.sim = sim
