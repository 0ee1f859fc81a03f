"""A real TCP server on 127.0.0.1 that misbehaves on purpose, for faults upsd cannot produce."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib

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
        for writer in list(writers):
            writer.transport.abort()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.close()
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
