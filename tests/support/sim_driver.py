"""A simulated NUT driver behind a real upsd: a device file like dummy-ups, plus instant commands.

dummy-ups (NUT 2.8.5) lists only ``driver.*``, ``load.off`` and ``shutdown.default`` and refuses
every other command, even in repeater mode. This driver speaks the driver/server socket protocol
(NUT's docs/sock-protocol.txt) on the Unix socket upsd looks for (``<statepath>/<driver>-<ups>``),
so the real upsd in front of it does what it always does: users and rights, ``LIST CMD``,
``INSTCMD`` and ``SET VAR`` with TRACKING. It serves the variables of a ``.dev`` file (every one
writable, as dummy-ups makes them, so a power failure can be played with ``SET VAR``), the
instant commands it is given, and applies what a UPS does on them: a shutdown timer counting down
each second (``OFF`` at zero), ``shutdown.stop``, the beeper, a battery test that passes after
a few seconds, outlets.

Run as ``python -m tests.support.sim_driver SOCKET DEVFILE COMMAND...``; it stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
import os
from pathlib import Path
import signal

DRIVER = "nut_ups-sim"
"""The driver name for ups.conf: upsd connects to ``<statepath>/nut_ups-sim-<ups>``."""

EATON_COMMANDS = (
    "beeper.disable",
    "beeper.enable",
    "beeper.mute",
    "load.off",
    "load.off.delay",
    "load.on",
    "load.on.delay",
    "shutdown.return",
    "shutdown.stayoff",
    "shutdown.stop",
    "test.battery.start.deep",
    "test.battery.start.quick",
    "test.battery.stop",
)
"""What an Eaton 5PX lists with usbhid-ups 2.8 (``upscmd -l``, as in the NUT DDL dumps)."""

ENUMS = {
    "ups.beeper.status": ("enabled", "disabled", "muted"),
    "input.sensitivity": ("low", "normal", "high"),
}
RANGES = {"ups.delay.shutdown": ("0", "600"), "ups.delay.start": ("0", "600")}
TEST_SECONDS = 8.0
"""How long a battery test runs."""


def quote(value: str) -> str:
    """Quote a value as parseconf reads it (written here, not borrowed from the client)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_words(line: str) -> list[str]:
    """Split a line as parseconf does: spaces between words, "quotes" and \\ escapes."""
    words: list[str] = []
    word: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if escaped:
            word = [*(word or []), char]
            escaped = False
        elif char == "\\":
            escaped = True
            word = word or []
        elif char == '"':
            quoted = not quoted
            word = word or []
        elif char in " \t" and not quoted:
            if word is not None:
                words.append("".join(word))
            word = None
        else:
            word = [*(word or []), char]
    if word is not None:
        words.append("".join(word))
    return words


