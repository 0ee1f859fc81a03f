"""Run a private upsd serving a simulated UPS until Ctrl-C: ``scripts/demo``."""

from __future__ import annotations

import contextlib
import signal
import threading

from tests.support.upsd import fixture_path, running_upsd


def main() -> None:
    """Start upsd with tests/fixtures/smart-ups.dev and wait for Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with running_upsd({"demo": fixture_path("smart-ups.dev")}) as server:
        print(f"upsd is serving UPS 'demo' on {server.host}:{server.port}")
        print(f"  admin user: {server.username} / {server.password}")
        print(f"  try: upsc demo@{server.host}:{server.port}")
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    print("stopped")


if __name__ == "__main__":
    main()
