"""A real TCP server on 127.0.0.1 that misbehaves on purpose, for faults upsd cannot produce."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import concurrent.futures
import contextlib
import threading

type Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def fake_server(handler: Handler) -> AsyncIterator[int]:
    """Serve ``handler`` for each connection on a free loopback port; yield the port.

    Connections still open at exit are closed, and their handler tasks cancelled.
    """
    writers: set[asyncio.StreamWriter] = set()
    tasks: set[asyncio.Task[None]] = set()

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        writers.add(writer)
        try:
            await handler(reader, writer)
        except ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError:
            pass
        finally:
            writers.discard(writer)
            tasks.discard(task)
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        # Stop accepting first: a client that reconnects meanwhile (a status watch does, every
        # check) would otherwise hold wait_closed() for as long as it stays connected.
        server.close()
        for writer in list(writers):
            writer.transport.abort()
        server.abort_clients()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def replies(script: dict[bytes, bytes]) -> Handler:
    """A handler answering each request line (without LF) that starts with a key by its value."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            for prefix, answer in script.items():
                if line.startswith(prefix):
                    writer.write(answer)
                    await writer.drain()
                    break

    return handler


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and never answer."""
    await reader.read()


def closes_after(data: bytes) -> Handler:
    """Answer the first request with ``data``, then close the connection."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(data)
        await writer.drain()

    return handler


@contextlib.contextmanager
def fake_server_thread(handler: Handler) -> Iterator[int]:
    """Serve ``handler`` as :func:`fake_server` does, on an event loop of its own in a thread.

    For clients whose timing is measured (benchmarks/bench_faults.py): a server on the client's
    own loop would delay the client's timers whenever it works (building or writing a large
    reply). Yields the port on 127.0.0.1; at exit every connection and the server are closed and
    the thread is joined.

    Raises:
        RuntimeError: the server did not start, or its thread did not stop, within 10 s.
    """
    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future[int] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def serve() -> None:
        async with fake_server(handler) as port:
            started.set_result(port)
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as err:
            if not started.done():
                started.set_exception(err)
            raise
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="fake-nut", daemon=True)
    thread.start()
    try:
        try:
            port = started.result(timeout=10)
        except concurrent.futures.TimeoutError:
            raise RuntimeError("the fake server did not start within 10 s") from None
        yield port
    finally:
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        if thread.is_alive():
            raise RuntimeError("the fake server's thread did not stop within 10 s")


def drip(head: bytes, body: bytes, interval: float) -> Handler:
    """Slowloris: after the first request, drip ``head``, then ``body`` over and over, forever.

    One byte every ``interval`` seconds: each byte makes progress and every line is valid, but the reply never completes. Ends when
    the client goes away.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        data = head
        while True:
            for byte in data:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(interval)
            data = body

    return handler


def banner(greeting: bytes, farewell: bytes = b"") -> Handler:
    """Send ``greeting`` as soon as a client connects (as an SSH server sends its version).

    After the client's first line, send ``farewell`` and close, as OpenSSH does on an identification
    string that is not SSH (``b"Invalid SSH identification string.\\r\\n"``).
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await writer.drain()
        await reader.readline()
        writer.write(farewell)
        await writer.drain()

    return handler
