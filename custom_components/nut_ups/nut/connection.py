"""One short-lived connection to upsd: connect, optional STARTTLS and login, commands, LOGOUT.

Every method sends one request and reads its complete reply within one deadline (the client's
``timeout`` in seconds, or the remaining time of a one-shot call, whichever ends first). Request and
reply forms are those of NUT's docs/net-protocol.txt.
"""

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
import functools
import logging
import ssl
from types import TracebackType
from typing import Self
import weakref

from .channel import Channel, SocketChannel, TLSChannel
from .exceptions import (
    NUTAuthError,
    NUTConnectionError,
    NUTError,
    NUTProtocolError,
    NUTResponseError,
    NUTTLSError,
    response_error,
    timeout_error,
)
from .lines import LineBuffer
from .protocol import MAX_LINE, decode_line, encode_request, split_item, split_words
from .settings import ServerSettings
from .tls import TLSMode

_LOGGER = logging.getLogger(__package__)

MAX_LIST_ITEMS = 250_000
"""A LIST reply with more items than this is refused as a protocol error (memory bound)."""

_CREDENTIAL_PROBE_VAR = "nut_ups.credential.probe"
_NO_DEADLINE: AbstractAsyncContextManager[object] = nullcontext()
_TLS_UNAVAILABLE = frozenset({"FEATURE-NOT-CONFIGURED", "FEATURE-NOT-SUPPORTED"})


