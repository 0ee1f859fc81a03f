"""A private, real NUT server for tests, benchmarks and the demo: dummy-ups drivers plus upsd.

Each instance gets its own NUT_CONFPATH / NUT_STATEPATH in a temporary directory and a free port
on 127.0.0.1, and stops every process it started, by PID. Deliberately independent of the
integration's client, so a client bug cannot hide behind its own test harness.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from tests.support import sim_driver

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
NUT_DDL = SHARED / "nut-ddl"
FIXTURES = REPO_ROOT / "tests" / "fixtures"

ADMIN_USER = "admin"
ADMIN_PASSWORD = "s3cret pass#1"  # a space and a '#': both must survive quoting
MONITOR_USER = "monuser"
MONITOR_PASSWORD = "secret"


def _find(*candidates: str) -> str:
    for cand in candidates:
        if os.path.isabs(cand):
            if os.access(cand, os.X_OK):
                return cand
        elif found := shutil.which(cand):
            return found
    raise FileNotFoundError(f"none of {candidates} found: run scripts/setup")


def upsd_binary() -> str:
    """Path of NUT's upsd (Debian testing: /usr/sbin/upsd; Debian 12: /lib/nut/upsd)."""
    return _find("/usr/sbin/upsd", "/lib/nut/upsd", "/usr/lib/nut/upsd", "upsd")


def dummy_ups_binary() -> str:
    """Path of NUT's dummy-ups driver."""
    return _find(
        "/usr/libexec/nut/dummy-ups", "/lib/nut/dummy-ups", "/usr/lib/nut/dummy-ups", "dummy-ups"
    )


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nut_ddl_dumps() -> list[Path]:
    """Every ``.dev`` dump of ../shared/nut-ddl, sorted; empty when that folder is absent."""
    if not NUT_DDL.is_dir():
        return []
    return sorted(NUT_DDL.glob("**/*.dev"))


def fixture_path(name: str) -> Path:
    """Path of a checked-in device file under tests/fixtures."""
    return FIXTURES / name


