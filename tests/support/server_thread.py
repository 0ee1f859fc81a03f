"""ServerThread: an asyncio server on an event loop of its own, in a thread of the test process.

For a client in another process (a real ``hass``) or a blocking one. The simulated upsd
(tests/support/sim_upsd.py) and the fault proxy (tests/support/fault_proxy.py) both run this way.
"""

import asyncio
from collections.abc import Callable, Coroutine
import concurrent.futures
import contextlib
from contextlib import AbstractAsyncContextManager
import threading
from types import TracebackType
from typing import Any, Self

START_TIMEOUT = 10.0
"""Seconds to wait for the server to listen, for a call to run, and for the thread to end."""


class ServerThread[T]:
    """Run ``serve()`` (an async context manager yielding the port) on a loop in a thread.

    ``with runner:`` starts the thread and waits until the server listens (:attr:`port`);
    leaving the block closes the server and joins the thread. :meth:`call` and :meth:`run` reach
    ``target`` (the server's state) from any thread, on the server's loop.

    Args:
        target: what :meth:`call` hands its function.
        serve: returns the async context manager that serves and yields the port.
        name: the thread's name (and the server's, in messages).
    """

    def __init__(
        self,
        target: T,
        serve: Callable[[], AbstractAsyncContextManager[int]],
        name: str,
    ) -> None:
        """Prepare the loop and the thread (not started yet)."""
        self.target = target
        self.port = 0
        """Where the server listens on 127.0.0.1, once started."""
        self._serve = serve
        self._name = name
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._port: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as err:
            if not self._port.done():
                self._port.set_exception(err)
            raise
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with self._serve() as port:
            self._port.set_result(port)
            await self._stop.wait()

    def __enter__(self) -> Self:
        """Start the thread; wait until the server listens.

        Raises:
            RuntimeError: it did not listen within START_TIMEOUT seconds.
            OSError: the server could not bind its port.
        """
        self._thread.start()
        try:
            self.port = self._port.result(timeout=START_TIMEOUT)
        except concurrent.futures.TimeoutError:
            raise RuntimeError(f"{self._name} did not start within {START_TIMEOUT} s") from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the server and join the thread.

        Raises:
            RuntimeError: the thread did not stop within START_TIMEOUT seconds.
        """
        stop = self._stop
        if stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout=START_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError(f"{self._name}'s thread did not stop within {START_TIMEOUT} s")

    def call[R](self, function: Callable[[T], R]) -> R:
        """Run ``function(target)`` on the server's loop, between two events; return its result.

        Raises:
            TimeoutError: it did not run within START_TIMEOUT seconds. Whatever it raises.
        """

        async def run() -> R:
            return function(self.target)

        return self.run(run())

    def run[R](self, coroutine: Coroutine[Any, Any, R]) -> R:
        """Run ``coroutine`` on the server's loop and return its result (same errors)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=START_TIMEOUT)