def read_dev(path: Path) -> dict[str, str]:
    """The ``name: value`` lines of a dummy-ups device file (comments and TIMER skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, rest = line.partition(":")
        if not sep or line.lstrip().startswith("#") or " " in name.strip():
            continue
        rest = rest.strip()
        values[name.strip()] = " ".join(split_words(rest)) if rest.startswith('"') else rest
    return values


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


class SimDriver:
    """The driver's state and its connections (upsd connects once, again after a restart)."""

    def __init__(self, values: dict[str, str], commands: tuple[str, ...]) -> None:
        """Serve ``values`` and ``commands``."""
        self.values = values
        self.commands = commands
        self.idle_timer = values.get("ups.timer.shutdown", "-1")
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._countdown: asyncio.Task[None] | None = None

    # -- what upsd is told ------------------------------------------------------------------

    def _describe(self, name: str) -> list[str]:
        value = self.values[name]
        lines = [f"SETINFO {name} {quote(value)}"]
        if name.startswith("driver."):
            return lines
        if _is_number(value) and name not in ENUMS:
            lines.append(f"SETFLAGS {name} RW NUMBER")
        else:
            lines += [f"SETFLAGS {name} RW STRING", f"SETAUX {name} {max(32, len(value))}"]
        lines += [f"ADDENUM {name} {quote(option)}" for option in ENUMS.get(name, ())]
        if name in RANGES:
            low, high = RANGES[name]
            lines.append(f"ADDRANGE {name} {low} {high}")
        return lines

    def dump(self) -> str:
        lines = [line for name in self.values for line in self._describe(name)]
        lines += [f"ADDCMD {command}" for command in self.commands]
        return "\n".join([*lines, "DATAOK", "DUMPDONE"]) + "\n"

    def set(self, name: str, value: str) -> None:
        """Change a variable and tell upsd (a new one with its flags)."""
        known = name in self.values
        self.values[name] = value
        self._send_all([f"SETINFO {name} {quote(value)}"] if known else self._describe(name))

    def _send_all(self, lines: list[str]) -> None:
        data = "".join(f"{line}\n" for line in lines).encode()
        for writer in list(self._writers):
            writer.write(data)

    # -- what a UPS does ----------------------------------------------------------------------

    def _later(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def instcmd(self, command: str, param: str | None) -> bool:
        """Apply ``command``; False for one this UPS does not have (or a bad parameter)."""
        if command not in self.commands:
            return False
        if command in {"shutdown.return", "shutdown.stayoff", "load.off.delay"}:
            delay = param if command == "load.off.delay" else None
            delay = delay or self.values.get("ups.delay.shutdown", "20")
            if not delay.isdigit():
                return False
            self._stop_countdown()
            self._countdown = asyncio.create_task(self._count_down(int(delay)))
        elif command == "shutdown.stop":
            self._stop_countdown()
            self.set("ups.timer.shutdown", self.idle_timer)
        elif command.startswith("beeper."):
            state = {"mute": "muted", "disable": "disabled", "enable": "enabled"}
            self.set("ups.beeper.status", state[command.removeprefix("beeper.")])
        elif command.startswith("test.battery.start"):
            self.set("ups.test.result", "In progress")
            self._later(self._finish_test())
        elif command == "test.battery.stop":
            self.set("ups.test.result", "Aborted")
        elif command == "load.off":
            self._output_off()
        return True

    def _stop_countdown(self) -> None:
        if self._countdown is not None:
            self._countdown.cancel()
            self._countdown = None

    async def _count_down(self, seconds: int) -> None:
        for left in range(seconds, 0, -1):
            self.set("ups.timer.shutdown", str(left))
            await asyncio.sleep(1)
        self.set("ups.timer.shutdown", self.idle_timer)
        self._output_off()

    def _output_off(self) -> None:
        status = self.values.get("ups.status", "").split()
        if "OFF" not in status:
            self.set("ups.status", " ".join([*status, "OFF"]))

    async def _finish_test(self) -> None:
        await asyncio.sleep(TEST_SECONDS)
        if self.values.get("ups.test.result") == "In progress":
            self.set("ups.test.result", "Done and passed")

    # -- the socket ---------------------------------------------------------------------------

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one upsd connection until it closes."""
        self._writers.add(writer)
        try:
            while raw := await reader.readline():
                reply = self._answer(split_words(raw.decode("utf-8", "replace").strip()))
                if reply:
                    writer.write(reply.encode())
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _answer(self, words: list[str]) -> str:
        if not words:
            return ""
        tracking = None
        if len(words) >= 2 and words[-2].upper() == "TRACKING":
            tracking, words = words[-1], words[:-2]
        match [words[0].upper(), *words[1:]]:
            case ["DUMPALL"]:
                return self.dump()
            case ["PING"]:
                return "PONG\n"
            case ["GETPID"]:
                return f"PID {os.getpid()}\n"
            case ["INSTCMD", command, *param]:
                done = self.instcmd(command, param[0] if param else None)
                # upshandler.h: STAT_INSTCMD_HANDLED 0, STAT_INSTCMD_UNKNOWN 1.
                return f"TRACKING {tracking} {0 if done else 1}\n" if tracking else ""
            case ["SET", name, value]:
                self.set(name, value)
                return f"TRACKING {tracking} 0\n" if tracking else ""
        return ""  # NOBROADCAST, BROADCAST, LOGOUT and anything newer: nothing to say


async def serve(socket_path: Path, driver: SimDriver) -> None:
    """Serve on ``socket_path`` until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    socket_path.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(driver.session, path=str(socket_path))
    try:
        await stop.wait()
    finally:
        server.close()
        server.close_clients()
        await server.wait_closed()
        socket_path.unlink(missing_ok=True)


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("socket", type=Path)
    parser.add_argument("dev", type=Path)
    parser.add_argument("commands", nargs="*")
    args = parser.parse_args()
    driver = SimDriver(read_dev(args.dev), tuple(args.commands))
    asyncio.run(serve(args.socket, driver))


if __name__ == "__main__":
    main()
