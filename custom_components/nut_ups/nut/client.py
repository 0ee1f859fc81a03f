"""NUTClient: the settings of one upsd server, and one-shot commands over short-lived connections.

Each command opens, uses and closes its own connection: nothing can be left half-read between
two callers, and no idle connection needs looking after. What runs several times a second goes
through a persistent :class:`~.session.NUTSession` instead (``TCP_NODELAY``, so a reused
connection does not stall on delayed ACKs as aionut's does, benchmarks/bench_client.py).
"""

import asyncio
from collections.abc import Awaitable, Callable
import ssl

from .connection import NUTConnection
from .exceptions import NUTOutcomeUnknownError, NUTTimeoutError, timeout_error
from .settings import DEFAULT_PORT, DEFAULT_TIMEOUT, ServerSettings
from .tls import TLSMode
from .tracking import Outcome, outcome_of


class NUTClient:
    """Talks to one upsd; every call opens its own connection and always closes it.

    Args:
        host: host name or IP address of upsd.
        port: TCP port, 3493 by default.
        username, password: NUT credentials from upsd.users; only SET VAR and INSTCMD need them.
        timeout: seconds that one operation may take as a whole: connect, send and the complete
            reply. A server that drips bytes cannot stretch it.
        tls: STARTTLS mode (:class:`TLSMode`).
        ssl_context: context for STARTTLS; by default ``ssl.create_default_context()``, which
            verifies the certificate against the system CAs and ``host`` (creating it reads files:
            pass one made outside the event loop).

    Raises:
        NUTInvalidArgumentError: a non-positive timeout or an invalid port.

    Every command of :class:`~.connection.NUTConnection` exists here as a one-shot twin.

    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        tls: TLSMode = TLSMode.OFF,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Store the settings; nothing is connected until a command or ``connect()``."""
        self.settings = ServerSettings(
            host,
            port,
            username=username,
            password=password,
            timeout=timeout,
            tls=tls,
            ssl_context=ssl_context,
        )

    @property
    def host(self) -> str:
        """Host name or IP address of upsd."""
        return self.settings.host

    @property
    def port(self) -> int:
        """TCP port of upsd."""
        return self.settings.port

    @property
    def timeout(self) -> float:
        """Seconds one operation may take as a whole."""
        return self.settings.timeout

    @property
    def tls(self) -> TLSMode:
        """STARTTLS mode."""
        return self.settings.tls

    def __repr__(self) -> str:
        """Describe the client without its credentials."""
        return f"NUTClient({self.host!r}, {self.port}, tls={self.tls.value})"

    def connect(self) -> NUTConnection:
        """Return a connection to use as ``async with client.connect() as conn:``."""
        return NUTConnection(self.settings)

    async def _once[T](self, call: Callable[[NUTConnection], Awaitable[T]]) -> T:
        """Connect, run ``call``, LOGOUT and close; all within one ``timeout``."""
        settings = self.settings
        try:
            async with (
                asyncio.timeout(settings.timeout),
                NUTConnection(settings, one_shot=True) as conn,
            ):
                return await call(conn)
        except TimeoutError as err:
            raise timeout_error(settings.where, settings.timeout) from err

    async def list_ups(self) -> dict[str, str]:
        """One-shot :meth:`NUTConnection.list_ups`."""
        return await self._once(lambda c: c.list_ups())

    async def list_vars(self, ups: str) -> dict[str, str]:
        """One-shot :meth:`NUTConnection.list_vars`."""
        return await self._once(lambda c: c.list_vars(ups))

    async def list_rw(self, ups: str) -> dict[str, str]:
        """One-shot :meth:`NUTConnection.list_rw`."""
        return await self._once(lambda c: c.list_rw(ups))

    async def list_commands(self, ups: str) -> set[str]:
        """One-shot :meth:`NUTConnection.list_commands`."""
        return await self._once(lambda c: c.list_commands(ups))

    async def list_enum(self, ups: str, var: str) -> list[str]:
        """One-shot :meth:`NUTConnection.list_enum`."""
        return await self._once(lambda c: c.list_enum(ups, var))

    async def list_range(self, ups: str, var: str) -> list[tuple[str, str]]:
        """One-shot :meth:`NUTConnection.list_range`."""
        return await self._once(lambda c: c.list_range(ups, var))

    async def list_clients(self, ups: str) -> list[str]:
        """One-shot :meth:`NUTConnection.list_clients`."""
        return await self._once(lambda c: c.list_clients(ups))

    async def get_var(self, ups: str, var: str) -> str:
        """One-shot :meth:`NUTConnection.get_var`."""
        return await self._once(lambda c: c.get_var(ups, var))

    async def get_ups_description(self, ups: str) -> str:
        """One-shot :meth:`NUTConnection.get_ups_description`."""
        return await self._once(lambda c: c.get_ups_description(ups))

    async def get_var_description(self, ups: str, var: str) -> str:
        """One-shot :meth:`NUTConnection.get_var_description`."""
        return await self._once(lambda c: c.get_var_description(ups, var))

    async def get_command_description(self, ups: str, cmd: str) -> str:
        """One-shot :meth:`NUTConnection.get_command_description`."""
        return await self._once(lambda c: c.get_command_description(ups, cmd))

    async def get_type(self, ups: str, var: str) -> list[str]:
        """One-shot :meth:`NUTConnection.get_type`."""
        return await self._once(lambda c: c.get_type(ups, var))

    async def get_num_logins(self, ups: str) -> int:
        """One-shot :meth:`NUTConnection.get_num_logins`."""
        return await self._once(lambda c: c.get_num_logins(ups))

    async def set_var(self, ups: str, var: str, value: str) -> str | None:
        """One-shot :meth:`NUTConnection.set_var`."""
        return await self._once(lambda c: c.set_var(ups, var, value))

    async def run_command(self, ups: str, cmd: str, value: str | None = None) -> str | None:
        """One-shot :meth:`NUTConnection.run_command`."""
        return await self._once(lambda c: c.run_command(ups, cmd, value))

    async def set_var_tracked(self, ups: str, var: str, value: str) -> Outcome:
        """``SET VAR`` with TRACKING: sent once, then wait for the driver's outcome.

        Returns:
            :class:`Outcome` (``SENT`` when upsd has no TRACKING).

        Raises:
            NUTOutcomeUnknownError: sent, but no outcome within ``timeout``;
            NUTAuthError, NUTResponseError, NUTConnectionError, NUTTimeoutError: not carried out.
        """
        return await self._tracked(lambda c: c.set_var(ups, var, value))

    async def run_command_tracked(self, ups: str, cmd: str, value: str | None = None) -> Outcome:
        """``INSTCMD`` with TRACKING: sent once, then wait for the driver's outcome.

        Returns and raises as :meth:`set_var_tracked`.
        """
        return await self._tracked(lambda c: c.run_command(ups, cmd, value))

    async def _tracked(self, send: Callable[[NUTConnection], Awaitable[str | None]]) -> Outcome:
        """Connect, log in, ``SET TRACKING ON``, ``send`` once, poll the outcome; one deadline."""
        settings = self.settings
        sent = False
        try:
            async with asyncio.timeout(settings.timeout), NUTConnection(settings) as conn:
                tracking = await conn.enable_tracking()
                tracking_id = await send(conn)
                sent = True
                return await outcome_of(conn, tracking_id if tracking else None)
        except TimeoutError as err:
            if sent:
                raise NUTOutcomeUnknownError(
                    f"{settings.where} accepted the request; no outcome within {settings.timeout} s"
                ) from err
            raise timeout_error(settings.where, settings.timeout) from err
        except NUTTimeoutError as err:
            if sent:
                raise NUTOutcomeUnknownError(str(err)) from err
            raise

    async def check_credentials(self, ups: str) -> None:
        """One-shot :meth:`NUTConnection.check_credentials`."""
        await self._once(lambda c: c.check_credentials(ups))

    async def server_version(self) -> str:
        """One-shot :meth:`NUTConnection.server_version`."""
        return await self._once(lambda c: c.server_version())

    async def protocol_version(self) -> str:
        """One-shot :meth:`NUTConnection.protocol_version`."""
        return await self._once(lambda c: c.protocol_version())
