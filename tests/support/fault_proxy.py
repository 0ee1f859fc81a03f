"""A fault-injecting TCP proxy between a NUT client and a real upsd, for tests and soaks.

The proxy listens on a free port on 127.0.0.1 and forwards every connection to upsd. Requests
(client → upsd) always pass unchanged; faults hit connections and replies (upsd → client),
each with a probability that the caller may change at any time (:meth:`FaultProxy.configure`):

- ``reset``: a new connection is reset at once (RST, through ``SO_LINGER`` 0), before upsd
  sees it;
- ``stall``: a reply is held ``stall_seconds`` (set it past the client's timeout), then the
  connection is dropped (RST) without it;
- ``cut``: only a strict prefix of a reply, of random length, is forwarded, then the connection
  is closed (FIN): e.g. in the middle of a ``LIST``;
- anything else passes through byte for byte, as soon as it arrives.

The unit of the reply faults is one NUT reply — one line, or a whole ``LIST`` from its
``BEGIN LIST`` to its ``END LIST`` line — found in the byte stream however TCP cuts it (upsd sends
a LIST line by line), so the same seed injects the same faults whatever the timing. After
``OK STARTTLS`` the stream is TLS: each chunk received from upsd then counts as one reply.
Draws come from a ``random.Random`` seeded with ``(seed, connection number)``: one per
connection, one per reply and one more for a cut's length, so a run is reproducible from its seed
even with connections interleaved. :meth:`FaultProxy.pause` refuses (listener closed) or blackholes
(accepted, held in silence) new connections, e.g. while upsd restarts; :meth:`FaultProxy.resume`
lets them through again. :class:`FaultCounts` counts what was injected.

``async with FaultProxy(upsd_port) as proxy`` runs it on the caller's event loop;
:class:`FaultProxyThread` runs it on a loop of its own in a thread, for a client in another
process (a real ``hass``) or a blocking one. Every socket it opened is closed at exit. It never
blocks its loop: sockets are non-blocking and used through the loop's ``sock_*`` calls.
"""

import asyncio
from collections.abc import AsyncIterator
import contextlib
import dataclasses
from dataclasses import dataclass
import random
import socket
import struct
from types import TracebackType
from typing import Literal, Self

from tests.support.server_thread import ServerThread

type PauseMode = Literal["refuse", "blackhole"]

_CHUNK = 65536
_HEAD = 16  # bytes of a reply line enough to tell BEGIN LIST, END LIST and OK STARTTLS


