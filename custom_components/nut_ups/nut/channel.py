"""Byte channels under a NUT connection: a non-blocking TCP socket, and TLS over it.

Both use the event loop's ``sock_*`` calls directly: measured on loopback, this costs about 40 %
less CPU per poll than asyncio transports (benchmarks/bench_client.py). TLS after STARTTLS runs
``ssl.SSLObject`` over memory BIOs on the same socket. ``close()`` releases the descriptor at once.
"""

import asyncio
import contextlib
import ipaddress
import socket
import ssl

_RECV_SIZE = 65536
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def ip_family(host: str) -> socket.AddressFamily | None:
    """Return the address family of an IP address literal, or None for a host name."""
    try:
        version = ipaddress.ip_address(host).version
    except ValueError:
        return None
    return socket.AF_INET6 if version == 6 else socket.AF_INET


class SocketChannel:
    """A connected non-blocking TCP socket.

    Args:
        sock: a connected non-blocking socket (see :meth:`connect`).
        quickack: acknowledge what arrives at once, never delayed (see :meth:`connect`).
    """

    def __init__(self, sock: socket.socket, *, quickack: bool = False) -> None:
        """Wrap ``sock``."""
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._quickack = quickack and _TCP_QUICKACK is not None

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        family: socket.AddressFamily | None = None,
        *,
        quickack: bool = False,
    ) -> SocketChannel:
        """Connect to ``host:port``, trying each address a host name resolves to in turn.

        Args:
            host: an IP address or a host name.
            port: TCP port.
            family: the address family when ``host`` is an IP address (see
                :func:`ip_family`); None resolves ``host`` in the executor.
            quickack: for a connection kept open (Linux): upsd writes each reply of a
                pipelined request on its own, without ``TCP_NODELAY``, so its Nagle holds the
                second reply until the first is acknowledged, and on an established
                connection Linux delays that ACK by up to 40 ms. ``TCP_QUICKACK`` before each
                read acknowledges at once. Measured on loopback, 100 pipelined ``GET VAR``
                asked back to back: 44 ms a round without, 0.5 ms with; asked every 0.4 s (the
                status checks' default) the kernel did not delay, 0.9-1.3 ms either way. A new
                connection acknowledges quickly anyway.

        Raises:
            OSError: no address accepted the connection (the last address's error), or the host
                name does not resolve (``socket.gaierror``).
        """
        loop = asyncio.get_running_loop()
        if family is not None:
            addresses: list[tuple[socket.AddressFamily, tuple[str, int]]] = [(family, (host, port))]
        else:  # a host name: resolve it in the executor, never on the loop
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [(info[0], (str(info[4][0]), int(info[4][1]))) for info in infos]
        error: OSError = OSError(f"{host} has no address")
        for address_family, address in addresses:
            sock = socket.socket(address_family, socket.SOCK_STREAM)
            try:
                sock.setblocking(False)
                # Requests are single small writes; without this, a request written while the
                # previous reply's ACK is delayed waits for it (Nagle: about 40 ms on Linux).
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.sock_connect(sock, address)
            except OSError as err:
                sock.close()
                error = err
                continue
            except BaseException:
                sock.close()
                raise
            return cls(sock, quickack=quickack)
        raise error

    async def recv(self) -> bytes:
        """Return the next received bytes; ``b""`` when the server closed the connection.

        A full buffer means more is probably waiting: ``sock_recv`` would then return at once
        every time without giving the event loop a turn, and a server flooding a long ``LIST``
        could hold the loop, and outrun the caller's deadline, for as long as it keeps
        sending. So the loop gets a turn after each full read (benchmarks/bench_faults.py).
        """
        if self._quickack:  # the kernel clears it again: set before every read
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)  # type: ignore[arg-type]
        data = await self._loop.sock_recv(self._sock, _RECV_SIZE)
        if len(data) == _RECV_SIZE:
            await asyncio.sleep(0)
        return data

    async def send(self, data: bytes) -> None:
        """Send all of ``data``."""
        await self._loop.sock_sendall(self._sock, data)

    def send_nowait(self, data: bytes) -> None:
        """Send what the socket takes now without waiting; errors are ignored (best effort)."""
        with contextlib.suppress(OSError):
            self._sock.send(data)

    def close(self) -> None:
        """Close the socket; the descriptor is released at once."""
        self._sock.close()


class TLSChannel:
    """TLS (after STARTTLS) over a :class:`SocketChannel`, with ``ssl.SSLObject`` memory BIOs."""

    def __init__(self, raw: SocketChannel, context: ssl.SSLContext, server_hostname: str) -> None:
        """Prepare TLS over ``raw``; call :meth:`handshake` before anything else."""
        self._raw = raw
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(
            self._incoming, self._outgoing, server_hostname=server_hostname
        )

    async def handshake(self) -> None:
        """Run the TLS handshake, verifying the certificate as the context says.

        Raises:
            ssl.SSLError: handshake or certificate failure; ConnectionError: closed meanwhile.
        """
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush()
                await self._pull()
        await self._flush()

    async def _flush(self) -> None:
        if pending := self._outgoing.read():
            await self._raw.send(pending)

    async def _pull(self) -> None:
        data = await self._raw.recv()
        if not data:
            raise ConnectionResetError("connection closed during the TLS handshake")
        self._incoming.write(data)

    @property
    def version(self) -> str | None:
        """The negotiated TLS version, e.g. ``"TLSv1.3"``."""
        return self._tls.version()

    async def recv(self) -> bytes:
        """Return the next decrypted bytes; ``b""`` when the server closed the connection."""
        while True:
            try:
                data = self._tls.read(_RECV_SIZE)
            except ssl.SSLWantReadError:
                await self._flush()
                raw = await self._raw.recv()
                if not raw:
                    return b""
                self._incoming.write(raw)
            else:  # b"" after the server's close_notify
                await self._flush()
                return data

    async def send(self, data: bytes) -> None:
        """Encrypt and send all of ``data``."""
        self._tls.write(data)
        await self._flush()

    def send_nowait(self, data: bytes) -> None:
        """Encrypt and send ``data`` without waiting (best effort)."""
        with contextlib.suppress(ssl.SSLError):
            self._tls.write(data)
        self._raw.send_nowait(self._outgoing.read())

    def close(self) -> None:
        """Close the underlying socket at once (no TLS close_notify exchange)."""
        self._raw.close()


type Channel = SocketChannel | TLSChannel