def quote(value: str) -> str:
    """Quote a NUT argument (escapes \\ " #), independently of the client under test."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#") + '"'


@dataclass
class Upsd:
    """A running upsd with one dummy-ups driver per UPS.

    Attributes:
        host, port: where upsd listens (127.0.0.1, a free port).
        ups: the name of the first UPS.
        username, password: an admin user with SET and all instant commands.
    """

    devices: Mapping[str, Path]
    host: str = "127.0.0.1"
    port: int = 0
    username: str = ADMIN_USER
    password: str = ADMIN_PASSWORD
    maxage: int | None = None
    users: str = ""
    """Further upsd.users sections, after the admin and the monitoring user."""
    extra_conf: str = ""
    descriptions: Mapping[str, str] = field(default_factory=dict)
    commands: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """UPS name → instant commands: that UPS is served by tests/support/sim_driver.py (which
    lists them and applies them) instead of dummy-ups (which lists next to none)."""
    tmpdir: Path = field(init=False)
    drivers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)
    server: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def ups(self) -> str:
        """Name of the first UPS."""
        return next(iter(self.devices))

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NUT_CONFPATH": str(self.tmpdir),
            "NUT_STATEPATH": str(self.tmpdir / "state"),
            "NUT_ALTPIDPATH": str(self.tmpdir / "state"),
        }

    def start(self, wait: bool = True) -> None:
        """Write the configuration, start the drivers then upsd, and wait for data."""
        self.tmpdir = Path(tempfile.mkdtemp(prefix="nut_ups-upsd-"))
        (self.tmpdir / "state").mkdir()
        self.port = self.port or free_port()
        sections = []
        for name, dev in self.devices.items():
            target = self.tmpdir / f"{name}{dev.suffix}"
            shutil.copyfile(dev, target)
            desc = self.descriptions.get(name, f"Test UPS {name}")
            sections.append(
                f"[{name}]\n  driver = {self._driver(name)}\n  port = {target.name}\n"
                f"  desc = {quote(desc)}\n"
            )
        (self.tmpdir / "ups.conf").write_text("maxretry = 3\n" + "".join(sections))
        (self.tmpdir / "nut.conf").write_text("MODE=standalone\n")
        upsd_conf = f"LISTEN 127.0.0.1 {self.port}\n"
        if self.maxage is not None:
            upsd_conf += f"MAXAGE {self.maxage}\n"
        upsd_conf += self.extra_conf
        (self.tmpdir / "upsd.conf").write_text(upsd_conf)
        users = self.tmpdir / "upsd.users"
        users.write_text(
            f"[{self.username}]\n  password = {quote(self.password)}\n  actions = SET\n  instcmds = ALL\n"
            f"[{MONITOR_USER}]\n  password = {MONITOR_PASSWORD}\n  upsmon secondary\n" + self.users
        )
        users.chmod(0o600)
        for name in self.devices:
            self.start_driver(name)
        self._wait_for_driver_sockets()
        self.start_server()
        if wait:
            self.wait_ready()

    def _driver(self, name: str) -> str:
        return sim_driver.DRIVER if name in self.commands else "dummy-ups"

    def start_driver(self, name: str) -> None:
        """Start (or restart) the driver of UPS ``name`` in the foreground."""
        if name in self.commands:
            dev = self.tmpdir / f"{name}{self.devices[name].suffix}"
            command = [
                sys.executable,
                "-m",
                "tests.support.sim_driver",
                str(self.tmpdir / "state" / f"{sim_driver.DRIVER}-{name}"),
                str(dev),
                *self.commands[name],
            ]
        else:
            command = [dummy_ups_binary(), "-a", name, "-u", "root", "-F"]
        self.drivers[name] = subprocess.Popen(
            command,
            env=self._env(),
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _wait_for_driver_sockets(self, timeout: float = 20.0) -> None:
        """Wait until every driver has created its socket, so upsd finds them all at start.

        upsd only retries a driver it could not reach every so often; starting it before the
        drivers are ready costs tens of seconds with many drivers.
        """
        state = self.tmpdir / "state"
        deadline = time.monotonic() + timeout
        pending = {f"{self._driver(name)}-{name}" for name in self.devices}
        while pending:
            pending = {sock for sock in pending if not (state / sock).exists()}
            dead = [name for name, proc in self.drivers.items() if proc.poll() is not None]
            if dead:
                raise RuntimeError(f"the driver exited for {dead}")
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"drivers without a socket after {timeout} s: {sorted(pending)}")
            time.sleep(0.02)

    def start_server(self) -> None:
        """Start (or restart) upsd in the foreground and wait until it accepts connections."""
        self.server = subprocess.Popen(
            [upsd_binary(), "-u", "root", "-F"],
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
            except OSError:
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"upsd did not start on port {self.port}") from None
                time.sleep(0.02)
            else:
                return

    def replace_device(self, name: str, dev: Path) -> None:
        """Restart the driver of ``name`` on another device file, as after a driver reconnect."""
        _stop(self.drivers[name])
        shutil.copyfile(dev, self.tmpdir / f"{name}{dev.suffix}")
        self.start_driver(name)
        deadline = time.monotonic() + 20
        while self.command(f"GET VAR {name} driver.name").startswith("ERR"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"driver of {name} did not come back")
            time.sleep(0.05)

    def stop_server(self) -> None:
        """Stop upsd (the drivers keep running)."""
        if self.server is not None:
            _stop(self.server)
            self.server = None

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until every UPS reports a ``ups.status`` other than WAIT."""
        deadline = time.monotonic() + timeout
        pending = set(self.devices)
        while pending:
            for name in list(pending):
                reply = self.command(f"GET VAR {name} ups.status")
                if reply.startswith("VAR") and '"WAIT"' not in reply:
                    pending.discard(name)
                elif reply.startswith("ERR VAR-NOT-SUPPORTED"):
                    pending.discard(name)  # a dump without ups.status
            if pending:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no data from {sorted(pending)} after {timeout} s")
                time.sleep(0.05)

    def command(self, *lines: str, login: bool = False) -> str:
        """Send request lines over a plain socket; return the reply to the last one."""
        with socket.create_connection((self.host, self.port), timeout=5) as sock:
            reader = sock.makefile("rb")
            if login:
                lines = (
                    f"USERNAME {quote(self.username)}",
                    f"PASSWORD {quote(self.password)}",
                    *lines,
                )
            reply = ""
            for line in lines:
                sock.sendall(line.encode() + b"\n")
                reply = reader.readline().decode("utf-8", "replace").rstrip("\n")
            sock.sendall(b"LOGOUT\n")
            return reply

    def set_var_sync(
        self, name: str, value: str, ups: str | None = None, wait: bool = True
    ) -> None:
        """SET VAR as the admin user, and wait until upsd shows the new value.

        dummy-ups 2.8.5 adds CHRG/DISCHRG to ``ups.status`` from the trend of battery.charge,
        so for ``ups.status`` the wait ends once every requested token shows.
        """
        ups = ups or self.ups
        reply = self.command(f"SET VAR {ups} {name} {quote(value)}", login=True)
        if not reply.startswith("OK"):
            raise RuntimeError(f"SET VAR {name} failed: {reply}")
        deadline = time.monotonic() + 10
        while wait and not self._shows(ups, name, value):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become {value!r}")
            time.sleep(0.02)

    def _shows(self, ups: str, name: str, value: str) -> bool:
        reply = self.command(f"GET VAR {ups} {name}")
        prefix = f"VAR {ups} {name} "
        if not reply.startswith(prefix):
            return False
        shown = reply.removeprefix(prefix)
        if name == "ups.status":
            return set(value.split()) <= set(shown.strip('"').split())
        return shown == quote(value)

    async def set_var(self, name: str, value: str, ups: str | None = None) -> None:
        """Async :meth:`set_var_sync`, run in a thread so the event loop never blocks."""
        import asyncio

        await asyncio.to_thread(self.set_var_sync, name, value, ups)

    def pids(self) -> list[int]:
        """PIDs of every process this instance started that may still run."""
        procs = [*self.drivers.values(), *([self.server] if self.server else [])]
        return [p.pid for p in procs if p.poll() is None]

    def stop(self) -> list[int]:
        """Stop upsd and every driver by PID; return the PIDs that would not stop."""
        self.stop_server()
        _stop(*self.drivers.values())  # all at once: dummy-ups takes ~2 s to exit
        left = self.pids()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return left


def _stop(*procs: subprocess.Popen[bytes]) -> None:
    """Stop processes by PID: SIGTERM to all, then wait for each; SIGKILL after 10 s."""
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGCONT)  # a driver a test paused with SIGSTOP
            proc.terminate()
    deadline = time.monotonic() + 10
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextlib.contextmanager
def running_upsd(devices: Mapping[str, Path], **kwargs: object) -> Iterator[Upsd]:
    """Start an :class:`Upsd`, yield it, and stop it whatever happens."""
    server = Upsd(devices, **kwargs)  # type: ignore[arg-type]
    try:
        server.start()
        yield server
    finally:
        if hasattr(server, "tmpdir"):
            server.stop()
