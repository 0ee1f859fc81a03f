"""The only place that sends INSTCMD and SET VAR: validated, tracked, errors translated.

Buttons, numbers, selects, texts, switches and the actions all call :class:`UpsControl`. Every
request is checked against the UPS's capabilities first (nothing unknown is sent), sent once
with NUT's TRACKING, and its outcome confirmed; a successful write is followed by a full poll,
so entities show the UPS's value, never an optimistic one.
"""

from collections.abc import Awaitable, Callable
import difflib
import logging
import math

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .capabilities import Capabilities, Setting, SettingKind
from .const import DOMAIN
from .nut import (
    NUTAuthError,
    NUTClient,
    NUTConnectionError,
    NUTError,
    NUTOutcomeUnknownError,
    NUTResponseError,
    NUTTimeoutError,
    Outcome,
)
from .nut.protocol import MAX_ARGUMENT
from .status import parse_number

_LOGGER = logging.getLogger(__name__)


def _error(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


TEST_COMMAND_PREFIX = "test.battery.start"
"""Instant commands that start a battery test (docs/nut-names.txt: quick, deep)."""


def shown(value: str, limit: int = 40) -> str:
    """Return ``value`` as it can be shown in a message: escaped (``ascii``), at most ``limit`` long."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_text(value: str) -> None:
    """Refuse a value NUT's protocol cannot carry.

    That is a newline, NUL, control or non-ASCII character, or more than 255 characters
    (nut/protocol.py's MAX_ARGUMENT). Quotes, backslashes and ``#`` are fine: the client escapes them.

    Raises:
        ServiceValidationError: ``invalid_characters`` or ``text_too_long``, showing the text
            escaped (no translation needed for it).
    """
    if not (value.isascii() and value.isprintable()):
        raise _invalid("invalid_characters", text=shown(value))
    if len(value) > MAX_ARGUMENT:
        raise _invalid(
            "text_too_long", text=shown(value), length=str(len(value)), maximum=str(MAX_ARGUMENT)
        )


def validate_value(setting: Setting, value: str) -> str:
    """Check ``value`` against the setting's type, options, range or length; return it as sent.

    Raises:
        ServiceValidationError: not_a_number, out_of_range, not_an_option, too_long or
            invalid_characters.
    """
    check_text(value)
    if setting.kind is SettingKind.NUMBER:
        number = parse_number(value)
        if number is None or not math.isfinite(number):
            raise _invalid("not_a_number", variable=setting.name, value=value)
        low = setting.minimum if setting.minimum is not None else -math.inf
        high = setting.maximum if setting.maximum is not None else math.inf
        if not low <= number <= high:
            raise _invalid(
                "out_of_range",
                variable=setting.name,
                value=value,
                minimum=f"{setting.minimum:g}" if setting.minimum is not None else "-",
                maximum=f"{setting.maximum:g}" if setting.maximum is not None else "-",
            )
    elif setting.kind is SettingKind.ENUM and value not in setting.options:
        raise _invalid(
            "not_an_option",
            variable=setting.name,
            value=value,
            options=", ".join(setting.options),
        )
    elif setting.max_length is not None and len(value) > setting.max_length:
        raise _invalid("too_long", variable=setting.name, maximum=str(setting.max_length))
    return value


class UpsControl:
    """Instant commands and settings of one UPS, with the entry's credentials.

    Args:
        client: a client with the entry's username and password.
        ups: the UPS name on upsd.
        capabilities: what the UPS offers (commands, settings).
        on_done: awaited after a command or write that succeeded (a full poll).
        on_refused: called when upsd refuses the credentials themselves (starts reauth).
        on_test: called when a battery test (``test.battery.start*``) was started, so the
            switch to battery it causes is known for a test, not an outage.
    """

    def __init__(
        self,
        client: NUTClient,
        ups: str,
        capabilities: Capabilities,
        *,
        on_done: Callable[[], Awaitable[None]],
        on_refused: Callable[[], None],
        on_test: Callable[[], None] = lambda: None,
    ) -> None:
        """Bind the control to a UPS."""
        self.client = client
        self.ups = ups
        self.capabilities = capabilities
        self._on_done = on_done
        self._on_refused = on_refused
        self._on_test = on_test

    def has_command(self, command: str) -> bool:
        """Whether the UPS lists ``command`` (``LIST CMD``)."""
        return command in self.capabilities.commands

    async def run_command(self, command: str, value: str | None = None) -> Outcome:
        """Run an instant command the UPS lists, once; return its outcome.

        Raises:
            ServiceValidationError: the UPS does not list ``command`` (the closest names it does
                list are given), or the command or value holds characters NUT cannot carry.
            HomeAssistantError: refused, failed, no outcome in time, or upsd unreachable.
        """
        check_text(command)
        if value is not None:
            check_text(value)
        if command not in self.capabilities.commands:
            close = difflib.get_close_matches(command, list(self.capabilities.commands), n=3)
            raise _invalid(
                "command_not_supported",
                command=command,
                closest=", ".join(close) or ", ".join(sorted(self.capabilities.commands)[:5]),
            )
        if command.startswith(TEST_COMMAND_PREFIX):
            self._on_test()  # before it is sent: the UPS may switch to battery at once
        return await self._send(
            command, lambda: self.client.run_command_tracked(self.ups, command, value)
        )

    async def set_variable(self, variable: str, value: str) -> Outcome:
        """Write a setting after validating ``value``; return the outcome.

        Raises:
            ServiceValidationError: not a setting of this UPS, or an invalid value.
            HomeAssistantError: refused, failed, no outcome in time, or upsd unreachable.
        """
        check_text(variable)
        setting = self.capabilities.settings.get(variable)
        if setting is None:
            raise _invalid(
                "not_a_setting",
                variable=variable,
                settings=", ".join(sorted(self.capabilities.settings)) or "—",
            )
        checked = validate_value(setting, value)
        return await self._send(
            variable, lambda: self.client.set_var_tracked(self.ups, variable, checked)
        )

    async def _send(self, what: str, call: Callable[[], Awaitable[Outcome]]) -> Outcome:
        try:
            outcome = await call()
        except NUTAuthError as err:
            raise await self._refusal(what, err) from err
        except NUTOutcomeUnknownError as err:
            raise _error("outcome_unknown", what=what) from err
        except NUTResponseError as err:
            raise _error("upsd_refused", what=what, error=str(err)) from err
        except NUTTimeoutError as err:
            raise _error("command_timeout", what=what) from err
        except NUTConnectionError as err:
            raise _error("command_cannot_connect", what=what, error=str(err)) from err
        except NUTError as err:
            raise _error("upsd_refused", what=what, error=str(err)) from err
        if outcome is Outcome.FAILURE:
            raise _error("failed", what=what)
        await self._on_done()
        return outcome

    async def _refusal(self, what: str, err: NUTAuthError) -> HomeAssistantError:
        """Tell a missing right from refused credentials (only the latter starts reauth).

        upsd answers ACCESS-DENIED to both. A SET of a variable no driver has changes nothing
        and tells them apart: VAR-NOT-SUPPORTED means the credentials are good (and may SET),
        so a refused instant command lacks ``instcmds``. The config flow only accepts
        credentials that pass this probe, so a probe refused now means upsd no longer accepts
        them (password changed, or the user lost ``actions = SET``): reauth.
        """
        try:
            can_set = await self._probe(self.client.check_credentials(self.ups))
        except NUTError:
            return _error("command_access_denied", what=what, error=err.code)
        if can_set and what in self.capabilities.commands:
            return _error("missing_instcmds", what=what)
        if not can_set:
            _LOGGER.debug("upsd refused the credentials for %s; starting reauth", self.ups)
            self._on_refused()
            return _error("credentials_refused", what=what)
        return _error("command_access_denied", what=what, error=err.code)

    @staticmethod
    async def _probe(call: Awaitable[object]) -> bool:
        """Whether a probe got past upsd's rights check (any answer but ACCESS-DENIED)."""
        try:
            await call
        except NUTAuthError:
            return False
        except NUTResponseError:
            return True
        return True