class NUTConnection:
    """An open connection to upsd, used as ``async with client.connect() as conn``.

    Leaving the ``async with`` block sends LOGOUT and closes the socket on success, and aborts it
    on any error or cancellation; a connection whose reply was cut short (timeout, protocol
    error) is aborted at once and cannot be used again.
    """

    def __init__(self, settings: ServerSettings, *, one_shot: bool = False) -> None:
        """Prepare a connection; nothing is opened until ``async with``.

        Args:
            settings: host, port, credentials, timeout and TLS mode.
            one_shot: the caller bounds the whole connection with one deadline and sends exactly
                one command, which then carries LOGOUT in the same write (upsd answers pipelined
                requests in order, docs/net-protocol.txt).
        """
        self._settings = settings
        self._one_shot = one_shot
        self._channel: Channel | None = None
        self._lines = LineBuffer()
        self._broken = False
        self._logout_sent = False
        self._guard = _Guard(self, settings)
        # The last get_vars request, its reply lines and its results (see get_vars).
        self._last_get_vars: tuple[bytes, list[bytes], list[str | NUTResponseError]] | None = None

    async def __aenter__(self) -> Self:
        """Connect, run STARTTLS if configured, and send USERNAME/PASSWORD if given.

        Raises:
            NUTConnectionError, NUTTLSError, NUTTimeoutError, NUTAuthError: as the step fails.
        """
        try:
            await self._open()
        except BaseException:
            self._abort()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """LOGOUT and close after success; abort after an error."""
        if exc_type is None:
            self.close()
        else:
            self._abort()

    @property
    def tls_version(self) -> str | None:
        """The TLS version negotiated by STARTTLS (``"TLSv1.3"``), or None for plain text."""
        channel = self._channel
        return channel.version if isinstance(channel, TLSChannel) else None

    def close(self) -> None:
        """Send LOGOUT (unless already sent; without waiting for its reply) and close the socket."""
        channel = self._channel
        if channel is None:
            return
        self._channel = None
        if not (self._broken or self._logout_sent):
            channel.send_nowait(b"LOGOUT\n")
        channel.close()

    def abort(self) -> None:
        """Close the socket at once, without LOGOUT; the connection cannot be used again."""
        self._abort()

    def _abort(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._broken = True

    def _timeout(self) -> AbstractAsyncContextManager[object]:
        """Return the deadline of one operation; none of its own when the one-shot caller set one."""
        if self._one_shot:
            return _NO_DEADLINE
        return asyncio.timeout(self._settings.timeout)

    async def _open(self) -> None:
        settings = self._settings
        with self._guard:
            async with self._timeout():
                self._channel = await SocketChannel.connect(
                    settings.host, settings.port, settings.family, quickack=not self._one_shot
                )
                if settings.tls is not TLSMode.OFF:
                    await self._starttls()
                credentials = [
                    (keyword, value)
                    for keyword, value in (
                        ("USERNAME", settings.username),
                        ("PASSWORD", settings.password),
                    )
                    if value is not None
                ]
                if credentials:  # both in one write; upsd answers them in order
                    await self._send(b"".join(encode_request(k, [v]) for k, v in credentials))
                    for keyword, _ in credentials:
                        reply = await self._read_reply()
                        if not reply.startswith("OK"):
                            raise _protocol_error(keyword, reply)

    async def _starttls(self) -> None:
        settings = self._settings
        await self._send(b"STARTTLS\n")
        try:
            reply = await self._read_reply()
        except NUTResponseError as err:
            if settings.tls is TLSMode.TRY and err.code in _TLS_UNAVAILABLE:
                return
            raise NUTTLSError(f"upsd refused STARTTLS: {err}") from err
        if not reply.startswith("OK STARTTLS"):
            raise NUTProtocolError(f"unexpected reply to STARTTLS: {reply[:80]!r}")
        assert isinstance(self._channel, SocketChannel)
        context = settings.ssl_context or ssl.create_default_context()
        channel = TLSChannel(self._channel, context, settings.host)
        self._channel = channel
        await channel.handshake()

    # -- request/reply --------------------------------------------------------------------------

    async def _send(self, request: bytes, *, command: bool = False) -> None:
        """Write ``request``; a one-shot connection's command carries LOGOUT with it."""
        if self._broken:
            raise NUTConnectionError("connection is closed after an earlier failure")
        if self._channel is None:
            raise NUTConnectionError("connection is not open: use `async with client.connect()`")
        if command and self._one_shot:
            if self._logout_sent:
                raise NUTConnectionError("a one-shot connection carries a single command")
            request += b"LOGOUT\n"
            self._logout_sent = True
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug("%s <- %s", self._settings.where, redact_request(request))
        await self._channel.send(request)

    async def _receive(self) -> None:
        """Wait for more bytes from the server into the line buffer.

        Raises:
            NUTConnectionError: the server closed the connection.
        """
        assert self._channel is not None
        data = await self._channel.recv()
        if not data:
            raise NUTConnectionError(f"connection closed by the server {self._settings.where}")
        self._lines.feed(data)

    async def _read_line(self) -> bytes:
        """Read one raw reply line (without its LF), logged at debug level."""
        while (item := self._lines.next_line()) is None:
            await self._receive()
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug("%s -> %s", self._settings.where, decode_line(item)[:200])
        return item

    async def _read_reply(self) -> str:
        """Read one reply line; ``ERR`` replies raise their :class:`NUTResponseError`."""
        line = decode_line(await self._read_line())
        if line.startswith("ERR"):
            raise _error_from(line)
        return line

    async def _request(self, keywords: str, *args: str) -> str:
        """Send one command and return its one-line reply (``ERR`` raises)."""
        with self._guard:
            request = encode_request(keywords, args)
            async with self._timeout():
                await self._send(request, command=True)
                return await self._read_reply()

    async def _simple(self, keywords: str, *args: str) -> str:
        """Send a command whose only good reply is a line starting with ``OK``; return it."""
        reply = await self._request(keywords, *args)
        if not reply.startswith("OK"):
            with self._guard:
                raise _protocol_error(keywords, reply)
        return reply

    async def _get(self, what: str, *args: str) -> list[str]:
        """``GET <what> args`` → the reply's words after the echoed ``<what> args``."""
        reply = await self._request(f"GET {what}", *args)
        with self._guard:  # a malformed reply leaves the stream in an unknown state
            words = split_words(reply)
            if len(words) <= len(args) or words[0] != what:
                raise _protocol_error(f"GET {what}", reply)
            return words[len(args) + 1 :]

    async def _list(self, what: str, *args: str, fields: int) -> list[list[str]]:
        """``LIST <what> args`` → one list of words per item line (item keyword dropped).

        Args:
            what: the list kind, e.g. ``"VAR"``.
            *args: its arguments (UPS name, variable).
            fields: how many words each item holds after its keyword (e.g. 3 for
                ``VAR <ups> <var> "<value>"``).
        """
        items: list[list[str]] = []
        with self._guard:
            request = encode_request(f"LIST {what}", args)
            async with self._timeout():
                await self._send(request, command=True)
                first = await self._read_reply()
                if not first.startswith("BEGIN LIST"):
                    raise _protocol_error(f"LIST {what}", first)
                # Lines are taken from the buffer in batches; await only when it runs dry.
                lines = self._lines
                while True:
                    batch = lines.take_lines()
                    if not batch:
                        await self._receive()
                        continue
                    for index, raw in enumerate(batch):
                        if raw.startswith(b"END LIST"):
                            lines.unread(batch[index + 1 :])
                            _LOGGER.debug(
                                "%s -> END LIST %s: %d items",
                                self._settings.where,
                                what,
                                len(items),
                            )
                            return items
                        words = split_item(raw, fields + 1)
                        if len(words) != fields + 1:
                            if len(raw) >= MAX_LINE and len(words) == fields:
                                words.append("")  # the value itself was cut off
                            else:
                                raise _protocol_error(f"LIST {what}", decode_line(raw))
                        del words[0]
                        items.append(words)
                    if len(items) > MAX_LIST_ITEMS:
                        raise NUTProtocolError(f"LIST {what} has over {MAX_LIST_ITEMS} items")

    # -- public commands ------------------------------------------------------------------------

    async def list_ups(self) -> dict[str, str]:
        """``LIST UPS`` → ``{ups name: description}`` for every UPS upsd serves."""
        return {item[0]: item[1] for item in await self._list("UPS", fields=2)}

    async def list_vars(self, ups: str) -> dict[str, str]:
        """``LIST VAR <ups>`` → ``{variable: value}``, values unescaped text (units per nut-names).

        Raises:
            NUTUnknownUPSError, NUTDataUnavailableError: as upsd answers.

        """
        return {var: value for _, var, value in await self._list("VAR", ups, fields=3)}

    async def list_rw(self, ups: str) -> dict[str, str]:
        """``LIST RW <ups>`` → ``{writable variable: value}``."""
        return {var: value for _, var, value in await self._list("RW", ups, fields=3)}

    async def list_commands(self, ups: str) -> set[str]:
        """``LIST CMD <ups>`` → the names of the instant commands the driver supports."""
        return {cmd for _, cmd in await self._list("CMD", ups, fields=2)}

    async def list_enum(self, ups: str, var: str) -> list[str]:
        """``LIST ENUM <ups> <var>`` → the values an enumerated writable variable accepts."""
        return [value for _, _, value in await self._list("ENUM", ups, var, fields=3)]

    async def list_range(self, ups: str, var: str) -> list[tuple[str, str]]:
        """``LIST RANGE <ups> <var>`` → ``[(minimum, maximum), ...]`` as text."""
        return [(low, high) for _, _, low, high in await self._list("RANGE", ups, var, fields=4)]

    async def list_clients(self, ups: str) -> list[str]:
        """``LIST CLIENT <ups>`` → addresses of the clients logged in to ``ups`` (upsmon)."""
        return [address for _, address in await self._list("CLIENT", ups, fields=2)]

    async def get_var(self, ups: str, var: str) -> str:
        """``GET VAR <ups> <var>`` → the value as text.

        Raises:
            NUTResponseError: ``VAR-NOT-SUPPORTED`` when the UPS does not report ``var``.

        """
        return _single(await self._get("VAR", ups, var), "GET VAR")

    async def get_vars(self, requests: Sequence[tuple[str, str]]) -> list[str | NUTResponseError]:
        """Pipelined ``GET VAR``: every ``(ups, variable)`` in one write, replies read in order.

        upsd answers each request line in turn (docs/net-protocol.txt), so N variables cost one
        round trip instead of N.

        Args:
            requests: ``(ups, variable)`` pairs, e.g. ``[("rack1", "ups.status")]``.

        Returns:
            One item per request, in order: the value as text, or the ``NUTResponseError`` of
            its ``ERR`` reply (``UNKNOWN-UPS``, ``DATA-STALE``…), returned rather than raised so
            that one UPS's error does not hide the others' values.

        Raises:
            NUTConnectionError, NUTTimeoutError, NUTProtocolError: the exchange broke; the
                connection is aborted.
        """
        if not requests:
            return []
        results: list[str | NUTResponseError] = []
        lines: list[bytes] = []
        with self._guard:
            request = _get_var_lines(tuple(requests))
            # The status checks repeat one request and the answers rarely change: a line that
            # reads as it did last time for the same request holds the same value, unparsed.
            last = self._last_get_vars
            last_lines, last_results = (
                last[1:] if last is not None and last[0] == request else ((), ())
            )
            async with self._timeout():
                await self._send(request, command=True)
                for index, (ups, var) in enumerate(requests):
                    raw = await self._read_line()
                    lines.append(raw)
                    if (
                        index < len(last_lines)
                        and raw == last_lines[index]
                        and isinstance(value := last_results[index], str)
                    ):
                        results.append(value)
                        continue
                    reply = decode_line(raw)
                    if reply.startswith("ERR"):
                        results.append(_error_from(reply))
                        continue
                    words = split_words(reply)
                    if words[:3] != ["VAR", ups, var] or len(words) != 4:
                        raise _protocol_error("GET VAR", reply)
                    results.append(words[3])
        self._last_get_vars = (request, lines, results)
        return results

    async def get_ups_description(self, ups: str) -> str:
        """``GET UPSDESC <ups>`` → the ``desc`` set in ups.conf (``Unavailable`` if none)."""
        return _single(await self._get("UPSDESC", ups), "GET UPSDESC")

    async def get_var_description(self, ups: str, var: str) -> str:
        """``GET DESC <ups> <var>`` → upsd's description of a variable."""
        return _single(await self._get("DESC", ups, var), "GET DESC")

    async def get_command_description(self, ups: str, cmd: str) -> str:
        """``GET CMDDESC <ups> <cmd>`` → upsd's description of an instant command."""
        return _single(await self._get("CMDDESC", ups, cmd), "GET CMDDESC")

    async def get_type(self, ups: str, var: str) -> list[str]:
        """``GET TYPE <ups> <var>`` → e.g. ``["RW", "STRING:64"]``, ``["ENUM"]``, ``["NUMBER"]``."""
        return await self._get("TYPE", ups, var)

    async def get_num_logins(self, ups: str) -> int:
        """``GET NUMLOGINS <ups>`` → how many clients (upsmon) are logged in to ``ups``."""
        value = _single(await self._get("NUMLOGINS", ups), "GET NUMLOGINS")
        if not value.isdigit():
            raise NUTProtocolError(f"NUMLOGINS is not a number: {value[:40]!r}")
        return int(value)

    async def set_var(self, ups: str, var: str, value: str) -> str | None:
        """``SET VAR <ups> <var> "<value>"``; needs credentials with SET rights.

        ``OK`` only means upsd passed the request to the driver (docs/net-protocol.txt).

        Returns:
            The tracking ID of ``OK TRACKING <id>`` (after :meth:`enable_tracking`), else None.

        Raises:
            NUTAuthError: missing credentials or rights; NUTResponseError: READONLY, INVALID-VALUE…

        """
        return _tracking_id(await self._simple("SET VAR", ups, var, value))

    async def run_command(self, ups: str, cmd: str, value: str | None = None) -> str | None:
        """``INSTCMD <ups> <cmd> ["<value>"]``: run an instant command; needs INSTCMD rights.

        Returns:
            The tracking ID of ``OK TRACKING <id>`` (after :meth:`enable_tracking`), else None.

        Raises:
            NUTAuthError: missing credentials or rights; NUTResponseError: CMD-NOT-SUPPORTED…

        """
        args = (ups, cmd) if value is None else (ups, cmd, value)
        return _tracking_id(await self._simple("INSTCMD", *args))

    async def enable_tracking(self) -> bool:
        """``SET TRACKING ON``: later SET VAR and INSTCMD replies carry a tracking ID.

        Returns:
            False when upsd does not know TRACKING (before NUT 2.8.0), True otherwise.
        """
        try:
            await self._simple("SET TRACKING", "ON")
        except NUTAuthError:
            raise
        except NUTResponseError:
            return False
        return True

    async def get_tracking(self, tracking_id: str) -> str:
        """``GET TRACKING <id>`` → ``"PENDING"``, ``"SUCCESS"`` or ``"FAILURE"``.

        Raises:
            NUTResponseError: ``UNKNOWN`` when upsd has no such ID (expired or never issued).
        """
        reply = await self._request("GET TRACKING", tracking_id)
        return reply.strip().upper()

    async def check_credentials(self, ups: str) -> None:
        """Check the configured username and password without changing anything.

        upsd answers OK to USERNAME/PASSWORD whatever they are; a SET of a variable that does not
        exist reveals them: ACCESS-DENIED (bad credentials, or no SET right) vs VAR-NOT-SUPPORTED.

        Raises:
            NUTAuthError: the credentials are wrong, missing, or lack SET rights.
            NUTUnknownUPSError: ``ups`` does not exist.

        """
        try:
            await self.set_var(ups, _CREDENTIAL_PROBE_VAR, "0")
        except NUTAuthError:
            raise
        except NUTResponseError as err:
            if err.code in {"VAR-NOT-SUPPORTED", "VAR-UNKNOWN", "INVALID-ARGUMENT"}:
                return
            raise
        # upsd accepted a SET of a variable no driver has: it cannot have checked anything.
        raise NUTProtocolError("upsd accepted a SET of a variable that does not exist")

    async def server_version(self) -> str:
        """``VER`` → upsd's version banner, e.g. ``Network UPS Tools upsd 2.8.0 - ...``."""
        return await self._request("VER")

    async def protocol_version(self) -> str:
        """``NETVER`` → the network protocol version, e.g. ``1.3``."""
        return await self._request("NETVER")


class _Guard:
    """Maps OS, TLS and timeout errors to NUTError, aborting the socket after a broken exchange.

    A class rather than a generator context manager: it runs on every command. It holds its
    connection weakly, so that a connection is freed by reference counting when dropped, not
    left as a cycle to the garbage collector (one per poll).
    """

    __slots__ = ("_conn", "_settings")

    def __init__(self, conn: NUTConnection, settings: ServerSettings) -> None:
        self._conn = weakref.ref(conn)
        self._settings = settings

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, NUTResponseError):
            return  # success, or an ERR reply: the connection is still in step
        if not isinstance(exc, Exception):
            return  # cancellation: __aexit__ aborts the connection
        if (conn := self._conn()) is not None:
            conn._abort()  # noqa: SLF001 - the guard is part of the connection
        settings = self._settings
        where = settings.where
        if isinstance(exc, NUTError):
            return
        if isinstance(exc, TimeoutError):
            raise timeout_error(where, settings.timeout) from exc
        if isinstance(exc, ssl.SSLError):
            raise NUTTLSError(f"TLS with {where} failed: {exc}") from exc
        if isinstance(exc, OSError):
            raise NUTConnectionError(f"cannot talk to {where}: {exc}") from exc


