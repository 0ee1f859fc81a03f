"""NUTSession: one persistent connection to upsd, shared by everything that checks it often.

A status check every fraction of a second per UPS cannot afford a TCP handshake each time, nor a
round trip per UPS when one upsd serves a rack of them. A session keeps one connection open
(``TCP_NODELAY``, so a small request never waits for a delayed ACK) and sends the checks of all
its UPSes in one pipelined write (:meth:`NUTConnection.get_vars`). Any fault aborts the
connection; the next call opens a new one. Reads are idempotent, so a call that finds its reused
connection closed by the server (idle, restarted) retries once on a fresh connection, within the
same deadline.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from .connection import NUTConnection
from .exceptions import NUTConnectionError, NUTResponseError, timeout_error
from .settings import ServerSettings


class NUTSession:
    """A persistent, anonymous-or-authenticated connection to one upsd, opened on demand.

    Calls are serialised (one exchange in flight at a time) and each is bounded by the settings'
    ``timeout`` in seconds, connecting and waiting for the calls before it included. Use from
    one event loop.

    Args:
        settings: where upsd is, credentials, timeout and TLS (:class:`ServerSettings`).
    """

    def __init__(self, settings: ServerSettings) -> None:
        """Prepare the session; nothing is connected until the first call."""
        self.settings = settings
        self._conn: NUTConnection | None = None
        self._lock = asyncio.Lock()
        self.connects = 0
        """How many connections the session opened so far (diagnostics, benchmarks)."""

    @property
    def connected(self) -> bool:
        """Whether a connection is open now."""
        return self._conn is not None

    async def get_vars(self, requests: Sequence[tuple[str, str]]) -> list[str | NUTResponseError]:
        """Pipelined ``GET VAR`` of ``(ups, variable)`` pairs; see :meth:`NUTConnection.get_vars`.

        Returns:
            Per request, in order: the value, or the ``NUTResponseError`` upsd answered.

        Raises:
            NUTConnectionError, NUTTimeoutError, NUTProtocolError, NUTTLSError, NUTAuthError:
                the connection failed; it is closed, and the next call reconnects.
        """
        if not requests:
            return []
        return await self._call(lambda conn: conn.get_vars(requests))

    async def list_vars(self, ups: str) -> dict[str, str]:
        """``LIST VAR <ups>`` on the session's connection; see :meth:`NUTConnection.list_vars`."""
        return await self._call(lambda conn: conn.list_vars(ups))

    async def _call[T](self, call: Callable[[NUTConnection], Awaitable[T]]) -> T:
        """Run ``call`` after the calls before it, all within one ``timeout`` (the wait too)."""
        settings = self.settings
        try:
            async with asyncio.timeout(settings.timeout), self._lock:
                return await self._exchange(call)
        except TimeoutError as err:
            raise timeout_error(settings.where, settings.timeout) from err

    async def _exchange[T](self, call: Callable[[NUTConnection], Awaitable[T]]) -> T:
        """Run ``call`` (the lock held); drop the connection unless it is still in step."""
        try:
            conn, reused = await self._connection()
            try:
                return await call(conn)
            except NUTConnectionError:
                if not reused:
                    raise
            # The server closed an idle or old connection: once more, on a new one.
            self._drop()
            conn, _ = await self._connection()
            return await call(conn)
        except NUTResponseError:
            raise  # an ERR reply: the connection is still in step
        except BaseException:
            self._drop()  # broken, timed out or cancelled mid-exchange: state unknown
            raise

    async def _connection(self) -> tuple[NUTConnection, bool]:
        """Return the open connection and True, or a new one and False."""
        if self._conn is not None:
            return self._conn, True
        conn = NUTConnection(self.settings)
        await conn.__aenter__()
        self._conn = conn
        self.connects += 1
        return conn, False

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.abort()
            self._conn = None

    def close(self) -> None:
        """Send LOGOUT and close the connection, if one is open; the session can open another."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