@dataclass(frozen=True, slots=True)
class Faults:
    """Probabilities of each fault, each from 0 to 1; all 0 is a plain pass-through.

    Attributes:
        reset: per new connection, reset it at once (RST) instead of connecting to upsd.
        stall: per reply, hold it ``stall_seconds``, then drop the connection.
        cut: per reply, forward a strict prefix of it, then close the connection.
        stall_seconds: how long a stalled reply is held, in seconds; 6 s by default, past the
            client's default 5 s timeout.

    Raises:
        ValueError: a probability outside 0 to 1, ``stall + cut`` over 1, or a negative
            ``stall_seconds``.
    """

    reset: float = 0.0
    stall: float = 0.0
    cut: float = 0.0
    stall_seconds: float = 6.0

    def __post_init__(self) -> None:
        """Check the ranges."""
        for name in ("reset", "stall", "cut"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability from 0 to 1")
        if self.stall + self.cut > 1.0:
            raise ValueError("stall + cut must not exceed 1 (one fault per reply)")
        if self.stall_seconds < 0:
            raise ValueError("stall_seconds must not be negative")


@dataclass(slots=True)
class FaultCounts:
    """What the proxy saw and did, since it started.

    Attributes:
        connections: connections accepted from clients.
        passed: connections that ended without an injected fault.
        resets: connections reset at once (``reset``).
        stalls: replies held, after which the connection was dropped (``stall``).
        cuts: replies cut short, after which the connection was closed (``cut``).
        blackholed: connections accepted while paused in ``blackhole`` mode.
        upstream_errors: connections reset because upsd could not be reached (connect failed).
        replies: replies forwarded whole.
        request_bytes, reply_bytes: bytes forwarded to upsd and to clients.
    """

    connections: int = 0
    passed: int = 0
    resets: int = 0
    stalls: int = 0
    cuts: int = 0
    blackholed: int = 0
    upstream_errors: int = 0
    replies: int = 0
    request_bytes: int = 0
    reply_bytes: int = 0

    def copy(self) -> FaultCounts:
        """Return a snapshot that no longer changes."""
        return dataclasses.replace(self)


class FaultProxy:
    """The proxy on the caller's event loop: ``async with FaultProxy(port) as proxy``.

    Args:
        upstream_port: upsd's TCP port.
        upstream_host: upsd's address (127.0.0.1 by default).
        faults: the initial probabilities (all 0 by default).
        seed: seed of the draws (see the module's docstring).
        port: the port to listen on; 0 (default) picks a free one. :attr:`port` says which.

    Use it from its own loop only; :class:`FaultProxyThread` is the thread-safe front.
    """

    def __init__(
        self,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        *,
        faults: Faults | None = None,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        """Store the settings; nothing listens before ``async with`` (or :meth:`start`)."""
        self.upstream = (upstream_host, upstream_port)
        self.faults = faults or Faults()
        """The current probabilities; replace them with :meth:`configure`."""
        self.counts = FaultCounts()
        """Counters, updated live (take :meth:`FaultCounts.copy` for a snapshot)."""
        self.seed = seed
        self.port = port
        """Where the proxy listens on 127.0.0.1, once started."""
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sockets: set[socket.socket] = set()
        self._paused: PauseMode | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()

    @property
    def paused(self) -> PauseMode | None:
        """``"refuse"`` or ``"blackhole"`` while paused, else None."""
        return self._paused

    def configure(self, **changes: float) -> Faults:
        """Change some probabilities (or ``stall_seconds``) for the connections and replies to come.

        Args:
            **changes: fields of :class:`Faults`, e.g. ``configure(reset=0.1, cut=0.05)``.

        Returns:
            The new :class:`Faults`.

        Raises:
            ValueError, TypeError: an out-of-range value or an unknown field.
        """
        self.faults = dataclasses.replace(self.faults, **changes)
        return self.faults

    async def start(self) -> None:
        """Listen on 127.0.0.1 (:attr:`port`) and start accepting.

        Raises:
            OSError: the port cannot be bound.
        """
        self._listen()

    async def close(self) -> None:
        """Stop listening, end every connection and close every socket the proxy opened."""
        await self._stop_listening()
        self._resumed.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sock in list(self._sockets):
            sock.close()
        self._sockets.clear()

    async def __aenter__(self) -> Self:
        """Start the proxy; see :meth:`start`."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close everything; see :meth:`close`."""
        await self.close()

    async def pause(self, mode: PauseMode = "refuse") -> None:
        """Stop letting new connections through, as while upsd restarts or the network is down.

        Connections already open are not touched.

        Args:
            mode: ``"refuse"`` closes the listening socket, so a connect is refused (RST);
                ``"blackhole"`` still accepts but holds each new connection in silence (nothing
                read, upsd not contacted) until :meth:`resume`.

        Raises:
            ValueError: an unknown mode.
        """
        if mode not in ("refuse", "blackhole"):
            raise ValueError(f"unknown pause mode {mode!r}")
        if self._paused is None:
            self._resumed = asyncio.Event()
        self._paused = mode
        if mode == "refuse":
            await self._stop_listening()
        elif self._listener is None:
            self._listen()

    async def resume(self) -> None:
        """Let new connections through again; held (blackholed) ones go on to upsd now.

        Raises:
            OSError: the port could not be bound again (taken meanwhile by another program).
        """
        self._paused = None
        if self._listener is None:
            self._listen()
        self._resumed.set()

    # -- listening ------------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(128)
            listener.setblocking(False)
        except BaseException:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting = asyncio.get_running_loop().create_task(self._accept(listener))

    async def _stop_listening(self) -> None:
        # The accept must be over before the socket closes: a descriptor still registered with
        # the selector would confuse it when the number is reused by the next listener.
        if (accepting := self._accepting) is not None:
            self._accepting = None
            accepting.cancel()
            await asyncio.gather(accepting, return_exceptions=True)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, _ = await loop.sock_accept(listener)
            except OSError:
                await asyncio.sleep(0.01)  # EMFILE and the like: try again shortly
                continue
            client.setblocking(False)
            self._sockets.add(client)
            self.counts.connections += 1
            task = loop.create_task(self._connection(client, self.counts.connections))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # -- one connection -------------------------------------------------------------------------

    async def _connection(self, client: socket.socket, number: int) -> None:
        """Serve one accepted connection: maybe reset it, else pipe it to upsd with faults."""
        rng = random.Random(f"{self.seed}:{number}")
        upstream: socket.socket | None = None
        graceful = False
        try:
            if self._paused == "blackhole":
                self.counts.blackholed += 1
                await self._resumed.wait()
            if rng.random() < self.faults.reset:
                self.counts.resets += 1
                return  # closed with RST in finally
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            upstream.setblocking(False)
            self._sockets.add(upstream)
            try:
                await asyncio.get_running_loop().sock_connect(upstream, self.upstream)
            except OSError:
                self.counts.upstream_errors += 1
                return
            graceful = await self._pipe(client, upstream, rng)
        finally:
            if not graceful:
                _set_rst(client)
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()
                    self._sockets.discard(sock)

    async def _pipe(
        self, client: socket.socket, upstream: socket.socket, rng: random.Random
    ) -> bool:
        """Forward both ways until the exchange ends; True to close with FIN, False with RST."""
        loop = asyncio.get_running_loop()
        requests = loop.create_task(self._requests(client, upstream))
        replies = loop.create_task(self._replies(upstream, client, rng))
        try:
            done, _ = await asyncio.wait({requests, replies}, return_when=asyncio.FIRST_COMPLETED)
            if replies not in done and requests.result():
                await replies  # the client half-closed: let upsd finish answering
            return replies.done() and replies.result()
        finally:
            for task in (requests, replies):
                task.cancel()
            await asyncio.gather(requests, replies, return_exceptions=True)

    async def _requests(self, client: socket.socket, upstream: socket.socket) -> bool:
        """Client → upsd, unchanged. True when the client half-closed cleanly, False on an error."""
        loop = asyncio.get_running_loop()
        try:
            while data := await loop.sock_recv(client, _CHUNK):
                await loop.sock_sendall(upstream, data)
                self.counts.request_bytes += len(data)
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            return False
        return True

    async def _replies(
        self, upstream: socket.socket, client: socket.socket, rng: random.Random
    ) -> bool:
        """upsd → client, reply by reply, with the faults; True to close with FIN, False with RST.

        FIN after upsd's own close and after a cut; RST after a stall or a socket error.
        """
        loop = asyncio.get_running_loop()
        splitter = _ReplySplitter()
        doomed: bytearray | None = None  # the reply being collected to be cut
        try:
            while chunk := await loop.sock_recv(upstream, _CHUNK):
                out = bytearray()
                for piece, begins, ends in splitter.feed(chunk):
                    if begins:
                        draw, faults = rng.random(), self.faults
                        if draw < faults.stall:
                            await self._forward(client, out)
                            self.counts.stalls += 1
                            await asyncio.sleep(faults.stall_seconds)
                            return False  # dropped, the reply never sent
                        if draw < faults.stall + faults.cut:
                            doomed = bytearray()
                    if doomed is None:
                        out += piece
                        self.counts.replies += ends
                        continue
                    doomed += piece
                    if ends:
                        await self._cut(client, out, doomed, rng)
                        return True
                await self._forward(client, out)
            if doomed is not None:  # upsd closed inside the reply to cut
                await self._cut(client, b"", doomed, rng)
                return True
            client.shutdown(socket.SHUT_WR)
        except OSError:
            return False
        self.counts.passed += 1
        return True

    async def _forward(self, client: socket.socket, data: bytes | bytearray) -> None:
        if data:
            await asyncio.get_running_loop().sock_sendall(client, data)
            self.counts.reply_bytes += len(data)

    async def _cut(
        self, client: socket.socket, before: bytearray | bytes, reply: bytearray, rng: random.Random
    ) -> None:
        """Forward ``before`` and a strict prefix of ``reply`` (0 to all but 1 byte), then FIN."""
        self.counts.cuts += 1
        await self._forward(client, bytes(before) + reply[: rng.randrange(len(reply))])
        client.shutdown(socket.SHUT_WR)


class _ReplySplitter:
    """Finds where NUT replies begin and end in upsd's byte stream, however TCP cuts it.

    A reply is one line, or a LIST from its ``BEGIN LIST`` line to its ``END LIST`` line. After a
    reply ``OK STARTTLS`` the stream is TLS: from then on each chunk counts as one reply.
    """

    __slots__ = ("_first_line", "_fresh", "_head", "_in_list", "_tls")

    def __init__(self) -> None:
        self._fresh = True  # the next byte begins a reply
        self._first_line = True  # the current line is its reply's first
        self._in_list = False
        self._head = b""  # the current line's first bytes received so far
        self._tls = False

    def feed(self, chunk: bytes) -> list[tuple[bytes, bool, bool]]:
        """Cut ``chunk`` at reply boundaries: ``(piece, a reply begins with it, one ends with it)``."""
        if self._tls:
            return [(chunk, True, True)]
        pieces: list[tuple[bytes, bool, bool]] = []
        start = pos = 0
        while pos < len(chunk):
            begins, ends, self._fresh = self._fresh, False, False
            while pos < len(chunk) and not ends:
                lf = chunk.find(b"\n", pos)
                if lf < 0:
                    self._head = (self._head + chunk[pos : pos + _HEAD])[:_HEAD]
                    pos = len(chunk)
                    break
                head = (self._head + chunk[pos : min(lf, pos + _HEAD)])[:_HEAD]
                self._head, pos = b"", lf + 1
                if self._first_line:
                    self._first_line = False
                    self._in_list = head.startswith(b"BEGIN LIST")
                    ends = not self._in_list
                    self._tls = head.startswith(b"OK STARTTLS")
                elif self._in_list and head.startswith(b"END LIST"):
                    self._in_list, ends = False, True
            pieces.append((chunk[start:pos], begins, ends))
            start = pos
            if ends:
                self._fresh = self._first_line = True
                if self._tls:
                    if pos < len(chunk):
                        pieces.append((chunk[pos:], True, True))
                    break
        return pieces


def _set_rst(sock: socket.socket) -> None:
    """Make ``close()`` reset the connection (RST) instead of closing it (FIN)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class FaultProxyThread(ServerThread["FaultProxy"]):
    """A :class:`FaultProxy` on an event loop of its own in a thread; every method is thread-safe.

    For a client in another process (a real ``hass``) or a blocking one:
    ``with FaultProxyThread(upsd.port, seed=1) as proxy``, then ``proxy.port``. Leaving the block
    closes every socket and joins the thread.

    Args:
        upstream_port, upstream_host, faults, seed, port: as for :class:`FaultProxy`.

    Raises (on entry):
        RuntimeError: the proxy did not start within 10 s.
        OSError: the port cannot be bound.
    """

    def __init__(
        self,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        *,
        faults: Faults | None = None,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        """Prepare the proxy and its thread (not started yet)."""
        self.proxy = FaultProxy(upstream_port, upstream_host, faults=faults, seed=seed, port=port)
        super().__init__(self.proxy, self._serve_proxy, "the fault proxy")

    @contextlib.asynccontextmanager
    async def _serve_proxy(self) -> AsyncIterator[int]:
        async with self.proxy:
            yield self.proxy.port

    def configure(self, **changes: float) -> Faults:
        """:meth:`FaultProxy.configure`, from any thread."""
        return self.call(lambda proxy: proxy.configure(**changes))

    def counts(self) -> FaultCounts:
        """A consistent snapshot of the proxy's :class:`FaultCounts`."""
        return self.call(lambda proxy: proxy.counts.copy())

    def pause(self, mode: PauseMode = "refuse") -> None:
        """:meth:`FaultProxy.pause`, from any thread."""
        self.run(self.proxy.pause(mode))

    def resume(self) -> None:
        """:meth:`FaultProxy.resume`, from any thread."""
        self.run(self.proxy.resume())
