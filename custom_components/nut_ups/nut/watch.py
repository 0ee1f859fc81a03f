"""StatusWatch: one variable of many UPSes on one upsd, checked together at a fixed rate.

Every ``interval`` seconds a single pipelined write asks upsd for ``ups.status`` of every
subscribed UPS (:meth:`NUTSession.get_vars`), and each subscriber's callback gets its UPS's
answer when it differs from the status the subscriber holds. A rack of UPSes behind one upsd thus
costs one round trip per interval, not one connection per UPS, and a UPS whose status holds
costs no call at all.
"""

import asyncio
from collections.abc import Callable, Sequence
import logging
import math
import time

from .exceptions import NUTError
from .session import NUTSession

_LOGGER = logging.getLogger(__package__)

STATUS_VAR = "ups.status"
"""The variable a watch checks by default, and the integration at every status interval
(docs/nut-names.txt)."""

type CheckResult = str | NUTError
"""The variable's value, or why it could not be read (an ERR reply, or the whole exchange's
failure, e.g. :class:`NUTConnectionError`)."""
type CheckCallback = Callable[[CheckResult], None]


class StatusWatch:
    """Checks ``var`` of every subscribed UPS every ``interval`` seconds, in one exchange.

    A UPS's subscribers are called with its first result, then only with a value other than
    the one they hold: the last one handed over, or the one a subscriber said it holds since
    (:meth:`expect`, e.g. what a full ``LIST VAR`` read). A failure, a :class:`NUTError`, is
    always handed over, and so is the next result after :meth:`repeat`. The UPS's subscribers
    share what they hold (one per UPS in practice). :meth:`answered_at` says when upsd last
    answered for a UPS, whether or not that answer was handed over.

    Args:
        session: the persistent connection to upsd it checks through.
        interval: seconds from the start of one check to the start of the next; a check that
            takes longer skips the ticks it overran rather than bunching them.
        var: the variable, ``ups.status`` by default (docs/nut-names.txt).
    """

    def __init__(self, session: NUTSession, interval: float, var: str = STATUS_VAR) -> None:
        """Prepare the watch; :meth:`run` starts checking."""
        self.session = session
        self.interval = interval
        self.var = var
        self.checks = 0
        """Completed check rounds (diagnostics, benchmarks)."""
        self._subscribers: dict[str, list[CheckCallback]] = {}
        self._handed: dict[str, CheckResult] = {}  # what each UPS's subscribers hold
        self._answered: dict[str, float] = {}  # time.monotonic() of upsd's last value, per UPS

    def subscribe(self, ups: str, callback: CheckCallback) -> Callable[[], None]:
        """Call ``callback(result)`` with ``ups``'s next answer, then whenever it changes.

        The UPS's other subscribers get that next answer again too.

        Returns:
            A function that removes the subscription.
        """
        self._subscribers.setdefault(ups, []).append(callback)
        self.repeat(ups)

        def remove() -> None:
            callbacks = self._subscribers.get(ups, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                self._subscribers.pop(ups, None)
                self._handed.pop(ups, None)
                self._answered.pop(ups, None)

        return remove

    def expect(self, ups: str, value: str) -> None:
        """Note that ``ups``'s subscribers hold ``value``.

        A check that reads it again is not handed over; one that reads anything else is.
        """
        if ups in self._subscribers:
            self._handed[ups] = value

    def repeat(self, ups: str) -> None:
        """Hand ``ups``'s next result to its subscribers even if it did not change.

        For a subscriber that could not act on the last one (it was busy, or failing and
        waiting for any answer to recover on).
        """
        self._handed.pop(ups, None)

    def answered_at(self, ups: str) -> float:
        """``time.monotonic()`` of the last round in which upsd gave ``ups``'s value.

        Returns:
            Seconds on the monotonic clock; ``-inf`` if it never did (or ``ups`` is not
            subscribed).
        """
        return self._answered.get(ups, -math.inf)

    @property
    def ups_names(self) -> list[str]:
        """The UPSes checked, in request order."""
        return list(self._subscribers)

    async def check(self) -> None:
        """Run one check round; hand each UPS's subscribers a new result (no NUTError escapes)."""
        names = self.ups_names
        if not names:
            return
        try:
            results = await self.session.get_vars([(ups, self.var) for ups in names])
        except NUTError as err:
            # Not kept in a local: the error's traceback holds this frame, and a local that
            # held the error would make a cycle only the garbage collector frees.
            self._hand_over(names, [err] * len(names))
            return
        self._hand_over(names, results)

    def _hand_over(self, names: list[str], results: Sequence[CheckResult]) -> None:
        """Note a round's ``results`` (in ``names``' order); call the subscribers of news."""
        self.checks += 1
        now = time.monotonic()
        subscribers, handed, answered = self._subscribers, self._handed, self._answered
        for ups, result in zip(names, results, strict=True):
            if (callbacks := subscribers.get(ups)) is None:
                continue  # unsubscribed while the round was under way
            if isinstance(result, str):
                answered[ups] = now
                if handed.get(ups) == result:
                    continue
            handed[ups] = result
            for callback in list(callbacks):
                try:
                    callback(result)
                except Exception:
                    _LOGGER.exception("status callback for %s failed", ups)

    async def run(self) -> None:
        """Check at once, then every ``interval`` seconds until cancelled, then close.

        The connection is closed at the end. The ticks fall on whole multiples of ``interval``
        on the event loop's clock, so the watches of several upsd with the same interval wake
        the loop once per interval, not once each (measured with 10 upsd: about a fifth of
        their CPU).
        """
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self.check()
                now = loop.time()
                # The next multiple of the interval; an overrun skips ticks, no catch-up burst.
                due = (math.floor(now / self.interval) + 1) * self.interval
                await asyncio.sleep(due - now)
        finally:
            self.session.close()
