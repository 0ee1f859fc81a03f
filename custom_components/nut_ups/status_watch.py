"""One StatusWatch per upsd and check interval, shared by every config entry that polls it.

A rack of UPSes behind one upsd thus costs one persistent connection and one pipelined round
trip per interval (:mod:`.nut.watch`), whatever the number of entries; the entries' full polls
go over that connection too. The watch starts with its first subscriber and stops, closing its
connection, when the last one leaves.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.core import HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .nut import ServerSettings, TLSMode
from .nut.session import NUTSession
from .nut.watch import CheckCallback, StatusWatch

type WatchKey = tuple[ServerSettings, int | None, float]
"""Server settings (credentials, timeout and TLS mode included), the SSL context's identity
when TLS is on, and the check interval in seconds."""


@dataclass(slots=True)
class _Running:
    watch: StatusWatch
    task: asyncio.Task[None]


WATCHES: HassKey[dict[WatchKey, _Running]] = HassKey(f"{DOMAIN}_status_watches")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A UPS's place in a shared status watch.

    Attributes:
        watch: the shared watch; its :attr:`~.nut.watch.StatusWatch.session` (:attr:`session`)
            is the persistent connection to upsd, which the entry's full polls use too, so a
            UPS costs no connection of its own (measured on loopback: about 0.1 ms of CPU less
            per ``LIST VAR`` than on a new connection; README, Performance).
        ups: the UPS name on upsd.
        unsubscribe: ends the subscription (and the watch, when it was the last); the session
            is closed with the watch.
    """

    watch: StatusWatch
    ups: str
    unsubscribe: Callable[[], None]

    @property
    def session(self) -> NUTSession:
        """The watch's persistent connection to upsd (see the class docstring)."""
        return self.watch.session

    def answered_at(self) -> float:
        """``time.monotonic()`` of upsd's last answer for the UPS to a check; -inf if none."""
        return self.watch.answered_at(self.ups)

    def expect(self, status: str) -> None:
        """Note the status the entry now holds (a full poll's): checks hand over any other."""
        self.watch.expect(self.ups, status)

    def repeat(self) -> None:
        """Have the next check's result handed over even if the status did not change."""
        self.watch.repeat(self.ups)


@callback
def async_watch_status(
    hass: HomeAssistant,
    settings: ServerSettings,
    interval: float,
    ups: str,
    on_result: CheckCallback,
) -> Subscription:
    """Have ``on_result`` called with ``ups``'s ``ups.status`` when it changes.

    The status is checked every ``interval`` seconds; ``on_result`` gets the first result, then
    each change and each failure (:class:`.nut.watch.StatusWatch`).

    Args:
        hass: Home Assistant, which holds the running watches and their tasks.
        settings: the server to check, as the entry's (anonymous) client has it.
        interval: seconds between checks.
        ups: the UPS name on upsd.
        on_result: called in the event loop with the status text or the NUTError of the check.

    Returns:
        The subscription: the watch's session, when upsd last answered, and the function that
        ends it.
    """
    running = hass.data.setdefault(WATCHES, {})
    key: WatchKey = (
        settings,
        id(settings.ssl_context) if settings.tls is not TLSMode.OFF else None,
        interval,
    )
    current = running.get(key)
    if current is None:
        watch = StatusWatch(NUTSession(settings), interval)
        task = hass.async_create_background_task(
            watch.run(), name=f"{DOMAIN} status watch {settings.where} every {interval} s"
        )
        current = running[key] = _Running(watch, task)
    remove = current.watch.subscribe(ups, on_result)

    @callback
    def unsubscribe() -> None:
        remove()
        if not current.watch.ups_names and running.get(key) is current:
            del running[key]
            current.task.cancel()

    return Subscription(current.watch, ups, unsubscribe)