def redact_request(request: bytes) -> str:
    """Return request lines as text for a log, with USERNAME and PASSWORD arguments hidden.

    Args:
        request: one or more LF-terminated request lines as sent.

    Returns:
        The lines joined by ``" | "``, e.g. ``"USERNAME *** | PASSWORD *** | LOGOUT"``.
    """
    shown = []
    for line in request.decode("ascii", "replace").splitlines():
        keyword = line.partition(" ")[0].upper()
        shown.append(f"{keyword} ***" if keyword in {"USERNAME", "PASSWORD"} else line)
    return " | ".join(shown)


@functools.lru_cache(maxsize=64)
def _get_var_lines(requests: tuple[tuple[str, str], ...]) -> bytes:
    """Encode the lines of a pipelined GET VAR; cached, as status checks repeat them."""
    return b"".join(encode_request("GET VAR", pair) for pair in requests)


def _tracking_id(reply: str) -> str | None:
    words = reply.split()
    return words[2] if len(words) == 3 and words[1] == "TRACKING" else None


def _error_from(line: str) -> NUTResponseError:
    _, _, rest = line.partition(" ")
    code, _, detail = rest.strip().partition(" ")
    return response_error(code or "UNKNOWN", detail.strip())


def _protocol_error(request: str, reply: str) -> NUTProtocolError:
    return NUTProtocolError(f"unexpected reply to {request}: {reply[:80]!r}")


def _single(words: list[str], request: str) -> str:
    if len(words) != 1:
        raise NUTProtocolError(f"unexpected reply to {request}: {words[:4]!r}")
    return words[0]
